/**
 * The recursive table algorithms of drivers/iommu/io-pgtable-arm.c (`__arm_lpae_map`, `arm_lpae_init_pte`,
 * `__arm_lpae_unmap`, `arm_lpae_split_blk_unmap`), written as loops over the levels. Both generations live here
 * because they call each other: installing a block over a table unmaps the table, and v4.4's split maps the rest of
 * the block again.
 */
import { EEXIST, EINVAL, ENOMEM, type LpaeCore, type PgTable } from "./core";
import { PTE_ATTR_LO_MASK, PTE_TYPE_BLOCK, PTE_TYPE_MASK, PTE_TYPE_PAGE, PTE_TYPE_TABLE, isLeaf } from "./pte";
import type { IommuIotlbGather } from "./types";

/**
 * Maps `pgcount` entries of `size` bytes at `iova` → `paddr`, walking down from the level-`lvl` table at `table` and
 * allocating missing tables. `attrLo`/`attrHi` are the attribute bits from `arm_lpae_prot_to_pte`. Adds the bytes
 * mapped to `c.mapped`. Returns 0 or a negative errno.
 *
 * v4.4 descends through whatever a non-empty entry holds, a block included (its output address is then taken for a
 * table); later kernels stop with -EEXIST at a leaf.
 *
 * @see drivers/iommu/io-pgtable-arm.c __arm_lpae_map
 */
export function lpaeMap(
  c: LpaeCore,
  iova: number,
  paddr: number,
  size: number,
  pgcount: number,
  attrLo: number,
  attrHi: number,
  lvl: number,
  table: number,
): number {
  // A page-sized request starts from the cached leaf table when the walk to it is still valid (the root's mirror is
  // then not needed, and the cache already names this leaf: remembering it again would change nothing).
  const leaf = size === c.block[3] && lvl < 3 ? c.leafTableFor(iova) : undefined;
  let t: PgTable | undefined;
  if (leaf !== undefined) {
    t = leaf;
    table = leaf.pa;
    lvl = 3;
  } else t = c.view(table);
  // Whether every descriptor followed so far was a table descriptor (v4.4 also descends through blocks).
  let viaTables = true;
  for (;;) {
    const idx = c.index(iova, lvl);
    if (size === c.block[lvl] && c.leafOk[lvl] === true) {
      if (lvl === 3 && t !== undefined && viaTables && t !== leaf) c.rememberLeafTable(iova, t);
      return initPtes(c, iova, paddr, size, pgcount, attrLo, attrHi, lvl, table, t, idx);
    }
    if (lvl >= 3) {
      c.warn("__arm_lpae_map: no table below level 3 (size is not a page size)", false);
      return EINVAL;
    }
    const lo = c.lo(t, table, idx);
    const hi = c.hi(t, table, idx);
    if (lo === 0 && hi === 0) {
      const next = c.allocTable(c.granule, lvl + 1);
      if (next < 0) return ENOMEM;
      c.writeTablePte(t, table, idx, next);
      t = c.child(t, idx, next);
      table = next;
    } else if (c.modern && isLeaf(lo, lvl)) {
      c.warn("__arm_lpae_map: a leaf covers this range; unmap first", true);
      return EEXIST;
    } else {
      if ((lo & PTE_TYPE_MASK) !== PTE_TYPE_TABLE) viaTables = false;
      table = c.addr(lo, hi);
      t = c.child(t, idx, table);
    }
    lvl++;
  }
}

/**
 * Writes leaf descriptors into `table` from index `idx` (one in v4.4; modern kernels fill up to `pgcount` entries,
 * stopping at the end of the table). An existing leaf fails with -EEXIST; an existing table is unmapped and freed
 * first, so a block can replace it.
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_lpae_init_pte
 */
function initPtes(
  c: LpaeCore,
  iova: number,
  paddr: number,
  size: number,
  pgcount: number,
  attrLo: number,
  attrHi: number,
  lvl: number,
  table: number,
  t: PgTable | undefined,
  idx: number,
): number {
  const num = c.modern ? Math.min(pgcount, c.ptesPerTable - idx) : 1;
  for (let i = 0; i < num; i++) {
    const lo = c.lo(t, table, idx + i);
    if (isLeaf(lo, lvl)) {
      c.warn("arm_lpae_init_pte: already mapped; unmap first", true);
      return EEXIST;
    }
    if (lvl < 3 && (lo & PTE_TYPE_MASK) === PTE_TYPE_TABLE) {
      const sub = iova + i * size;
      const unmapped = c.modern ? unmapModern(c, null, sub, size, 1, lvl, table) : unmapV44(c, null, sub, size, lvl, table);
      if (unmapped !== size) {
        c.warn("arm_lpae_init_pte: could not unmap the table a block replaces", false);
        return EINVAL;
      }
    }
  }
  const lo = attrLo | c.initLo | (lvl === 3 ? PTE_TYPE_PAGE : PTE_TYPE_BLOCK);
  for (let i = 0; i < num; i++) {
    const pa = paddr + i * size;
    c.setPte(t, table, idx + i, (lo | c.addrLo(pa)) >>> 0, (attrHi | c.addrHi(pa)) >>> 0);
  }
  c.mapped += num * size;
  return 0;
}

/**
 * v4.4 unmap of one page or block: clear the entry at the level whose block size is `size`, flushing the walk and
 * freeing the subtree if it was a table, or queueing a leaf invalidation. A larger leaf on the way is split (or the
 * unmap fails when the era does not split). Returns bytes unmapped, 0 on failure.
 *
 * @see drivers/iommu/io-pgtable-arm.c __arm_lpae_unmap
 */
export function unmapV44(
  c: LpaeCore,
  gather: IommuIotlbGather | null,
  iova: number,
  size: number,
  lvl: number,
  table: number,
): number {
  // A page-sized request starts from the cached leaf table when the walk to it is still valid (the root's mirror is
  // then not needed, and the cache already names this leaf: remembering it again would change nothing).
  const leaf = size === c.block[3] && lvl < 3 ? c.leafTableFor(iova) : undefined;
  let t: PgTable | undefined;
  if (leaf !== undefined) {
    t = leaf;
    table = leaf.pa;
    lvl = 3;
  } else t = c.view(table);
  let viaTables = true;
  for (;;) {
    if (lvl === 4) {
      c.warn("__arm_lpae_unmap: ran out of page table", false);
      return 0;
    }
    if (lvl === 3 && t !== undefined && viaTables && t !== leaf) c.rememberLeafTable(iova, t);
    const idx = c.index(iova, lvl);
    const lo = c.lo(t, table, idx);
    const hi = c.hi(t, table, idx);
    if (lo === 0 && hi === 0) {
      c.warn("__arm_lpae_unmap: nothing mapped", true);
      return 0;
    }
    const blkSize = c.block[lvl] as number;
    if (size === blkSize) {
      c.setPte(t, table, idx, 0, 0);
      if (!isLeaf(lo, lvl)) {
        // tlb_add_flush(iova, size, granule, leaf = false) + tlb_sync, then free the tables below.
        c.tlb.tlbFlushWalk(iova, size, c.granule);
        c.tlb.tlbSync?.();
        c.freePgtable(lvl + 1, c.addr(lo, hi));
      } else if (gather !== null) {
        c.tlb.tlbAddPage(gather, iova, size);
      }
      return size;
    }
    if (isLeaf(lo, lvl)) {
      if (c.splitOnUnmap) return splitV44(c, gather, iova, size, lo, hi, lvl, table, t, idx, blkSize);
      c.warn("Unmap of a partial large IOPTE is not allowed", false);
      return 0;
    }
    if ((lo & PTE_TYPE_MASK) !== PTE_TYPE_TABLE) viaTables = false;
    table = c.addr(lo, hi);
    t = c.child(t, idx, table);
    lvl++;
  }
}

/**
 * v4.4 split: build a table mapping the block at the unmap size, skipping the chunk at `iova`, and put it where the
 * block was (an empty entry if the block held only that chunk). Remapping goes through `__arm_lpae_map` from the
 * block's level, so it allocates as deep as the unmap size needs; a failure frees the new table and unmaps nothing.
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_lpae_split_blk_unmap
 */
function splitV44(
  c: LpaeCore,
  gather: IommuIotlbGather | null,
  iova: number,
  size: number,
  blkLo: number,
  blkHi: number,
  lvl: number,
  table: number,
  t: PgTable | undefined,
  idx: number,
  blkSize: number,
): number {
  const protLo = blkLo & PTE_ATTR_LO_MASK;
  const protHi = blkHi & c.attrHiMask;
  const blkBase = iova - (iova % blkSize);
  const blkEnd = blkBase + blkSize;
  let blkPaddr = c.addr(blkLo, blkHi);
  // `table`, the local the kernel maps through as if it were the block's slot.
  let child = -1;
  for (let start = blkBase; start < blkEnd; start += size, blkPaddr += size) {
    if (start === iova) continue;
    let ret: number;
    if (lvl >= 3) {
      c.warn("__arm_lpae_map: no table below level 3 (size is not a page size)", false);
      ret = EINVAL;
    } else {
      if (child < 0) {
        child = c.allocTable(c.granule, lvl + 1);
        if (child < 0) return 0;
      }
      ret = lpaeMap(c, start, blkPaddr, size, 1, protLo, protHi, lvl + 1, child);
    }
    if (ret < 0) {
      if (child >= 0) c.freePgtable(lvl + 1, child);
      return 0;
    }
  }
  if (child >= 0) c.writeTablePte(t, table, idx, child);
  else c.setPte(t, table, idx, 0, 0);
  if (gather !== null) c.tlb.tlbAddPage(gather, blkBase, blkSize);
  return size;
}

/**
 * Modern unmap of `pgcount` pages of `size` (`unmap_pages`): at the level whose block size is `size`, clear up to the
 * end of the table, freeing subtrees (with a walk flush) and queueing leaf invalidations unless a flush queue owns
 * them. A larger leaf on the way is split one level down (v4.13 … v6.12) or the unmap fails (v6.13 on).
 *
 * @see drivers/iommu/io-pgtable-arm.c __arm_lpae_unmap
 */
export function unmapModern(
  c: LpaeCore,
  gather: IommuIotlbGather | null,
  iova: number,
  size: number,
  pgcount: number,
  lvl: number,
  table: number,
): number {
  // A page-sized request starts from the cached leaf table when the walk to it is still valid (the root's mirror is
  // then not needed, and the cache already names this leaf: remembering it again would change nothing).
  const leaf = size === c.block[3] && lvl < 3 ? c.leafTableFor(iova) : undefined;
  let t: PgTable | undefined;
  if (leaf !== undefined) {
    t = leaf;
    table = leaf.pa;
    lvl = 3;
  } else t = c.view(table);
  let viaTables = true;
  for (;;) {
    if (lvl === 4) {
      c.warn("__arm_lpae_unmap: ran out of page table", false);
      return 0;
    }
    if (lvl === 3 && t !== undefined && viaTables && t !== leaf) c.rememberLeafTable(iova, t);
    const idx = c.index(iova, lvl);
    let lo = c.lo(t, table, idx);
    let hi = c.hi(t, table, idx);
    if (lo === 0 && hi === 0) {
      c.warn("__arm_lpae_unmap: nothing mapped", true);
      return 0;
    }
    if (size === c.block[lvl]) {
      const num = Math.min(pgcount, c.ptesPerTable - idx);
      let i = 0;
      while (i < num) {
        if (i > 0) {
          lo = c.lo(t, table, idx + i);
          hi = c.hi(t, table, idx + i);
        }
        if (lo === 0 && hi === 0) {
          c.warn("__arm_lpae_unmap: nothing mapped", true);
          break;
        }
        c.setPte(t, table, idx + i, 0, 0);
        if (!isLeaf(lo, lvl)) {
          c.tlb.tlbFlushWalk(iova + i * size, size, c.granule);
          c.freePgtable(lvl + 1, c.addr(lo, hi));
        } else if (gather !== null && !gather.queued) {
          c.tlb.tlbAddPage(gather, iova + i * size, size);
        }
        i++;
      }
      return i * size;
    }
    if (isLeaf(lo, lvl)) {
      if (c.splitOnUnmap) return splitModern(c, gather, iova, size, pgcount, lo, hi, lvl + 1, table, t, idx);
      c.warn("Unmap of a partial large IOPTE is not allowed", false);
      return 0;
    }
    if ((lo & PTE_TYPE_MASK) !== PTE_TYPE_TABLE) viaTables = false;
    table = c.addr(lo, hi);
    t = c.child(t, idx, table);
    lvl++;
  }
}

/**
 * Modern split (v4.13 … v6.12): a new level-`lvl` table mapping the whole block in next-level entries, except the
 * entries being unmapped when `size` is that level's size; it replaces the block, and otherwise the unmap carries on
 * inside it (splitting again if needed).
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_lpae_split_blk_unmap
 */
function splitModern(
  c: LpaeCore,
  gather: IommuIotlbGather | null,
  iova: number,
  size: number,
  pgcount: number,
  blkLo: number,
  blkHi: number,
  lvl: number,
  parent: number,
  pt: PgTable | undefined,
  pidx: number,
): number {
  if (lvl === 4) {
    c.warn("arm_lpae_split_blk_unmap: below level 3", false);
    return 0;
  }
  const table = c.allocTable(c.granule, lvl);
  if (table < 0) return 0;
  const t = c.view(table);
  const splitSz = c.block[lvl] as number;
  let unmapIdx = -1;
  let num = 0;
  if (size === splitSz) {
    unmapIdx = c.index(iova, lvl);
    num = Math.min(pgcount, c.ptesPerTable - unmapIdx);
  }
  const lo = (blkLo & PTE_ATTR_LO_MASK) | (lvl === 3 ? PTE_TYPE_PAGE : PTE_TYPE_BLOCK);
  const hi = blkHi & c.attrHiMask;
  let pa = c.addr(blkLo, blkHi);
  for (let i = 0; i < c.ptesPerTable; i++, pa += splitSz) {
    if (i >= unmapIdx && i < unmapIdx + num) continue;
    c.setPte(t, table, i, (lo | c.addrLo(pa)) >>> 0, (hi | c.addrHi(pa)) >>> 0);
  }
  c.writeTablePte(pt, parent, pidx, table);
  if (unmapIdx >= 0) {
    if (gather !== null) for (let i = 0; i < num; i++) c.tlb.tlbAddPage(gather, iova + i * size, size);
    return num * size;
  }
  return unmapModern(c, gather, iova, size, pgcount, lvl, table);
}
