/**
 * A counterexample as a sequence: the trace events about the violating device, in order, each placed on the lane of
 * the layer that emitted it (driver core, the bus notifier chain with each callback and its priority, the driver's
 * probe, firmware configuration, the arm64 DMA layer, the IOMMU core, the SMMU driver's STE writes, the SMMU
 * hardware, the device's own transactions). The evidence events are flagged. Stored compactly in the JSON result.
 */
import type { DeviceResult } from "../result";
import { describeRecord, fieldsOf, type AnyRecord } from "./describe";

/** The lanes, left to right. */
export const SEQUENCE_LANES = ["driver core", "bus notifier", "driver", "firmware", "arm64 DMA", "IOMMU core", "SMMU driver", "SMMU hw", "device"] as const;

/** A lane name. */
export type SequenceLane = (typeof SEQUENCE_LANES)[number];

/** One step of the sequence. */
export interface SequenceStep {
  readonly seq: number;
  readonly lane: SequenceLane;
  readonly text: string;
  /** Part of the violation's evidence. */
  readonly evidence: boolean;
  /** Relevant events left out just before this step. */
  readonly skippedBefore: number;
}

/** The sequence view's input. */
export interface SequenceData {
  readonly device: string | null;
  readonly steps: readonly SequenceStep[];
}

/** At most this many steps per counterexample. */
export const MAX_SEQUENCE_STEPS = 40;

/** Relevant events kept after the last evidence event (the DMA and its fault usually follow the probe). */
const TRAILING = 12;

const NOISE = new Set([
  "printk",
  "smmu-cmd",
  "smmu-reg-write",
  "smmu-cfgi",
  "smmu-irq",
  "smmu-tlbi",
  "work-queue",
  "work-start",
  "work-end",
  "iova-alloc",
  "iova-free",
  "iommu-map",
  "iommu-unmap",
  "iommu-iotlb-sync",
  "iommu-flush-iotlb-all",
  "notifier-chain-start",
  "notifier-chain-end",
  "device-attach",
  "device-attach-end",
  "bus-add-device",
  "bus-probe-device",
  "device-add-end",
  "device-del-end",
  "platform-notify",
  "platform-notify-remove",
  "probe-match",
  "driver-match",
  "pci-bus-add-device",
]);

/** Events kept first when a sequence is too long. */
const KEY = new Set([
  "notifier-call",
  "really-probe",
  "driver-probe",
  "driver-bound",
  "dma-ops-set",
  "iommu-dma-attach",
  "arm-smmu-ste",
  "dma-action",
  "msi-action",
  "smmu-event",
  "probe-dma-state",
  "iommu-group-add",
  "deferred-add",
  "device-add",
  "device-del",
]);

/** The lane of an event type. */
export function laneOf(type: string): SequenceLane {
  if (type === "dma-transaction" || type === "msi-action" || type === "msi-write") return "device";
  if (type.startsWith("notifier-")) return "bus notifier";
  if (type === "driver-probe" || type === "driver-probe-return" || type === "driver-remove" || type === "probe-script" || type === "dma-action" || type === "probe-dma-state") return "driver";
  if (type.startsWith("fw-") || type.startsWith("pci-") || type === "iommu-configure" || type.startsWith("iommu-fwspec")) return "firmware";
  if (type.startsWith("iommu-dma") || type.startsWith("dma-") || type === "attach-queue-final") return "arm64 DMA";
  if (type.startsWith("iommu-")) return "IOMMU core";
  if (type.startsWith("arm-smmu-")) return "SMMU driver";
  if (type.startsWith("smmu-")) return "SMMU hw";
  return "driver core";
}

function textOf(r: AnyRecord): string {
  const f = fieldsOf(r);
  if (r.type === "notifier-call") return `${String(f["action"])} -> ${String(f["block"])} (priority ${String(f["priority"])})`;
  return describeRecord(r);
}

function concerns(r: AnyRecord, device: string, sids: ReadonlySet<number>): boolean {
  const f = fieldsOf(r);
  if (f["device"] === device || f["master"] === device) return true;
  if (r.type.startsWith("notifier-")) return f["data"] === device;
  if (r.type === "smmu-event" || r.type === "arm-smmu-evt" || r.type === "smmu-abort") return typeof f["sid"] === "number" && sids.has(f["sid"]);
  return false;
}

function relevant(r: AnyRecord): boolean {
  if (NOISE.has(r.type)) return false;
  if (r.type === "notifier-return") {
    const f = fieldsOf(r);
    return f["stop"] === true || f["ret"] !== 0;
  }
  return true;
}

/**
 * The sequence of a violation: the events about `device` from its first appearance to shortly after the last
 * evidence event (or, with no device, the events around the evidence), at most {@link MAX_SEQUENCE_STEPS}.
 */
export function sequenceOf(records: readonly AnyRecord[], device: string | null, evidence: readonly number[], devices: readonly DeviceResult[]): SequenceData {
  const ev = new Set(evidence);
  const lastEvidence = evidence.length === 0 ? -1 : Math.max(...evidence);
  const sids = new Set(devices.find((d) => d.name === device)?.streamIds ?? []);
  const picked: AnyRecord[] = [];
  let trailing = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as AnyRecord;
    const isEvidence = ev.has(r.seq);
    const wanted = isEvidence || (relevant(r) && (device === null ? nearEvidence(records, i, ev) : concerns(r, device, sids)));
    if (!wanted) continue;
    if (r.seq > lastEvidence) {
      if (trailing >= TRAILING) break;
      trailing++;
    }
    picked.push(r);
  }
  const kept = trim(picked, ev);
  const steps: SequenceStep[] = [];
  let prevIndex = -1;
  for (const r of kept) {
    const index = picked.indexOf(r);
    steps.push({ seq: r.seq, lane: laneOf(r.type), text: textOf(r), evidence: ev.has(r.seq), skippedBefore: index - prevIndex - 1 });
    prevIndex = index;
  }
  return { device, steps };
}

function nearEvidence(records: readonly AnyRecord[], i: number, ev: ReadonlySet<number>): boolean {
  for (let j = Math.max(0, i - 4); j <= Math.min(records.length - 1, i + 4); j++) if (ev.has((records[j] as AnyRecord).seq)) return true;
  return false;
}

/** Keeps evidence and key events first, then the latest others, up to the cap; order preserved. */
function trim(picked: readonly AnyRecord[], ev: ReadonlySet<number>): AnyRecord[] {
  if (picked.length <= MAX_SEQUENCE_STEPS) return [...picked];
  const keep = new Set<AnyRecord>();
  for (const r of picked) if (ev.has(r.seq)) keep.add(r);
  for (let i = picked.length - 1; i >= 0 && keep.size < MAX_SEQUENCE_STEPS; i--) {
    const r = picked[i] as AnyRecord;
    if (KEY.has(r.type)) keep.add(r);
  }
  for (let i = picked.length - 1; i >= 0 && keep.size < MAX_SEQUENCE_STEPS; i--) keep.add(picked[i] as AnyRecord);
  return picked.filter((r) => keep.has(r));
}
