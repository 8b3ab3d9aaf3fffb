/**
 * Facts read from log events, shared by both sides: deferral order, reasons a device has no group, the default
 * domain lines, SMMU events and the StreamIDs the DT `iommu-map` translations give each device.
 */
import type { FactIommuMap, FactSmmuEvent } from "../facts";
import type { LogEvent } from "./records";

/** Devices in order of first appearance of an event type. */
function firstOrder(events: readonly LogEvent[], type: "deferred-add" | "deferred-retry"): string[] {
  const out: string[] = [];
  for (const e of events) if (e.type === type && !out.includes(e.device)) out.push(e.device);
  return out;
}

/** `Added to deferred list` / `Retrying from deferred list` devices, in first-seen order. */
export function deferralOrder(events: readonly LogEvent[]): { added: string[]; retried: string[] } {
  return { added: firstOrder(events, "deferred-add"), retried: firstOrder(events, "deferred-retry") };
}

/** The log's reasons per device for not joining a group (collision, failed add, deferred probe pending). */
export function ungroupedReasons(events: readonly LogEvent[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (device: string, reason: string): void => {
    const list = out.get(device) ?? [];
    if (!list.includes(reason)) list.push(reason);
    out.set(device, list);
  };
  for (const e of events) {
    if (e.type === "smmu-stream-collision") add(e.device, `stream ${e.streamId} already in tree${e.other === null ? "" : ` from dev ${e.other}`}`);
    else if (e.type === "iommu-add-failed") add(e.device, `Adding to IOMMU failed: ${e.ret}`);
    else if (e.type === "deferred-probe-pending") add(e.device, `deferred probe pending${e.reason === null ? "" : `: ${e.reason}`}`);
  }
  return out;
}

/** The text after `Default domain type: ` (trimmed), or null if never printed. */
export function defaultDomainLine(events: readonly LogEvent[]): string | null {
  const e = events.find((x) => x.type === "iommu-default-domain");
  return e === undefined || e.type !== "iommu-default-domain" ? null : `${e.domain}${e.viaCmdline ? " (set via kernel command line)" : ""}`;
}

/** The text after `TLB invalidation policy: ` (trimmed), or null. */
export function tlbPolicyLine(events: readonly LogEvent[]): string | null {
  const e = events.find((x) => x.type === "iommu-dma-policy");
  return e === undefined || e.type !== "iommu-dma-policy" ? null : `${e.policy} mode${e.viaCmdline ? " (set via kernel command line)" : ""}`;
}

/** SMMU events with their StreamID and address decoded from the dwords. */
export function smmuEvents(events: readonly LogEvent[]): FactSmmuEvent[] {
  const out: FactSmmuEvent[] = [];
  for (const e of events) {
    if (e.type !== "smmu-event") continue;
    const d0 = e.dwords[0] ?? "0".repeat(16);
    out.push({ smmu: e.smmu, id: e.id, sid: Number.parseInt(d0.slice(0, 8), 16), addr: e.dwords[2] ?? "", dwords: [...e.dwords] });
  }
  return out;
}

/**
 * Where RAM starts on QEMU's `virt` board (`base_memmap[VIRT_MEM]`): everything below is MMIO, so an IOMMU mapping of
 * a page there is an MSI doorbell (the ITS `GITS_TRANSLATER` page or the GICv2m frame) that `iommu_dma_prepare_msi`
 * mapped.
 *
 * @see hw/arm/virt.c base_memmap
 */
export const QEMU_VIRT_RAM_BASE = 0x4000_0000;

/**
 * The `iommu: map:` lines of MSI doorbell pages, in order: one per IOMMU DMA domain that got an interrupt vector
 * (`iommu_dma_get_msi_page` maps the page once per domain). RAM mappings (driver DMA buffers) are left out: their
 * physical addresses are the page allocator's, and how many there are follows each driver's I/O (nvme's admin
 * commands), which the model does not replay.
 */
export function msiDoorbellMaps(events: readonly LogEvent[]): FactIommuMap[] {
  const out: FactIommuMap[] = [];
  for (const e of events) if (e.type === "iommu-map" && e.pa < QEMU_VIRT_RAM_BASE) out.push({ iova: e.iova, pa: e.pa, size: e.size });
  return out;
}

const NAMES_DEVICE = new Set(["iommu-group-add", "smmu-stream-collision", "iommu-add-failed", "deferred-add", "behind-iommu"]);

/**
 * StreamIDs per device from `iommu-map` translations (`of_map_id` runs once per DMA alias inside
 * `of_iommu_configure`). A translation belongs to the device whose `device is dma coherent` line precedes it
 * (`of_dma_configure_id` prints that first), or, when that line is not visible, to the next device an IOMMU line
 * names (group add, collision, failed add, deferral). Each device's IDs are unique, in first-seen order.
 */
export function streamIdsFromMaps(events: readonly LogEvent[]): { device: string; ids: number[] }[] {
  const byDevice = new Map<string, number[]>();
  const order: string[] = [];
  let current: string | null = null;
  let pending: number[] = [];
  const give = (device: string, ids: readonly number[]): void => {
    let list = byDevice.get(device);
    if (list === undefined) {
      list = [];
      byDevice.set(device, list);
      order.push(device);
    }
    for (const id of ids) if (!list.includes(id)) list.push(id);
  };
  for (const e of events) {
    if (e.type === "dma-coherent") {
      current = e.device;
      pending = [];
    } else if (e.type === "of-map-id") {
      if (e.map !== "iommu-map") continue;
      if (current !== null) give(current, [e.out]);
      else pending.push(e.out);
    } else if (NAMES_DEVICE.has(e.type) && "device" in e) {
      if (pending.length > 0) give(e.device, pending);
      pending = [];
      if (e.type === "behind-iommu" || e.type === "deferred-add") current = null;
    }
  }
  return order.sort().map((device) => ({ device, ids: byDevice.get(device) ?? [] }));
}
