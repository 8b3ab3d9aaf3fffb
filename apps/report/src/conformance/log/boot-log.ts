/**
 * Parses a QEMU console log (dmesg lines with `[    1.234567]` timestamps, CRLF or LF, with or without dynamic
 * debug) plus the `/init` output into {@link LogRecord}s and the {@link SysfsDump}. Never throws: unexpected lines
 * stay `printk` records or become warnings naming the line.
 */
import { classifyLine, SMMU_DWORD_RE } from "./line-patterns";
import type { LogEvent, LogPosition, LogPrintk, LogRecord } from "./records";
import { parseSysfsDump, type DumpWarning, type SysfsDump, type UserLine } from "./sysfs-dump";

/** The parsed log. */
export interface ParsedBootLog {
  readonly records: readonly LogRecord[];
  /** The `/init` sysfs dump, or null if `/init` never printed it. */
  readonly sysfs: SysfsDump | null;
  /** From `Kernel command line:` (or `/init`'s `cmdline:`), or null. */
  readonly cmdline: string | null;
  /** The `Kernel panic - not syncing:` message, or null. */
  readonly panic: string | null;
  readonly init: {
    readonly started: boolean;
    readonly done: boolean;
    readonly insmods: readonly { readonly module: string; readonly failed: boolean }[];
  };
  /** Lines that looked structured but did not parse. */
  readonly warnings: readonly DumpWarning[];
}

const TS_RE = /\[\s*(\d+)\.(\d{6})\] ?/;

/** Splits a kernel line's text into `dev_printk`'s prefix and the message. */
function splitPrefix(text: string): { prefix: string | null; body: string; device?: string } {
  const i = text.indexOf(": ");
  const j = text.indexOf(":\t");
  const at = i < 0 ? j : j < 0 ? i : Math.min(i, j);
  if (at <= 0) return { prefix: null, body: text };
  const prefix = text.slice(0, at);
  const body = text.slice(at + 2 - (text[at + 1] === "\t" ? 1 : 0));
  const words = prefix.split(" ");
  return words.length === 2 && words[1] !== "" ? { prefix, body, device: words[1] as string } : { prefix, body };
}

/** Parses a whole console log. */
export function parseBootLog(text: string): ParsedBootLog {
  const records: LogRecord[] = [];
  const user: UserLine[] = [];
  const warnings: DumpWarning[] = [];
  const insmods: { module: string; failed: boolean }[] = [];
  let cmdline: string | null = null;
  let initCmdline: string | null = null;
  let panic: string | null = null;
  let started = false;
  let done = false;
  let pendingUser = "";
  let smmuEvent: { smmu: string; dwords: string[] } | null = null;
  const rawLines = text.split("\n");
  const pushUser = (line: number, t: string): void => {
    const full = pendingUser + t;
    pendingUser = "";
    user.push({ line, text: full });
    const m = /^=== INIT: (.*)$/.exec(full);
    if (m === null) return;
    const body = m[1] as string;
    const pos: LogPosition = { line, time: null };
    const ins = /^insmod (\S+)( failed)?$/.exec(body);
    if (ins !== null) {
      const failed = ins[2] !== undefined;
      const prev = insmods[insmods.length - 1];
      if (failed && prev !== undefined && prev.module === ins[1]) prev.failed = true;
      else insmods.push({ module: ins[1] as string, failed });
      records.push({ type: "init-insmod", module: ins[1] as string, failed, ...pos });
      return;
    }
    if (body.startsWith("start")) started = true;
    if (body.startsWith("done")) done = true;
    if (body.startsWith("cmdline: ")) initCmdline = body.slice(9);
    records.push({ type: "init-marker", text: body, ...pos });
  };
  for (let n = 0; n < rawLines.length; n++) {
    const lineNo = n + 1;
    let raw = (rawLines[n] as string).replace(/\r$/, "");
    if (n === rawLines.length - 1 && raw === "") break;
    const ts = TS_RE.exec(raw);
    if (ts === null) {
      smmuEvent = null;
      pushUser(lineNo, raw);
      continue;
    }
    if (ts.index > 0) {
      // A kernel line interrupted /init's output mid-line: keep the fragment for the next user line.
      pendingUser += raw.slice(0, ts.index);
      raw = raw.slice(ts.index);
    }
    const time = Number(ts[1]) * 1_000_000 + Number(ts[2]);
    const body = raw.slice(ts[0].length);
    const pos: LogPosition = { line: lineNo, time };
    const dword = SMMU_DWORD_RE.exec(body);
    if (dword !== null && smmuEvent !== null && smmuEvent.smmu === dword[1] && smmuEvent.dwords.length < 4) {
      smmuEvent.dwords.push(dword[2] as string);
      records.push({ type: "printk", level: "info", prefix: `arm-smmu-v3 ${dword[1]}`, text: `\t0x${dword[2]}`, file: "drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c", device: dword[1] as string, ...pos });
      continue;
    }
    smmuEvent = null;
    const cls = classifyLine(body);
    const split = splitPrefix(body);
    const printk: LogPrintk = {
      type: "printk",
      level: cls?.pattern.level ?? null,
      prefix: split.prefix,
      text: split.body,
      file: cls?.pattern.file ?? null,
      ...(split.device === undefined ? {} : { device: split.device }),
      ...pos,
    };
    records.push(printk);
    const event: LogEvent | null = cls?.event ?? null;
    if (event === null) continue;
    if (event.type === "smmu-event") {
      const dwords: string[] = [];
      smmuEvent = { smmu: event.smmu, dwords };
      records.push({ ...event, dwords, ...pos });
      continue;
    }
    if (event.type === "kernel-cmdline" && cmdline === null) cmdline = event.cmdline;
    if (event.type === "kernel-panic" && panic === null) panic = event.message;
    records.push({ ...event, ...pos });
  }
  if (pendingUser !== "") user.push({ line: rawLines.length, text: pendingUser });
  const sysfs = parseSysfsDump(user, warnings);
  return { records, sysfs, cmdline: cmdline ?? initCmdline, panic, init: { started, done, insmods }, warnings };
}

/** The structured events of a parsed log (printk and /init records dropped), in order. */
export function logEvents(log: ParsedBootLog): (LogEvent & LogPosition)[] {
  return log.records.filter((r): r is LogEvent & LogPosition => r.type !== "printk" && r.type !== "init-marker" && r.type !== "init-insmod");
}
