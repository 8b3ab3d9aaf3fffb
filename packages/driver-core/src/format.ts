/**
 * Human-readable renderings of a trace: an indented step log (`formatTrace`) and the exact `drivers/base/dd.c`
 * debug lines a kernel booted with `dyndbg="file drivers/base/dd.c +p"` prints (`formatKernelLog`).
 */
import { errnoName } from "./errno";
import type { DriverCoreEvent } from "./events";
import { isDriverCoreEvent } from "./events";
import { printkLine } from "./printk";
import { NOTIFY_BAD, NOTIFY_DONE, NOTIFY_OK, NOTIFY_STOP, NOTIFY_STOP_MASK, notifierToErrno } from "./notifier";

/** The minimum a record of any layer has. */
export interface AnyTraceRecord {
  readonly type: string;
  readonly seq: number;
  readonly time: number;
}

/**
 * `[    1.073387]`-style time from µs, as dmesg prints it.
 *
 * @see kernel/printk/printk.c print_time
 */
export function formatTime(timeUs: number): string {
  const secs = Math.floor(timeUs / 1_000_000);
  const micros = String(timeUs % 1_000_000).padStart(6, "0");
  return `${String(secs).padStart(5)}.${micros}`;
}

/** Names a notifier return value: `NOTIFY_OK`, `notifier_from_errno(-ENODEV)`, or a raw errno with its hex. */
export function notifyName(ret: number): string {
  switch (ret) {
    case NOTIFY_DONE:
      return "NOTIFY_DONE";
    case NOTIFY_OK:
      return "NOTIFY_OK";
    case NOTIFY_STOP:
      return "NOTIFY_STOP";
    case NOTIFY_BAD:
      return "NOTIFY_BAD";
  }
  if (ret < 0) return `${errnoName(ret)} (0x${(ret >>> 0).toString(16)})`;
  if ((ret & NOTIFY_STOP_MASK) !== 0) return `notifier_from_errno(${errnoName(notifierToErrno(ret))})`;
  return `0x${ret.toString(16)}`;
}

const OPENERS = new Set([
  "notifier-chain-start",
  "notifier-call",
  "device-add",
  "device-del",
  "driver-register",
  "device-attach",
  "really-probe",
  "driver-probe",
  "release-driver",
  "device-bind-driver",
  "initcall-start",
  "module-load",
  "work-start",
]);
const CLOSERS = new Set([
  "notifier-chain-end",
  "notifier-return",
  "device-add-end",
  "device-del-end",
  "driver-register-end",
  "device-attach-end",
  "really-probe-end",
  "driver-probe-return",
  "release-driver-end",
  "device-bind-driver-end",
  "initcall-end",
  "module-load-end",
  "work-end",
]);

/** One line of text for a driver-core event (no seq, time or indentation). */
export function describeEvent(e: DriverCoreEvent): string {
  switch (e.type) {
    case "notifier-register":
      return `notifier ${e.block} registered on ${e.chain} (priority ${e.priority})`;
    case "notifier-unregister":
      return `notifier ${e.block} unregistered from ${e.chain}`;
    case "notifier-chain-start":
      return `${e.chain} ${e.action}${e.data === null ? "" : ` ${e.data}`}: ${e.blocks} block(s)`;
    case "notifier-call":
      return `-> ${e.block} (priority ${e.priority})`;
    case "notifier-return":
      return `<- ${e.block} returned ${notifyName(e.ret)}${e.stop ? ": stops the chain" : ""}`;
    case "notifier-chain-end":
      return `${e.chain} ${e.action} done: ${e.calls} call(s)${e.stopped ? ", stopped" : ""}`;
    case "work-queue":
      return e.alreadyPending
        ? `queue_work ${e.work} on ${e.queue}: already pending`
        : `queue_work ${e.work} on ${e.queue}${e.delayUs > 0 ? ` (due ${formatTime(e.dueUs).trim()} s)` : ""}`;
    case "work-cancel":
      return `cancel ${e.work}`;
    case "work-start":
      return `[${e.queue}] ${e.work}`;
    case "work-end":
      return `[${e.queue}] ${e.work} done`;
    case "clock-advance":
      return `clock ${formatTime(e.from).trim()} s -> ${formatTime(e.to).trim()} s`;
    case "bus-register":
      return `bus_register ${e.bus}: ${errnoName(e.ret)}`;
    case "device-add":
      return `device_add ${e.device} (bus ${e.bus ?? "none"}, parent ${e.parent ?? "none"})`;
    case "platform-notify":
      return `platform_notify ${e.device}`;
    case "bus-add-device":
      return `bus_add_device ${e.device} on ${e.bus}`;
    case "bus-probe-device":
      return `bus_probe_device ${e.device}${e.autoprobe ? "" : " (autoprobe off)"}`;
    case "device-add-end":
      return `device_add ${e.device}: ${errnoName(e.ret)}`;
    case "device-del":
      return `device_del ${e.device}`;
    case "bus-remove-device":
      return `bus_remove_device ${e.device} from ${e.bus}`;
    case "platform-notify-remove":
      return `platform_notify_remove ${e.device}`;
    case "device-del-end":
      return `device_del ${e.device} done`;
    case "system-state":
      return `system_state = SYSTEM_${e.state}`;
    case "driver-register":
      return `driver_register ${e.driver} on ${e.bus}`;
    case "driver-register-end":
      return `driver_register ${e.driver}: ${errnoName(e.ret)}`;
    case "driver-unregister":
      return `driver_unregister ${e.driver}`;
    case "driver-attach":
      return `driver_attach ${e.driver}`;
    case "device-attach":
      return `__device_attach ${e.device}${e.allowAsync ? " (async allowed)" : ""}`;
    case "device-attach-end":
      return `__device_attach ${e.device}: ${e.ret}`;
    case "driver-match":
      return `match ${e.driver} ~ ${e.device}: ${e.ret > 0 ? "yes" : e.ret === 0 ? "no" : errnoName(e.ret)}`;
    case "probe-match":
      return `${e.fn}: matched device ${e.device} with driver ${e.driver}`;
    case "really-probe":
      return `really_probe: probing driver ${e.driver} with device ${e.device} (trigger count ${e.triggerCount})`;
    case "pinctrl-bind":
      return `pinctrl_bind_pins ${e.device}: ${errnoName(e.ret)}`;
    case "dma-configure":
      return `dma_configure ${e.device}: ${errnoName(e.ret)}`;
    case "driver-sysfs-add":
      return `driver_sysfs_add ${e.device} links: ${errnoName(e.ret)}`;
    case "driver-probe":
      return `${e.via === "bus" ? "bus->probe" : "drv->probe"} ${e.driver} ${e.device}`;
    case "driver-probe-return":
      return `probe ${e.driver} ${e.device} returned ${errnoName(e.ret)}`;
    case "probe-outcome":
      return kernelLine(e) ?? "";
    case "probe-defer":
      return `${e.device} deferred (trigger count ${e.triggerCountAtStart} -> ${e.triggerCount}${
        e.triggerCount !== e.triggerCountAtStart ? ": a trigger happened meanwhile" : ""
      })`;
    case "driver-bound":
      return `driver_bound: ${e.device} bound to ${e.driver}`;
    case "driver-bound-already":
      return `driver_bound: device ${e.device} already bound`;
    case "really-probe-end":
      return `really_probe ${e.driver} ${e.device}: ${e.ret} (dev->driver ${e.driverSet ? "set" : "NULL"}, ${
        e.bound ? "bound" : "not bound"
      })`;
    case "device-bind-driver":
      return `device_bind_driver ${e.device} to ${e.driver}`;
    case "device-bind-driver-end":
      return `device_bind_driver ${e.device}: ${errnoName(e.ret)}`;
    case "defer-all-probes":
      return `defer_all_probes = ${e.enabled}`;
    case "release-driver":
      return `__device_release_driver ${e.device} (${e.driver})`;
    case "driver-remove":
      return `${e.via === "bus" ? "bus->remove" : "drv->remove"} ${e.driver} ${e.device}`;
    case "dma-deconfigure":
      return `${e.fn} ${e.device}`;
    case "driver-unbound":
      return `${e.device} unbound from ${e.driver}`;
    case "release-driver-end":
      return `__device_release_driver ${e.device} done`;
    case "driver-detach":
      return `driver_detach ${e.driver}`;
    case "deferred-add":
    case "deferred-del":
    case "deferred-retry":
    case "deferred-timeout-extended":
    case "deferred-probe-pending":
      return kernelLine(e) ?? "";
    case "deferred-add-skip":
      return `${e.device}: not added to deferred list (${e.why})`;
    case "deferred-trigger":
      return e.enabled
        ? `driver_deferred_probe_trigger: count ${e.count}`
        : `driver_deferred_probe_trigger: disabled (before late_initcall), no-op`;
    case "deferred-splice":
      return `pending -> active: ${e.devices.length === 0 ? "(none)" : e.devices.join(", ")}`;
    case "deferred-reason":
      return e.reason === null ? `${e.device}: deferred reason cleared` : `${e.device}: waits for ${e.reason}`;
    case "deferred-enable":
      return "driver_deferred_probe_enable = true";
    case "initcalls-done":
      return "initcalls_done = true";
    case "deferred-flushed":
      return `deferred probe flushed (${e.phase})`;
    case "deferred-timeout-expired":
      return "deferred probe timeout expired";
    case "deferred-check-state":
      return `driver_deferred_probe_check_state ${e.device}: ${errnoName(e.ret)}`;
    case "initcall-start":
      return `initcall ${e.name} (${e.level})`;
    case "initcall-end":
      return `initcall ${e.name} returned ${errnoName(e.ret)}`;
    case "module-load":
      return `load module ${e.name}`;
    case "module-load-end":
      return `module ${e.name} init returned ${errnoName(e.ret)}`;
    case "printk":
      return `printk ${e.level}: ${printkLine(e)}`;
  }
}

/** Options of {@link formatTrace}. */
export interface FormatTraceOptions {
  /** Print only the records this accepts (indentation still follows the full nesting). */
  readonly include?: (record: AnyTraceRecord) => boolean;
  /** Prefix each line with the sequence number (default true). */
  readonly seq?: boolean;
  /** Prefix each line with the simulated time (default true). */
  readonly time?: boolean;
}

/**
 * Renders records one per line, indented by nesting (chain walks, probes, initcalls, work items). Records of
 * other layers print as their type and JSON.
 */
export function formatTrace(records: readonly AnyTraceRecord[], options: FormatTraceOptions = {}): string {
  const lines: string[] = [];
  let depth = 0;
  for (const r of records) {
    if (CLOSERS.has(r.type)) depth = Math.max(0, depth - 1);
    if (options.include === undefined || options.include(r)) {
      const text = isDriverCoreEvent(r) ? describeEvent(r) : `${r.type} ${otherFields(r)}`;
      const seq = options.seq === false ? "" : `${String(r.seq).padStart(5)} `;
      const time = options.time === false ? "" : `[${formatTime(r.time)}] `;
      lines.push(`${seq}${time}${"  ".repeat(depth)}${text}`);
    }
    if (OPENERS.has(r.type)) depth += 1;
  }
  return lines.join("\n");
}

function otherFields(r: AnyTraceRecord): string {
  const { type: _type, seq: _seq, time: _time, ...rest } = r as AnyTraceRecord & Record<string, unknown>;
  return JSON.stringify(rest);
}

/**
 * The line `drivers/base/dd.c` logs for this event under dynamic debug (or `dev_info`/`pr_warn`), without the
 * timestamp; null for events the kernel does not log.
 */
export function kernelLine(e: DriverCoreEvent): string | null {
  switch (e.type) {
    case "probe-match":
      return `bus: '${e.bus}': ${e.fn}: matched device ${e.device} with driver ${e.driver}`;
    case "really-probe":
      return `bus: '${e.bus}': really_probe: probing driver ${e.driver} with device ${e.device}`;
    case "driver-bound":
      return `driver: '${e.driver}': driver_bound: bound to device '${e.device}'`;
    case "really-probe-end":
      return e.bound ? `bus: '${e.bus}': really_probe: bound device ${e.device} to driver ${e.driver}` : null;
    case "deferred-add":
      return `${e.driverString} ${e.device}: Added to deferred list`;
    case "deferred-del":
      return `${e.driverString} ${e.device}: Removed from deferred list`;
    case "deferred-retry":
      return `${e.driverString} ${e.device}: Retrying from deferred list`;
    case "probe-outcome":
      switch (e.verdict) {
        case "deferral":
          return `${e.driverString} ${e.device}: Driver ${e.driver} requests probe deferral`;
        case "rejects":
          return `${e.driver}: probe of ${e.device} rejects match ${e.ret}`;
        case "failed":
          return `${e.driver}: probe of ${e.device} failed with error ${e.ret}`;
      }
      return null;
    case "deferred-timeout-extended":
      return `Extended deferred probe timeout by ${e.seconds} secs`;
    case "deferred-probe-pending":
      return `${e.driverString} ${e.device}: deferred probe pending`;
    case "driver-bound-already":
      return `driver_bound: device ${e.device} already bound`;
    case "printk":
      return printkLine(e);
    default:
      return null;
  }
}

/**
 * The dd.c log of a trace, one line per logged event, as `[    t] text` (or bare text with `time: false`).
 *
 * @see kernel/printk/printk.c record_print_text
 */
export function formatKernelLog(records: readonly AnyTraceRecord[], options: { readonly time?: boolean } = {}): string {
  const lines: string[] = [];
  for (const r of records) {
    if (!isDriverCoreEvent(r)) continue;
    const line = kernelLine(r);
    if (line === null) continue;
    lines.push(options.time === false ? line : `[${formatTime(r.time)}] ${line}`);
  }
  return lines.join("\n");
}
