/**
 * The IOVA range caches of drivers/iommu/iova.c: per size order (ranges of up to 2^5 pages), a per-CPU pair of
 * magazines (`loaded`, `prev`) in front of a global depot of full magazines. One CPU is modelled. Cached ranges stay
 * allocated in the tree; only the cache decides who gets them next.
 *
 * @see drivers/iommu/iova.c iova_rcache_insert, iova_rcache_get, iova_magazine_pop
 */
import type { IovaDomain } from "./iova-domain";

/** `IOVA_RANGE_CACHE_MAX_SIZE`: orders 0..5 are cached. */
export const IOVA_RANGE_CACHE_MAX_SIZE = 6;

/**
 * The magazine geometry of a kernel generation.
 *
 * - v4.11 … v6.6: `IOVA_MAG_SIZE` 128 and a depot array of `MAX_GLOBAL_MAGS` 32 magazines; a full depot frees the
 *   loaded magazine's ranges back to the tree.
 * - v6.7+ (commit "iommu/iova: Make the rcache depot scale better"): 127 pfns per magazine (a 1 KiB object) and an
 *   unbounded depot list (trimmed by delayed work every 100 ms, not modelled).
 */
export interface IovaRcacheConfig {
  readonly magSize: number;
  /** Depot capacity in magazines; `null` for the unbounded list. */
  readonly depotMax: number | null;
}

/**
 * v6.1's rcache: 128-pfn magazines, a 32-magazine depot.
 *
 * @see drivers/iommu/iova.c IOVA_MAG_SIZE, MAX_GLOBAL_MAGS
 */
export const RCACHE_V6_1: IovaRcacheConfig = { magSize: 128, depotMax: 32 };
/**
 * v6.7+: 127-pfn magazines, unbounded depot.
 *
 * @see drivers/iommu/iova.c IOVA_MAG_SIZE, iova_depot_push
 */
export const RCACHE_V6_7: IovaRcacheConfig = { magSize: 127, depotMax: null };

/** `struct iova_magazine`. */
interface Magazine {
  size: number;
  readonly pfns: number[];
}

interface CpuRcache {
  loaded: Magazine;
  prev: Magazine;
}

interface Rcache {
  readonly cpu: CpuRcache;
  readonly depot: Magazine[];
}

/** `order_base_2(n)`: ceil(log2(n)) (n below 2^31, as cached sizes are). */
function orderBase2(n: number): number {
  return n <= 1 ? 0 : n < 0x80000000 ? 32 - Math.clz32(n - 1) : Math.ceil(Math.log2(n));
}

/**
 * The range caches of one IOVA domain.
 *
 * @see drivers/iommu/iova.c struct iova_rcache, iova_rcache_get, iova_rcache_insert
 */
export class IovaRcaches {
  readonly config: IovaRcacheConfig;
  readonly #iovad: IovaDomain;
  readonly #caches: Rcache[] = [];

  constructor(iovad: IovaDomain, config: IovaRcacheConfig) {
    this.#iovad = iovad;
    this.config = config;
    for (let i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
      this.#caches.push({ cpu: { loaded: this.#newMag(), prev: this.#newMag() }, depot: [] });
    }
  }

  #newMag(): Magazine {
    return { size: 0, pfns: new Array<number>(this.config.magSize).fill(0) };
  }

  /**
   * `iova_rcache_insert(iovad, pfn, size)`: caches a freed range; false when its order is not cached.
   *
   * @see drivers/iommu/iova.c __iova_rcache_insert
   */
  insert(pfn: number, size: number): boolean {
    const order = orderBase2(size);
    if (order >= IOVA_RANGE_CACHE_MAX_SIZE) return false;
    const rcache = this.#caches[order] as Rcache;
    const cpu = rcache.cpu;
    const full = this.config.magSize;
    if (cpu.loaded.size === full) {
      if (cpu.prev.size < full) {
        const t = cpu.prev;
        cpu.prev = cpu.loaded;
        cpu.loaded = t;
      } else {
        const max = this.config.depotMax;
        if (max === null || rcache.depot.length < max) rcache.depot.push(cpu.loaded);
        else this.#freeMagPfns(cpu.loaded);
        cpu.loaded = this.#newMag();
      }
    }
    cpu.loaded.pfns[cpu.loaded.size++] = pfn;
    return true;
  }

  /**
   * `iova_rcache_get(iovad, size, limit_pfn)`: a cached range of this order ending below `limitPfn` (exclusive), or 0.
   * A magazine is searched from its top for the first pfn <= `limitPfn - size`, which is swapped out.
   *
   * @see drivers/iommu/iova.c __iova_rcache_get, iova_magazine_pop
   */
  get(size: number, limitPfn: number): number {
    const order = orderBase2(size);
    if (order >= IOVA_RANGE_CACHE_MAX_SIZE) return 0;
    const rcache = this.#caches[order] as Rcache;
    const cpu = rcache.cpu;
    if (cpu.loaded.size === 0) {
      if (cpu.prev.size > 0) {
        const t = cpu.prev;
        cpu.prev = cpu.loaded;
        cpu.loaded = t;
      } else {
        const mag = rcache.depot.pop();
        if (mag === undefined) return 0;
        cpu.loaded = mag;
      }
    }
    const mag = cpu.loaded;
    const limit = limitPfn - size;
    let i = mag.size - 1;
    while ((mag.pfns[i] as number) > limit) {
      if (i === 0) return 0;
      i -= 1;
    }
    const pfn = mag.pfns[i] as number;
    mag.pfns[i] = mag.pfns[--mag.size] as number;
    return pfn;
  }

  /** `iova_magazine_free_pfns`: the magazine's ranges go back to the tree. */
  #freeMagPfns(mag: Magazine): void {
    for (let i = 0; i < mag.size; i++) this.#iovad.freeIova(mag.pfns[i] as number);
    mag.size = 0;
  }

  /**
   * `free_cpu_cached_iovas` + `free_global_cached_iovas`: every cached range back to the tree (what `alloc_iova_fast`
   * does before its last try).
   *
   * @see drivers/iommu/iova.c free_cpu_cached_iovas, free_global_cached_iovas
   */
  freeAll(): void {
    for (const rcache of this.#caches) {
      this.#freeMagPfns(rcache.cpu.loaded);
      this.#freeMagPfns(rcache.cpu.prev);
      for (const mag of rcache.depot) this.#freeMagPfns(mag);
      rcache.depot.length = 0;
    }
  }

  /** Cached pfns per order (loaded, prev, then depot magazines), for tests and leak accounting. */
  cached(order: number): number[] {
    const rcache = this.#caches[order];
    if (rcache === undefined) return [];
    const out: number[] = [];
    for (const mag of [rcache.cpu.loaded, rcache.cpu.prev, ...rcache.depot]) out.push(...mag.pfns.slice(0, mag.size));
    return out;
  }

  /** Magazines in the depot of `order`. */
  depotSize(order: number): number {
    return this.#caches[order]?.depot.length ?? 0;
  }
}
