/**
 * The state one set of LPAE tables shares between the map, unmap and walk algorithms: where the tables live, the
 * per-level geometry as flat arrays, and the descriptor accessors. Internal to io-pgtable-arm.
 *
 * The tables live in simulated RAM, where the SMMU walks them. The kernel reads its own tables through the CPU; here
 * that view is a write-through mirror of each table frame this io-pgtable allocated ({@link PgTable}): every
 * descriptor write goes to RAM and to the mirror, and reads of owned tables come from the mirror. Reads anywhere else
 * (v4.4 walking into a block's memory, a descriptor pointing at memory it does not own) go to RAM. The one thing the
 * mirror does not see is a write to table memory by anyone but io-pgtable (a DMA into a page-table page); nothing in
 * the modelled kernel or SMMU (no HTTU) does that.
 */
import { Errno } from "@dmasim/driver-core";
import type { FrameAllocator, PhysicalMemoryPort } from "@dmasim/machine";
import type { ArmLpaeGeometry } from "./geometry";
import { IoPgtableQuirk } from "./prot";
import {
  PTE_ADDR_HI_MASK,
  PTE_ATTR_HI_MASK_MODERN,
  PTE_ATTR_HI_MASK_V44,
  PTE_NSTABLE_HI,
  PTE_SW_SYNC_HI,
  PTE_TYPE_TABLE,
  initPteLoBits,
  isLeaf,
} from "./pte";
import type { IoPgtableDeps, IoPgtableEra, IoPgtableTlbOps } from "./types";

const TWO_32 = 0x1_0000_0000;
const TWO_48 = 0x1_0000_0000_0000;

/** -EINVAL: a size that is not a page size, a bad argument. */
export const EINVAL = -Errno.EINVAL;
/** -ENOMEM: no frame for a table. */
export const ENOMEM = -Errno.ENOMEM;
/** -EEXIST: a leaf already maps part of the range. */
export const EEXIST = -Errno.EEXIST;
/** -ERANGE: IOVA beyond the IAS or PA beyond the OAS (modern kernels). */
export const ERANGE = -Errno.ERANGE;

/** Internal: one set of tables in simulated RAM plus everything the algorithms need to walk them. */
export class LpaeCore {
  readonly mem: PhysicalMemoryPort;
  readonly frames: FrameAllocator;
  readonly tlb: IoPgtableTlbOps;
  readonly owner: string;
  readonly warnHook: ((message: string) => void) | undefined;
  readonly modern: boolean;
  readonly splitOnUnmap: boolean;
  readonly quirks: number;
  readonly startLevel: number;
  readonly granule: number;
  readonly pgdSize: number;
  readonly ptesPerTable: number;
  readonly div: readonly number[];
  readonly mask: readonly number[];
  readonly block: readonly number[];
  /** v4.4 installs a leaf only where the block size is in the bitmap; modern checks the bitmap on entry instead. */
  readonly leafOk: readonly boolean[];
  /** Output-address bits kept in the low word: [31:pg_shift] in v4.4, [31:12] in modern kernels. */
  readonly oaLoMask: number;
  /** Modern 64K granule: descriptor bits [15:12] hold OA[51:48] (`iopte_to_paddr`). */
  readonly fold52: boolean;
  /** Bits v4.4's `arm_lpae_init_pte` adds to every leaf. */
  readonly initLo: number;
  readonly attrHiMask: number;
  readonly tableHi: number;
  readonly pgsizeBitmap: number;
  readonly ias: number;
  readonly oas: number;
  pgd = -1;
  /** Table frames this io-pgtable allocated and has not freed, by frame number (PA / 4 KiB: small-integer keys). */
  readonly tables = new Map<number, PgTable>();
  /** Scratch output of the map walk: bytes mapped by the last leaf run (`*mapped`). */
  mapped = 0;
  /**
   * Bumped by every write that can change a walk's path: a descriptor in a table above level 3, a write outside the
   * owned tables, a table freed. Guards {@link leafTableFor}.
   */
  #pathGen = 0;
  #leafKey = -1;
  #leafGen = -1;
  #leafTable: PgTable | undefined = undefined;

  constructor(deps: IoPgtableDeps, geo: ArmLpaeGeometry, era: IoPgtableEra, cfg: CoreCfg) {
    this.mem = deps.memory;
    this.frames = deps.frames;
    this.tlb = deps.tlb;
    this.owner = deps.owner ?? "io-pgtable";
    this.warnHook = deps.warn;
    this.modern = era.pteBits === "modern";
    this.splitOnUnmap = era.splitBlockOnUnmap;
    this.quirks = cfg.quirks;
    this.pgsizeBitmap = cfg.pgsizeBitmap;
    this.ias = cfg.ias;
    this.oas = cfg.oas;
    this.startLevel = geo.startLevel;
    this.granule = geo.granule;
    this.pgdSize = geo.pgdSize;
    this.ptesPerTable = geo.ptesPerTable;
    this.div = geo.levelDiv;
    this.mask = geo.levelMask;
    this.block = geo.blockSize;
    this.leafOk = geo.blockSize.map((s) => this.modern || hasSize(cfg.pgsizeBitmap, s));
    this.oaLoMask = (this.modern ? ~0xfff : ~(geo.granule - 1)) >>> 0;
    this.fold52 = this.modern && geo.granule === 0x1_0000;
    this.initLo = initPteLoBits(this.modern, cfg.quirks);
    this.attrHiMask = this.modern ? PTE_ATTR_HI_MASK_MODERN : PTE_ATTR_HI_MASK_V44;
    // Modern kernels mark a table descriptor they installed and cleaned for a non-coherent walker with the software
    // bit 55 (ARM_LPAE_PTE_SW_SYNC, `arm_lpae_install_table`).
    this.tableHi =
      ((cfg.quirks & IoPgtableQuirk.ARM_NS) !== 0 ? PTE_NSTABLE_HI : 0) |
      (this.modern && !cfg.coherentWalk ? PTE_SW_SYNC_HI : 0);
  }

  /** Index of `iova`'s entry in a level-`lvl` table. */
  index(iova: number, lvl: number): number {
    return (iova / (this.div[lvl] as number)) & (this.mask[lvl] as number);
  }

  /** One 32-bit half of a descriptor in RAM; an unbacked address reads as 0 (the walk then sees an empty entry). */
  rd(pa: number): number {
    const v = this.mem.read32(pa);
    return v < 0 ? 0 : v;
  }

  /** The table this io-pgtable owns at `pa`, if any. */
  view(pa: number): PgTable | undefined {
    return this.tables.get(pa / 0x1000);
  }

  /**
   * The owned table at `pa`, which entry `idx` of `t` points to: the mirror's child link when it still matches (the
   * CPU following its own pointer), else a lookup.
   */
  child(t: PgTable | undefined, idx: number, pa: number): PgTable | undefined {
    if (t !== undefined && t.next !== null && idx < t.entries) {
      const c = t.next[idx];
      if (c !== undefined && c.pa === pa) return c;
    }
    return this.tables.get(pa / 0x1000);
  }

  /** Low word of entry `idx` of the table at `pa` (`t` = its mirror when owned). */
  lo(t: PgTable | undefined, pa: number, idx: number): number {
    if (t !== undefined && idx < t.entries) return t.words[idx * 2] as number;
    return this.rd(pa + idx * 8);
  }

  /** High word of entry `idx` of the table at `pa`. */
  hi(t: PgTable | undefined, pa: number, idx: number): number {
    if (t !== undefined && idx < t.entries) return t.words[idx * 2 + 1] as number;
    return this.rd(pa + idx * 8 + 4);
  }

  /**
   * `__arm_lpae_set_pte`: store entry `idx` of the table at `pa` as its two halves, in RAM (the walker's view) and in
   * the mirror of whichever owned table the address falls in.
   */
  setPte(t: PgTable | undefined, pa: number, idx: number, lo: number, hi: number): void {
    const ptep = pa + idx * 8;
    // An aligned descriptor has both halves in one page: store them straight into it when the memory
    // offers that (the same bytes two write32 calls would store).
    const page = (ptep & 7) === 0 ? (this.mem.pageWords?.(ptep, true) ?? null) : null;
    if (page !== null) {
      const w = (ptep & 0xfff) >>> 2;
      page[w] = lo;
      page[w + 1] = hi;
    } else {
      this.mem.write32(ptep, lo);
      this.mem.write32(ptep + 4, hi);
    }
    if (t !== undefined && idx < t.entries) {
      t.words[idx * 2] = lo;
      t.words[idx * 2 + 1] = hi;
      if (t.next !== null) t.next[idx] = undefined;
      if (t.level < 3) this.#pathGen++;
    } else {
      this.#pathGen++;
      this.#mirrorStray(ptep, lo, hi);
    }
  }

  /**
   * The level-3 table the last page-sized walk through `iova`'s region reached, if no descriptor above level 3 has
   * changed since: the walk down to it would only follow table descriptors, so a page-sized map or unmap may start
   * there (the CPU's own caches make the kernel's repeated walk cheap; this is the model's equivalent).
   */
  leafTableFor(iova: number): PgTable | undefined {
    if (this.#leafGen === this.#pathGen && this.#leafKey === Math.floor(iova / (this.block[2] as number))) {
      return this.#leafTable;
    }
    return undefined;
  }

  /** Records that a walk for `iova` reached the owned level-3 table `t`. */
  rememberLeafTable(iova: number, t: PgTable): void {
    this.#leafKey = Math.floor(iova / (this.block[2] as number));
    this.#leafGen = this.#pathGen;
    this.#leafTable = t;
  }

  /** A descriptor write outside the table it was meant for (v4.4 only) may still land in a table we own. */
  #mirrorStray(ptep: number, lo: number, hi: number): void {
    for (const align of [0x1000, 0x4000, 0x1_0000]) {
      const base = ptep - (ptep % align);
      const t = this.tables.get(base / 0x1000);
      if (t !== undefined && ptep + 8 <= base + t.entries * 8) {
        const idx = (ptep - base) / 8;
        t.words[idx * 2] = lo >>> 0;
        t.words[idx * 2 + 1] = hi >>> 0;
        if (t.next !== null) t.next[idx] = undefined;
        return;
      }
    }
  }

  /** The output (or next-table) address a descriptor holds (`iopte_deref` / `iopte_to_paddr`). */
  addr(lo: number, hi: number): number {
    const pa = (hi & PTE_ADDR_HI_MASK) * TWO_32 + ((lo & this.oaLoMask) >>> 0);
    if (!this.fold52) return pa;
    return (pa - (lo & 0xf000)) + ((lo >>> 12) & 0xf) * TWO_48;
  }

  /** Low word of a descriptor pointing at `pa` (`paddr_to_iopte` / `pfn_to_iopte`). */
  addrLo(pa: number): number {
    return (pa >>> 0) & this.oaLoMask;
  }

  /** High word of a descriptor pointing at `pa`. */
  addrHi(pa: number): number {
    return (pa / TWO_32) & PTE_ADDR_HI_MASK;
  }

  /** Low word of a table descriptor for the table at `pa`. */
  tableLo(pa: number): number {
    return (this.addrLo(pa) | PTE_TYPE_TABLE) >>> 0;
  }

  /** High word of a table descriptor for the table at `pa` (NSTable with ARM_NS; SW_SYNC for a non-coherent walk). */
  tableHiFor(pa: number): number {
    return (this.addrHi(pa) | this.tableHi) >>> 0;
  }

  /** Installs a table descriptor (`arm_lpae_install_table`; the model is single-threaded, so the cmpxchg succeeds). */
  writeTablePte(t: PgTable | undefined, pa: number, idx: number, next: number): void {
    this.setPte(t, pa, idx, this.tableLo(next), this.tableHiFor(next));
    if (t !== undefined && idx < t.entries) {
      t.next ??= new Array<PgTable | undefined>(t.entries).fill(undefined);
      t.next[idx] = this.view(next);
    }
  }

  /** A zeroed table for `level` (`__arm_lpae_alloc_pages`) and its mirror; -1 when memory is exhausted. */
  allocTable(size: number, level: number): number {
    const pa = this.frames.alloc(size, this.owner);
    if (pa === null) return -1;
    // The frame allocator hands out whole 4 KiB frames: mirror all of it (v4.4 may index past a small PGD).
    this.tables.set(pa / 0x1000, new PgTable(pa, Math.ceil(size / 0x1000) * 0x1000, level));
    return pa;
  }

  /**
   * Frees the table at `pa` and every table below it (`__arm_lpae_free_pgtable`): entries of a level-3 table are all
   * leaves, so only levels above are scanned. A pointer to memory this io-pgtable did not allocate is reported, not
   * freed.
   */
  freePgtable(lvl: number, pa: number): void {
    const t = this.view(pa);
    if (lvl < 3) {
      const entries = (lvl === this.startLevel ? this.pgdSize : this.granule) / 8;
      for (let i = 0; i < entries; i++) {
        const lo = this.lo(t, pa, i);
        const hi = this.hi(t, pa, i);
        if ((lo === 0 && hi === 0) || isLeaf(lo, lvl)) continue;
        this.freePgtable(lvl + 1, this.addr(lo, hi));
      }
    }
    this.#pathGen++;
    if (this.tables.delete(pa / 0x1000)) this.frames.free(pa);
    else this.warn(`free of table 0x${pa.toString(16)}, which this io-pgtable did not allocate`, false);
  }

  /** A kernel WARN; `quiet` ones are suppressed by the NO_WARN quirk in modern kernels. */
  warn(message: string, quiet: boolean): void {
    if (quiet && this.modern && (this.quirks & IoPgtableQuirk.NO_WARN) !== 0) return;
    this.warnHook?.(message);
  }
}

/** The CPU's view of one table frame: its descriptors as (low, high) word pairs. */
export class PgTable {
  readonly words: Uint32Array;
  /** Entries the mirror covers (the whole frame). */
  readonly entries: number;
  /** Child tables by entry, once the table holds a table descriptor (the kernel's `iopte_deref` pointer). */
  next: (PgTable | undefined)[] | null = null;

  constructor(
    readonly pa: number,
    bytes: number,
    /** The level whose entries it holds. */
    readonly level: number,
  ) {
    this.words = new Uint32Array(bytes / 4);
    this.entries = bytes / 8;
  }
}

/** The configuration values the core keeps (after restriction and clamping). */
export interface CoreCfg {
  readonly pgsizeBitmap: number;
  readonly ias: number;
  readonly oas: number;
  readonly quirks: number;
  readonly coherentWalk: boolean;
}

/** Whether a power-of-two `size` is in `bitmap` (safe above 2^31, where `&` would not be). */
export function hasSize(bitmap: number, size: number): boolean {
  return Math.floor(bitmap / size) % 2 === 1;
}
