/**
 * A driver's DMA: the DMA API call on the device's current ops (`@dmasim/dma-mapping`), then the DEVICE performs the
 * transfer through the machine's interconnect with the address it was given and a known pattern, and the outcome
 * is read off what the transaction did: `ok` (the pattern reached the intended buffer through a translation the
 * kernel set up), `fault` (aborted, with the SMMU event), `untranslated` (reached memory some other way: wrong
 * buffer, a bypass, another device's mapping), `failed` (the API call failed). Also MSIs: the vector's doorbell
 * address (mapped through the domain by `iommu_dma_prepare_msi` when the device has an IOMMU DMA domain), written
 * as an MSI transaction.
 */
import type { Device } from "@dmasim/driver-core";
import { dmaOpsKind, liveDmaMappings, makeScatterList, type DmaDirection, type DmaSubsystem } from "@dmasim/dma-mapping";
import { GITS_TRANSLATER_OFFSET, V2M_MSI_SETSPI_NS_OFFSET, type DmaMaster, type DmaResult } from "@dmasim/machine";
import { toPciDev } from "@dmasim/pci";
import type { Kernel } from "./boot/kernel";
import type { DmaOutcomeKind, KernelEvent, OpsKind } from "./events";
import type { DmaOpSpec } from "./scenarios/types";

/** Bytes of each transfer the device performs (the head of the buffer: enough to see where it landed). */
const TRANSFER_BYTES = 64;

/** One DMA the device did, as the outcome reports it. */
export type DmaActionRecord = Extract<KernelEvent, { type: "dma-action" }>;

/** A performed DMA operation: its record, and how to undo the mapping (null when nothing was mapped). */
export interface DmaActionResult {
  readonly record: DmaActionRecord;
  readonly release: (() => void) | null;
}

/** Where the device's transactions come from, as the interconnect names masters. */
export function dmaMasterOf(dev: Device): DmaMaster {
  const pdev = toPciDev(dev);
  if (pdev !== undefined) return { kind: "pci", segment: pdev.bus.domain, bus: pdev.bus.number, devfn: pdev.devfn };
  return { kind: "platform", name: dev.name };
}

/** The IOMMU domain type the device is attached to now, as the kernel composition reads it. */
export type DomainTypeOf = (dev: Device) => string | null;

let patternSeq = 0;

function expectedPa(spec: DmaOpSpec, ops: OpsKind, pa: number, dmaAddr: number): number {
  if ((spec.api ?? "dma-api") === "phys" || ops === "iommu") return pa;
  return dmaAddr; // dma-direct / swiotlb: the bus address is the (possibly bounced) physical address
}

function ownerOfMapping(k: Kernel, self: Device, pa: number): string | null {
  for (const bus of k.core.buses) {
    for (const other of bus.devices) {
      if (other === self) continue;
      for (const m of liveDmaMappings(other)) if (pa >= m.pa && pa < m.pa + m.size) return other.name;
    }
  }
  return null;
}

/** Classifies a completed or aborted transfer. */
function classify(
  k: Kernel,
  dev: Device,
  res: DmaResult,
  expected: number,
  domainType: string | null,
): { outcome: DmaOutcomeKind; detail: string | null; eventId: number | null; reachedPa: number | null } {
  if (res.outcome === "aborted") {
    return { outcome: "fault", detail: `${res.at}: ${res.reason}`, eventId: res.eventId ?? null, reachedPa: null };
  }
  if (res.via === "iommu-bypass" && domainType !== "identity") {
    return { outcome: "untranslated", detail: "bypass", eventId: null, reachedPa: res.pa };
  }
  if (res.pa === expected) return { outcome: "ok", detail: null, eventId: null, reachedPa: res.pa };
  const owner = res.target === "ram" ? ownerOfMapping(k, dev, res.pa) : null;
  return {
    outcome: "untranslated",
    detail: owner === null ? (res.target === "ram" ? "wrong-buffer" : `mmio ${res.region ?? "?"}`) : `other-device-mapping ${owner}`,
    eventId: null,
    reachedPa: res.pa,
  };
}

/**
 * Performs one DMA operation for `dev` (a driver's probe or a runtime action) and traces a `dma-action` record.
 *
 * @see Documentation/core-api/dma-api.rst (the calls); drivers/virtio/virtio_ring.c vring_use_dma_api (`phys`)
 */
export function performDmaOp(k: Kernel, dma: DmaSubsystem, dev: Device, spec: DmaOpSpec, domainTypeOf: DomainTypeOf): DmaActionResult {
  dma.deviceInit(dev); // every device has DMA state; a NULL ops pointer means the era's fallback
  const ops = dmaOpsKind(dev);
  const api = spec.api ?? "dma-api";
  const dir: DmaDirection = spec.dir ?? "bidirectional";
  const size = Math.max(1, spec.size);
  let pa: number | null = null;
  let dmaAddr: number | null = null;
  let release: (() => void) | null = null;
  if (spec.op === "alloc-coherent" && api === "dma-api") {
    const r = dma.dmaAllocCoherent(dev, size);
    if (r !== null) {
      pa = r.cpuPa;
      dmaAddr = r.dmaAddr;
      release = () => dma.dmaFreeCoherent(dev, r.size, r.cpuPa, r.dmaAddr);
    }
  } else {
    const nents = spec.op === "map-sg" ? Math.max(1, spec.nents ?? 2) : 1;
    const seg = Math.max(1, Math.ceil(size / nents));
    const bufs: number[] = [];
    for (let i = 0; i < nents; i++) {
      const b = k.frames.alloc(seg, `kmalloc:${dev.name}`);
      if (b !== null) bufs.push(b);
    }
    const first = bufs[0];
    if (first !== undefined && bufs.length === nents) {
      pa = first;
      if (api === "phys") {
        dmaAddr = first;
      } else if (spec.op === "map-sg") {
        const sg = makeScatterList(bufs.map((b) => [b, seg] as const));
        const n = dma.dmaMapSg(dev, sg, dir);
        if (n > 0) {
          dmaAddr = sg[0]?.dmaAddress ?? null;
          release = () => dma.dmaUnmapSg(dev, sg, dir);
        }
      } else {
        const a = dma.dmaMapSingle(dev, first, seg, dir);
        // A driver checks with dma_mapping_error(): v4.x swiotlb hands out its overflow buffer when the pool is
        // full, an address only the ops' mapping_error recognises.
        if (!dma.dmaMappingError(dev, a)) {
          dmaAddr = a;
          release = () => dma.dmaUnmapSingle(dev, a, seg, dir);
        }
      }
    }
  }
  const base = { type: "dma-action" as const, device: dev.name, driver: dev.driver?.name ?? null, bound: dev.isBound, op: spec.op, api, ops, size };
  if (pa === null || dmaAddr === null) {
    const failed: DmaActionRecord = { ...base, pa, dmaAddr: null, outcome: "failed", detail: "DMA API call failed", eventId: null, reachedPa: null, route: null, streamId: null };
    k.trace.emit(failed);
    return { record: failed, release: null };
  }
  patternSeq = (patternSeq + 1) & 0xff;
  const pattern = 0x5a ^ patternSeq;
  const len = Math.min(size, TRANSFER_BYTES);
  const expected = expectedPa(spec, ops, pa, dmaAddr);
  // A to-device buffer is read by the device: the CPU fills it first (and a bounce copies it in at map time); any
  // other direction is written by the device.
  const reads = dir === "to-device";
  if (reads) k.machine.memory.writeBytes(pa, new Uint8Array(len).fill(pattern));
  const res = k.machine.interconnect.dma({ master: dmaMasterOf(dev), address: dmaAddr, size: len, access: reads ? "read" : "write", pattern });
  const c = classify(k, dev, res, expected, domainTypeOf(dev));
  if (c.outcome === "ok") {
    const seen = reads ? (res.outcome === "completed" ? res.data : undefined) : k.machine.memory.readBytes(expected, len);
    if (seen === undefined || seen === null || seen.some((b) => b !== pattern)) Object.assign(c, { outcome: "untranslated", detail: "pattern-missing" });
  }
  const record: DmaActionRecord = {
    ...base,
    pa,
    dmaAddr,
    outcome: c.outcome,
    detail: c.detail,
    eventId: c.eventId,
    reachedPa: c.reachedPa,
    route: res.outcome === "completed" ? res.via : null,
    streamId: res.streamId ?? null,
  };
  k.trace.emit(record);
  if (spec.release === true) {
    release?.();
    return { record, release: null };
  }
  return { record, release };
}

/** The physical doorbell MSIs go to: the ITS `GITS_TRANSLATER`, else the GICv2m `MSI_SETSPI_NS`, else null. */
export function msiDoorbell(k: Kernel): number | null {
  const gic = k.platform.board.gic;
  if (gic.its !== undefined) return gic.its.base + GITS_TRANSLATER_OFFSET;
  if (gic.v2m !== undefined) return gic.v2m.base + V2M_MSI_SETSPI_NS_OFFSET;
  return null;
}

/**
 * `pci_alloc_irq_vectors` for one MSI(-X) vector: the message address the device is programmed with
 * (`iommu_dma_prepare_msi` maps the doorbell page into the device's IOMMU DMA domain), or null without a doorbell.
 *
 * @see drivers/irqchip/irq-gic-v3-its.c its_irq_compose_msi_msg; drivers/iommu/dma-iommu.c iommu_dma_prepare_msi
 */
export function allocMsiVector(k: Kernel, dma: DmaSubsystem, dev: Device): number | null {
  const doorbell = msiDoorbell(k);
  if (doorbell === null) return null;
  const r = dma.iommuDmaPrepareMsi(dev, doorbell);
  return r.ok ? r.value : null;
}

/** The device raises its MSI: a 4-byte write of the vector's data to the programmed address, as an MSI. */
export function raiseMsi(k: Kernel, dev: Device, address: number, data = 0): Extract<KernelEvent, { type: "msi-action" }> {
  const bytes = new Uint8Array([data & 0xff, (data >>> 8) & 0xff, (data >>> 16) & 0xff, (data >>> 24) & 0xff]);
  const res = k.machine.interconnect.dma({ master: dmaMasterOf(dev), address, size: 4, access: "write", data: bytes, kind: "msi" });
  const record: Extract<KernelEvent, { type: "msi-action" }> = {
    type: "msi-action",
    device: dev.name,
    address,
    outcome: res.outcome === "completed" ? "delivered" : res.at === "iommu" ? "fault" : "aborted",
    eventId: res.outcome === "aborted" ? (res.eventId ?? null) : null,
    streamId: res.streamId ?? null,
  };
  k.trace.emit(record);
  return record;
}
