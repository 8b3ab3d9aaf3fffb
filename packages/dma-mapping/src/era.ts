/**
 * The DMA layer's behaviour per kernel generation: switches, each with the kernel it comes from. The arm64 setup
 * policy (attach queue vs probe time) is chosen separately (`Arm64DmaSetupPolicy`), so a profile can mix them.
 */
import { RCACHE_V6_1, type IovaRcacheConfig } from "./iova/rcache";

/** The kernel generations dmasim composes. `v4.8-not-bound` is hypothetical (never merged). */
export type KernelGeneration = "v4.7" | "v4.8" | "v4.8-not-bound" | "v4.12" | "v6.1";

/**
 * How iommu-dma allocates and frees IOVAs and maps MSIs in one generation.
 *
 * @see drivers/iommu/dma-iommu.c
 */
export interface IommuDmaEra {
  /**
   * The per-size IOVA range caches: `null` before v4.11, where `__alloc_iova` called `alloc_iova(..., true)` and unmap
   * `__free_iova` directly; v4.11+ `alloc_iova_fast`/`free_iova_fast` ("iommu/dma: Plumb in the per-CPU IOVA
   * caches") with the magazine geometry of the generation.
   */
  readonly rcache: IovaRcacheConfig | null;
  /**
   * PCI devices with a mask above 32 bits try below 4 GiB first ("iommu/dma: Implement PCI allocation
   * optimisation", v4.11), unless `iommu.forcedac=1`. This is why a PCI device's first IOVA is 0xfffff000.
   */
  readonly pciSacFirst: boolean;
  /**
   * Which domain iommu-dma maps through: v4.x `iommu_get_domain_for_dev` (the group's current domain); modern
   * `iommu_get_dma_domain` (the default domain).
   */
  readonly dmaDomain: "current" | "default";
  /** `iova_reserve_pci_windows` (v4.9+ "iommu/dma: Avoid PCI host bridge windows"). */
  readonly reservePciWindows: boolean;
  /** `iova_reserve_iommu_regions` over `iommu_get_resv_regions` (v4.11+; SW_MSI regions are skipped). */
  readonly reserveResvRegions: boolean;
  /**
   * MSI doorbells mapped through the device's DMA domain (`iommu_dma_map_msi_msg`, v4.8; `iommu_dma_prepare_msi`
   * from v5.3). Before: the ITS/v2m write goes out with its physical address.
   */
  readonly msiPages: boolean;
  /**
   * DMA-FQ domains use the flush queue (lazy invalidation). arm-smmu(-v3) got non-strict mode in v4.20; the 2016
   * kernels were strict only.
   */
  readonly flushQueue: boolean;
}

/**
 * The DMA layer of one generation.
 */
export interface DmaEra {
  readonly generation: KernelGeneration;
  /**
   * What `get_dma_ops(dev)` returns for a NULL pointer: arm64 v4.7–v4.14 `dummy_dma_ops` ("all other DMA masters
   * are expected to have someone call arch_setup_dma_ops"); modern kernels dma-direct.
   *
   * @see arch/arm64/include/asm/dma-mapping.h __generic_dma_ops (v4.7), get_arch_dma_ops (v4.12)
   */
  readonly nullOps: "dummy" | "direct";
  /**
   * `arch_setup_dma_ops` installs `swiotlb_dma_ops` when the pointer is NULL (v4.7–v4.14); modern arm64 leaves it
   * NULL (dma-direct).
   */
  readonly archDefaultOps: "swiotlb" | "none";
  /** `->mapping_error` exists (v4.x); modern kernels compare with `DMA_MAPPING_ERROR` only. */
  readonly mappingErrorOp: boolean;
  /**
   * swiotlb copies the CPU buffer into the slot on every map whatever the direction (modern, to avoid leaking stale
   * slot contents: "swiotlb: fix info leak with DMA_FROM_DEVICE", v5.19); v4.x only for TO_DEVICE/BIDIRECTIONAL.
   */
  readonly swiotlbBounceOnMapAlways: boolean;
  readonly iommuDma: IommuDmaEra;
}

const IOMMU_DMA_V4_7: IommuDmaEra = {
  rcache: null,
  pciSacFirst: false,
  dmaDomain: "current",
  reservePciWindows: false,
  reserveResvRegions: false,
  msiPages: false,
  flushQueue: false,
};

const IOMMU_DMA_V4_8: IommuDmaEra = { ...IOMMU_DMA_V4_7, msiPages: true };

const IOMMU_DMA_V4_12: IommuDmaEra = {
  rcache: RCACHE_V6_1,
  pciSacFirst: true,
  dmaDomain: "current",
  reservePciWindows: true,
  reserveResvRegions: true,
  msiPages: true,
  flushQueue: false,
};

const IOMMU_DMA_V6_1: IommuDmaEra = { ...IOMMU_DMA_V4_12, dmaDomain: "default", flushQueue: true };

const V4_DMA: Omit<DmaEra, "generation" | "iommuDma"> = {
  nullOps: "dummy",
  archDefaultOps: "swiotlb",
  mappingErrorOp: true,
  swiotlbBounceOnMapAlways: false,
};

/**
 * The DMA layer per generation. Make a variant with a spread:
 * `{ ...DMA_ERAS["v6.1"], iommuDma: { ...DMA_ERAS["v6.1"].iommuDma, rcache: RCACHE_V6_7 } }`.
 */
export const DMA_ERAS: Readonly<Record<KernelGeneration, DmaEra>> = {
  "v4.7": { generation: "v4.7", ...V4_DMA, iommuDma: IOMMU_DMA_V4_7 },
  "v4.8": { generation: "v4.8", ...V4_DMA, iommuDma: IOMMU_DMA_V4_8 },
  "v4.8-not-bound": { generation: "v4.8-not-bound", ...V4_DMA, iommuDma: IOMMU_DMA_V4_8 },
  "v4.12": { generation: "v4.12", ...V4_DMA, iommuDma: IOMMU_DMA_V4_12 },
  "v6.1": {
    generation: "v6.1",
    nullOps: "direct",
    archDefaultOps: "none",
    mappingErrorOp: false,
    swiotlbBounceOnMapAlways: true,
    iommuDma: IOMMU_DMA_V6_1,
  },
};
