/**
 * The DMA-configuration invariants of kernel-behaviour.md §d.2 (I-PROBE, I-STABLE, I-CLEAN, I-QUEUE-HYGIENE,
 * I-DRIVERLESS) and DMA isolation, each a pure function of the composed trace.
 */
import type { Violation } from "@dmasim/driver-core";
import type { KernelEvent } from "../events";
import { OpsTimeline, kernelViolation, ofType, type AnyRecord, type DeviceView, type OpsSetView, type ProbeEndView } from "./records";

type Rec<TType extends KernelEvent["type"]> = Extract<KernelEvent, { type: TType }> & AnyRecord;

const DMA_DOMAINS = new Set(["DMA", "DMA-FQ"]);

/** The seq of the first `driver-bound` of each IOMMU device (its driver became active), by device name. */
function iommuActivations(records: readonly AnyRecord[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of ofType<DeviceView>(records, "driver-bound")) if (!out.has(r.device)) out.set(r.device, r.seq);
  return out;
}

/**
 * I-PROBE (d.2.9): when `drv->probe` starts on a device behind an IOMMU whose driver is or will become active and
 * whose default domain is DMA, the device has iommu-dma ops.
 */
export function checkProbeOps(records: readonly AnyRecord[]): Violation[] {
  const active = iommuActivations(records);
  const out: Violation[] = [];
  for (const r of ofType<Rec<"probe-dma-state">>(records, "probe-dma-state")) {
    if (r.behindIommu === null) continue;
    const activatedAt = active.get(r.behindIommu);
    if (activatedAt === undefined) continue;
    const domain = r.domainType ?? r.expectDomain;
    if (domain === null || !DMA_DOMAINS.has(domain) || r.ops === "iommu") continue;
    out.push(
      kernelViolation(
        "I-PROBE",
        r.device,
        `${r.driver} probes ${r.device} with ${r.ops} ops behind ${r.behindIommu} (default domain ${domain}): physical addresses reach a translating IOMMU`,
        [r.seq, activatedAt],
      ),
    );
  }
  return out;
}

/** Bound intervals per device: [driver-bound seq, release-driver seq or end). */
function boundIntervals(records: readonly AnyRecord[]): Map<string, { from: number; to: number }[]> {
  const open = new Map<string, number>();
  const out = new Map<string, { from: number; to: number }[]>();
  const close = (device: string, to: number): void => {
    const from = open.get(device);
    if (from === undefined) return;
    open.delete(device);
    const list = out.get(device) ?? [];
    list.push({ from, to });
    out.set(device, list);
  };
  for (const r of records) {
    if (r.type === "driver-bound") open.set((r as DeviceView).device, r.seq);
    else if (r.type === "release-driver" || r.type === "device-del") close((r as DeviceView).device, r.seq);
  }
  for (const device of [...open.keys()]) close(device, Number.POSITIVE_INFINITY);
  return out;
}

/** I-STABLE (d.2.10): a device's DMA ops do not change while a driver is bound to it. */
export function checkStableOps(records: readonly AnyRecord[]): Violation[] {
  const bound = boundIntervals(records);
  const out: Violation[] = [];
  for (const r of ofType<OpsSetView>(records, "dma-ops-set")) {
    const hit = bound.get(r.device)?.find((i) => r.seq > i.from && r.seq < i.to);
    if (hit === undefined) continue;
    out.push(kernelViolation("I-STABLE", r.device, `DMA ops of ${r.device} changed ${r.from} → ${r.to} (${r.reason}) while its driver is bound`, [hit.from, r.seq]));
  }
  return out;
}

/**
 * I-CLEAN (d.2.11): once a probe has failed (`really_probe` returned unbound after DRIVER_NOT_BOUND) or a driver was
 * released (after UNBOUND_DRIVER), the device does not keep iommu-dma ops. (IOVAs a driver leaves mapped are
 * reported by I-LEAK.)
 */
export function checkClean(records: readonly AnyRecord[]): Violation[] {
  const ops = new OpsTimeline(records);
  const out: Violation[] = [];
  const lastNotify = new Map<string, number>();
  for (const r of records) {
    if (r.type === "notifier-chain-start") {
      const c = r as AnyRecord & { chain: string; action: string; data: string | null };
      if (c.chain.startsWith("bus:") && c.data !== null && (c.action === "DRIVER_NOT_BOUND" || c.action === "UNBOUND_DRIVER")) {
        lastNotify.set(c.data, r.seq);
      }
      continue;
    }
    const end = r.type === "really-probe-end" ? (r as ProbeEndView) : r.type === "release-driver-end" ? (r as DeviceView) : null;
    if (end === null || (r.type === "really-probe-end" && (r as ProbeEndView).bound)) continue;
    const notifiedAt = lastNotify.get(end.device);
    if (notifiedAt === undefined) continue;
    lastNotify.delete(end.device);
    const now = ops.kindAt(end.device, r.seq);
    if (now.kind !== "iommu") continue;
    const what = r.type === "really-probe-end" ? "its probe failed" : "its driver was unbound";
    out.push(
      kernelViolation("I-CLEAN", end.device, `${end.device} keeps iommu-dma ops after ${what}`, [notifiedAt, r.seq, ...(now.since === null ? [] : [now.since])]),
    );
  }
  return out;
}

interface QueueView extends AnyRecord {
  readonly queue: readonly string[];
}

/**
 * I-QUEUE-HYGIENE (d.2.12): the `iommu_dma_masters` queue never holds an entry for a device that has passed
 * `device_del`, nor two entries for one device. Checked on every queue snapshot the DMA layer traces. This also
 * covers I-LEAK's "queue entries left behind": an entry that outlives its device is reported here, once.
 *
 * @see arch/arm64/mm/dma-mapping.c queue_iommu_attach, __iommu_attach_notifier (v4.7/v4.8)
 */
export function checkQueueHygiene(records: readonly AnyRecord[]): Violation[] {
  const deleted = new Map<string, number>();
  const out: Violation[] = [];
  const reported = new Set<string>();
  let lastQueue: readonly string[] = [];
  for (const r of records) {
    if (r.type === "device-del-end") deleted.set((r as DeviceView).device, r.seq);
    // A device re-added under the same name (a PCI rescan) is a new device: its entries are its own, unless an
    // entry of the deleted one is still queued (then the name stays marked and the stale entry is reported).
    if (r.type === "device-add" && !lastQueue.includes((r as DeviceView).device)) deleted.delete((r as DeviceView).device);
    if (r.type !== "iommu-dma-queue" && r.type !== "iommu-dma-queue-drain" && r.type !== "attach-queue-final") continue;
    const queue = (r as QueueView).queue;
    lastQueue = queue;
    const seen = new Set<string>();
    for (const device of queue) {
      const dupKey = `dup:${device}`;
      if (seen.has(device) && !reported.has(dupKey)) {
        reported.add(dupKey);
        out.push(kernelViolation("I-QUEUE-HYGIENE", device, `${device} is queued twice on iommu_dma_masters`, [r.seq]));
      }
      seen.add(device);
      const delAt = deleted.get(device);
      const deadKey = `dead:${device}:${delAt}`;
      if (delAt !== undefined && !reported.has(deadKey)) {
        reported.add(deadKey);
        out.push(kernelViolation("I-QUEUE-HYGIENE", device, `iommu_dma_masters still holds ${device} after device_del (a dangling entry)`, [delAt, r.seq]));
      }
    }
  }
  return out;
}

/**
 * I-DRIVERLESS (d.2.13): DMA on a device with no bound driver and no probe in progress is flagged with the ops it
 * had; it is a violation when those ops cannot work for the device (dummy ops, a failed call, or a transfer that
 * did not reach its buffer through the kernel's translation).
 */
export function checkDriverless(records: readonly AnyRecord[]): Violation[] {
  const out: Violation[] = [];
  for (const r of ofType<Rec<"dma-action">>(records, "dma-action")) {
    if (r.bound || r.driver !== null || r.api !== "dma-api") continue;
    if (r.outcome === "ok") continue;
    out.push(
      kernelViolation("I-DRIVERLESS", r.device, `${r.op} on driverless ${r.device} went through ${r.ops} ops: ${r.outcome}${r.detail === null ? "" : ` (${r.detail})`}`, [r.seq]),
    );
  }
  return out;
}

/**
 * I-ISOLATION (DESIGN): no DMA or MSI reaches memory the kernel did not map for the device while an IOMMU translates
 * its stream (an `untranslated` outcome: wrong buffer, a bypass, another device's mapping).
 */
export function checkIsolation(records: readonly AnyRecord[]): Violation[] {
  const out: Violation[] = [];
  for (const r of ofType<Rec<"dma-action">>(records, "dma-action")) {
    if (r.outcome !== "untranslated" || r.streamId === null) continue;
    out.push(kernelViolation("I-ISOLATION", r.device, `${r.op} of ${r.device} reached 0x${(r.reachedPa ?? 0).toString(16)} untranslated (${r.detail ?? "?"}) on stream 0x${r.streamId.toString(16)}`, [r.seq]));
  }
  return out;
}
