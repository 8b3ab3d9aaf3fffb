/**
 * Test support: every recorded real boot the conformance tests read — the oracle fixtures
 * (`fixtures/qemu-boots/`, vendored from the oracle, with `dt-noinitrd`'s missing `.cmd` rebuilt as dt-initrd's command without the
 * initramfs, as real-kernel-oracle.md §2/§5 describe it) and the live runs of the five topologies the fixtures do
 * not cover, recorded here by `pnpm conformance` (`<name>.cmd` and the gzipped console `<name>.log.gz`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";

/** One recorded boot. */
export interface RecordedBoot {
  readonly name: string;
  /** `shared` (the oracle fixtures) or `live` (recorded by this package's runner). */
  readonly origin: "shared" | "live";
  readonly cmd: string;
  readonly log: string;
}

/** The vendored oracle fixtures directory (`fixtures/qemu-boots` at the repository root). */
export const SHARED_BOOTS_DIR = resolve(import.meta.dirname, "../../../../../fixtures/qemu-boots");
const LIVE_DIR = import.meta.dirname;

/** Every recorded boot, shared fixtures first, each list sorted by name. */
export function recordedBoots(): RecordedBoot[] {
  const shared = readdirSync(SHARED_BOOTS_DIR)
    .filter((f) => f.endsWith(".log"))
    .sort()
    .map((f) => {
      const name = f.slice(0, -4);
      const log = readFileSync(join(SHARED_BOOTS_DIR, f), "utf8");
      const cmd =
        name === "dt-noinitrd"
          ? readFileSync(join(SHARED_BOOTS_DIR, "dt-initrd.cmd"), "utf8").replace(" -initrd initramfs.cpio.gz", "")
          : readFileSync(join(SHARED_BOOTS_DIR, `${name}.cmd`), "utf8");
      return { name, origin: "shared" as const, cmd, log };
    });
  const live = readdirSync(LIVE_DIR)
    .filter((f) => f.endsWith(".log.gz"))
    .sort()
    .map((f) => {
      const name = f.slice(0, -7);
      return { name, origin: "live" as const, cmd: readFileSync(join(LIVE_DIR, `${name}.cmd`), "utf8"), log: gunzipSync(readFileSync(join(LIVE_DIR, f))).toString("utf8") };
    });
  return [...shared, ...live];
}
