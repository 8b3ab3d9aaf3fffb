/**
 * Packs the library packages as a user would receive them and installs them into an empty npm project, outside the
 * workspace: no `workspace:*` links, no `@dmasim/source` condition, only what `files` ships. Used by the
 * pack-and-consume test (`pack.test.ts`) and, to keep a consumer project around for a look, from the command line:
 *
 *   pnpm turbo run build && tsx tools/pack/pack.ts /tmp/dmasim-consumer
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";

const run = promisify(execFile);

/** The repository root. */
export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** The packages published to npm, in dependency order (apps/report is private). */
export const LIBRARY_PACKAGES = [
  "driver-core",
  "firmware",
  "machine",
  "pci",
  "iommu",
  "dma-mapping",
  "kernel",
] as const;

/** One of {@link LIBRARY_PACKAGES}. */
export type LibraryPackage = (typeof LIBRARY_PACKAGES)[number];

/** A packed package: its workspace folder and the tarball `pnpm pack` wrote. */
export interface PackedPackage {
  readonly dir: LibraryPackage;
  readonly name: string;
  readonly tarball: string;
}

/**
 * Packs every library package into `dest` with `pnpm pack`, which rewrites `workspace:*` to the version and applies
 * `publishConfig` (the source-free `exports`). The packages must be built (`dist/`) first.
 */
export async function packLibraries(dest: string): Promise<PackedPackage[]> {
  mkdirSync(dest, { recursive: true });
  return Promise.all(
    LIBRARY_PACKAGES.map(async (dir) => {
      const cwd = join(REPO_ROOT, "packages", dir);
      const manifest = JSON.parse(readFileSync(join(cwd, "package.json"), "utf8")) as { name: string; version: string };
      await run("pnpm", ["pack", "--pack-destination", dest], { cwd, maxBuffer: 16 << 20 });
      const file = `${manifest.name.replace(/^@/, "").replace("/", "-")}-${manifest.version}.tgz`;
      return { dir, name: manifest.name, tarball: join(dest, file) };
    }),
  );
}

/**
 * Creates an npm project in `dir` depending on every tarball and installs it with npm (no workspace; external
 * dependencies such as zod and yaml come from the registry or npm's cache). Copies the repository's `examples/`
 * into it.
 */
export async function installConsumer(dir: string, packed: readonly PackedPackage[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const dependencies = Object.fromEntries(packed.map((p) => [p.name, `file:${p.tarball}`]));
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "dmasim-consumer", private: true, type: "module", dependencies }, null, 2)}\n`,
  );
  cpSync(join(REPO_ROOT, "examples"), join(dir, "examples"), { recursive: true });
  await run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--no-package-lock", "--loglevel=error"],
    { cwd: dir, maxBuffer: 16 << 20, env: { ...process.env, npm_config_update_notifier: "false" } },
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? "/tmp/dmasim-consumer");
  const packed = await packLibraries(join(dir, "tarballs"));
  await installConsumer(dir, packed);
  process.stdout.write(`consumer project ready in ${dir}\n`);
}
