/**
 * The IOVA allocator of drivers/iommu/iova.c (the 6.1 file): a sorted set of allocated ranges (the kernel's rbtree;
 * here an array kept in pfn order, which has the same `rb_prev`/`rb_next` neighbours), an anchor node above the
 * top of the address space, top-down allocation below a limit starting from a cached node (one for 32-bit limits,
 * one above), size alignment for `alloc_iova(..., size_aligned)`, `reserve_iova` and the per-size range caches
 * (`rcache.ts`). All pfns are plain numbers.
 *
 * @see drivers/iommu/iova.c
 */
import { IovaRcaches, type IovaRcacheConfig } from "./rcache";

/**
 * `struct iova`: one allocated (or reserved) range of page frames, inclusive.
 *
 * @see include/linux/iova.h struct iova
 */
export interface IovaRange {
  pfnLo: number;
  pfnHi: number;
}

/** `IOVA_ANCHOR` (`~0UL`): the anchor's pfn, above anything the model can allocate. */
export const IOVA_ANCHOR = Number.MAX_SAFE_INTEGER;

/** `fls_long(x)`: 1-based index of the highest set bit, 0 for 0. */
function flsLong(x: number): number {
  return x <= 0 ? 0 : Math.floor(Math.log2(x)) + 1;
}

/**
 * `struct iova_domain`.
 *
 * @see drivers/iommu/iova.c init_iova_domain
 */
export class IovaDomain {
  /** `granule`: the IOVA page size (the smallest IOMMU page size). */
  readonly granule: number;
  /** `iova_shift(iovad)`. */
  readonly shift: number;
  /** `start_pfn`: lowest allocatable pfn (at least 1, so IOVA 0 stays invalid). */
  readonly startPfn: number;
  /** `dma_32bit_pfn`: the first pfn above 4 GiB. */
  readonly dma32bitPfn: number;
  /** `max32_alloc_size`: the smallest size known not to fit below 4 GiB (cleared by any free there). */
  max32AllocSize: number;
  /** The ranges in ascending pfn order; the anchor is always last. */
  readonly #nodes: IovaRange[];
  readonly #anchor: IovaRange = { pfnLo: IOVA_ANCHOR, pfnHi: IOVA_ANCHOR };
  #cachedNode: IovaRange;
  #cached32Node: IovaRange;
  /** The range caches (`iova_domain_init_rcaches`), or null when the era allocates without them. */
  readonly rcaches: IovaRcaches | null;

  /**
   * `init_iova_domain(iovad, granule, start_pfn)`, plus `iova_domain_init_rcaches` when `rcache` is given.
   *
   * @see drivers/iommu/iova.c init_iova_domain, iova_domain_init_rcaches
   */
  constructor(granule: number, startPfn: number, rcache: IovaRcacheConfig | null = null) {
    if (!Number.isInteger(granule) || granule <= 0 || (granule & (granule - 1)) !== 0 || granule > 0x10000) {
      throw new RangeError(`IOVA granule ${granule} is not a power of two <= 64K`);
    }
    this.granule = granule;
    this.shift = Math.log2(granule);
    this.startPfn = startPfn;
    this.dma32bitPfn = 2 ** (32 - this.shift);
    this.max32AllocSize = this.dma32bitPfn;
    this.#nodes = [this.#anchor];
    this.#cachedNode = this.#anchor;
    this.#cached32Node = this.#anchor;
    this.rcaches = rcache === null ? null : new IovaRcaches(this, rcache);
  }

  /** `iova_offset(iovad, addr)` (no `%`: a float modulo is a libm call). */
  offset(addr: number): number {
    return addr - Math.floor(addr / this.granule) * this.granule;
  }

  /** `iova_align(iovad, size)`. */
  align(size: number): number {
    return Math.ceil(size / this.granule) * this.granule;
  }

  /** `iova_pfn(iovad, addr)`. */
  pfn(addr: number): number {
    return Math.floor(addr / this.granule);
  }

  /** The allocated and reserved ranges in ascending order, without the anchor (a copy). */
  ranges(): IovaRange[] {
    return this.#nodes.slice(0, -1).map((n) => ({ pfnLo: n.pfnLo, pfnHi: n.pfnHi }));
  }

  /** How many ranges are in the tree (without the anchor). */
  get size(): number {
    return this.#nodes.length - 1;
  }

  /** Index of `node` in the sorted array (nodes have distinct `pfnLo`). */
  #indexOf(node: IovaRange): number {
    let lo = 0;
    let hi = this.#nodes.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.#nodes[mid] as IovaRange;
      if (m === node) return mid;
      if (m.pfnLo < node.pfnLo) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new Error(`iova range [${node.pfnLo}, ${node.pfnHi}] is not in the tree`);
  }

  /** First index whose `pfnLo` is >= `pfn`. */
  #lowerBound(pfn: number): number {
    let lo = 0;
    let hi = this.#nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#nodes[mid] as IovaRange).pfnLo < pfn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** `__get_cached_rbnode`. @see drivers/iommu/iova.c __get_cached_rbnode */
  #cachedFor(limitPfn: number): IovaRange {
    return limitPfn <= this.dma32bitPfn ? this.#cached32Node : this.#cachedNode;
  }

  /** `__cached_rbnode_insert_update`. */
  #cachedInsertUpdate(node: IovaRange): void {
    if (node.pfnHi < this.dma32bitPfn) this.#cached32Node = node;
    else this.#cachedNode = node;
  }

  /** `__cached_rbnode_delete_update`, called before `node` (at `index`) leaves the tree. */
  #cachedDeleteUpdate(node: IovaRange, index: number): void {
    const next = this.#nodes[index + 1] as IovaRange; // the anchor at worst
    const c32 = this.#cached32Node;
    if (node === c32 || (node.pfnHi < this.dma32bitPfn && node.pfnLo >= c32.pfnLo)) this.#cached32Node = next;
    if (node.pfnLo < this.dma32bitPfn) this.max32AllocSize = this.dma32bitPfn;
    if (node.pfnLo >= this.#cachedNode.pfnLo) this.#cachedNode = next;
  }

  /**
   * `iova_find_limit`: where a retry from the top of the limit starts. The kernel returns the anchor for limits above
   * 4 GiB and otherwise descends the tree to the first range at or above the limit; the array's lower bound is the
   * same node up to a range straddling the limit, from which the walk continues identically.
   *
   * @see drivers/iommu/iova.c iova_find_limit
   */
  #findLimit(limitPfn: number): number {
    if (limitPfn > this.dma32bitPfn) return this.#nodes.length - 1;
    return this.#lowerBound(limitPfn);
  }

  /**
   * `__alloc_and_insert_iova_range(iovad, size, limit_pfn + 1, new, size_aligned)`: walk down from the cached node
   * for the first gap of `size` below `limitPfn` (exclusive), aligned to the next power of two when asked; on failure
   * retry once from the limit down to where the first walk started; then give up and remember the size in
   * `max32_alloc_size`.
   *
   * @see drivers/iommu/iova.c __alloc_and_insert_iova_range
   */
  #allocAndInsert(size: number, limitPfn: number, sizeAligned: boolean): IovaRange | null {
    const align = sizeAligned ? 2 ** flsLong(size - 1) : 1;
    let highPfn = limitPfn;
    let lowPfn = this.startPfn;
    if (limitPfn <= this.dma32bitPfn && size >= this.max32AllocSize) return null;
    let curIndex = this.#indexOf(this.#cachedFor(limitPfn));
    const retryPfn = (this.#nodes[curIndex] as IovaRange).pfnHi;
    let newPfn = 0;
    let prevIndex = curIndex;
    for (let retried = false; ; retried = true) {
      for (;;) {
        const cur = this.#nodes[curIndex] as IovaRange;
        highPfn = Math.min(highPfn, cur.pfnLo);
        newPfn = highPfn >= size ? Math.floor((highPfn - size) / align) * align : -1;
        prevIndex = curIndex;
        curIndex -= 1;
        if (curIndex < 0) break;
        const below = this.#nodes[curIndex] as IovaRange;
        if (!(newPfn <= below.pfnHi && newPfn >= lowPfn)) break;
      }
      if (highPfn >= size && newPfn >= lowPfn) break;
      if (!retried && lowPfn === this.startPfn && retryPfn < limitPfn) {
        highPfn = limitPfn;
        lowPfn = retryPfn + 1;
        curIndex = this.#findLimit(limitPfn);
        continue;
      }
      this.max32AllocSize = size;
      return null;
    }
    const node: IovaRange = { pfnLo: newPfn, pfnHi: newPfn + size - 1 };
    // The new range sits just below nodes[prevIndex] (the kernel inserts starting from `prev`).
    this.#nodes.splice(prevIndex, 0, node);
    this.#cachedInsertUpdate(node);
    return node;
  }

  /**
   * `alloc_iova(iovad, size, limit_pfn, size_aligned)`: a range of `size` pfns ending at or below `limitPfn`
   * (inclusive), searched top-down; `null` when none fits.
   *
   * @see drivers/iommu/iova.c alloc_iova
   */
  allocIova(size: number, limitPfn: number, sizeAligned: boolean): IovaRange | null {
    if (!Number.isInteger(size) || size <= 0) return null;
    return this.#allocAndInsert(size, limitPfn + 1, sizeAligned);
  }

  /**
   * `find_iova(iovad, pfn)`: the range containing `pfn`.
   *
   * @see drivers/iommu/iova.c private_find_iova
   */
  findIova(pfn: number): IovaRange | null {
    const i = this.#lowerBound(pfn + 1) - 1;
    if (i < 0) return null;
    const n = this.#nodes[i] as IovaRange;
    return n !== this.#anchor && pfn <= n.pfnHi ? n : null;
  }

  /**
   * `__free_iova` / `private_free_iova`: removes `node` from the tree.
   *
   * @see drivers/iommu/iova.c private_free_iova
   */
  freeRange(node: IovaRange): void {
    const index = this.#indexOf(node);
    this.#cachedDeleteUpdate(node, index);
    this.#nodes.splice(index, 1);
  }

  /**
   * `free_iova(iovad, pfn)`: frees the range containing `pfn`; returns whether there was one.
   *
   * @see drivers/iommu/iova.c free_iova
   */
  freeIova(pfn: number): boolean {
    const node = this.findIova(pfn);
    if (node === null) return false;
    this.freeRange(node);
    return true;
  }

  /**
   * `reserve_iova(iovad, pfn_lo, pfn_hi)`: marks `[pfnLo, pfnHi]` as never allocatable, merging into ranges it
   * overlaps exactly as the kernel's walk does (extending the first overlapping range downwards, inserting what is
   * left above the last one).
   *
   * @see drivers/iommu/iova.c reserve_iova
   */
  reserveIova(pfnLo: number, pfnHi: number): IovaRange | null {
    if (pfnLo > pfnHi || pfnHi >= IOVA_ANCHOR) return null;
    let lo = pfnLo;
    const hi = pfnHi;
    let overlap = false;
    for (let i = 0; i < this.#nodes.length; i++) {
      const n = this.#nodes[i] as IovaRange;
      if (lo <= n.pfnHi && hi >= n.pfnLo) {
        if (lo < n.pfnLo) n.pfnLo = lo; // __adjust_overlap_range
        if (hi > n.pfnHi) lo = n.pfnHi + 1;
        if (lo >= n.pfnLo && hi <= n.pfnHi) return n;
        overlap = true;
      } else if (overlap) break;
    }
    const node: IovaRange = { pfnLo: lo, pfnHi: hi };
    this.#nodes.splice(this.#lowerBound(lo), 0, node);
    return node;
  }

  /**
   * `alloc_iova_fast(iovad, size, limit_pfn, flush_rcache)`: a range cache first, then the tree (size-aligned); on
   * failure, optionally return every cached range to the tree and retry once. Returns the first pfn, or 0.
   *
   * @see drivers/iommu/iova.c alloc_iova_fast
   */
  allocIovaFast(size: number, limitPfn: number, flushRcache: boolean): { pfn: number; from: "rcache" | "tree" } | null {
    const pfn = this.allocIovaFastPfn(size, limitPfn, flushRcache);
    return pfn === 0 ? null : { pfn, from: this.lastAllocFrom };
  }

  /**
   * Where the last successful {@link allocIovaFastPfn} found its range (for the `iova-alloc` trace event).
   */
  lastAllocFrom: "rcache" | "tree" = "tree";

  /**
   * {@link allocIovaFast} without a result object: the first pfn, or 0 (pfn 0 is never handed out: `start_pfn >= 1`);
   * where it came from is left in {@link lastAllocFrom}.
   *
   * @see drivers/iommu/iova.c alloc_iova_fast
   */
  allocIovaFastPfn(size: number, limitPfn: number, flushRcache: boolean): number {
    if (this.rcaches !== null) {
      const cached = this.rcaches.get(size, limitPfn + 1);
      if (cached !== 0) {
        this.lastAllocFrom = "rcache";
        return cached;
      }
    }
    let flush = flushRcache;
    for (;;) {
      const node = this.allocIova(size, limitPfn, true);
      if (node !== null) {
        this.lastAllocFrom = "tree";
        return node.pfnLo;
      }
      if (!flush || this.rcaches === null) return 0;
      flush = false;
      this.rcaches.freeAll();
    }
  }

  /**
   * `free_iova_fast(iovad, pfn, size)`: into a range cache if one takes it, else back to the tree. Returns where
   * it went.
   *
   * @see drivers/iommu/iova.c free_iova_fast
   */
  freeIovaFast(pfn: number, size: number): "rcache" | "tree" {
    if (this.rcaches !== null && this.rcaches.insert(pfn, size)) return "rcache";
    this.freeIova(pfn);
    return "tree";
  }
}
