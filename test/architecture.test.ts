import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
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
