/**
 * Where the runner keeps downloads, unpacked packages, the initramfs and boot logs: `${XDG_CACHE_HOME:-~/.cache}/
 * dmasim/oracle/`, never inside the repository.
 */
import { homedir } from "node:os";
import { join } from "node:path";

/** The oracle cache directory for an environment. */
export function oracleCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && xdg !== "" ? xdg : join(env.HOME ?? homedir(), ".cache");
  return join(base, "dmasim", "oracle");
}

/** The sub-directories of the cache. */
export interface OracleLayout {
  readonly root: string;
  /** Private arm64 apt state: `lists/` and `cache/`. */
  readonly aptLists: string;
  readonly aptCache: string;
  /** Downloaded `.deb` files. */
  readonly debs: string;
  /** `dpkg -x` output, one directory per package version. */
  readonly extract: string;
  /** Built initramfs images. */
  readonly initramfs: string;
  /** `NAME.cmd` and `NAME.log` of every boot. */
  readonly logs: string;
}

/** The layout under a cache root. */
export function oracleLayout(root: string): OracleLayout {
  return {
    root,
    aptLists: join(root, "apt-arm64", "lists"),
    aptCache: join(root, "apt-arm64", "cache"),
    debs: join(root, "debs"),
    extract: join(root, "extract"),
    initramfs: join(root, "initramfs"),
    logs: join(root, "logs"),
  };
}
