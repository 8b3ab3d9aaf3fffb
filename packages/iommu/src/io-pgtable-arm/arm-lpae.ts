/**
 * The `io_pgtable_ops` of one ARM_64_LPAE_S1 table: the entry checks of each generation in front of the shared walk
 * algorithms, and the software walk `iova_to_phys`.
 */
import { EINVAL, ERANGE, type LpaeCore } from "./core";
import { IommuProt } from "./prot";
import { PTE_TYPE_MASK, PTE_TYPE_TABLE, isLeaf, protToPteHi, protToPteLo } from "./pte";
import { makeIotlbGather } from "./tlb";
import type { IommuIotlbGather, IoPgtableMapPagesResult, IoPgtableOps, IoPgtableResolvedCfg } from "./types";
import { lpaeMap, unmapModern, unmapV44 } from "./walk";

const TWO_32 = 0x1_0000_0000;
/** A mapping with neither of these maps nothing. */
const ACCESS = IommuProt.IOMMU_READ | IommuProt.IOMMU_WRITE;

/** An address the C types could hold: a non-negative integer below 2^53. */
function isAddr(x: number): boolean {
  return x >= 0 && x <= Number.MAX_SAFE_INTEGER && Math.floor(x) === x;
}

/** Whether `pgsize` is a non-zero subset of `bitmap` (`(pgsize & bitmap) == pgsize`; the bitmap is below 2^31). */
function inBitmap(pgsize: number, bitmap: number): boolean {
  return pgsize > 0 && pgsize < 0x8000_0000 && (pgsize & bitmap) === pgsize;
}

/**
 * Builds the ops object over an allocated core whose PGD is in place.
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_lpae_alloc_pgtable
 */
export function makeArmLpaeOps(c: LpaeCore, cfg: IoPgtableResolvedCfg): IoPgtableOps {
  let freed = false;
  const start = c.startLevel;
  const pgd = c.pgd;
  const iasLimit = 2 ** c.ias;
  const oasLimit = 2 ** c.oas;

  const dead = (what: string): boolean => {
    if (freed) c.warn(`${what} after free_io_pgtable_ops`, false);
    return freed;
  };

  /** @see drivers/iommu/io-pgtable-arm.c arm_lpae_map_pages (modern); bytes mapped are left in `c.mapped`. */
  const mapPagesModern = (iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): number => {
    c.mapped = 0;
    if (!isAddr(iova) || !isAddr(paddr) || dead("map")) return EINVAL;
    if (!inBitmap(pgsize, c.pgsizeBitmap)) {
      c.warn("arm_lpae_map_pages: page size not in the bitmap", false);
      return EINVAL;
    }
    if (iova >= iasLimit || paddr >= oasLimit) {
      c.warn("arm_lpae_map_pages: IOVA or PA beyond IAS/OAS", false);
      return ERANGE;
    }
    if ((prot & ACCESS) === 0) return 0;
    const attrLo = protToPteLo(prot, true, c.quirks);
    const attrHi = protToPteHi(prot, true, c.quirks);
    return lpaeMap(c, iova, paddr, pgsize, pgcount, attrLo, attrHi, start, pgd);
  };

  /** @see drivers/iommu/io-pgtable-arm.c arm_lpae_map (v4.4) */
  const mapV44 = (iova: number, paddr: number, size: number, prot: number): number => {
    if (!isAddr(iova) || !isAddr(paddr) || dead("map")) return EINVAL;
    if ((prot & ACCESS) === 0) return 0;
    c.mapped = 0;
    return lpaeMap(c, iova, paddr, size, 1, protToPteLo(prot, false, c.quirks), protToPteHi(prot, false, c.quirks), start, pgd);
  };

  /** @see drivers/iommu/io-pgtable-arm.c arm_lpae_unmap_pages (modern) */
  const unmapPagesModern = (iova: number, pgsize: number, pgcount: number, gather?: IommuIotlbGather): number => {
    if (!isAddr(iova) || dead("unmap")) return 0;
    if (!inBitmap(pgsize, c.pgsizeBitmap) || !(pgcount >= 1)) {
      c.warn("arm_lpae_unmap_pages: page size not in the bitmap, or no pages", false);
      return 0;
    }
    if (iova >= iasLimit) {
      c.warn("arm_lpae_unmap_pages: IOVA beyond IAS", false);
      return 0;
    }
    return unmapModern(c, gather ?? makeIotlbGather(), iova, pgsize, Math.floor(pgcount), start, pgd);
  };

  /** @see drivers/iommu/io-pgtable-arm.c arm_lpae_unmap (v4.4) */
  const unmapOneV44 = (iova: number, size: number, gather?: IommuIotlbGather): number => {
    if (!isAddr(iova) || dead("unmap")) return 0;
    const unmapped = unmapV44(c, gather ?? makeIotlbGather(), iova, size, start, pgd);
    if (unmapped !== 0) c.tlb.tlbSync?.();
    return unmapped;
  };

  /** @see drivers/iommu/io-pgtable-arm.c arm_lpae_iova_to_phys */
  const iovaToPhys = (iova: number): number => {
    if (!isAddr(iova) || freed) return 0;
    let table = pgd;
    let t = c.view(pgd);
    let lvl = start;
    const leaf = c.leafTableFor(iova);
    if (leaf !== undefined) {
      table = leaf.pa;
      t = leaf;
      lvl = 3;
    }
    let viaTables = true;
    do {
      if (lvl === 3 && t !== undefined && viaTables) c.rememberLeafTable(iova, t);
      const idx = c.index(iova, lvl);
      const lo = c.lo(t, table, idx);
      const hi = c.hi(t, table, idx);
      if (lo === 0 && hi === 0) return 0;
      if (isLeaf(lo, lvl)) {
        // v4.4 ORs in only the offset within the granule, even for a block; later kernels the offset in the block.
        const span = c.modern ? (c.block[lvl] as number) : c.granule;
        const pa = c.addr(lo, hi);
        const paLo = pa % TWO_32;
        return pa - paLo + ((paLo | (iova % span)) >>> 0);
      }
      if ((lo & PTE_TYPE_MASK) !== PTE_TYPE_TABLE) viaTables = false;
      table = c.addr(lo, hi);
      t = c.child(t, idx, table);
    } while (++lvl < 4);
    return 0;
  };

  const map = c.modern
    ? (iova: number, paddr: number, size: number, prot: number): number => mapPagesModern(iova, paddr, size, 1, prot)
    : mapV44;

  const mapPages = c.modern
    ? (iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): IoPgtableMapPagesResult => {
        const ret = mapPagesModern(iova, paddr, pgsize, pgcount, prot);
        return { ret, mapped: c.mapped };
      }
    : (iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): IoPgtableMapPagesResult => {
        // v4.4 has no map_pages: the core of that time mapped one page per call.
        let mapped = 0;
        for (let i = 0; i < pgcount; i++) {
          const ret = mapV44(iova + mapped, paddr + mapped, pgsize, prot);
          if (ret !== 0) return { ret, mapped };
          mapped += pgsize;
        }
        return { ret: 0, mapped };
      };

  const unmap = c.modern
    ? (iova: number, size: number, gather?: IommuIotlbGather): number => unmapPagesModern(iova, size, 1, gather)
    : unmapOneV44;

  const unmapPages = c.modern
    ? unmapPagesModern
    : (iova: number, pgsize: number, pgcount: number, gather?: IommuIotlbGather): number => {
        let unmapped = 0;
        for (let i = 0; i < pgcount; i++) {
          const n = unmapOneV44(iova + unmapped, pgsize, gather);
          if (n === 0) break;
          unmapped += n;
        }
        return unmapped;
      };

  return {
    map,
    mapPages,
    unmap,
    unmapPages,
    iovaToPhys,
    free: () => {
      if (freed) return;
      freed = true;
      c.freePgtable(start, pgd);
    },
    cfg,
    get tablePages() {
      return c.tables.size;
    },
  };
}
