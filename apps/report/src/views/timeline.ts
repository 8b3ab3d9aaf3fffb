/**
 * The boot timeline's inputs, reduced from the trace: initcall levels (and the module-load and runtime-action
 * phases) as bands over trace positions, and marks for the steps a reader follows per device — device_add, probe
 * attempts, deferrals, binds, the SMMU's own probe, DMA and faults. Stored in the JSON result so a saved run
 * re-renders without its trace.
 */
import type { DeviceResult } from "../result";
import { fieldsOf, type AnyRecord } from "./describe";

/** The mark kinds in legend order. */
export const MARK_KINDS = ["add", "probe", "smmu-probe", "defer", "bind", "unbind", "remove", "dma", "fault"] as const;

/** What a mark shows. */
export type MarkKind = (typeof MARK_KINDS)[number];

/** A band: an initcall level or a boot phase, over trace positions `from`..`to` (inclusive). */
export interface TimelineBand {
  readonly label: string;
  readonly from: number;
  readonly to: number;
}

/** One mark: a step of one device at a trace position. */
export interface TimelineMark {
  readonly seq: number;
  readonly device: string;
  readonly kind: MarkKind;
  readonly label: string;
}

/** The timeline of one boot. */
export interface TimelineData {
  readonly bands: readonly TimelineBand[];
  readonly marks: readonly TimelineMark[];
  /** The last trace position. */
  readonly end: number;
  /** Devices added but with nothing else to show, folded into one count. */
  readonly quietDevices: number;
}

/** The devices that are IOMMUs: the ones others sit behind, and the ones the SMMU driver names in its events. */
export function iommuDeviceNames(records: readonly AnyRecord[], devices: readonly DeviceResult[]): Set<string> {
  const out = new Set<string>();
  for (const d of devices) if (d.iommu !== null) out.add(d.iommu);
  for (const r of records) {
    if (r.type.startsWith("arm-smmu-")) {
      const s = fieldsOf(r)["smmu"];
      if (typeof s === "string") out.add(s);
    }
  }
  return out;
}

function bandsOf(records: readonly AnyRecord[]): TimelineBand[] {
  const bands: { label: string; from: number; to: number }[] = [];
  let phaseStart = 0;
  for (const r of records) {
    const f = fieldsOf(r);
    if (r.type === "initcall-start" || r.type === "initcall-end") {
      const level = String(f["level"]);
      const last = bands[bands.length - 1];
      if (last !== undefined && last.label === level) last.to = r.seq;
      else bands.push({ label: level, from: r.seq, to: r.seq });
      phaseStart = r.seq + 1;
    } else if (r.type === "boot-phase") {
      const phase = String(f["phase"]);
      if ((phase === "modules" || phase === "actions") && r.seq > phaseStart) bands.push({ label: phase, from: phaseStart, to: r.seq });
      phaseStart = r.seq + 1;
    }
  }
  return bands;
}

function markOf(r: AnyRecord, iommus: ReadonlySet<string>): TimelineMark | null {
  const f = fieldsOf(r);
  const device = typeof f["device"] === "string" ? f["device"] : null;
  if (device === null) return null;
  switch (r.type) {
    case "device-add":
      return { seq: r.seq, device, kind: "add", label: "device_add" };
    case "really-probe":
      return { seq: r.seq, device, kind: iommus.has(device) ? "smmu-probe" : "probe", label: `probe ${String(f["driver"])}` };
    case "deferred-add":
      return { seq: r.seq, device, kind: "defer", label: "deferred" };
    case "driver-bound":
      return { seq: r.seq, device, kind: "bind", label: `bound to ${String(f["driver"])}` };
    case "driver-unbound":
      return { seq: r.seq, device, kind: "unbind", label: `unbound from ${String(f["driver"])}` };
    case "device-del":
      return { seq: r.seq, device, kind: "remove", label: "device_del" };
    case "dma-action": {
      const outcome = String(f["outcome"]);
      return { seq: r.seq, device, kind: outcome === "ok" ? "dma" : "fault", label: `${String(f["op"])}: ${outcome}` };
    }
    case "msi-action": {
      const outcome = String(f["outcome"]);
      return { seq: r.seq, device, kind: outcome === "delivered" ? "dma" : "fault", label: `MSI: ${outcome}` };
    }
    default:
      return null;
  }
}

/** The timeline of a boot from its trace and outcomes. */
export function timelineOf(records: readonly AnyRecord[], devices: readonly DeviceResult[]): TimelineData {
  const iommus = iommuDeviceNames(records, devices);
  const all: TimelineMark[] = [];
  for (const r of records) {
    const m = markOf(r, iommus);
    if (m !== null) all.push(m);
  }
  const busy = new Set(all.filter((m) => m.kind !== "add").map((m) => m.device));
  const added = new Set(all.map((m) => m.device));
  const marks = all.filter((m) => busy.has(m.device));
  let quiet = 0;
  for (const d of added) if (!busy.has(d)) quiet++;
  const last = records[records.length - 1];
  return { bands: bandsOf(records), marks, end: last?.seq ?? 0, quietDevices: quiet };
}
