/**
 * The kernel log as trace events: `printk`/`pr_*` and `dev_printk`/`dev_*` from every layer go through here, so one
 * trace yields the dmesg a real kernel would print (and conformance can compare it line by line with a real boot).
 *
 * @see include/linux/printk.h pr_info, pr_debug
 * @see include/linux/dev_printk.h dev_info, dev_warn, dev_dbg
 */
import type { Device } from "./device";
import type { TraceSink } from "./trace";

/**
 * `KERN_*` levels. `debug` lines are printed only with dynamic debug enabled for their file (`dyndbg`).
 *
 * @see include/linux/kern_levels.h
 */
export type LogLevel = "emerg" | "alert" | "crit" | "err" | "warning" | "notice" | "info" | "debug";

/**
 * One log line. `prefix` is what the kernel puts before the colon: `"<driver> <device>"` for `dev_*` calls (the
 * driver string is the bound driver's name, else the bus name, as `dev_driver_string` says), a `pr_fmt` prefix such as
 * `"iommu"`, or `null` for bare `printk`. `file` names the source file, which is what `dyndbg` selects on.
 */
export interface PrintkEvent {
  readonly type: "printk";
  readonly level: LogLevel;
  readonly prefix: string | null;
  readonly text: string;
  /** The kernel source file the line comes from (e.g. `"drivers/iommu/iommu.c"`), for dynamic-debug filtering. */
  readonly file: string;
  /** The device the line is about, when it is a `dev_*` call (its kernel name). */
  readonly device?: string;
}

/**
 * The text of a log line as dmesg shows it, without the timestamp.
 *
 * @see drivers/base/core.c __dev_printk
 */
export function printkLine(e: PrintkEvent): string {
  return e.prefix === null ? e.text : `${e.prefix}: ${e.text}`;
}

/**
 * `dev_printk(level, dev, fmt, ...)`: a line prefixed with the device's driver string and name.
 *
 * @see drivers/base/core.c dev_printk_emit
 */
export function devPrintk(
  trace: TraceSink<PrintkEvent>,
  level: LogLevel,
  dev: Device,
  file: string,
  text: string,
): void {
  trace.emit({ type: "printk", level, prefix: `${dev.driverString} ${dev.name}`, text, file, device: dev.name });
}

/**
 * `pr_<level>(fmt, ...)` with a `pr_fmt` prefix (`"iommu"`, `"OF"`, `"PCI"`) or none.
 *
 * @see include/linux/printk.h pr_fmt
 */
export function printk(
  trace: TraceSink<PrintkEvent>,
  level: LogLevel,
  prefix: string | null,
  file: string,
  text: string,
): void {
  trace.emit({ type: "printk", level, prefix, text, file });
}
