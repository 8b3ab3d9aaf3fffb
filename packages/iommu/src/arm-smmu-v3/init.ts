/**
 * In-memory structures allocated at probe (`arm_smmu_init_structures`): the command, event (and PRI) queues sized
 * as `arm_smmu_init_one_queue` sizes them, and the stream table, linear or 2-level with L2 tables allocated lazily
 * per StreamID group.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_init_structures
 */
import { Errno } from "@dmasim/driver-core";
import type { ArmSmmuDevice, ArmSmmuQueue } from "./device";
import {
  ARM_SMMU_FEAT,
  ARM_SMMU_REG,
  Q_BASE,
  STRTAB_BASE,
  STRTAB_BASE_CFG,
  STRTAB_L1_DESC_DWORDS,
  STRTAB_L1_SZ_SHIFT,
  STRTAB_SPLIT,
  STRTAB_STE_DWORDS,
} from "./regs";
import { initBypassStes, writeL1Desc } from "./ste";

const TWO_32 = 0x1_0000_0000;

/**
 * `arm_smmu_init_one_queue`: allocate `2^max_n_shift` entries, halving until an allocation succeeds or the queue
 * would be smaller than a page; log the size (v5.4+); fill `q_base` = RWA | ADDR | LOG2SIZE and the register
 * addresses. 0 or -ENOMEM.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_init_one_queue
 */
export function initOneQueue(smmu: ArmSmmuDevice, q: ArmSmmuQueue, page: number, prodOff: number, consOff: number, name: string): number {
  let qsz = 0;
  let base: number | null = null;
  for (;;) {
    qsz = 2 ** q.maxNShift * q.entDwords * 8;
    base = smmu.dmamAlloc(qsz, `smmu-${name}`);
    if (base !== null || qsz < smmu.ctx.pageSize) break;
    q.maxNShift--;
  }
  if (base === null) {
    smmu.log("err", `failed to allocate queue (0x${qsz.toString(16)} bytes) for ${name}`);
    return -Errno.ENOMEM;
  }
  q.base = base;
  if (smmu.ctx.era.logQueueAllocation && base % qsz === 0) {
    smmu.log("info", `allocated ${2 ** q.maxNShift} entries for ${name}`);
  }
  q.prodReg = page + prodOff;
  q.consReg = page + consOff;
  q.qBaseLo = ((base % TWO_32) & Q_BASE.ADDR_LO_MASK) | (q.maxNShift & Q_BASE.LOG2SIZE_MASK);
  q.qBaseHi = (Math.floor(base / TWO_32) & Q_BASE.ADDR_HI_MASK) | Q_BASE.RWA_HI;
  q.prod = 0;
  q.cons = 0;
  return 0;
}

/**
 * `arm_smmu_init_queues`: cmdq (page 0), evtq (page 1), priq only with FEAT_PRI.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_init_queues
 */
export function initQueues(smmu: ArmSmmuDevice): number {
  let ret = initOneQueue(smmu, smmu.cmdq, smmu.base, ARM_SMMU_REG.CMDQ_PROD, ARM_SMMU_REG.CMDQ_CONS, "cmdq");
  if (ret !== 0) return ret;
  ret = initOneQueue(smmu, smmu.evtq, smmu.page1, ARM_SMMU_REG.EVTQ_PROD, ARM_SMMU_REG.EVTQ_CONS, "evtq");
  if (ret !== 0) return ret;
  if ((smmu.features & ARM_SMMU_FEAT.PRI) === 0) return 0;
  return initOneQueue(smmu, smmu.priq, smmu.page1, 0xc8, 0xcc, "priq");
}

/**
 * `arm_smmu_init_strtab_2lvl`: an L1 array of `min(2^17, 2^(SIDSIZE-8))` descriptors (all invalid), covering
 * `log2size = l1 bits + STRTAB_SPLIT` SID bits; STRTAB_BASE_CFG = FMT 2-level | LOG2SIZE | SPLIT 8 (0x10210 for 16
 * SID bits).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_init_strtab_2lvl, arm_smmu_init_l1_strtab
 */
function initStrtab2lvl(smmu: ArmSmmuDevice): number {
  const cfg = smmu.strtab;
  let size = STRTAB_L1_SZ_SHIFT - (Math.log2(STRTAB_L1_DESC_DWORDS) + 3);
  size = Math.min(size, smmu.sidBits - STRTAB_SPLIT);
  cfg.numL1Ents = 2 ** size;
  size += STRTAB_SPLIT;
  if (size < smmu.sidBits) smmu.log("warning", `2-level strtab only covers ${size}/${smmu.sidBits} bits of SID`);
  const l1size = cfg.numL1Ents * STRTAB_L1_DESC_DWORDS * 8;
  const strtab = smmu.dmamAlloc(l1size, "smmu-strtab");
  if (strtab === null) {
    smmu.log("err", `failed to allocate l1 stream table (${l1size} bytes)`);
    return -Errno.ENOMEM;
  }
  cfg.strtab = strtab;
  cfg.baseCfg = (STRTAB_BASE_CFG.FMT_2LVL << STRTAB_BASE_CFG.FMT_SHIFT) | (size << STRTAB_BASE_CFG.LOG2SIZE_SHIFT) | (STRTAB_SPLIT << STRTAB_BASE_CFG.SPLIT_SHIFT);
  cfg.l1Desc = [];
  for (let i = 0; i < cfg.numL1Ents; i++) {
    cfg.l1Desc.push({ span: 0, l2ptr: 0 });
    writeL1Desc(smmu, i);
  }
  return 0;
}

/**
 * `arm_smmu_init_strtab_linear`: one STE per SID (`2^SIDSIZE` × 64 bytes), all abort/bypass.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_init_strtab_linear
 */
function initStrtabLinear(smmu: ArmSmmuDevice): number {
  const cfg = smmu.strtab;
  const size = 2 ** smmu.sidBits * STRTAB_STE_DWORDS * 8;
  const strtab = smmu.dmamAlloc(size, "smmu-strtab");
  if (strtab === null) {
    smmu.log("err", `failed to allocate linear stream table (${size} bytes)`);
    return -Errno.ENOMEM;
  }
  cfg.strtab = strtab;
  cfg.numL1Ents = 2 ** smmu.sidBits;
  cfg.baseCfg = (STRTAB_BASE_CFG.FMT_LINEAR << STRTAB_BASE_CFG.FMT_SHIFT) | (smmu.sidBits << STRTAB_BASE_CFG.LOG2SIZE_SHIFT);
  initBypassStes(smmu, strtab, cfg.numL1Ents, false);
  return 0;
}

/**
 * `arm_smmu_init_strtab`: the table, then STRTAB_BASE = RA | ADDR[51:6].
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_init_strtab
 */
export function initStrtab(smmu: ArmSmmuDevice): number {
  const ret = (smmu.features & ARM_SMMU_FEAT.TWO_LVL_STRTAB) !== 0 ? initStrtab2lvl(smmu) : initStrtabLinear(smmu);
  if (ret !== 0) return ret;
  const pa = smmu.strtab.strtab;
  smmu.strtab.baseLo = (pa % TWO_32) & STRTAB_BASE.ADDR_LO_MASK;
  smmu.strtab.baseHi = (Math.floor(pa / TWO_32) & STRTAB_BASE.ADDR_HI_MASK) | STRTAB_BASE.RA_HI;
  return 0;
}

/**
 * `arm_smmu_init_l2_strtab(smmu, sid)`: the first master in a group of 256 StreamIDs gets its L2 table (16 KiB,
 * filled with abort/bypass STEs), then the L1 descriptor is written with Span = SPLIT + 1. 0 or -ENOMEM.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_init_l2_strtab
 */
export function initL2Strtab(smmu: ArmSmmuDevice, sid: number): number {
  const idx = Math.floor(sid / 2 ** STRTAB_SPLIT);
  const desc = smmu.strtab.l1Desc?.[idx];
  if (desc === undefined) return -Errno.EINVAL;
  if (desc.l2ptr !== 0) return 0;
  const size = 2 ** (STRTAB_SPLIT + Math.log2(STRTAB_STE_DWORDS) + 3);
  const l2 = smmu.dmamAlloc(size, "smmu-strtab-l2");
  if (l2 === null) {
    smmu.log("err", `failed to allocate l2 stream table for SID ${sid}`);
    return -Errno.ENOMEM;
  }
  desc.span = STRTAB_SPLIT + 1;
  desc.l2ptr = l2;
  initBypassStes(smmu, l2, 2 ** STRTAB_SPLIT, false);
  writeL1Desc(smmu, idx);
  return 0;
}

/**
 * `arm_smmu_sid_in_range`: below `num_l1_ents` (× 2^SPLIT for a 2-level table).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_sid_in_range
 */
export function sidInRange(smmu: ArmSmmuDevice, sid: number): boolean {
  let limit = smmu.strtab.numL1Ents;
  if ((smmu.features & ARM_SMMU_FEAT.TWO_LVL_STRTAB) !== 0) limit *= 2 ** STRTAB_SPLIT;
  return Number.isInteger(sid) && sid >= 0 && sid < limit;
}
