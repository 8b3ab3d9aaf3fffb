/**
 * The DMA state of a device, kept in a driver-core device data slot: the ops pointer (`dev->dma_ops`, or
 * `dev->archdata.dma_ops` before v4.11), masks, coherency, the `dma-ranges` map, the arguments of the last
 * `arch_setup_dma_ops` (what v4.8's attach queue and the hypothetical NOT_BOUND cleanup re-queue), and the live
 * mappings made through the DMA API (what DMA-API debugging would track), so a checker can find IOVAs left behind.
 *
 * @see include/linux/device.h struct device (dma_ops, dma_mask, coherent_dma_mask, bus_dma_limit, dma_range_map)
 * @see kernel/dma/debug.c (the bookkeeping idea)
 */
import { defineDeviceData, type Device } from "@dmasim/driver-core";
import type { DmaMapOps, DmaOpsKind } from "./dma-map-ops";
import type { DmaAddr, DmaDirection, ScatterEntry } from "./types";

/**
 * One `dma-ranges` translation: CPU addresses `[cpuStart, cpuStart + size)` appear to the device at `dmaStart`.
 *
 * @see include/linux/dma-direct.h struct bus_dma_region
 */
export interface DmaRangeMapEntry {
  readonly cpuStart: number;
  readonly dmaStart: number;
  readonly size: number;
}

/**
 * What `arch_setup_dma_ops(dev, dma_base, size, iommu, coherent)` was given. `iommu` is the IOMMU core's ops table
 * (`const struct iommu_ops *`), opaque to this package: only its presence matters here.
 *
 * @see arch/arm64/mm/dma-mapping.c arch_setup_dma_ops
 */
export interface ArchSetupDmaArgs {
  readonly dmaBase: number;
  readonly size: number;
  readonly iommu: object | null;
  readonly coherent: boolean;
}

/**
 * Which DMA API call made a mapping.
 *
 * @see lib/dma-debug.c dma_debug_single, dma_debug_page, dma_debug_sg, dma_debug_coherent (v4.x entry types)
 */
export type DmaMappingApi = "single" | "page" | "sg" | "coherent";

/**
 * A live mapping in a device's bookkeeping.
 *
 * @see kernel/dma/debug.c struct dma_debug_entry
 */
export interface DmaMappingRecord {
  readonly dmaAddr: DmaAddr;
  readonly size: number;
  readonly dir: DmaDirection;
  readonly api: DmaMappingApi;
  /** CPU physical address of the buffer (first segment for sg). */
  readonly pa: number;
  /** The ops that made it (a later unmap goes through whatever ops the device has then, as in the kernel). */
  readonly ops: string;
  readonly opsKind: Exclude<DmaOpsKind, "none">;
  /** The owner tag at map time (driver / probe attempt / driverless). */
  readonly owner: string;
  /** Order of creation within the kernel. */
  readonly seq: number;
  /** For sg mappings: the list as mapped; null otherwise. */
  readonly sg: readonly ScatterEntry[] | null;
  /**
   * The next live mapping booked under the same bus page (another mapping in that page, or the same buffer mapped
   * twice), or null. Maintained by the DMA API entry points.
   */
  next: DmaMappingRecord | null;
}

/** The key a mapping is booked under: its bus page number (a small integer, cheap to hash). */
export function dmaMappingKey(dmaAddr: DmaAddr): number {
  return Math.floor(dmaAddr / 4096);
}

/**
 * The DMA slot of a device. Mutated only by this package.
 *
 * @see include/linux/device.h struct device (dma_ops, dma_mask, coherent_dma_mask, bus_dma_limit, dma_range_map)
 */
export interface DeviceDmaState {
  /** `dev->dma_ops`; `null` means the era's fallback ({@link DeviceDmaState.fallback}). */
  ops: DmaMapOps | null;
  /** What `get_dma_ops` returns for a NULL pointer in this kernel (dummy ops on arm64 v4.x, dma-direct later). */
  readonly fallback: DmaMapOps;
  /** `*dev->dma_mask`. */
  dmaMask: number;
  /** `dev->coherent_dma_mask`. */
  coherentDmaMask: number;
  /** `dma_get_max_seg_size(dev)`: 64 KiB unless the driver raised it (`dma_set_max_seg_size`). */
  maxSegSize: number;
  /** `dev->bus_dma_limit` (0: none). */
  busDmaLimit: number;
  /** `dev->dma_coherent` / `archdata.dma_coherent`. */
  coherent: boolean;
  /** `dev->dma_range_map` (null: addresses are physical). */
  dmaRangeMap: readonly DmaRangeMapEntry[] | null;
  /** `dev_is_pci(dev)` as the platform hook answered it (null: not asked yet). */
  isPci: boolean | null;
  /** The last `arch_setup_dma_ops` arguments, or null. */
  archSetup: ArchSetupDmaArgs | null;
  /**
   * Live mappings by bus page ({@link dmaMappingKey}): the most recent mapping starting in that page, linked to older
   * ones ({@link DmaMappingRecord.next}); null for a page whose mappings are all gone (a few such entries are kept
   * rather than deleted, see `unbook` in dma-api.ts).
   */
  readonly mappings: Map<number, DmaMappingRecord | null>;
}

/**
 * The device data slot holding {@link DeviceDmaState}.
 *
 * @see include/linux/device.h struct device (dma_ops, dma_mask, coherent_dma_mask, dma_range_map)
 */
export const DMA_DEVICE = defineDeviceData<DeviceDmaState>("dma");

/**
 * The device's DMA state, or undefined when the DMA layer has never seen it.
 *
 * @see include/linux/device.h struct device (the DMA fields)
 */
export function deviceDmaState(dev: Device): DeviceDmaState | undefined {
  return dev.getData(DMA_DEVICE);
}

/**
 * `get_dma_ops(dev)`: the device's ops, or the era's fallback for a NULL pointer (arm64 v4.7–v4.14
 * `dummy_dma_ops`; modern dma-direct). `null` when the DMA layer has never seen the device.
 *
 * @see arch/arm64/include/asm/dma-mapping.h __generic_dma_ops (v4.7)
 * @see include/linux/dma-map-ops.h get_dma_ops (modern)
 */
export function getDmaOps(dev: Device): DmaMapOps | null {
  const st = dev.getData(DMA_DEVICE);
  if (st === undefined) return null;
  return st.ops ?? st.fallback;
}

/**
 * The kind of ops a DMA API call on `dev` would go through now (`"none"` for a device the DMA layer never saw).
 *
 * @see include/linux/dma-map-ops.h get_dma_ops
 */
export function dmaOpsKind(dev: Device): DmaOpsKind {
  return getDmaOps(dev)?.kind ?? "none";
}

/**
 * The kind of the raw pointer (`dev->dma_ops`), `"none"` when NULL or unseen.
 *
 * @see include/linux/device.h struct device dma_ops
 */
export function rawDmaOpsKind(dev: Device): DmaOpsKind {
  return dev.getData(DMA_DEVICE)?.ops?.kind ?? "none";
}

/** The device's live DMA mappings, oldest first (a copy). */
export function liveDmaMappings(dev: Device): DmaMappingRecord[] {
  const st = dev.getData(DMA_DEVICE);
  if (st === undefined) return [];
  const out: DmaMappingRecord[] = [];
  for (const head of st.mappings.values()) {
    for (let r = head; r !== null; r = r.next) out.push(r);
  }
  return out.sort((a, b) => a.seq - b.seq);
}
