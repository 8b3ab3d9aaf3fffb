/** Test helpers: the shared real fixtures and the Debian tools (dtc, fdtget, iasl) used as oracles. */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

/** `fixtures` from the repository root. */
export const FIXTURES = resolve(import.meta.dirname, "../../../fixtures");

/** Every DTB fixture, by file name. */
export function dtbFixtures(): { name: string; path: string; bytes: Uint8Array }[] {
  const dir = resolve(FIXTURES, "dtb");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".dtb"))
    .sort()
    .map((name) => ({ name, path: resolve(dir, name), bytes: new Uint8Array(readFileSync(resolve(dir, name))) }));
}

/** Every IORT fixture (`.bin`), by file name. */
export function iortFixtures(): { name: string; path: string; bytes: Uint8Array }[] {
  const dir = resolve(FIXTURES, "iort");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".bin"))
    .sort()
    .map((name) => ({ name, path: resolve(dir, name), bytes: new Uint8Array(readFileSync(resolve(dir, name))) }));
}

/** True when the tool runs. In CI the tools are required, so their absence fails loudly instead of skipping. */
export function hasTool(cmd: string, args: string[] = ["--version"]): boolean {
  let ok: boolean;
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
    ok = true;
  } catch (e) {
    // iasl exits non-zero for -v on some versions but still runs; ENOENT means it is absent.
    ok = (e as NodeJS.ErrnoException).code !== "ENOENT";
  }
  if (!ok && process.env.CI) throw new Error(`${cmd} must be installed in CI`);
  if (!ok) console.warn(`skipping ${cmd} cross-checks: ${cmd} is not installed (apt-get install device-tree-compiler acpica-tools)`);
  return ok;
}

/** Runs a tool and returns its stdout. */
export function run(cmd: string, args: string[], input?: Uint8Array): string {
  return execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["pipe", "pipe", "pipe"], ...(input ? { input } : {}) });
}
