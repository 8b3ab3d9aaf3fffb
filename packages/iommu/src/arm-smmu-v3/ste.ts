/**
 * Stream table entries as the driver writes them into RAM: the L1 descriptors of a 2-level table, the abort/bypass
 * STEs a fresh table is filled with, and `arm_smmu_write_strtab_ent`'s three cases (no domain → abort or bypass,
 * identity domain → bypass, stage-1 domain → translate through the CD table) in Linux's write order.
 *
 * Values (smmuv3-model.md §2.7): abort = {0x1, 0x1000_0000_0000, 0}, bypass = {0x9, 0x1000_0000_0000, 0},
 * stage 1 = {V | Config 5 | CD table address, S1DSS=SSID0 | S1CIR=S1COR=WBRA | S1CSH=ISH (0xD6) | STRW, ...}.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_write_strtab_ent, arm_smmu_init_bypass_stes
 */
import type { PhysAddr } from "@dmasim/machine";
import { issueCmd, issueCmdWithSync } from "./cmdq";
import type { ArmSmmuDevice, ArmSmmuMaster } from "./device";
import type { ArmSmmuSteConfig } from "./events";
import { ARM_SMMU_FEAT, ARM_SMMU_OPT, STRTAB_L1_DESC_DWORDS, STRTAB_SPLIT, STRTAB_STE_DWORDS } from "./regs";

/** STE dword0: V, Config [3:1] (abort 0, bypass 4, S1 translate 5), S1Fmt [5:4]. @see arm-smmu-v3.h STRTAB_STE_0_* */
export const STE0 = { V: 1, CFG_SHIFT: 1, CFG_ABORT: 0, CFG_BYPASS: 4, CFG_S1_TRANS: 5, CFG_S2_TRANS: 6, S1FMT_SHIFT: 4, S1CDMAX_HI_SHIFT: 27 } as const;
/** STE dword1 fields (low word unless `_HI`). @see arm-smmu-v3.h STRTAB_STE_1_* */
export const STE1 = {
  S1DSS_SSID0: 2,
  S1CIR_SHIFT: 2,
  S1COR_SHIFT: 4,
  S1CSH_SHIFT: 6,
  S1C_CACHE_WBRA: 1,
  S1STALLD: 1 << 27,
  EATS_TRANS: 1 << 28,
  STRW_SHIFT: 30,
  STRW_EL2: 2,
  /** SHCFG [45:44] = 1 (incoming), i.e. bit 12 of the high word. */
  SHCFG_INCOMING_HI: 1 << 12,
} as const;

/** `arm_smmu_get_step_for_sid`: the STE's address, or null when its L2 table does not exist. */
export function stepForSid(smmu: ArmSmmuDevice, sid: number): PhysAddr | null {
  const cfg = smmu.strtab;
  if ((smmu.features & ARM_SMMU_FEAT.TWO_LVL_STRTAB) !== 0) {
    const desc = cfg.l1Desc?.[Math.floor(sid / 2 ** STRTAB_SPLIT) * STRTAB_L1_DESC_DWORDS];
    if (desc === undefined || desc.l2ptr === 0) return null;
    return desc.l2ptr + (sid % 2 ** STRTAB_SPLIT) * STRTAB_STE_DWORDS * 8;
  }
  return cfg.strtab + sid * STRTAB_STE_DWORDS * 8;
}

function write64(smmu: ArmSmmuDevice, pa: PhysAddr, lo: number, hi: number): void {
  smmu.ctx.memory.write32(pa, lo >>> 0);
  smmu.ctx.memory.write32(pa + 4, hi >>> 0);
}

/**
 * `arm_smmu_write_strtab_l1_desc`: Span [4:0] | L2Ptr [51:6] into L1 entry `idx`.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_write_strtab_l1_desc
 */
export function writeL1Desc(smmu: ArmSmmuDevice, idx: number): void {
  const desc = smmu.strtab.l1Desc?.[idx];
  if (desc === undefined) return;
  const lo = ((desc.l2ptr % 0x1_0000_0000) & 0xffffffc0) | (desc.span & 0x1f);
  const hi = Math.floor(desc.l2ptr / 0x1_0000_0000) & 0xfffff;
  write64(smmu, smmu.strtab.strtab + idx * STRTAB_L1_DESC_DWORDS * 8, lo, hi);
}

/**
 * `arm_smmu_init_bypass_stes(strtab, nent, force)`: every STE abort (`disable_bypass` and not `force`) or bypass,
 * with SHCFG = incoming and the VMID dword cleared. Not live yet, so no invalidation.
 */
export function initBypassStes(smmu: ArmSmmuDevice, strtab: PhysAddr, nent: number, force: boolean): void {
  const cfg = smmu.ctx.disableBypass && !force ? STE0.CFG_ABORT : STE0.CFG_BYPASS;
  const dword0 = STE0.V | (cfg << STE0.CFG_SHIFT);
  for (let i = 0; i < nent; i++) {
    const pa = strtab + i * STRTAB_STE_DWORDS * 8;
    write64(smmu, pa, dword0, 0);
    write64(smmu, pa + 8, 0, STE1.SHCFG_INCOMING_HI);
    write64(smmu, pa + 16, 0, 0);
  }
}

/** `arm_smmu_sync_ste_for_sid`: CFGI_STE (leaf) + CMD_SYNC. */
export function syncSteForSid(smmu: ArmSmmuDevice, sid: number): void {
  issueCmdWithSync(smmu, { op: "CFGI_STE", sid, leaf: true });
}

/**
 * `arm_smmu_write_strtab_ent(master, sid, dst)` for a master's stream:
 * 1. No domain (`disable_bypass`: abort, else bypass) or an identity domain (bypass): dword0, dword1 = SHCFG
 *    incoming, dword2 = 0, then CFGI_STE + SYNC (v4.13+ always; v4.7 only if the old STE was live).
 * 2. Stage-1 domain: dword1 (S1DSS/S1CIR/S1COR/S1CSH/STRW, S1STALLD on stall-capable SMMUs without stall for the
 *    master, EATS with ATS), CFGI_STE + SYNC, dword0 (V | S1_TRANS | CD table | S1CDMax | S1Fmt), CFGI_STE + SYNC,
 *    then PREFETCH_CONFIG unless the SKIP_PREFETCH option.
 * Returns what the STE became.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_write_strtab_ent
 */
export function writeStrtabEnt(master: ArmSmmuMaster, sid: number, dst: PhysAddr): ArmSmmuSteConfig {
  const smmu = master.smmu;
  const mem = smmu.ctx.memory;
  const domain = master.domain;
  const old0 = mem.read32(dst) >>> 0;
  const oldCfg = (old0 >>> STE0.CFG_SHIFT) & 7;
  const steLive = (old0 & STE0.V) !== 0 && (oldCfg === STE0.CFG_S1_TRANS || oldCfg === STE0.CFG_S2_TRANS);

  const s1 = domain !== null && domain.stage === "s1" ? domain.s1Cfg : null;
  if (s1 === null) {
    const bypass = domain !== null || !smmu.ctx.disableBypass;
    const dword0 = STE0.V | ((bypass ? STE0.CFG_BYPASS : STE0.CFG_ABORT) << STE0.CFG_SHIFT);
    write64(smmu, dst, dword0, 0);
    write64(smmu, dst + 8, 0, STE1.SHCFG_INCOMING_HI);
    write64(smmu, dst + 16, 0, 0); // Nuke the VMID
    // The SMMU can perform negative caching, so sync the STE whether or not the old value was live.
    if (smmu.ctx.era.syncNonLiveSte || steLive) syncSteForSid(smmu, sid);
    return bypass ? "bypass" : "abort";
  }

  const strw = (smmu.features & ARM_SMMU_FEAT.E2H) !== 0 ? STE1.STRW_EL2 : 0;
  let d1lo =
    STE1.S1DSS_SSID0 |
    (STE1.S1C_CACHE_WBRA << STE1.S1CIR_SHIFT) |
    (STE1.S1C_CACHE_WBRA << STE1.S1COR_SHIFT) |
    (3 << STE1.S1CSH_SHIFT) |
    (strw << STE1.STRW_SHIFT);
  if ((smmu.features & ARM_SMMU_FEAT.STALLS) !== 0 && !master.stallEnabled) d1lo |= STE1.S1STALLD;
  if (master.atsEnabled) d1lo |= STE1.EATS_TRANS;
  write64(smmu, dst + 8, d1lo, 0);

  const cdtab = s1.cdtab;
  const dword0lo = ((cdtab % 0x1_0000_0000) & 0xffffffc0) | STE0.V | (STE0.CFG_S1_TRANS << STE0.CFG_SHIFT) | (s1.s1fmt << STE0.S1FMT_SHIFT);
  const dword0hi = (Math.floor(cdtab / 0x1_0000_0000) & 0xfffff) | (s1.s1cdmax << STE0.S1CDMAX_HI_SHIFT);

  syncSteForSid(smmu, sid);
  // See arm_smmu_write_ctx_desc(): dword 0 last, so the SMMU never sees V=1 with stale fields.
  write64(smmu, dst, dword0lo, dword0hi);
  syncSteForSid(smmu, sid);

  // It's likely that we'll want to use the new STE soon.
  if ((smmu.options & ARM_SMMU_OPT.SKIP_PREFETCH) === 0) issueCmd(smmu, { op: "PREFETCH_CFG", sid });
  return "s1-trans";
}

/**
 * `arm_smmu_install_ste_for_dev`: write the STE of every StreamID of the master once (bridged PCI devices may list
 * the same ID twice), tracing each.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_install_ste_for_dev
 */
export function installSteForDev(master: ArmSmmuMaster): void {
  const smmu = master.smmu;
  const seen: number[] = [];
  for (const stream of master.streams) {
    if (seen.includes(stream.id)) continue;
    seen.push(stream.id);
    const step = stepForSid(smmu, stream.id);
    if (step === null) continue;
    const config = writeStrtabEnt(master, stream.id, step);
    smmu.ctx.trace.emit({
      type: "arm-smmu-ste",
      smmu: smmu.dev.name,
      sid: stream.id,
      addr: step,
      config,
      device: master.domain === null ? null : master.dev.name,
      domain: master.domain?.id ?? -1,
    });
  }
}
