/**
 * The protection flags callers pass to io-pgtable `map` (include/linux/iommu.h) and the io-pgtable quirk bits
 * (include/linux/io-pgtable.h).
 */

/**
 * `IOMMU_*` protection flags, as `iommu_map()` and io-pgtable `map`/`map_pages` take them.
 *
 * @see include/linux/iommu.h IOMMU_READ
 */
export const IommuProt = {
  /** DMA may read. */
  IOMMU_READ: 1 << 0,
  /** DMA may write. */
  IOMMU_WRITE: 1 << 1,
  /** Coherent (cacheable) mapping: AttrIndx 1 (write-back), and in modern kernels SH = inner shareable. */
  IOMMU_CACHE: 1 << 2,
  /** Instruction fetch not allowed: XN (bits 53 and 54) in the PTE. */
  IOMMU_NOEXEC: 1 << 3,
  /** Device memory (e.g. an MSI doorbell): AttrIndx 2. Takes precedence over IOMMU_CACHE. */
  IOMMU_MMIO: 1 << 4,
  /**
   * Privileged-only access: modern kernels then leave AP[1] (EL0 access) clear. Added after v4.4 (v4.11 cycle);
   * v4.4 ignores it.
   */
  IOMMU_PRIV: 1 << 5,
} as const;

/**
 * A combination of {@link IommuProt} flags.
 *
 * @see include/linux/iommu.h IOMMU_READ, IOMMU_WRITE, IOMMU_CACHE, IOMMU_NOEXEC, IOMMU_MMIO, IOMMU_PRIV
 */
export type IommuProtFlags = number;

/**
 * `IO_PGTABLE_QUIRK_*` bits (the modern numbering; v4.4 knew only ARM_NS, which has the same bit). Quirks that this
 * model accepts for ARM_64_LPAE_S1: `ARM_NS` (both eras), `ARM_OUTER_WBWA`, `ARM_HD`, `NO_WARN` (modern).
 *
 * @see include/linux/io-pgtable.h IO_PGTABLE_QUIRK_ARM_NS
 */
export const IoPgtableQuirk = {
  /** Non-secure output: NS (bit 5) in leaves and NSTable (bit 63) in table descriptors. */
  ARM_NS: 1 << 0,
  /** Stage-2 style "no permissions" (not used for ARM_64_LPAE_S1; rejected here). */
  NO_PERMS: 1 << 1,
  /** Tables for TTBR1 (upper VA range); not modelled, rejected. */
  ARM_TTBR1: 1 << 5,
  /** Outer write-back walk attributes for a non-coherent walker (TCR ORGN0 = WBWA). */
  ARM_OUTER_WBWA: 1 << 6,
  /** Hardware dirty tracking: writable leaves get DBM (bit 51) instead of being read-only. */
  ARM_HD: 1 << 7,
  /** Do not WARN on expected failures (-EEXIST, unmap of nothing). */
  NO_WARN: 1 << 9,
} as const;
