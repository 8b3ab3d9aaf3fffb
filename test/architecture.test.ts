import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkLayering } from "../tools/layering";

const root = resolve(import.meta.dirname, "..");

function copyRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "dmasim-layering-"));
  for (const sub of ["packages", "apps"]) {
    cpSync(join(root, sub), join(dir, sub), {
      recursive: true,
      filter: (src) => !/node_modules|[\\/]dist([\\/]|$)/.test(src),
    });
  }
  return dir;
}

describe("package layering (DESIGN.md: nothing imports upward)", () => {
  const temps: string[] = [];
  afterEach(() => temps.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("holds for the repository as it is", () => {
    expect(checkLayering(root)).toEqual([]);
  });

  it("fails when driver-core imports the IOMMU layer", () => {
    const dir = copyRepo();
    temps.push(dir);
    writeFileSync(join(dir, "packages/driver-core/src/upward.ts"), 'import { x } from "@dmasim/iommu";\nexport const y = x;\n');
    expect(checkLayering(dir)).toEqual([
      { file: "packages/driver-core/src/upward.ts", message: "@dmasim/driver-core imports @dmasim/iommu, which is not below it" },
    ]);
  });

  it("fails when a package.json declares an upward dependency", () => {
    const dir = copyRepo();
    temps.push(dir);
    const path = join(dir, "packages/machine/package.json");
    const manifest = JSON.parse(readFileSync(path, "utf8"));
    manifest.dependencies["@dmasim/kernel"] = "workspace:*";
    writeFileSync(path, JSON.stringify(manifest));
    expect(checkLayering(dir).map((v) => v.message)).toEqual(["@dmasim/machine must not depend on @dmasim/kernel"]);
  });

  it("fails when a relative import reaches into a sibling package", () => {
    const dir = copyRepo();
    temps.push(dir);
    writeFileSync(join(dir, "packages/pci/src/reach.ts"), 'export * from "../../iommu/src/index";\n');
    expect(checkLayering(dir).map((v) => v.message)).toEqual([
      "relative import ../../iommu/src/index leaves @dmasim/pci; import the package by name",
    ]);
  });
});

describe("fixtures come from the repository (CI clones it alone)", () => {
  /** Tracked TypeScript files outside node_modules and build output. */
  function sources(): string[] {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (/^(node_modules|dist|out|\.turbo)$/.test(entry.name)) continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.(ts|mts)$/.test(entry.name)) out.push(path);
      }
    };
    for (const sub of ["packages", "apps", "tools", "test", "examples"]) {
      if (existsSync(join(root, sub))) walk(join(root, sub));
    }
    return out;
  }
  /** A string literal that climbs out of the clone to the reference tree's fixtures. */
  const OUTSIDE = /["'`][^"'`\n]*\.\.\/[^"'`\n]*shared\/fixtures/;

  it("no source or test reads ../shared/fixtures", () => {
    const offenders = sources().filter((f) => f !== import.meta.filename && OUTSIDE.test(readFileSync(f, "utf8")));
    expect(offenders.map((f) => f.slice(root.length + 1))).toEqual([]);
  });

  it("the pattern catches such a path", () => {
    expect(OUTSIDE.test('const DIR = resolve(import.meta.dirname, "../../../shared/fixtures/qemu-boots");')).toBe(true);
    expect(OUTSIDE.test('const DIR = resolve(import.meta.dirname, "../../fixtures/qemu-boots");')).toBe(false);
  });
});
