/**
 * The IOTLB, keyed as QEMU keys it (smmuv3-model.md §5.5): (ASID, VMID, IOVA aligned to the entry's size, TG, level),
 * capped at 256 entries with a flush of everything when an insert finds it full, and invalidated by the predicates of
 * every TLBI form.
 *
 * Layout: one {@link IotlbSpace} per (ASID, VMID, TG) holds a map per level keyed by `iova / levelSize`. That is the
 * same key set as QEMU's single hash table, so hits, misses, capacity flushes and invalidations give the same results;
 * a lookup probes levels start..3 like `smmu_iotlb_lookup_all_levels` but skips levels that hold no entry, so the
 * common Linux case (all 4K pages) is one `Map.get`.
 *
 * @see hw/arm/smmu-common.c smmu_iotlb_lookup, smmu_iotlb_insert, smmu_iotlb_inv_*
 */
import type { TranslateOutcome } from "@dmasim/machine";

/**
 * SMMU_IOTLB_MAX_SIZE.
 *
 * @see include/hw/arm/smmu-common.h SMMU_IOTLB_MAX_SIZE
 */
export const IOTLB_MAX_SIZE = 256;

/**
 * One cached translation (QEMU `SMMUTLBEntry`).
 *
 * @see include/hw/arm/smmu-common.h SMMUTLBEntry
 */
export interface IotlbEntry {
  /** Input address aligned to {@link IotlbEntry.size} (QEMU `entry.iova`). */
  readonly iova: number;
  /** Bytes covered: `addr_mask + 1` (page or block size of {@link IotlbEntry.level}). */
  readonly size: number;
  /** Output address of the first byte (QEMU `translated_addr`). */
  readonly pa: number;
  /** Stage-1 write permission (AP[2] = 0). Reads are always permitted. */
  readonly writable: boolean;
  readonly level: number;
  readonly granuleShift: number;
  /** The last input address translated through this entry, and its outcome (reused while it repeats). */
  lastIova: number;
  lastOutcome: TranslateOutcome | null;
}

/** The entries of one (ASID, VMID, TG). */
export interface IotlbSpace {
  readonly asid: number;
  /** -1 when stage 2 is not implemented (QEMU). */
  readonly vmid: number;
  /** TG: (granule shift - 10) / 2. */
  readonly tg: number;
  readonly granuleShift: number;
  /** Bytes per entry at levels 0..3. */
  readonly levelSize: readonly number[];
  /** Per level: block number → entry. */
  readonly maps: readonly Map<number, IotlbEntry>[];
  /** Entries per level (so empty levels are not probed). */
  readonly counts: number[];
  /** Entries at levels 0..2 (blocks); while 0 a lookup is a single probe of level 3. */
  blockEntries: number;
  /** `maps[3]` and `levelSize[3]`, for that single probe. */
  readonly pageMap: Map<number, IotlbEntry>;
  readonly pageSize: number;
}

/** A dropped entry, for traces. */
export interface IotlbDropped {
  readonly asid: number;
  readonly iova: number;
  readonly size: number;
  readonly level: number;
}

/**
 * The map key of the entry of `size` bytes covering `iova`: the block number, as a small integer whenever it fits
 * (so the hot path does not box a heap number).
 */
export function blockKey(iova: number, size: number): number {
  const q = iova / size;
  return q < 2147483648 ? q | 0 : Math.floor(q);
}

/** `level_shift(level, granule)` in QEMU: `g + (3 - level) × (g - 3)`. */
export function levelShift(level: number, granuleShift: number): number {
  return granuleShift + (3 - level) * (granuleShift - 3);
}

/**
 * The IOTLB of one SMMU.
 *
 * @see hw/arm/smmu-common.c smmu_iotlb_lookup, smmu_iotlb_insert
 */
export class Iotlb {
  readonly #spaces = new Map<number, IotlbSpace>();
  #size = 0;

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /** The space for (ASID, VMID, granule), created empty on first use and kept for the SMMU's lifetime. */
  space(asid: number, vmid: number, granuleShift: number): IotlbSpace {
    const tg = (granuleShift - 10) / 2;
    const key = (asid * 0x20000 + (vmid + 1)) * 4 + tg;
    let s = this.#spaces.get(key);
    if (s === undefined) {
      const levelSize = [0, 1, 2, 3].map((l) => 2 ** levelShift(l, granuleShift));
      const pageMap = new Map<number, IotlbEntry>();
      s = {
        asid,
        vmid,
        tg,
        granuleShift,
        levelSize,
        maps: [new Map(), new Map(), new Map(), pageMap],
        counts: [0, 0, 0, 0],
        blockEntries: 0,
        pageMap,
        pageSize: 2 ** granuleShift,
      };
      this.#spaces.set(key, s);
    }
    return s;
  }

  /**
   * The first entry covering `iova`, probing levels `startLevel`..3 (QEMU `smmu_iotlb_lookup_all_levels`).
   */
  lookup(space: IotlbSpace, startLevel: number, iova: number): IotlbEntry | undefined {
    if (space.blockEntries === 0) {
      const q = iova / space.pageSize;
      return space.pageMap.get(q < 2147483648 ? q | 0 : Math.floor(q));
    }
    const counts = space.counts;
    for (let level = startLevel; level <= 3; level++) {
      if (counts[level] === 0) continue;
      const e = space.maps[level]?.get(blockKey(iova, space.levelSize[level] ?? 1));
      if (e !== undefined) return e;
    }
    return undefined;
  }

  /**
   * Inserts a walk result. If the table already holds {@link IOTLB_MAX_SIZE} entries everything is flushed first and
   * the number flushed returned (0 otherwise).
   */
  insert(space: IotlbSpace, entry: IotlbEntry): number {
    let flushed = 0;
    if (this.#size >= IOTLB_MAX_SIZE) flushed = this.#clear();
    const map = space.maps[entry.level];
    if (map === undefined) return flushed;
    const before = map.size;
    map.set(blockKey(entry.iova, entry.size), entry);
    if (map.size !== before) {
      this.#size++;
      space.counts[entry.level] = (space.counts[entry.level] ?? 0) + 1;
      if (entry.level < 3) space.blockEntries++;
    }
    return flushed;
  }

  /** Every entry (CMD_TLBI_NSNH_ALL, CMD_TLBI_NH_ALL without stage 2, capacity flush). */
  invalidateAll(): IotlbDropped[] {
    return this.#remove(() => true, () => true);
  }

  /** Entries of (ASID, VMID) (QEMU `smmu_iotlb_inv_asid` / `_asid_vmid`). */
  invalidateAsid(asid: number, vmid: number): IotlbDropped[] {
    return this.#remove((s) => s.asid === asid && s.vmid === vmid, () => true);
  }

  /** Entries of a VMID; with `stage1Only`, only those with an ASID (QEMU `smmu_iotlb_inv_vmid(_s1)`). */
  invalidateVmid(vmid: number, stage1Only: boolean): IotlbDropped[] {
    return this.#remove((s) => s.vmid === vmid && (!stage1Only || s.asid >= 0), () => true);
  }

  /**
   * One power-of-two chunk of a VA invalidation (QEMU `smmu_iotlb_inv_iova`). `asid`/`vmid` < 0 match any.
   * With TTL != 0, one page and an ASID, the exact key is tried first; otherwise (or if absent) every entry that
   * covers `iova`, or lies inside `[iova, iova + numPages << granule)`, is dropped.
   */
  invalidateRange(asid: number, vmid: number, iova: number, tg: number, numPages: number, ttl: number): IotlbDropped[] {
    const granuleShift = tg !== 0 ? tg * 2 + 10 : 12;
    if (ttl !== 0 && numPages === 1 && asid >= 0) {
      const space = this.#spaces.get((asid * 0x20000 + (vmid + 1)) * 4 + tg);
      const size = space?.levelSize[ttl];
      if (space !== undefined && size !== undefined && iova % size === 0) {
        const map = space.maps[ttl];
        const e = map?.get(blockKey(iova, size));
        if (map !== undefined && e !== undefined) {
          map.delete(blockKey(iova, size));
          space.counts[ttl] = (space.counts[ttl] ?? 1) - 1;
          if (ttl < 3) space.blockEntries--;
          this.#size--;
          return [{ asid: space.asid, iova: e.iova, size: e.size, level: e.level }];
        }
      }
    }
    const invSize = numPages * 2 ** granuleShift;
    return this.#remove(
      (s) => (asid < 0 || s.asid === asid) && (vmid < 0 || s.vmid === vmid),
      (e) => iova - (iova % e.size) === e.iova || e.iova - (e.iova % invSize) === iova,
    );
  }

  /** Every entry, ordered by (ASID, IOVA, level): for tests and reports. */
  entries(): (IotlbEntry & { readonly asid: number; readonly vmid: number })[] {
    const out: (IotlbEntry & { asid: number; vmid: number })[] = [];
    for (const s of this.#spaces.values()) {
      for (const m of s.maps) for (const e of m.values()) out.push({ ...e, asid: s.asid, vmid: s.vmid });
    }
    return out.sort((a, b) => a.asid - b.asid || a.iova - b.iova || a.level - b.level);
  }

  /** Drops everything without listing it (the capacity flush); returns how many entries went. */
  #clear(): number {
    const n = this.#size;
    for (const s of this.#spaces.values()) {
      for (let level = 0; level < 4; level++) {
        if (s.counts[level] === 0) continue;
        s.maps[level]?.clear();
        s.counts[level] = 0;
      }
      s.blockEntries = 0;
    }
    this.#size = 0;
    return n;
  }

  #remove(spacePred: (s: IotlbSpace) => boolean, entryPred: (e: IotlbEntry) => boolean): IotlbDropped[] {
    const dropped: IotlbDropped[] = [];
    if (this.#size === 0) return dropped;
    for (const s of this.#spaces.values()) {
      if (!spacePred(s)) continue;
      for (let level = 0; level < 4; level++) {
        const map = s.maps[level];
        if (map === undefined || s.counts[level] === 0) continue;
        for (const [key, e] of map) {
          if (!entryPred(e)) continue;
          map.delete(key);
          dropped.push({ asid: s.asid, iova: e.iova, size: e.size, level });
        }
        s.counts[level] = map.size;
      }
      s.blockEntries = (s.counts[0] ?? 0) + (s.counts[1] ?? 0) + (s.counts[2] ?? 0);
    }
    this.#size -= dropped.length;
    return dropped.sort((a, b) => a.asid - b.asid || a.iova - b.iova || a.level - b.level);
  }
}
