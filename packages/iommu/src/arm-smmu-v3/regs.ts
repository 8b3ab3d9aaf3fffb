/**
 * The driver's own view of the SMMUv3 programming interface: register offsets, register fields, queue and
 * stream-table geometry constants and the `ARM_SMMU_FEAT_*` / `ARM_SMMU_OPT_*` bits, as
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h defines them. Deliberately independent of the hardware model
 * (`smmuv3-hw`): driver and hardware must agree through the architecture, not through shared constants.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h
 */

/** MMIO register offsets (page 0 unless noted). @see arm-smmu-v3.h ARM_SMMU_IDR0 … ARM_SMMU_EVTQ_CONS */
export const ARM_SMMU_REG = {
  IDR0: 0x0,
  IDR1: 0x4,
  IDR3: 0xc,
  IDR5: 0x14,
  IIDR: 0x18,
  CR0: 0x20,
  CR0ACK: 0x24,
  CR1: 0x28,
  CR2: 0x2c,
  GBPA: 0x44,
  IRQ_CTRL: 0x50,
  IRQ_CTRLACK: 0x54,
  GERROR: 0x60,
  GERRORN: 0x64,
  GERROR_IRQ_CFG0: 0x68,
  STRTAB_BASE: 0x80,
  STRTAB_BASE_CFG: 0x88,
  CMDQ_BASE: 0x90,
  CMDQ_PROD: 0x98,
  CMDQ_CONS: 0x9c,
  EVTQ_BASE: 0xa0,
  EVTQ_IRQ_CFG0: 0xb0,
  /** On page 1 (`smmu->page1 + ARM_SMMU_EVTQ_PROD` = base + 0x100a8). */
  EVTQ_PROD: 0xa8,
  /** On page 1 (base + 0x100ac). */
  EVTQ_CONS: 0xac,
  PRIQ_IRQ_CFG0: 0xd0,
} as const;

/** `ARM_SMMU_REG_SZ`: what the driver maps of each page. */
export const ARM_SMMU_REG_SZ = 0xe00;
/** Page 1 sits 64 KiB above page 0 unless ARM_SMMU_OPT_PAGE0_REGS_ONLY. */
export const ARM_SMMU_PAGE1_OFFSET = 0x10000;

/** IDR0 fields. @see arm-smmu-v3.h IDR0_* */
export const IDR0 = {
  S2P: 1 << 0,
  S1P: 1 << 1,
  TTF_SHIFT: 2,
  TTF_MASK: 0x3,
  TTF_AARCH64: 2,
  TTF_AARCH32_64: 3,
  COHACC: 1 << 4,
  HYP: 1 << 9,
  ATS: 1 << 10,
  ASID16: 1 << 12,
  MSI: 1 << 13,
  SEV: 1 << 14,
  PRI: 1 << 16,
  VMID16: 1 << 18,
  CD2L: 1 << 19,
  TTENDIAN_SHIFT: 21,
  TTENDIAN_MASK: 0x3,
  TTENDIAN_MIXED: 0,
  TTENDIAN_LE: 2,
  TTENDIAN_BE: 3,
  STALL_MODEL_SHIFT: 24,
  STALL_MODEL_MASK: 0x3,
  STALL_MODEL_STALL: 0,
  STALL_MODEL_FORCE: 2,
  ST_LVL_SHIFT: 27,
  ST_LVL_MASK: 0x3,
  ST_LVL_2LVL: 1,
} as const;

/** IDR1 fields. @see arm-smmu-v3.h IDR1_* */
export const IDR1 = {
  TABLES_PRESET: 1 << 30,
  QUEUES_PRESET: 1 << 29,
  REL: 1 << 28,
  CMDQS_SHIFT: 21,
  EVTQS_SHIFT: 16,
  PRIQS_SHIFT: 11,
  QS_MASK: 0x1f,
  SSIDSIZE_SHIFT: 6,
  SSIDSIZE_MASK: 0x1f,
  SIDSIZE_MASK: 0x3f,
} as const;

/** IDR3.RIL (range invalidation). @see arm-smmu-v3.h IDR3_RIL */
export const IDR3_RIL = 1 << 10;

/** IDR5 fields. @see arm-smmu-v3.h IDR5_* */
export const IDR5 = {
  STALL_MAX_SHIFT: 16,
  GRAN64K: 1 << 6,
  GRAN16K: 1 << 5,
  GRAN4K: 1 << 4,
  VAX_SHIFT: 10,
  VAX_52_BIT: 1,
  OAS_MASK: 0x7,
} as const;

/** CR0 bits. @see arm-smmu-v3.h CR0_* */
export const CR0 = { SMMUEN: 1 << 0, PRIQEN: 1 << 1, EVTQEN: 1 << 2, CMDQEN: 1 << 3, ATSCHK: 1 << 4 } as const;

/** CR1 fields and encodings. @see arm-smmu-v3.h CR1_* */
export const CR1 = {
  TABLE_SH_SHIFT: 10,
  TABLE_OC_SHIFT: 8,
  TABLE_IC_SHIFT: 6,
  QUEUE_SH_SHIFT: 4,
  QUEUE_OC_SHIFT: 2,
  QUEUE_IC_SHIFT: 0,
  CACHE_WB: 1,
} as const;

/** `ARM_SMMU_SH_ISH`: inner shareable. */
export const ARM_SMMU_SH_ISH = 3;
/** `ARM_SMMU_MEMATTR_OIWB`: outer and inner write-back. */
export const ARM_SMMU_MEMATTR_OIWB = 0xf;

/** CR2 bits. @see arm-smmu-v3.h CR2_* */
export const CR2 = { E2H: 1 << 0, RECINVSID: 1 << 1, PTM: 1 << 2 } as const;

/** GBPA bits. @see arm-smmu-v3.h GBPA_* */
export const GBPA = { UPDATE: 0x80000000, ABORT: 1 << 20 } as const;

/** IRQ_CTRL bits. @see arm-smmu-v3.h IRQ_CTRL_* */
export const IRQ_CTRL = { GERROR_IRQEN: 1 << 0, PRIQ_IRQEN: 1 << 1, EVTQ_IRQEN: 1 << 2 } as const;

/** GERROR bits and the mask the handler looks at. @see arm-smmu-v3.h GERROR_* */
export const GERROR = {
  CMDQ_ERR: 1 << 0,
  EVTQ_ABT_ERR: 1 << 2,
  PRIQ_ABT_ERR: 1 << 3,
  MSI_CMDQ_ABT_ERR: 1 << 4,
  MSI_EVTQ_ABT_ERR: 1 << 5,
  MSI_PRIQ_ABT_ERR: 1 << 6,
  MSI_GERROR_ABT_ERR: 1 << 7,
  SFM_ERR: 1 << 8,
  ERR_MASK: 0x1fd,
} as const;

/** Queue base register fields: `Q_BASE_RWA` (bit 62), ADDR [51:5], LOG2SIZE [4:0]. @see arm-smmu-v3.h Q_BASE_* */
export const Q_BASE = { RWA_HI: 1 << 30, ADDR_LO_MASK: 0xffffffe0, ADDR_HI_MASK: 0xfffff, LOG2SIZE_MASK: 0x1f } as const;

/** `Q_OVERFLOW_FLAG`: bit 31 of EVTQ_PROD (OVFLG) / EVTQ_CONS (OVACKFLG). */
export const Q_OVERFLOW_FLAG = 0x80000000;

/** CMDQ_CONS.ERR [30:24] and the CERROR codes. @see arm-smmu-v3.h CMDQ_CONS_ERR, CMDQ_ERR_CERROR_*_IDX */
export const CMDQ_CONS_ERR = { SHIFT: 24, MASK: 0x7f, NONE: 0, ILL: 1, ABT: 2, ATC_INV: 3 } as const;

/** STRTAB_BASE fields: RA is bit 62; ADDR is [51:6]. @see arm-smmu-v3.h STRTAB_BASE_* */
export const STRTAB_BASE = { RA_HI: 1 << 30, ADDR_LO_MASK: 0xffffffc0, ADDR_HI_MASK: 0xfffff } as const;

/** STRTAB_BASE_CFG fields. @see arm-smmu-v3.h STRTAB_BASE_CFG_* */
export const STRTAB_BASE_CFG = { FMT_SHIFT: 16, FMT_LINEAR: 0, FMT_2LVL: 1, SPLIT_SHIFT: 6, LOG2SIZE_SHIFT: 0 } as const;

/** `STRTAB_L1_SZ_SHIFT`: the L1 table is at most 1 MiB. */
export const STRTAB_L1_SZ_SHIFT = 20;
/** `STRTAB_SPLIT`: 8 SID bits per L2 table (256 STEs, 16 KiB). */
export const STRTAB_SPLIT = 8;
/** `STRTAB_L1_DESC_DWORDS`. */
export const STRTAB_L1_DESC_DWORDS = 1;
/** `STRTAB_STE_DWORDS`. */
export const STRTAB_STE_DWORDS = 8;
/** `CTXDESC_CD_DWORDS`. */
export const CTXDESC_CD_DWORDS = 8;
/** `CTXDESC_LINEAR_CDMAX`: log2 of the CDs a linear table may hold (1024). */
export const CTXDESC_LINEAR_CDMAX = 10;

/** `CMDQ_ENT_DWORDS`, `EVTQ_ENT_DWORDS`, `PRIQ_ENT_DWORDS`. */
export const CMDQ_ENT_DWORDS = 2;
export const EVTQ_ENT_DWORDS = 4;
export const PRIQ_ENT_DWORDS = 2;

/** `CMDQ_BATCH_ENTRIES = BITS_PER_LONG` (arm64: 64). */
export const CMDQ_BATCH_ENTRIES = 64;

/** `CMDQ_TLBI_RANGE_NUM_MAX`: NUM is 5 bits. */
export const CMDQ_TLBI_RANGE_NUM_MAX = 31;

/**
 * `ARM_SMMU_FEAT_*` bits as 6.1 numbers them (the order of the `#define`s in arm-smmu-v3.h, which is what the probe
 * log's `features 0x%08x` prints: QEMU 7.2 gives 0x00008305 = 2_LVL_STRTAB | TT_LE | COHERENCY | TRANS_S1 |
 * RANGE_INV).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h ARM_SMMU_FEAT_2_LVL_STRTAB
 */
export const ARM_SMMU_FEAT = {
  TWO_LVL_STRTAB: 1 << 0,
  TWO_LVL_CDTAB: 1 << 1,
  TT_LE: 1 << 2,
  TT_BE: 1 << 3,
  PRI: 1 << 4,
  ATS: 1 << 5,
  SEV: 1 << 6,
  MSI: 1 << 7,
  COHERENCY: 1 << 8,
  TRANS_S1: 1 << 9,
  TRANS_S2: 1 << 10,
  STALLS: 1 << 11,
  HYP: 1 << 12,
  STALL_FORCE: 1 << 13,
  VAX: 1 << 14,
  RANGE_INV: 1 << 15,
  BTM: 1 << 16,
  SVA: 1 << 17,
  E2H: 1 << 18,
} as const;

/** `ARM_SMMU_OPT_*` bits. @see arm-smmu-v3.h ARM_SMMU_OPT_SKIP_PREFETCH */
export const ARM_SMMU_OPT = {
  SKIP_PREFETCH: 1 << 0,
  PAGE0_REGS_ONLY: 1 << 1,
  MSIPOLL: 1 << 2,
} as const;

/** `ARM_SMMU_POLL_TIMEOUT_US`: every register poll gives up after a second. */
export const ARM_SMMU_POLL_TIMEOUT_US = 1_000_000;

/** IDR5.OAS encodings → bits (an unknown encoding is read as 48 with a message). @see arm_smmu_device_hw_probe */
export const OAS_BITS: readonly number[] = [32, 36, 40, 42, 44, 48, 52];

/** `SZ_*` page and block sizes the granules give (`smmu->pgsize_bitmap`). */
export const SZ = { K4: 0x1000, K16: 0x4000, K64: 0x10000, M2: 0x200000, M32: 0x2000000, M512: 0x20000000, G1: 0x40000000 } as const;
