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
  /** stdout is a terminal (colour). */
  readonly isTTY: boolean;
  /** stderr is a terminal: progress (written to stderr) is a bar redrawn in place rather than plain lines. */
  readonly stderrIsTTY: boolean;
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

/**
 * A sink on a process stream that stops writing once the reader has gone (`dmasim run X | head`: EPIPE), instead of
 * dying on an unhandled stream error; the command still finishes and exits with its own status. Any other write
 * error (a full disk under `> file`) is one line on the other stream and exit 74 (EX_IOERR).
 */
function streamSink(stream: NodeJS.WriteStream): TextSink {
  let closed = false;
  stream.on("error", (err: NodeJS.ErrnoException) => {
    closed = true;
    if (err.code === "EPIPE") return;
    const other = stream === process.stdout ? process.stderr : process.stdout;
    other.write(`dmasim: cannot write the output: ${err.message}\n`);
    process.exit(74);
  });
  return { write: (t) => void (closed || stream.write(t)) };
}

/** The process's streams and environment. */
export function processIo(): CliIo {
  const isTTY = process.stdout.isTTY === true;
  return {
    stdout: streamSink(process.stdout),
    stderr: streamSink(process.stderr),
    isTTY,
    stderrIsTTY: process.stderr.isTTY === true && process.env["TERM"] !== "dumb",
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
    stderrIsTTY: isTTY,
    color: colorEnabled(isTTY, env),
    cwd: options.cwd ?? process.cwd(),
    env,
    now: () => (t += 100),
    out: () => out,
    err: () => err,
  };
}
