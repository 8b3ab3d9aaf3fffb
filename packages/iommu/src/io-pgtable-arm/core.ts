/**
 * The state one set of LPAE tables shares between the map, unmap and walk algorithms: where the tables live, the
 * per-level geometry as flat arrays, and the descriptor accessors. Internal to io-pgtable-arm.
 */
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

/** Errno values io-pgtable returns (include/uapi/asm-generic/errno-base.h). */
export const EINVAL = -22;
export const ENOMEM = -12;
export const EEXIST = -17;
export const ERANGE = -34;

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
  /** Table frames this io-pgtable allocated and has not freed. */
  readonly tables = new Set<number>();
  /** Scratch output of the map walk: bytes mapped by the last leaf run (`*mapped`). */
  mapped = 0;

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

  /** One 32-bit half of a descriptor; an unbacked address reads as 0 (the walk then sees an empty entry). */
  rd(pa: number): number {
    const v = this.mem.read32(pa);
    return v < 0 ? 0 : v;
  }

  /** `__arm_lpae_set_pte`: store a descriptor as its two halves (the model's memory is the walker's view). */
  setPte(ptep: number, lo: number, hi: number): void {
    this.mem.write32(ptep, lo);
    this.mem.write32(ptep + 4, hi);
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
  writeTablePte(ptep: number, pa: number): void {
    this.setPte(ptep, this.tableLo(pa), this.tableHiFor(pa));
  }

  /** A zeroed table (`__arm_lpae_alloc_pages`); -1 when memory is exhausted. */
  allocTable(size: number): number {
    const pa = this.frames.alloc(size, this.owner);
    if (pa === null) return -1;
    this.tables.add(pa);
    return pa;
  }

  /**
   * Frees the table at `pa` and every table below it (`__arm_lpae_free_pgtable`): entries of a level-3 table are all
   * leaves, so only levels above are scanned. A pointer to memory this io-pgtable did not allocate is reported, not
   * freed.
   */
  freePgtable(lvl: number, pa: number): void {
    if (lvl < 3) {
      const size = lvl === this.startLevel ? this.pgdSize : this.granule;
      for (let off = 0; off < size; off += 8) {
        const lo = this.rd(pa + off);
        const hi = this.rd(pa + off + 4);
        if ((lo === 0 && hi === 0) || isLeaf(lo, lvl)) continue;
        this.freePgtable(lvl + 1, this.addr(lo, hi));
      }
    }
    if (this.tables.delete(pa)) this.frames.free(pa);
    else this.warn(`free of table 0x${pa.toString(16)}, which this io-pgtable did not allocate`, false);
  }

  /** A kernel WARN; `quiet` ones are suppressed by the NO_WARN quirk in modern kernels. */
  warn(message: string, quiet: boolean): void {
    if (quiet && this.modern && (this.quirks & IoPgtableQuirk.NO_WARN) !== 0) return;
    this.warnHook?.(message);
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
