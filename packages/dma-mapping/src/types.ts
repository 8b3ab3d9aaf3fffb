/**
 * The DMA API's basic vocabulary: directions, the error cookie, masks, scatterlists.
 *
 * @see include/linux/dma-direction.h
 * @see include/linux/dma-mapping.h DMA_MAPPING_ERROR, DMA_BIT_MASK
 */

/**
 * `enum dma_data_direction`, by name.
 *
 * @see include/linux/dma-direction.h
 */
export type DmaDirection = "bidirectional" | "to-device" | "from-device" | "none";

/**
 * A bus address as the device emits it: an IOVA behind an IOMMU, a (possibly offset) physical address otherwise.
 *
 * @see include/linux/types.h dma_addr_t
 */
export type DmaAddr = number;

/**
 * The value a failed `dma_map_*` returns. The kernel uses `~(dma_addr_t)0` (`DMA_MAPPING_ERROR`, and
 * `DMA_ERROR_CODE` on arm64 before v4.15); addresses here are non-negative numbers below 2^53, so the model uses -1,
 * which no real mapping can produce. Every map entry point returns it on failure (no exceptions).
 *
 * @see include/linux/dma-mapping.h DMA_MAPPING_ERROR
 */
export const DMA_MAPPING_ERROR = -1;

/** The largest address the model represents: masks of 53 bits or more are this (every modelled address fits). */
export const DMA_MASK_MAX = Number.MAX_SAFE_INTEGER;

/**
 * `DMA_BIT_MASK(n)` as a number: `2^n - 1`, capped at 2^53 - 1 (so `dmaBitMask(64)` is "everything").
 *
 * @see include/linux/dma-mapping.h DMA_BIT_MASK
 */
export function dmaBitMask(bits: number): number {
  if (!Number.isInteger(bits) || bits < 0 || bits > 64) throw new RangeError(`DMA_BIT_MASK(${bits})`);
  return bits >= 53 ? DMA_MASK_MAX : 2 ** bits - 1;
}

/**
 * One entry of a scatterlist: the CPU side (`sg_phys`, `length`) in, the device side (`sg_dma_address`,
 * `sg_dma_len`) filled by `dma_map_sg`. After mapping, entries past the returned count are unused (the IOMMU may
 * merge segments).
 *
 * @see include/linux/scatterlist.h struct scatterlist
 */
export interface ScatterEntry {
  /** `sg_phys(sg)`. */
  readonly pa: number;
  /** `sg->length` in bytes. */
  readonly length: number;
  /** `sg_dma_address(sg)` after mapping; `DMA_MAPPING_ERROR` before. */
  dmaAddress: DmaAddr;
  /** `sg_dma_len(sg)` after mapping; 0 before. */
  dmaLength: number;
}

/** Builds a scatterlist from `[pa, length]` pairs (`sg_init_table` + `sg_set_page`). */
export function makeScatterList(segments: readonly (readonly [number, number])[]): ScatterEntry[] {
  return segments.map(([pa, length]) => ({ pa, length, dmaAddress: DMA_MAPPING_ERROR, dmaLength: 0 }));
}

/**
 * What `dma_alloc_coherent` returns: the CPU's view (a physical address in simulated RAM; the model has no kernel
 * virtual addresses) and the device's.
 *
 * @see kernel/dma/mapping.c dma_alloc_attrs
 */
export interface DmaCoherentAlloc {
  readonly cpuPa: number;
  readonly dmaAddr: DmaAddr;
  /** Bytes actually allocated (the request rounded up to whole pages). */
  readonly size: number;
}

/**
 * `DMA_ATTR_*` bits the model looks at.
 *
 * @see include/linux/dma-mapping.h DMA_ATTR_SKIP_CPU_SYNC
 */
export const DmaAttr = {
  /** Skip the CPU cache maintenance / swiotlb copy on map and unmap. */
  SKIP_CPU_SYNC: 1 << 5,
  /** Mapping is privileged-only (IOMMU_PRIV). */
  PRIVILEGED: 1 << 9,
} as const;

/**
 * The CPU page size the model uses everywhere (arm64 with 4 KiB pages, as Debian builds it).
 *
 * @see arch/arm64/include/asm/page-def.h PAGE_SIZE
 */
export const PAGE_SIZE = 4096;
/** `PAGE_SHIFT`. */
export const PAGE_SHIFT = 12;

/** `PAGE_ALIGN(size)`. */
export function pageAlign(size: number): number {
  return Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
}
