/**
 * What the model predicts, as the comparison needs it (`PredictedBoot`): the per-device outcomes of a `v6.1` boot
 * (`@dmasim/kernel`'s outcome JSON) and its kernel log lines (the trace's `printk` events and the driver core's dd.c
 * lines, each with level and source file). {@link predictedFacts} turns it into {@link BootFacts} as the real
 * console would have shown it: lines the real boot's log level or dynamic-debug selection hides are dropped before
 * the same log reader runs on them.
 */
import { isDriverCoreEvent, kernelLine, printkLine, type LogLevel } from "@dmasim/driver-core";
import { NO_DRIVER_REASON, normaliseDomainType, type BootFacts, type FactGroup } from "./facts";
import { logEvents, parseBootLog } from "./log/boot-log";
import { defaultDomainLine, deferralOrder, msiDoorbellMaps, smmuEvents, streamIdsFromMaps, tlbPolicyLine, ungroupedReasons } from "./log/log-facts";
import { fieldVisibility } from "./log/observed";
import { lineVisible, type LogVisibility } from "./log/visibility";
import { formatTime } from "@dmasim/driver-core";

/** One device's predicted outcome (the subset of the kernel package's outcome JSON the comparison reads). */
export interface PredictedDevice {
  /** Kernel name (`0000:01:00.0`, `9050000.smmuv3`). */
  readonly name: string;
  readonly bus: string;
  readonly driver: string | null;
  readonly dmaOps?: string;
  /** The IOMMU the device is behind (kernel name), or null. */
  readonly iommu?: string | null;
  readonly iommuGroup: number | null;
  /** Default-domain type of its group (`DMA`, `DMA-FQ`, `identity`, or the kernel's `IOMMU_DOMAIN_*` names). */
  readonly domainType: string | null;
  readonly streamIds: readonly number[];
  readonly deferrals: number;
}

/** One predicted kernel log line. */
export interface PredictedLogLine {
  readonly level: LogLevel;
  /** Source file (what dynamic debug selects on). */
  readonly file: string;
  /** The line as dmesg shows it, without the timestamp (`virtio-pci 0000:00:01.0: Adding to iommu group 0`). */
  readonly text: string;
  /** Simulated time in µs, when known. */
  readonly time?: number;
}

/** The model's prediction of one boot. */
export interface PredictedBoot {
  readonly profile: string;
  readonly firmware: "dt" | "acpi";
  readonly devices: readonly PredictedDevice[];
  readonly log: readonly PredictedLogLine[];
}

/**
 * Kernel log lines of a model trace: `printk` events as they are, and driver-core events that dd.c logs
 * (`kernelLine`) as `debug` lines of `drivers/base/dd.c` (`deferred probe pending` is `info`).
 */
export function predictedLogFromTrace(records: readonly { readonly type: string; readonly time?: number }[]): PredictedLogLine[] {
  const out: PredictedLogLine[] = [];
  for (const r of records) {
    if (!isDriverCoreEvent(r)) continue;
    const time = r.time === undefined ? {} : { time: r.time };
    if (r.type === "printk") {
      out.push({ level: r.level, file: r.file, text: printkLine(r), ...time });
      continue;
    }
    const text = kernelLine(r);
    if (text === null) continue;
    out.push({ level: r.type === "deferred-probe-pending" ? "info" : "debug", file: "drivers/base/dd.c", text, ...time });
  }
  return out;
}

/** The visible predicted lines rendered as a console log (`[    t] text`), for the same parser as real logs. */
export function renderVisibleLog(lines: readonly PredictedLogLine[], v: LogVisibility): string {
  return lines
    .filter((l) => lineVisible(v, l.level, l.file))
    .map((l) => `[${formatTime(l.time ?? 0)}] ${l.text}`)
    .join("\n");
}

/**
 * The facts of a prediction, as a console with visibility `v` would show them. Groups, drivers and group membership
 * come from the device outcomes (the model's sysfs); everything the real side reads from the log — StreamIDs (the
 * `iommu-map` translations of each configure, as `of_map_id` prints them), deferrals, collision reasons, the default
 * domain lines and SMMU events — comes from the model's own log lines, through the same reader. (A device whose add
 * failed has no fwspec left in 6.1 — `dev_iommu_free` on the error path of `__iommu_probe_device` — so its outcome
 * lists no StreamIDs, while its `iommu-map` lines still show the IDs it was given.)
 */
export function predictedFacts(pred: PredictedBoot, v: LogVisibility): BootFacts {
  const events = logEvents(parseBootLog(renderVisibleLog(pred.log, v)));
  const vis = fieldVisibility(v, pred.firmware);
  const pci = pred.devices.filter((d) => d.bus === "pci");
  const pciFunctions = pci.map((d) => d.name).sort();
  const byGroup = new Map<number, { type: string | null; devices: string[] }>();
  for (const d of pred.devices) {
    if (d.iommuGroup === null) continue;
    const g = byGroup.get(d.iommuGroup) ?? { type: normaliseDomainType(d.domainType), devices: [] };
    g.devices.push(d.name);
    byGroup.set(d.iommuGroup, g);
  }
  const groups: FactGroup[] = [...byGroup]
    .map(([id, g]) => ({ id, type: g.type, devices: g.devices.sort() }))
    .sort((a, b) => a.id - b.id);
  const reasons = ungroupedReasons(events);
  const sortedPci = [...pci].sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    source: "model",
    pciFunctions,
    groups,
    drivers: sortedPci.map((d) => ({ device: d.name, driver: d.driver })),
    streamIds: vis.streamIds === null ? { ok: true, value: streamIdsFromMaps(events) } : { ok: false, why: vis.streamIds },
    ungrouped: sortedPci
      .filter((d) => d.iommuGroup === null)
      .map((d) => ({ device: d.name, reasons: [...(reasons.get(d.name) ?? []), ...(d.driver === null ? [NO_DRIVER_REASON] : [])] })),
    deferrals: vis.deferrals === null ? { ok: true, value: deferralOrder(events) } : { ok: false, why: vis.deferrals },
    defaultDomain: vis.info === null ? { ok: true, value: defaultDomainLine(events) } : { ok: false, why: vis.info },
    tlbPolicy: vis.info === null ? { ok: true, value: tlbPolicyLine(events) } : { ok: false, why: vis.info },
    smmuEvents: vis.info === null ? { ok: true, value: smmuEvents(events) } : { ok: false, why: vis.info },
    doorbellMaps: vis.iommuMaps === null ? { ok: true, value: msiDoorbellMaps(events) } : { ok: false, why: vis.iommuMaps },
  };
}
