/**
 * Child processes with a hard time limit: the process runs in its own process group, and when the limit passes the
 * whole group (QEMU and anything it started) is killed by its id. Output can be captured, streamed to a file, or both.
 */
import { spawn } from "node:child_process";
import { createWriteStream, openSync, type WriteStream } from "node:fs";

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the process group after this many milliseconds (default: no limit). */
  readonly timeoutMs?: number;
  /** Write stdout and stderr, interleaved in arrival order, to this file. */
  readonly outputFile?: string;
  /** Keep at most this many bytes of each stream in memory (default 8 MiB). */
  readonly captureLimit?: number;
}

/** What a finished (or killed) process left. */
export interface ProcessOutcome {
  /** Exit code, or null when killed by a signal. */
  readonly code: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit, in nanoseconds. */
  readonly wallNs: bigint;
}

/** The process could not be started at all (`ENOENT` for a missing program). */
export interface SpawnFailure {
  readonly code: string;
  readonly message: string;
}

/** Runs `file args` and resolves when it exits; never rejects. */
export function runProcess(
  file: string,
  args: readonly string[],
  options: RunProcessOptions = {},
): Promise<{ ok: true; value: ProcessOutcome } | { ok: false; error: SpawnFailure }> {
  const limit = options.captureLimit ?? 8 * 2 ** 20;
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    let out: WriteStream | null = null;
    let outError: Error | null = null;
    if (options.outputFile !== undefined) {
      // Open before spawning, so an unwritable log is reported deterministically rather than racing the child.
      let fd: number;
      try {
        fd = openSync(options.outputFile, "w");
      } catch (e) {
        resolve({ ok: false, error: { code: "EOUTPUT", message: `${options.outputFile}: ${(e as Error).message}` } });
        return;
      }
      out = createWriteStream(options.outputFile, { fd });
      out.on("error", (e) => {
        outError = e;
      });
    }
    const child = spawn(file, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let timedOut = false;
    let timer: NodeJS.Timeout | null = null;
    let settled = false;
    child.stdout.on("data", (b: Buffer) => {
      out?.write(b);
      if (outLen < limit) stdout.push(b);
      outLen += b.length;
    });
    child.stderr.on("data", (b: Buffer) => {
      out?.write(b);
      if (errLen < limit) stderr.push(b);
      errLen += b.length;
    });
    const finish = (value: Parameters<typeof resolve>[0]): void => {
      if (settled) return;
      settled = true;
      if (timer !== null) clearTimeout(timer);
      if (out === null || outError !== null) {
        resolve(outError === null ? value : { ok: false, error: { code: "EOUTPUT", message: `${options.outputFile ?? ""}: ${outError.message}` } });
        return;
      }
      out.end((err?: Error | null) => {
        const failed = outError ?? err ?? null;
        resolve(failed === null ? value : { ok: false, error: { code: "EOUTPUT", message: `${options.outputFile ?? ""}: ${failed.message}` } });
      });
    };
    child.on("error", (e: NodeJS.ErrnoException) => {
      finish({ ok: false, error: { code: e.code ?? "ERROR", message: e.message } });
    });
    child.on("close", (code, signal) => {
      finish({
        ok: true,
        value: {
          code,
          signal,
          timedOut,
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: Buffer.concat(stderr).toString("utf8"),
          wallNs: process.hrtime.bigint() - start,
        },
      });
    });
    if (options.timeoutMs !== undefined && child.pid !== undefined) {
      const pid = child.pid;
      timer = setTimeout(() => {
        timedOut = true;
        killGroup(pid);
      }, options.timeoutMs);
    }
  });
}

/** SIGKILL to the process group led by `pid` (the child was spawned detached, so it leads its own group). */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Formats nanoseconds as the `.cmd` files do: seconds with nine decimals (`4.231280285s`). */
export function formatWallTime(ns: bigint): string {
  const s = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  return `${s}.${frac.toString().padStart(9, "0")}s`;
}

/**
 * Quotes a word the way bash's `printf %q` does for the characters a QEMU command line uses (backslash before
 * anything outside `[A-Za-z0-9_./:=@%+-]`, `''` for the empty word), so the `.cmd` files read back with the same
 * shell-word splitter as the recorded fixtures.
 */
export function shellQuote(word: string): string {
  if (word === "") return "''";
  return word.replace(/[^A-Za-z0-9_./:=@%+\-]/g, (c) => `\\${c}`);
}
