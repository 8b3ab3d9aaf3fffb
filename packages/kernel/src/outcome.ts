/**
 * The outcome of a boot per device (DESIGN.md, data flow step 5): bound driver, DMA ops kind, IOMMU instance, group
 * and default-domain type, StreamIDs, deferrals, the DMA it did and what each reached, and what was left behind.
 * Field names are those the CLI publishes (issue #8).
 */
import type { Device } from "@dmasim/driver-core";
import { dmaOpsKind, liveDmaMappings } from "@dmasim/dma-mapping";
import { toPciDev } from "@dmasim/pci";
import type { Kernel } from "./boot/kernel";
import type { DmaOutcomeKind } from "./events";
import { boardSmmuOf, iommuDeviceOf } from "./drivers/observe";

/** One DMA (or MSI) the device did and what it reached. */
export interface DmaOutcome {
  readonly op: "alloc-coherent" | "map-single" | "map-sg" | "msi";
  readonly outcome: DmaOutcomeKind;
  /** The SMMU event id of a fault (0x10 F_TRANSLATION ...). */
  readonly event?: number;
}

/** Something left behind after an unbind or a failed probe. */
export interface LeakOutcome {
  readonly kind: "dma-mapping" | "queue-entry";
  /** The mapping's owner tag (`probe:<driver>#<attempt>`, `bound:<driver>#<attempt>`), or the queue. */
  readonly owner: string;
  readonly detail: string;
}

/** The outcome of one device. */
export interface DeviceOutcome {
  readonly name: string;
  readonly bus: string;
  readonly driver: string | null;
  readonly dmaOps: "iommu" | "direct" | "swiotlb" | "dummy" | "none";
  /** The SMMU device the device sits behind (`9050000.smmuv3`), if the IOMMU layer knows it. */
  readonly iommu: string | null;
  /** The number `/sys/kernel/iommu_groups` shows, or null. */
  readonly iommuGroup: number | null;
  readonly domainType: "DMA" | "DMA-FQ" | "identity" | "blocked" | "unmanaged" | null;
  readonly streamIds: readonly number[];
  /** How many times the device was added to the deferred-probe pending list. */
  readonly deferrals: number;
  readonly dma: readonly DmaOutcome[];
  readonly leaks: readonly LeakOutcome[];
}

const DOMAIN_TYPES = new Set(["DMA", "DMA-FQ", "identity", "blocked", "unmanaged"]);

/** The StreamIDs the hardware gives a device (board wiring), for eras whose IOMMU core keeps no fwspec. */
function wiredStreamIds(k: Kernel, dev: Device): number[] {
  const board = k.platform.board;
  const pdev = toPciDev(dev);
  if (pdev !== undefined) {
    const hb = board.pciHostBridges.find((h) => h.segment === pdev.bus.domain);
    const rid = (pdev.bus.number << 8) | pdev.devfn;
    const m = hb?.iommuMap.find((x) => rid >= x.ridBase && rid < x.ridBase + x.count);
    return m === undefined ? [] : [rid - m.ridBase + m.sidBase];
  }
  return [...(k.boardPlatformDevice(dev.name)?.iommu?.streamIds ?? [])];
}

function leaksOf(k: Kernel, dev: Device): LeakOutcome[] {
  const out: LeakOutcome[] = [];
  const attempt = k.probeCalls.get(dev.name) ?? 0;
  const current = dev.isBound && dev.driver !== null ? `${dev.driver.name}#${attempt}` : null;
  for (const m of liveDmaMappings(dev)) {
    if (m.owner === "driverless") continue;
    const who = m.owner.replace(/^(bound|probe):/, "");
    if (current !== null && who === current) continue;
    out.push({ kind: "dma-mapping", owner: m.owner, detail: `${m.api} 0x${m.dmaAddr.toString(16)}+0x${m.size.toString(16)} via ${m.opsKind}` });
  }
  if (dev.isDead && k.arm64?.queue.some((e) => e.dev === dev) === true) {
    out.push({ kind: "queue-entry", owner: "iommu_dma_masters", detail: `${dev.name} still queued after device_del` });
  }
  return out;
}

/** Per-device outcomes, bus by bus (platform, amba, pci) in device-list order. */
export function computeOutcomes(k: Kernel): DeviceOutcome[] {
  const deferrals = new Map<string, number>();
  const dma = new Map<string, DmaOutcome[]>();
  for (const r of k.trace.records) {
    if (r.type === "deferred-add") deferrals.set(r.device, (deferrals.get(r.device) ?? 0) + 1);
    else if (r.type === "dma-action") {
      const list = dma.get(r.device) ?? [];
      list.push({ op: r.op, outcome: r.outcome, ...(r.eventId === null ? {} : { event: r.eventId }) });
      dma.set(r.device, list);
    } else if (r.type === "msi-action") {
      const list = dma.get(r.device) ?? [];
      list.push({ op: "msi", outcome: r.outcome === "delivered" ? "ok" : "fault", ...(r.eventId === null ? {} : { event: r.eventId }) });
      dma.set(r.device, list);
    }
  }
  const out: DeviceOutcome[] = [];
  for (const bus of [k.buses.platform, k.buses.amba, k.buses.pci?.bus ?? null]) {
    if (bus === null) continue;
    for (const dev of bus.devices) {
      const group = k.iommuView.groupOf(dev);
      const type = k.iommuView.domainTypeOf(dev);
      const fwspecIds = k.iommuView.streamIdsOf(dev);
      const behind = iommuDeviceOf(k, dev);
      const hasIommuState = group !== null || fwspecIds.length > 0;
      out.push({
        name: dev.name,
        bus: bus.name,
        driver: dev.isBound ? (dev.driver?.name ?? null) : null,
        dmaOps: dmaOpsKind(dev),
        iommu: hasIommuState ? behind : null,
        iommuGroup: group,
        domainType: type !== null && DOMAIN_TYPES.has(type) ? (type as DeviceOutcome["domainType"]) : null,
        streamIds: fwspecIds.length > 0 ? [...fwspecIds] : group !== null && boardSmmuOf(k, dev) !== null ? wiredStreamIds(k, dev) : [],
        deferrals: deferrals.get(dev.name) ?? 0,
        dma: dma.get(dev.name) ?? [],
        leaks: leaksOf(k, dev),
      });
    }
  }
  return out;
}
