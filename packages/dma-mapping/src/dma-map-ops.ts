/**
 * `struct dma_map_ops`: what a DMA implementation provides. Every implementation in this package (dma-direct,
 * swiotlb, iommu-dma, dummy) is one of these, and the DMA API entry points call them exactly as
 * kernel/dma/mapping.c does. Cache maintenance is not modelled (QEMU's devices are coherent).
 *
 * @see include/linux/dma-map-ops.h struct dma_map_ops
 */
import type { Device } from "@dmasim/driver-core";
import type { DmaAddr, DmaCoherentAlloc, DmaDirection, ScatterEntry } from "./types";

/**
 * Which implementation a device's DMA goes through, as the outcome reports it.
 *
 * - `iommu`: `iommu_dma_ops` (drivers/iommu/dma-iommu.c).
 * - `direct`: dma-direct (modern kernels with `dev->dma_ops == NULL`; bounces through swiotlb when needed).
 * - `swiotlb`: arm64's `swiotlb_dma_ops` (v4.7–v4.14): physical addresses, bounce when the mask cannot reach.
 * - `dummy`: arm64's `dummy_dma_ops` (v4.7–v4.14 fallback for a NULL ops pointer): everything fails.
 * - `none`: the DMA layer has never seen the device (no DMA state); reserved for devices that are not DMA masters.
 */
export type DmaOpsKind = "iommu" | "direct" | "swiotlb" | "dummy" | "none";

/**
 * A DMA implementation. All members are total: failures come back as `DMA_MAPPING_ERROR`, `null`, 0 or a negative
 * errno, as the kernel's do.
 *
 * @see include/linux/dma-map-ops.h struct dma_map_ops
 */
export interface DmaMapOps {
  /** The kernel symbol, e.g. `"iommu_dma_ops"`, `"swiotlb_dma_ops"`, `"dummy_dma_ops"`, `"dma-direct"`. */
  readonly name: string;
  readonly kind: Exclude<DmaOpsKind, "none">;
  /** `->alloc`: a coherent buffer of `size` bytes, or `null`. */
  readonly alloc: (dev: Device, size: number, attrs: number) => DmaCoherentAlloc | null;
  /** `->free`. */
  readonly free: (dev: Device, size: number, cpuPa: number, dmaAddr: DmaAddr, attrs: number) => void;
  /** `->map_page` (`dma_map_single` and `dma_map_page` both end here): a bus address or `DMA_MAPPING_ERROR`. */
  readonly mapPage: (dev: Device, pa: number, size: number, dir: DmaDirection, attrs: number) => DmaAddr;
  /** `->unmap_page`. */
  readonly unmapPage: (dev: Device, dmaAddr: DmaAddr, size: number, dir: DmaDirection, attrs: number) => void;
  /** `->map_sg`: entries used (> 0), or 0 / a negative errno on failure. Fills `dmaAddress`/`dmaLength`. */
  readonly mapSg: (dev: Device, sg: ScatterEntry[], dir: DmaDirection, attrs: number) => number;
  /** `->unmap_sg` (`nents` as originally passed to map). */
  readonly unmapSg: (dev: Device, sg: ScatterEntry[], dir: DmaDirection, attrs: number) => void;
  /** `->sync_single_for_cpu`. */
  readonly syncSingleForCpu: (dev: Device, dmaAddr: DmaAddr, size: number, dir: DmaDirection) => void;
  /** `->sync_single_for_device`. */
  readonly syncSingleForDevice: (dev: Device, dmaAddr: DmaAddr, size: number, dir: DmaDirection) => void;
  /**
   * `->mapping_error` (v4.x; removed in v5.0 when `DMA_MAPPING_ERROR` became universal). Absent: compare with
   * `DMA_MAPPING_ERROR`.
   */
  readonly mappingError?: (dev: Device, dmaAddr: DmaAddr) => boolean;
  /** `->dma_supported`: whether the implementation can honour `mask`. Absent: supported. */
  readonly dmaSupported?: (dev: Device, mask: number) => boolean;
}

/**
 * The failing table `dma_map_ops` members default to in {@link makeDmaMapOps}: what a NULL member would do if the
 * kernel checked it (alloc NULL, map `DMA_MAPPING_ERROR`, map_sg 0).
 */
export type DmaMapOpsCore = Pick<DmaMapOps, "name" | "kind" | "mapPage" | "unmapPage"> & Partial<DmaMapOps>;

/**
 * Fills the members an implementation leaves out the way the kernel's generic helpers would: `map_sg` maps each
 * entry with `map_page` (unwinding on failure, as `dma_direct_map_sg` does), `unmap_sg` unmaps each, syncs do
 * nothing, `alloc` fails.
 *
 * @see kernel/dma/direct.c dma_direct_map_sg
 */
export function makeDmaMapOps(core: DmaMapOpsCore): DmaMapOps {
  const mapPage = core.mapPage;
  const unmapPage = core.unmapPage;
  return {
    alloc: () => null,
    free: () => undefined,
    mapSg: (dev, sg, dir, attrs) => {
      for (let i = 0; i < sg.length; i++) {
        const ent = sg[i] as ScatterEntry;
        const addr = mapPage(dev, ent.pa, ent.length, dir, attrs);
        if (addr < 0) {
          for (let j = 0; j < i; j++) {
            const done = sg[j] as ScatterEntry;
            unmapPage(dev, done.dmaAddress, done.dmaLength, dir, attrs);
          }
          return 0;
        }
        ent.dmaAddress = addr;
        ent.dmaLength = ent.length;
      }
      return sg.length;
    },
    unmapSg: (dev, sg, dir, attrs) => {
      for (const ent of sg) if (ent.dmaLength > 0) unmapPage(dev, ent.dmaAddress, ent.dmaLength, dir, attrs);
    },
    syncSingleForCpu: () => undefined,
    syncSingleForDevice: () => undefined,
    ...core,
  };
}
