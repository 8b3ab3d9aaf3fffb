/**
 * The SMMUv3 register map (smmuv3-model.md §1.1): offsets in page 0, field bits, and the ID register values the
 * model advertises (§1.2). Page 1 (base + 0x10000) aliases page 0, as QEMU does.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h (ARM_SMMU_* offsets and field masks)
 * @see hw/arm/smmuv3-internal.h (REG32/FIELD definitions), hw/arm/smmuv3.c smmuv3_init_regs
 */
import { OAS_ENCODING, type SmmuV3Config } from "./config";

/**
 * Register offsets within page 0.
 *
 * @see hw/arm/smmuv3-internal.h REG32 offsets (A_CR0, A_STRTAB_BASE, ...)
 */
export const SMMU_REG = Object.freeze({
  IDR0: 0x000,
  IDR1: 0x004,
  IDR2: 0x008,
  IDR3: 0x00c,
  IDR4: 0x010,
  IDR5: 0x014,
  IIDR: 0x018,
  AIDR: 0x01c,
  CR0: 0x020,
  CR0ACK: 0x024,
  CR1: 0x028,
  CR2: 0x02c,
  STATUSR: 0x040,
  GBPA: 0x044,
  AGBPA: 0x048,
  IRQ_CTRL: 0x050,
  IRQ_CTRLACK: 0x054,
  GERROR: 0x060,
  GERRORN: 0x064,
  GERROR_IRQ_CFG0: 0x068,
  GERROR_IRQ_CFG1: 0x070,
  GERROR_IRQ_CFG2: 0x074,
  STRTAB_BASE: 0x080,
  STRTAB_BASE_CFG: 0x088,
  CMDQ_BASE: 0x090,
  CMDQ_PROD: 0x098,
  CMDQ_CONS: 0x09c,
  EVENTQ_BASE: 0x0a0,
  /** Linux reaches EVENTQ_PROD/CONS through page 1 (0x100a8 / 0x100ac); page 0 aliases them. */
  EVENTQ_PROD: 0x0a8,
  EVENTQ_CONS: 0x0ac,
  EVENTQ_IRQ_CFG0: 0x0b0,
  EVENTQ_IRQ_CFG1: 0x0b8,
  EVENTQ_IRQ_CFG2: 0x0bc,
  /** First of the 12 PIDR/CIDR identification words (0xfd0..0xffc). */
  ID_REGS: 0xfd0,
});

/**
 * Size of the register block: page 0 and its page-1 alias.
 *
 * @see hw/arm/smmuv3.c smmu_realize (memory_region_init_io of 0x20000 bytes)
 */
export const SMMU_MMIO_SIZE = 0x20000;
/**
 * Offset bit that selects page 1.
 *
 * @see hw/arm/smmuv3.c smmu_read_mmio, smmu_write_mmio (page 0/1 aliasing)
 */
export const SMMU_PAGE1 = 0x10000;

/**
 * CR0 / CR0ACK bits.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h CR0_SMMUEN, CR0_EVTQEN, CR0_CMDQEN
 */
export const CR0 = Object.freeze({ SMMUEN: 1 << 0, PRIQEN: 1 << 1, EVENTQEN: 1 << 2, CMDQEN: 1 << 3, ATSCHK: 1 << 4 });
/**
 * CR0ACK = CR0 & this (QEMU: `data & ~SMMU_CR0_RESERVED`, reserved = 0xFFFFFC20).
 *
 * @see hw/arm/smmuv3.c smmu_writel (A_CR0), SMMU_CR0_RESERVED
 */
export const CR0_ACK_MASK = 0x3df;
/**
 * CR2 bits.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h CR2_PTM, CR2_RECINVSID, CR2_E2H
 */
export const CR2 = Object.freeze({ E2H: 1 << 0, RECINVSID: 1 << 1, PTM: 1 << 2 });
/**
 * GBPA bits (only ABORT and Update matter to the model).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h GBPA_UPDATE, GBPA_ABORT
 */
export const GBPA = Object.freeze({ ABORT: 1 << 20, UPDATE: 0x80000000, RESET: 0x1000 });
/**
 * IRQ_CTRL bits.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h IRQ_CTRL_GERROR_IRQEN, IRQ_CTRL_EVTQ_IRQEN
 */
export const IRQ_CTRL = Object.freeze({ GERROR_IRQEN: 1 << 0, PRIQ_IRQEN: 1 << 1, EVENTQ_IRQEN: 1 << 2 });
/**
 * GERROR / GERRORN bits.
 *
 * @see hw/arm/smmuv3-internal.h FIELD(GERROR, ...)
 */
export const GERROR = Object.freeze({
  CMDQ_ERR: 1 << 0,
  EVTQ_ABT_ERR: 1 << 2,
  PRIQ_ABT_ERR: 1 << 3,
  MSI_CMDQ_ABT_ERR: 1 << 4,
  MSI_EVTQ_ABT_ERR: 1 << 5,
  MSI_PRIQ_ABT_ERR: 1 << 6,
  MSI_GERROR_ABT_ERR: 1 << 7,
  SFM_ERR: 1 << 8,
});
/**
 * Bit 31 of EVENTQ_PROD (OVFLG) and EVENTQ_CONS (OVACKFLG).
 *
 * @see hw/arm/smmuv3-internal.h EVT_Q_OVERFLOW
 */
export const Q_OVERFLOW_FLAG = 0x80000000;

/**
 * STRTAB_BASE_CFG fields.
 *
 * @see hw/arm/smmuv3-internal.h FIELD(STRTAB_BASE_CFG, LOG2SIZE, 0, 6)
 */
export function strtabLog2Size(cfg: number): number {
  return cfg & 0x3f;
}
/**
 * STRTAB_BASE_CFG.SPLIT.
 *
 * @see hw/arm/smmuv3-internal.h FIELD(STRTAB_BASE_CFG, SPLIT, 6, 5)
 */
export function strtabSplit(cfg: number): number {
  return (cfg >>> 6) & 0x1f;
}
/**
 * STRTAB_BASE_CFG.FMT (0 linear, 1 2-level).
 *
 * @see hw/arm/smmuv3-internal.h FIELD(STRTAB_BASE_CFG, FMT, 16, 2)
 */
export function strtabFmt(cfg: number): number {
  return (cfg >>> 16) & 0x3;
}

/**
 * CMDQ_CONS.ERR, bits [30:24].
 *
 * @see hw/arm/smmuv3-internal.h FIELD(CMDQ_CONS, ERR, 24, 7)
 */
export const CMDQ_CONS_ERR_SHIFT = 24;
/**
 * CMDQ_CONS.ERR values (CERROR_*).
 *
 * @see hw/arm/smmuv3-internal.h SMMUCmdError
 */
export const CERROR = Object.freeze({ NONE: 0, ILL: 1, ABT: 2, ATC_INV_SYNC: 3 });

/**
 * The read-only identification registers of one instance.
 *
 * @see hw/arm/smmuv3.c smmuv3_init_regs
 */
export interface SmmuV3IdRegisters {
  readonly idr0: number;
  readonly idr1: number;
  readonly idr2: number;
  readonly idr3: number;
  readonly idr4: number;
  readonly idr5: number;
  readonly iidr: number;
  readonly aidr: number;
}

/**
 * IDR0 fields.
 *
 * @see hw/arm/smmuv3-internal.h FIELD(IDR0, ...)
 */
export const IDR0 = Object.freeze({
  S2P: 1 << 0,
  S1P: 1 << 1,
  TTF_AARCH64: 2 << 2,
  COHACC: 1 << 4,
  HYP: 1 << 9,
  ATS: 1 << 10,
  ASID16: 1 << 12,
  MSI: 1 << 13,
  VMID16: 1 << 18,
  TTENDIAN_LE: 2 << 21,
  STALL_MODEL_NOSTALL: 1 << 24,
  TERM_MODEL: 1 << 26,
  ST_LEVEL_2LVL: 1 << 27,
});

/**
 * The ID registers for a configuration. With the defaults these are smmuv3-model.md §1.2's QEMU reset values:
 * IDR0 = 0x0D44101A, IDR1 = 0x02730010, IDR3 = 0x1404, IDR5 = 0x74, IIDR = 0, AIDR = 1 (SMMUv3.1).
 *
 * @remarks QEMU 7.2's own `smmuv3_init_regs` lacks VMID16 (IDR0 0x0D40101A), BBML (IDR3 0x404) and GRAN16K
 * (IDR5 0x54); none of these changes what Linux 6.1 does with a stage-1-only SMMU (its feature word is 0x8305 either
 * way), and §1.2 is the contract, so the model reports §1.2's values.
 * @see hw/arm/smmuv3.c smmuv3_init_regs
 */
export function computeIdRegisters(cfg: SmmuV3Config): SmmuV3IdRegisters {
  let idr0 =
    IDR0.S1P | IDR0.TTF_AARCH64 | IDR0.COHACC | IDR0.VMID16 | IDR0.TTENDIAN_LE | IDR0.STALL_MODEL_NOSTALL | IDR0.TERM_MODEL;
  if (cfg.asid16) idr0 |= IDR0.ASID16;
  if (cfg.twoLevelStreamTable) idr0 |= IDR0.ST_LEVEL_2LVL;
  if (cfg.ats) idr0 |= IDR0.ATS;
  const idr1 = cfg.sidBits | (cfg.ssidBits << 6) | (cfg.eventqLog2Size << 16) | (cfg.cmdqLog2Size << 21);
  // HAD (bit 2), RIL (bit 10), BBML = 2 (bits 12:11).
  const idr3 = (1 << 2) | (cfg.rangeInvalidation ? 1 << 10 : 0) | (2 << 11);
  const idr5 = (OAS_ENCODING[cfg.oas] ?? 4) | (1 << 4) | (cfg.gran16k ? 1 << 5 : 0) | (1 << 6);
  return { idr0: idr0 >>> 0, idr1: idr1 >>> 0, idr2: 0, idr3, idr4: 0, idr5, iidr: 0, aidr: 1 };
}

/**
 * PIDR4..7, PIDR0..3, CIDR0..3 at 0xfd0..0xffc: an Arm MMU-600's identification bytes, as QEMU reports them.
 * @see hw/arm/smmuv3-internal.h smmuv3_ids
 */
export const SMMU_ID_REG_VALUES: readonly number[] = Object.freeze([
  0x04, 0x00, 0x00, 0x00, 0x84, 0xb4, 0xf0, 0x10, 0x0d, 0xf0, 0x05, 0xb1,
]);

const REG_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(SMMU_REG).map(([name, off]) => [off, name] as const),
);

/** The register name at a page-0 offset (`"CR0"`, `"STRTAB_BASE+4"`), for traces; `null` if none. */
export function registerName(offset: number): string | null {
  const exact = REG_NAMES.get(offset);
  if (exact !== undefined) return exact;
  const lower = REG_NAMES.get(offset - 4);
  return lower !== undefined && lower.endsWith("BASE") ? `${lower}+4` : lower?.endsWith("CFG0") ? `${lower}+4` : null;
}
