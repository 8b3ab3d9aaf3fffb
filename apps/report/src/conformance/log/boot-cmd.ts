/**
 * The `.cmd` files next to each boot log: the exact command (shell-quoted, `timeout N qemu-system-aarch64 ...`) and
 * a `rc=N wall=S.NNNNNNNNNs` line. The command is parsed by `@dmasim/machine`'s `parseQemuCommandLine`, which gives
 * the devices, machine options, firmware kind (`-bios` → ACPI) and kernel command line.
 */
import { parseQemuCommandLine, type QemuCommandLine, type QemuCommandLineError } from "@dmasim/machine";

/** A parsed `.cmd` file. */
export interface BootCmd {
  readonly command: QemuCommandLine;
  /** Exit status of the recorded run (`timeout`'s: 124 when it fired), or null if the line is missing. */
  readonly rc: number | null;
  /** Wall time in seconds, or null. */
  readonly wallSeconds: number | null;
}

/** Parses a `.cmd` file's text. */
export function parseBootCmd(text: string): { ok: true; value: BootCmd } | { ok: false; error: QemuCommandLineError } {
  const command = parseQemuCommandLine(text);
  if (!command.ok) return command;
  const m = /^rc=(\d+) wall=([0-9.]+)s\s*$/m.exec(text);
  return {
    ok: true,
    value: { command: command.value, rc: m === null ? null : Number(m[1]), wallSeconds: m === null ? null : Number(m[2]) },
  };
}
