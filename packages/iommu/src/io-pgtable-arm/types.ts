/**
 * The io-pgtable contract: configuration in, ops out, and the TLB maintenance callbacks the IOMMU driver supplies.
 * Mirrors `struct io_pgtable_cfg`, `struct io_pgtable_ops` and `struct iommu_flush_ops` (include/linux/io-pgtable.h).
 */
import type { FrameAllocator, PhysicalMemoryPort } from "@dmasim/machine";
import type { IommuProtFlags } from "./prot";

/**
 * The page-table formats this model builds. Only the SMMUv3 stage-1 format is modelled (no S2, no 32-bit LPAE).
 *
 * @see include/linux/io-pgtable.h enum io_pgtable_fmt
 */
export type IoPgtableFormat = "ARM_64_LPAE_S1";

/**
 * Which generation of drivers/iommu/io-pgtable-arm.c runs.
 *
 * - `pteBits: "v4.4"` is the v4.4 file as a whole: the v4.4 column of the descriptor bits (AP[1] always set, SH always
 *   inner shareable, IOMMU_PRIV ignored), MAIR 0x0004FF44 and a TCR that carries EPD1, `iova_to_phys` that adds only
 *   the granule offset (even inside a block), no IAS/OAS range checks, no leaf check before descending into an
 *   existing entry, and `arm_lpae_split_blk_unmap` remapping the rest of a block at the unmapped size.
 * - `pteBits: "modern"` is the v5.x–v6.x file: AP[1] unless IOMMU_PRIV, SH inner shareable only with IOMMU_CACHE
 *   (outer otherwise), DBM with the ARM_HD quirk, MAIR 0xF404FF44, TCR fields without EPD1 (the SMMUv3 driver sets
 *   EPD1 in the CD), `map_pages`/`unmap_pages` with -ERANGE checks, block offsets in `iova_to_phys`, and a split that
 *   replaces the block by one next-level table.
 * - `splitBlockOnUnmap`: whether unmapping part of a block splits it (v4.4 … v6.12) or fails with 0 bytes unmapped
 *   (commit 33729a5fc0ca "iommu/io-pgtable-arm: Remove split on unmap behavior", v6.13 cycle).
 */
export interface IoPgtableEra {
  readonly splitBlockOnUnmap: boolean;
  readonly pteBits: "v4.4" | "modern";
}

/**
 * What the IOMMU driver asks for (`struct io_pgtable_cfg` inputs).
 *
 * @see include/linux/io-pgtable.h struct io_pgtable_cfg
 */
export interface IoPgtableCfg {
  /** Page and block sizes the IOMMU supports; restricted to one granule by the allocator. */
  readonly pgsizeBitmap: number;
  /** Input (IOVA) address size in bits. */
  readonly ias: number;
  /** Output (physical) address size in bits. */
  readonly oas: number;
  /** {@link IoPgtableQuirk} bits. */
  readonly quirks: number;
  /** Whether the walker snoops CPU caches (modern kernels: TCR SH/IRGN/ORGN and no cache maintenance). */
  readonly coherentWalk: boolean;
  readonly era: IoPgtableEra;
  /** The CPU's PAGE_SIZE, which `arm_lpae_restrict_pgsizes` prefers as the granule (default 4096). */
  readonly cpuPageSize?: number;
}

/**
 * The stage-1 TCR fields io-pgtable hands the SMMU driver (modern `struct arm_lpae_s1_cfg.tcr`), in the encodings of
 * TCR_EL1 and of the SMMUv3 CD (which share them).
 */
export interface ArmLpaeS1Tcr {
  /** T0SZ = 64 - IAS. */
  readonly tsz: number;
  /** TG0: 0 = 4K, 1 = 64K, 2 = 16K. */
  readonly tg: number;
  /** IRGN0: 0 = non-cacheable, 1 = write-back write-allocate. */
  readonly irgn: number;
  /** ORGN0, encoded as IRGN0. */
  readonly orgn: number;
  /** SH0: 2 = outer shareable, 3 = inner shareable. */
  readonly sh: number;
  /** IPS: 0..6 for 32, 36, 40, 42, 44, 48, 52 bits. */
  readonly ips: number;
  /** EPD1 (no TTBR1 walks): set by v4.4 io-pgtable; in modern kernels the SMMUv3 driver sets it in the CD instead. */
  readonly epd1: boolean;
}

/**
 * The stage-1 registers io-pgtable computes for the SMMU driver (`cfg->arm_lpae_s1_cfg`).
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_64_lpae_alloc_pgtable_s1
 */
export interface ArmLpaeS1Cfg {
  readonly tcr: ArmLpaeS1Tcr;
  /**
   * The same fields packed in the TCR_EL1 layout v4.4 handed over as one u64 (T0SZ[5:0], IRGN0[9:8], ORGN0[11:10],
   * SH0[13:12], TG0[15:14], EPD1[23], IPS[34:32]); below 2^35, so a plain number.
   */
  readonly tcrReg: number;
  /** MAIR: attribute bytes for AttrIndx 0..7 (v4.4 0x0004FF44; modern 0xF404FF44). */
  readonly mair: number;
  /** TTBR0: physical address of the PGD. */
  readonly ttbr: number;
}

/**
 * The configuration after allocation: the inputs as the allocator adjusted them, plus the derived geometry.
 *
 * @see include/linux/io-pgtable.h struct io_pgtable_cfg
 */
export interface IoPgtableResolvedCfg extends IoPgtableCfg {
  readonly fmt: IoPgtableFormat;
  /** Translation granule in bytes (4096, 16384 or 65536). */
  readonly granule: number;
  /** Levels walked; the walk starts at level `4 - levels`. */
  readonly levels: number;
  readonly startLevel: number;
  readonly bitsPerLevel: number;
  /** Size in bytes of the top-level table (may be smaller than a granule). */
  readonly pgdSize: number;
  readonly s1: ArmLpaeS1Cfg;
}

/**
 * The range of IOVAs gathered for one deferred TLB invalidation (`struct iommu_iotlb_gather`). io-pgtable only passes
 * it to {@link IoPgtableTlbOps.tlbAddPage}; the IOMMU driver accumulates into it and the IOMMU core syncs it.
 *
 * @see include/linux/iommu.h struct iommu_iotlb_gather
 */
export interface IommuIotlbGather {
  start: number;
  end: number;
  pgsize: number;
  /** True when a flush queue owns the invalidation (lazy mode): io-pgtable then adds no pages. */
  queued: boolean;
}

/**
 * TLB maintenance the IOMMU driver provides (`struct iommu_flush_ops`; the SMMUv3 driver implements these with
 * CMD_TLBI_* and CMD_SYNC).
 *
 * v4.4's `tlb_add_flush(iova, size, granule, leaf)` maps onto these as: leaf → {@link tlbAddPage} with granule = size;
 * non-leaf (a table was removed) → {@link tlbFlushWalk}; its `tlb_sync` → {@link tlbSync}.
 *
 * @see include/linux/io-pgtable.h struct iommu_flush_ops
 */
export interface IoPgtableTlbOps {
  /** Invalidate everything for this context. */
  readonly tlbFlushAll: () => void;
  /** Invalidate walk caches (and leaves) for `[iova, iova + size)` after a table was unhooked; synchronous. */
  readonly tlbFlushWalk: (iova: number, size: number, granule: number) => void;
  /** Queue the invalidation of one leaf of `granule` bytes at `iova` into `gather`. */
  readonly tlbAddPage: (gather: IommuIotlbGather, iova: number, granule: number) => void;
  /** v4.4 only: `io_pgtable_tlb_sync`, called where v4.4 waited for invalidations (modern kernels sync in the core). */
  readonly tlbSync?: () => void;
}

/** What an io-pgtable is built over: simulated RAM, a frame allocator for tables, and the driver's TLB ops. */
export interface IoPgtableDeps {
  readonly memory: PhysicalMemoryPort;
  readonly frames: FrameAllocator;
  readonly tlb: IoPgtableTlbOps;
  /** Owner tag for table frames (default "io-pgtable"), so leak accounting can find them. */
  readonly owner?: string;
  /** Called where the kernel would WARN (the message names the condition). */
  readonly warn?: (message: string) => void;
}

/**
 * Result of {@link IoPgtableOps.mapPages}: 0 or a negative errno, and how many bytes were mapped.
 *
 * @see include/linux/io-pgtable.h struct io_pgtable_ops (map_pages and its mapped out-parameter)
 */
export interface IoPgtableMapPagesResult {
  readonly ret: number;
  readonly mapped: number;
}

/**
 * The operations on one set of page tables (`struct io_pgtable_ops`).
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_lpae_map
 */
export interface IoPgtableOps {
  /** Map one page or block of `size` bytes. 0, or -EEXIST / -EINVAL / -ENOMEM / -ERANGE. */
  readonly map: (iova: number, paddr: number, size: number, prot: IommuProtFlags) => number;
  /**
   * Map up to `pgcount` pages of `pgsize`. Modern: as `arm_lpae_map_pages`, at most up to the end of one leaf table
   * (the caller loops, as `__iommu_map` does). v4.4 had no `map_pages`: it maps page by page like the old core did.
   */
  readonly mapPages: (
    iova: number,
    paddr: number,
    pgsize: number,
    pgcount: number,
    prot: IommuProtFlags,
  ) => IoPgtableMapPagesResult;
  /** Unmap one page or block; bytes unmapped, 0 on failure. A fresh gather is used when none is given. */
  readonly unmap: (iova: number, size: number, gather?: IommuIotlbGather) => number;
  /** Unmap up to `pgcount` pages of `pgsize` (modern `arm_lpae_unmap_pages`; page by page in v4.4). */
  readonly unmapPages: (iova: number, pgsize: number, pgcount: number, gather?: IommuIotlbGather) => number;
  /** Software walk: the physical address `iova` maps to, or 0. */
  readonly iovaToPhys: (iova: number) => number;
  /** Free every table (`free_io_pgtable_ops`). Further calls are ignored. */
  readonly free: () => void;
  readonly cfg: IoPgtableResolvedCfg;
  /** Table frames currently allocated (PGD included), for leak accounting. */
  readonly tablePages: number;
}

/**
 * Why `allocIoPgtable` returned nothing (the kernel returns NULL in each case).
 *
 * @see drivers/iommu/io-pgtable.c alloc_io_pgtable_ops
 */
export type IoPgtableAllocErrorCode =
  | "bad-config"
  | "bad-pgsize"
  | "ias-unsupported"
  | "oas-unsupported"
  | "quirks-unsupported"
  | "no-memory";

/**
 * The failure side of `allocIoPgtable`.
 *
 * @see drivers/iommu/io-pgtable.c alloc_io_pgtable_ops
 */
export interface IoPgtableAllocError {
  readonly code: IoPgtableAllocErrorCode;
  readonly message: string;
}

/**
 * Result of `allocIoPgtable`.
 *
 * @see drivers/iommu/io-pgtable.c alloc_io_pgtable_ops
 */
export type IoPgtableAllocResult =
  | { readonly ok: true; readonly value: IoPgtableOps }
  | { readonly ok: false; readonly error: IoPgtableAllocError };
