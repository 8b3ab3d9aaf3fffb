/**
 * Writing report files so that a failed run never leaves a partial file over a good one: every file is written to a
 * temporary name in the same directory (same filesystem, so `rename` is atomic) and renamed over the target only once
 * it is complete. A set of files is rendered in memory before the first one is written.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** The operations the writer needs (a test can make one fail). */
export interface FileOps {
  readonly mkdirp: (dir: string) => void;
  readonly write: (path: string, data: string | Uint8Array) => void;
  readonly rename: (from: string, to: string) => void;
  readonly remove: (path: string) => void;
}

/** The real filesystem. */
export const NODE_FILE_OPS: FileOps = {
  mkdirp: (dir) => void mkdirSync(dir, { recursive: true }),
  write: (path, data) => writeFileSync(path, data),
  rename: (from, to) => renameSync(from, to),
  remove: (path) => rmSync(path, { force: true }),
};

/** The temporary name of `path` while it is written. */
export function tempPathOf(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

/** Writes `data` to `path` through a temporary file and a rename; on failure the temporary file is removed. */
export function writeFileAtomic(path: string, data: string | Uint8Array, ops: FileOps = NODE_FILE_OPS): void {
  ops.mkdirp(dirname(path));
  const tmp = tempPathOf(path);
  try {
    ops.write(tmp, data);
    ops.rename(tmp, path);
  } catch (err) {
    ops.remove(tmp);
    throw err;
  }
}

/**
 * Writes several files: each through its own temporary file; the renames happen only after every temporary file
 * was written, so a failure while writing leaves all targets as they were.
 */
export function writeFilesAtomic(files: readonly { readonly path: string; readonly data: string | Uint8Array }[], ops: FileOps = NODE_FILE_OPS): void {
  const written: string[] = [];
  try {
    for (const f of files) {
      ops.mkdirp(dirname(f.path));
      const tmp = tempPathOf(f.path);
      written.push(tmp);
      ops.write(tmp, f.data);
    }
    for (const f of files) ops.rename(tempPathOf(f.path), f.path);
  } catch (err) {
    for (const tmp of written) ops.remove(tmp);
    throw err;
  }
}
