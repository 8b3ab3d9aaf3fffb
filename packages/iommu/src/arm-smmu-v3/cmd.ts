/**
 * Command-queue entries as the driver builds them (`struct arm_smmu_cmdq_ent` → `arm_smmu_cmdq_build_cmd`): a typed
 * union in, four little-endian 32-bit words out. The driver keeps its own encoder so that driver and hardware model
 * agree only through the architecture (smmuv3-model.md §3.2).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_cmdq_build_cmd
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h CMDQ_OP_*, CMDQ_CFGI_*, CMDQ_TLBI_*, CMDQ_SYNC_*
 */
import { ARM_SMMU_MEMATTR_OIWB, ARM_SMMU_SH_ISH } from "./regs";

/** Opcodes the driver issues. @see arm-smmu-v3.h CMDQ_OP_PREFETCH_CFG … CMDQ_OP_CMD_SYNC */
export const CMDQ_OP = {
  PREFETCH_CFG: 0x01,
  CFGI_STE: 0x03,
  CFGI_ALL: 0x04,
  CFGI_CD: 0x05,
  CFGI_CD_ALL: 0x06,
  TLBI_NH_ASID: 0x11,
  TLBI_NH_VA: 0x12,
  TLBI_EL2_ALL: 0x20,
  TLBI_EL2_ASID: 0x21,
  TLBI_EL2_VA: 0x22,
  TLBI_S12_VMALL: 0x28,
  TLBI_NSNH_ALL: 0x30,
  CMD_SYNC: 0x46,
} as const;

/** TLBI fields shared by the VA forms (`ent->tlbi`). */
export interface ArmSmmuTlbiVa {
  readonly asid: number;
  readonly vmid: number;
  readonly leaf: boolean;
  /** Input address; bits [63:12] are encoded. */
  readonly addr: number;
  /** Range invalidation (FEAT_RANGE_INV): NUM, SCALE, TTL, TG; all 0 for a single page. */
  readonly num: number;
  readonly scale: number;
  readonly ttl: number;
  readonly tg: number;
}

/**
 * One command (`struct arm_smmu_cmdq_ent`), discriminated by opcode name.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h struct arm_smmu_cmdq_ent
 */
export type ArmSmmuCmdqEnt =
  | { readonly op: "PREFETCH_CFG"; readonly sid: number }
  | { readonly op: "CFGI_STE"; readonly sid: number; readonly leaf: boolean }
  | { readonly op: "CFGI_ALL" }
  | { readonly op: "CFGI_CD"; readonly sid: number; readonly ssid: number; readonly leaf: boolean }
  | { readonly op: "CFGI_CD_ALL"; readonly sid: number }
  | { readonly op: "TLBI_NH_ASID"; readonly asid: number; readonly vmid: number }
  | ({ readonly op: "TLBI_NH_VA" } & ArmSmmuTlbiVa)
  | { readonly op: "TLBI_EL2_ALL" }
  | { readonly op: "TLBI_EL2_ASID"; readonly asid: number }
  | ({ readonly op: "TLBI_EL2_VA" } & ArmSmmuTlbiVa)
  | { readonly op: "TLBI_S12_VMALL"; readonly vmid: number }
  | { readonly op: "TLBI_NSNH_ALL" }
  /**
   * CMD_SYNC. `msiAddr` non-zero: CS = IRQ with an MSI write-back (MSIPOLL); otherwise CS = SEV. `withAttrs`: MSH =
   * ISH and MSIAttr = OIWB are set (v4.16+, when MSI-based sync arrived; v4.7 set CS = SEV only).
   */
  | { readonly op: "CMD_SYNC"; readonly msiAddr: number; readonly withAttrs: boolean };

const TWO_32 = 0x1_0000_0000;

/**
 * The four 32-bit words of a command: dword0 low/high, dword1 low/high.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_cmdq_build_cmd
 */
export type CmdWords = readonly [number, number, number, number];

/**
 * `arm_smmu_cmdq_build_cmd`: encode one command. Never fails for the opcodes the union allows (the kernel's
 * `-ENOENT` for an unknown opcode cannot arise).
 *
 * @example
 * buildCmd({ op: "CFGI_STE", sid: 0x10, leaf: true }); // [0x3, 0x10, 0x1, 0]
 */
export function buildCmd(ent: ArmSmmuCmdqEnt): CmdWords {
  const opcode = CMDQ_OP[ent.op];
  switch (ent.op) {
    case "TLBI_EL2_ALL":
    case "TLBI_NSNH_ALL":
      return [opcode, 0, 0, 0];
    case "PREFETCH_CFG":
      return [opcode, ent.sid >>> 0, 0, 0];
    case "CFGI_CD":
      return [(opcode | ((ent.ssid & 0xfffff) << 12)) >>> 0, ent.sid >>> 0, ent.leaf ? 1 : 0, 0];
    case "CFGI_STE":
      return [opcode, ent.sid >>> 0, ent.leaf ? 1 : 0, 0];
    case "CFGI_CD_ALL":
      return [opcode, ent.sid >>> 0, 0, 0];
    case "CFGI_ALL":
      // Cover the entire SID range: CMDQ_CFGI_1_RANGE = 31.
      return [opcode, 0, 31, 0];
    case "TLBI_NH_VA":
    case "TLBI_EL2_VA": {
      const out: [number, number, number, number] = [0, 0, 0, 0];
      encodeTlbiVa(out, 0, opcode, ent.op === "TLBI_NH_VA" ? ent.vmid : 0, ent);
      return out;
    }
    case "TLBI_NH_ASID":
      return [opcode, ((ent.vmid & 0xffff) | ((ent.asid & 0xffff) << 16)) >>> 0, 0, 0];
    case "TLBI_S12_VMALL":
      return [opcode, ent.vmid & 0xffff, 0, 0];
    case "TLBI_EL2_ASID":
      return [opcode, ((ent.asid & 0xffff) << 16) >>> 0, 0, 0];
    case "CMD_SYNC": {
      // CS: 1 = IRQ (MSI write-back), 2 = SEV.
      const cs = ent.msiAddr !== 0 ? 1 : 2;
      let w0 = opcode | (cs << 12);
      if (ent.withAttrs) w0 |= (ARM_SMMU_SH_ISH << 22) | (ARM_SMMU_MEMATTR_OIWB << 24);
      const msiLo = ent.msiAddr % TWO_32;
      const msiHi = Math.floor(ent.msiAddr / TWO_32);
      return [w0 >>> 0, 0, (msiLo & 0xfffffffc) >>> 0, msiHi & 0xfffff];
    }
  }
}

/**
 * The TLBI_NH_VA / TLBI_EL2_VA encoding (`arm_smmu_cmdq_build_cmd`'s TLBI_*_VA cases) written at `out[at..at+3]`, so
 * the driver's batch can hold commands as one flat word array. `vmid` is 0 for the EL2 form.
 */
export function encodeTlbiVa(
  out: number[] | [number, number, number, number],
  at: number,
  opcode: number,
  vmid: number,
  va: Pick<ArmSmmuTlbiVa, "asid" | "leaf" | "addr" | "num" | "scale" | "ttl" | "tg">,
): void {
  const addr = va.addr;
  // Bits [31:12] of the address, and bits [51:32]; exact for any address below 2^53.
  const addrLo = addr < TWO_32 ? addr : addr % TWO_32;
  const addrHi = addr < TWO_32 ? 0 : Math.floor(addr / TWO_32);
  out[at] = (opcode | ((va.num & 0x1f) << 12) | ((va.scale & 0x1f) << 20)) >>> 0;
  out[at + 1] = ((vmid & 0xffff) | ((va.asid & 0xffff) << 16)) >>> 0;
  out[at + 2] = ((va.leaf ? 1 : 0) | ((va.ttl & 3) << 8) | ((va.tg & 3) << 10) | (addrLo & 0xfffff000)) >>> 0;
  out[at + 3] = addrHi >>> 0;
}

/** `0x%016llx` of a 64-bit word given as two 32-bit halves (what `dev_err`/`dev_info` print). */
export function hex64(lo: number, hi: number): string {
  return `0x${(hi >>> 0).toString(16).padStart(8, "0")}${(lo >>> 0).toString(16).padStart(8, "0")}`;
}
