/**
 * What a command may touch besides files: its two output streams, whether stdout is a terminal, whether to colour,
 * the working directory and the environment. The CLI passes the process's; tests pass captured buffers.
 */

/** A text sink. */
export interface TextSink {
  write(text: string): void;
}

/** The command's environment. */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** stdout is a terminal (progress bars, colour). */
  readonly isTTY: boolean;
  /** Colour allowed: a terminal and no `NO_COLOR`. */
  readonly color: boolean;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Milliseconds since some start (progress display only; never written to a file). */
  readonly now: () => number;
}

/** Whether to colour output: `NO_COLOR` (any value) disables it, `FORCE_COLOR` forces it, otherwise a TTY. */
export function colorEnabled(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  if (env["FORCE_COLOR"] !== undefined && env["FORCE_COLOR"] !== "" && env["FORCE_COLOR"] !== "0") return true;
  return isTTY && env["TERM"] !== "dumb";
}

/** The process's streams and environment. */
export function processIo(): CliIo {
  const isTTY = process.stdout.isTTY === true;
  return {
    stdout: { write: (t) => void process.stdout.write(t) },
    stderr: { write: (t) => void process.stderr.write(t) },
    isTTY,
    color: colorEnabled(isTTY, process.env),
    cwd: process.cwd(),
    env: process.env,
    now: () => performance.now(),
  };
}

/** Captured output, for tests. */
export interface CapturedIo extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
}

/** A {@link CliIo} writing into strings. */
export function captureIo(options: { readonly cwd?: string; readonly isTTY?: boolean; readonly env?: Readonly<Record<string, string | undefined>> } = {}): CapturedIo {
  let out = "";
  let err = "";
  const isTTY = options.isTTY ?? false;
  const env = options.env ?? {};
  let t = 0;
  return {
    stdout: { write: (s) => void (out += s) },
    stderr: { write: (s) => void (err += s) },
    isTTY,
    color: colorEnabled(isTTY, env),
    cwd: options.cwd ?? process.cwd(),
    env,
    now: () => (t += 100),
    out: () => out,
    err: () => err,
  };
}
