/**
 * `arm_smmu_device_hw_probe`: what the driver learns from the ID registers through MMIO, with every check of
 * smmuv3-model.md §1.3 and the errno Linux returns, and the features bitmask as the probe log prints it.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_device_hw_probe
 */
import { Errno } from "@dmasim/driver-core";
import type { ArmSmmuDevice } from "./device";
import {
  ARM_SMMU_FEAT,
  ARM_SMMU_REG,
  CMDQ_BATCH_ENTRIES,
  CMDQ_ENT_DWORDS,
  EVTQ_ENT_DWORDS,
  IDR0,
  IDR1,
  IDR3_RIL,
  IDR5,
  OAS_BITS,
  PRIQ_ENT_DWORDS,
  SZ,
} from "./regs";

/** `ilog2(dwords << 3)`: log2 of an entry's bytes. */
function entSzShift(dwords: number): number {
  return Math.log2(dwords * 8);
}

/** The queue caps (in entries) of the era: `CMDQ_MAX_SZ_SHIFT`, `EVTQ_MAX_SZ_SHIFT`, `PRIQ_MAX_SZ_SHIFT`. */
export function queueMaxSzShifts(smmu: ArmSmmuDevice): { cmdq: number; evtq: number; priq: number } {
  const caps = smmu.ctx.era.queueCaps;
  if (caps.kind === "entries") return { cmdq: caps.cmdq, evtq: caps.evtq, priq: caps.priq };
  return {
    cmdq: caps.qMaxSzShift - entSzShift(CMDQ_ENT_DWORDS),
    evtq: caps.qMaxSzShift - entSzShift(EVTQ_ENT_DWORDS),
    priq: caps.qMaxSzShift - entSzShift(PRIQ_ENT_DWORDS),
  };
}

/**
 * Reads IDR0, IDR1, IDR3 (era with range invalidation), IDR5 and fills `smmu.features`, `ias`/`oas`, the page-size
 * bitmap, ASID/VMID/SID/SSID widths and the queue sizes. `smmu.features` may already hold FEAT_COHERENCY from the
 * firmware (`dma-coherent` / IORT COHACC override). Returns 0, or -ENXIO for an SMMU Linux cannot drive.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_device_hw_probe
 */
export function armSmmuDeviceHwProbe(smmu: ArmSmmuDevice): number {
  const ctx = smmu.ctx;
  const coherent = (smmu.features & ARM_SMMU_FEAT.COHERENCY) !== 0;

  // IDR0
  let reg = smmu.readl(ARM_SMMU_REG.IDR0);
  if (((reg >>> IDR0.ST_LVL_SHIFT) & IDR0.ST_LVL_MASK) === IDR0.ST_LVL_2LVL) smmu.features |= ARM_SMMU_FEAT.TWO_LVL_STRTAB;
  if ((reg & IDR0.CD2L) !== 0) smmu.features |= ARM_SMMU_FEAT.TWO_LVL_CDTAB;

  // Translation table endianness: the same as the (little-endian) CPU, or mixed.
  switch ((reg >>> IDR0.TTENDIAN_SHIFT) & IDR0.TTENDIAN_MASK) {
    case IDR0.TTENDIAN_MIXED:
      smmu.features |= ARM_SMMU_FEAT.TT_LE | ARM_SMMU_FEAT.TT_BE;
      break;
    case IDR0.TTENDIAN_LE:
      smmu.features |= ARM_SMMU_FEAT.TT_LE;
      break;
    default:
      smmu.log("err", "unknown/unsupported TT endianness!");
      return -Errno.ENXIO;
  }

  // Boolean feature flags (CONFIG_PCI_PRI and CONFIG_PCI_ATS are =y in Debian's 6.1).
  if ((reg & IDR0.PRI) !== 0) smmu.features |= ARM_SMMU_FEAT.PRI;
  if ((reg & IDR0.ATS) !== 0) smmu.features |= ARM_SMMU_FEAT.ATS;
  if ((reg & IDR0.SEV) !== 0) smmu.features |= ARM_SMMU_FEAT.SEV;
  // MSI: the feature is recorded; MSI-based CMD_SYNC polling (ARM_SMMU_OPT_MSIPOLL) is not modelled, which is the
  // kernel's behaviour with arm-smmu-v3.disable_msipolling=1.
  if ((reg & IDR0.MSI) !== 0) smmu.features |= ARM_SMMU_FEAT.MSI;
  if ((reg & IDR0.HYP) !== 0) {
    smmu.features |= ARM_SMMU_FEAT.HYP;
    if (ctx.vhe && !ctx.era.cr2E2hAlways) smmu.features |= ARM_SMMU_FEAT.E2H;
  }

  // The coherency feature as set by firmware is used in preference to the ID register, but warn on mismatch.
  if (((reg & IDR0.COHACC) !== 0) !== coherent) {
    smmu.log("warning", `IDR0.COHACC overridden by FW configuration (${coherent ? "true" : "false"})`);
  }

  switch ((reg >>> IDR0.STALL_MODEL_SHIFT) & IDR0.STALL_MODEL_MASK) {
    case IDR0.STALL_MODEL_FORCE:
      smmu.features |= ARM_SMMU_FEAT.STALL_FORCE | ARM_SMMU_FEAT.STALLS;
      break;
    case IDR0.STALL_MODEL_STALL:
      smmu.features |= ARM_SMMU_FEAT.STALLS;
      break;
    default:
      break;
  }

  if ((reg & IDR0.S1P) !== 0) smmu.features |= ARM_SMMU_FEAT.TRANS_S1;
  if ((reg & IDR0.S2P) !== 0) smmu.features |= ARM_SMMU_FEAT.TRANS_S2;
  if ((reg & (IDR0.S1P | IDR0.S2P)) === 0) {
    smmu.log("err", "no translation support!");
    return -Errno.ENXIO;
  }

  // We only support the AArch64 table format at present.
  switch ((reg >>> IDR0.TTF_SHIFT) & IDR0.TTF_MASK) {
    case IDR0.TTF_AARCH32_64:
      smmu.ias = 40;
      break;
    case IDR0.TTF_AARCH64:
      break;
    default:
      smmu.log("err", "AArch64 table format not supported!");
      return -Errno.ENXIO;
  }

  smmu.asidBits = (reg & IDR0.ASID16) !== 0 ? 16 : 8;
  smmu.vmidBits = (reg & IDR0.VMID16) !== 0 ? 16 : 8;

  // IDR1
  reg = smmu.readl(ARM_SMMU_REG.IDR1);
  if ((reg & (IDR1.TABLES_PRESET | IDR1.QUEUES_PRESET | IDR1.REL)) !== 0) {
    smmu.log("err", "embedded implementation not supported");
    return -Errno.ENXIO;
  }

  // Queue sizes, capped to ensure natural alignment.
  const caps = queueMaxSzShifts(smmu);
  smmu.cmdq.maxNShift = Math.min(caps.cmdq, (reg >>> IDR1.CMDQS_SHIFT) & IDR1.QS_MASK);
  if (smmu.cmdq.maxNShift <= Math.log2(CMDQ_BATCH_ENTRIES)) {
    // One batch of commands plus a sync must fit in the command queue.
    smmu.log("err", `command queue size <= ${CMDQ_BATCH_ENTRIES} entries not supported`);
    return -Errno.ENXIO;
  }
  smmu.evtq.maxNShift = Math.min(caps.evtq, (reg >>> IDR1.EVTQS_SHIFT) & IDR1.QS_MASK);
  smmu.priq.maxNShift = Math.min(caps.priq, (reg >>> IDR1.PRIQS_SHIFT) & IDR1.QS_MASK);

  // SID/SSID sizes.
  smmu.ssidBits = (reg >>> IDR1.SSIDSIZE_SHIFT) & IDR1.SSIDSIZE_MASK;
  smmu.sidBits = reg & IDR1.SIDSIZE_MASK;
  // Fewer SID bits than would fill a single L2 stream table: use a linear table.
  if (smmu.sidBits <= 8) smmu.features &= ~ARM_SMMU_FEAT.TWO_LVL_STRTAB;

  // IDR3
  if (ctx.era.rangeInvalidation) {
    reg = smmu.readl(ARM_SMMU_REG.IDR3);
    if ((reg & IDR3_RIL) !== 0) smmu.features |= ARM_SMMU_FEAT.RANGE_INV;
  }

  // IDR5
  reg = smmu.readl(ARM_SMMU_REG.IDR5);
  smmu.maxStalls = reg >>> IDR5.STALL_MAX_SHIFT;
  if ((reg & IDR5.GRAN64K) !== 0) smmu.pgsizeBitmap += SZ.K64 + SZ.M512;
  if ((reg & IDR5.GRAN16K) !== 0) smmu.pgsizeBitmap += SZ.K16 + SZ.M32;
  if ((reg & IDR5.GRAN4K) !== 0) smmu.pgsizeBitmap += SZ.K4 + SZ.M2 + SZ.G1;
  if (((reg >>> IDR5.VAX_SHIFT) & 3) === IDR5.VAX_52_BIT) smmu.features |= ARM_SMMU_FEAT.VAX;

  const oasEnc = reg & IDR5.OAS_MASK;
  const oas = OAS_BITS[oasEnc];
  if (oas === undefined) {
    smmu.log("info", "unknown output address size. Truncating to 48-bit");
    smmu.oas = 48;
  } else {
    smmu.oas = oas;
    // 52-bit output with 64K pages also allows 4 TiB blocks.
    if (oas === 52) smmu.pgsizeBitmap += 2 ** 42;
  }

  smmu.ias = Math.max(smmu.ias, smmu.oas);
  smmu.log("info", `ias ${smmu.ias}-bit, oas ${smmu.oas}-bit (features ${hex08(smmu.features)})`);
  return 0;
}

/** `%08x` with the `0x` prefix. */
function hex08(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, "0")}`;
}
