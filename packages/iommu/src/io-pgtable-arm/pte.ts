/**
 * LPAE descriptor bits as io-pgtable-arm writes them, split into the 32-bit halves the simulated memory stores
 * (bit n ≥ 32 of the descriptor is bit n-32 of the high word).
 */
import { IommuProt, IoPgtableQuirk } from "./prot";

/** Descriptor type field, bits[1:0]. */
export const PTE_TYPE_MASK = 0x3;
/** Block descriptor (levels 0–2). */
export const PTE_TYPE_BLOCK = 0x1;
/** Table descriptor (levels 0–2). */
export const PTE_TYPE_TABLE = 0x3;
/** Page descriptor (level 3): the same encoding as a table descriptor one level up. */
export const PTE_TYPE_PAGE = 0x3;

// Low word.
const PTE_ATTRINDX_SHIFT = 2;
const PTE_NS = 1 << 5;
const PTE_AP_UNPRIV = 1 << 6;
const PTE_AP_RDONLY = 1 << 7;
const PTE_SH_OS = 2 << 8;
const PTE_SH_IS = 3 << 8;
const PTE_AF = 1 << 10;
const PTE_NG = 1 << 11;
/** `ARM_LPAE_PTE_ATTR_LO_MASK`: bits[11:2], the attributes a block split carries over. */
export const PTE_ATTR_LO_MASK = 0x3ff << 2;

// High word (descriptor bit - 32).
const PTE_DBM_HI = 1 << (51 - 32);
const PTE_XN_HI = 3 << (53 - 32);
/** NSTable, descriptor bit 63. */
export const PTE_NSTABLE_HI = 1 << (63 - 32);
/** Software bit 55 (`ARM_LPAE_PTE_SW_SYNC`): a table descriptor already made visible to a non-coherent walker. */
export const PTE_SW_SYNC_HI = 1 << (55 - 32);
/** Output-address bits [47:32] in the high word. */
export const PTE_ADDR_HI_MASK = 0xffff;
/** `ARM_LPAE_PTE_ATTR_HI_MASK` in v4.4: the high attributes a split carries over (XN). */
export const PTE_ATTR_HI_MASK_V44 = PTE_XN_HI;
/** `ARM_LPAE_PTE_ATTR_HI_MASK` in modern kernels: XN and DBM. */
export const PTE_ATTR_HI_MASK_MODERN = PTE_XN_HI | PTE_DBM_HI;

/** MAIR attribute indices io-pgtable programs. */
const MAIR_ATTR_IDX_CACHE = 1;
const MAIR_ATTR_IDX_DEV = 2;

/**
 * Low word of the stage-1 attributes for `prot` (`arm_lpae_prot_to_pte`). In v4.4 the AF, SH and NS bits are added
 * by `arm_lpae_init_pte` instead ({@link initPteLoBits}); the result is the same descriptor.
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_lpae_prot_to_pte
 */
export function protToPteLo(prot: number, modern: boolean, quirks: number): number {
  let pte = PTE_NG;
  if ((prot & IommuProt.IOMMU_WRITE) === 0 && (prot & IommuProt.IOMMU_READ) !== 0) pte |= PTE_AP_RDONLY;
  if (!modern || (prot & IommuProt.IOMMU_PRIV) === 0) pte |= PTE_AP_UNPRIV;
  if ((prot & IommuProt.IOMMU_MMIO) !== 0) pte |= MAIR_ATTR_IDX_DEV << PTE_ATTRINDX_SHIFT;
  else if ((prot & IommuProt.IOMMU_CACHE) !== 0) pte |= MAIR_ATTR_IDX_CACHE << PTE_ATTRINDX_SHIFT;
  if (modern) {
    pte |= (prot & IommuProt.IOMMU_CACHE) !== 0 ? PTE_SH_IS : PTE_SH_OS;
    if ((quirks & IoPgtableQuirk.ARM_NS) !== 0) pte |= PTE_NS;
    pte |= PTE_AF;
  }
  return pte;
}

/**
 * High word of the stage-1 attributes for `prot`: XN for IOMMU_NOEXEC, and in modern kernels DBM for writable
 * mappings when the ARM_HD quirk is set.
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_lpae_prot_to_pte
 */
export function protToPteHi(prot: number, modern: boolean, quirks: number): number {
  let hi = 0;
  if (
    modern &&
    (quirks & IoPgtableQuirk.ARM_HD) !== 0 &&
    !((prot & IommuProt.IOMMU_WRITE) === 0 && (prot & IommuProt.IOMMU_READ) !== 0)
  ) {
    hi |= PTE_DBM_HI;
  }
  if ((prot & IommuProt.IOMMU_NOEXEC) !== 0) hi |= PTE_XN_HI;
  return hi;
}

/**
 * Bits v4.4's `arm_lpae_init_pte` ORs into every leaf it writes (NS with the ARM_NS quirk, AF, SH = inner
 * shareable); 0 for modern kernels, whose `arm_lpae_prot_to_pte` already chose them.
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_lpae_init_pte
 */
export function initPteLoBits(modern: boolean, quirks: number): number {
  if (modern) return 0;
  return PTE_AF | PTE_SH_IS | ((quirks & IoPgtableQuirk.ARM_NS) !== 0 ? PTE_NS : 0);
}

/** Whether a descriptor is a leaf at `lvl` (`iopte_leaf`): a page (0b11) at level 3, a block (0b01) above. */
export function isLeaf(lo: number, lvl: number): boolean {
  return (lo & PTE_TYPE_MASK) === (lvl === 3 ? PTE_TYPE_PAGE : PTE_TYPE_BLOCK);
}
