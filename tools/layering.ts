/**
 * The one-way dependency rule of DESIGN.md, checked from the files themselves: every `@dmasim/*` import and every
 * workspace dependency in a package.json must point down the table below, and no relative import may leave its
 * package. `checkLayering` returns the violations; the architecture test fails on any.
 */
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { join, relative, resolve, dirname, sep } from "node:path";

/** Which workspace packages each package may use (DESIGN.md, "Packages"). */
export const ALLOWED_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  "@dmasim/driver-core": [],
  "@dmasim/firmware": [],
  "@dmasim/machine": ["@dmasim/firmware"],
  "@dmasim/pci": ["@dmasim/driver-core", "@dmasim/machine"],
  "@dmasim/iommu": ["@dmasim/driver-core", "@dmasim/machine", "@dmasim/firmware", "@dmasim/pci"],
  "@dmasim/dma-mapping": ["@dmasim/driver-core", "@dmasim/machine", "@dmasim/iommu"],
  "@dmasim/kernel": [
    "@dmasim/driver-core", "@dmasim/firmware", "@dmasim/machine", "@dmasim/pci", "@dmasim/iommu", "@dmasim/dma-mapping",
  ],
  "@dmasim/report": [
    "@dmasim/driver-core", "@dmasim/firmware", "@dmasim/machine", "@dmasim/pci", "@dmasim/iommu", "@dmasim/dma-mapping",
    "@dmasim/kernel",
  ],
};

export interface LayeringViolation {
  readonly file: string;
  readonly message: string;
}

const SOURCE_DIRS = ["src", "test", "examples", "bench"];
const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g;

function listTs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTs(p));
    else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

function packageDirs(root: string): string[] {
  return ["packages", "apps"].flatMap((group) => {
    const g = join(root, group);
    if (!existsSync(g)) return [];
    return readdirSync(g)
      .map((n) => join(g, n))
      .filter((p) => existsSync(join(p, "package.json")));
  });
}

/** Every layering violation under `root` (a checkout of this repository). */
export function checkLayering(root: string): LayeringViolation[] {
  const violations: LayeringViolation[] = [];
  for (const dir of packageDirs(root)) {
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      name: string;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const rel = (p: string) => relative(root, p).split(sep).join("/");
    const allowed = ALLOWED_DEPENDENCIES[manifest.name];
    if (!allowed) {
      violations.push({ file: rel(join(dir, "package.json")), message: `${manifest.name} is not in the layering table` });
      continue;
    }
    const declared = { ...manifest.dependencies, ...manifest.devDependencies };
    for (const dep of Object.keys(declared)) {
      if (dep.startsWith("@dmasim/") && !allowed.includes(dep)) {
        violations.push({ file: rel(join(dir, "package.json")), message: `${manifest.name} must not depend on ${dep}` });
      }
    }
    for (const file of SOURCE_DIRS.flatMap((s) => listTs(join(dir, s)))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(IMPORT_RE)) {
        const spec = m[1] ?? "";
        if (spec.startsWith("@dmasim/")) {
          const target = spec.split("/").slice(0, 2).join("/");
          if (target === manifest.name) continue;
          if (!allowed.includes(target)) {
            violations.push({ file: rel(file), message: `${manifest.name} imports ${spec}, which is not below it` });
          } else if (!(target in declared)) {
            violations.push({ file: rel(file), message: `${manifest.name} imports ${spec} without declaring it` });
          }
        } else if (spec.startsWith(".")) {
          const target = resolve(dirname(file), spec);
          if (!target.startsWith(dir + sep)) {
            violations.push({ file: rel(file), message: `relative import ${spec} leaves ${manifest.name}; import the package by name` });
          }
        }
      }
    }
  }
  return violations;
}
