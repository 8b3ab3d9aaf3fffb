/**
 * The QEMU qtest vector (smmuv3-model.md §6): qemu/qemu tests/qtest/iommu-smmuv3-test.c `ns-s1-only`, with the
 * structures and register writes of tests/qtest/libqos/qos-smmuv3.c replayed against the model. And Linux's STE/CD
 * images of §2.7.
 */
import { describe, expect, it } from "vitest";
import { decodeCd, decodeSte, SMMU_REG } from "@dmasim/iommu/smmuv3-hw";
import { linuxCd, linuxS1Ste, LINUX_ABORT_STE, LINUX_BYPASS_STE, SmmuTestBoard } from "../src/smmuv3-hw/test-support";

// qos-smmuv3.h
const NS = 0x40000000n;
const QSMMU_IOVA = 0x8080604567n;
const QSMMU_VTTB = 0x0e4d0000n;
const QSMMU_STR_TAB_BASE = 0x0e179000n;
const QSMMU_CD_GPA = QSMMU_STR_TAB_BASE - 0x40n;
const QSMMU_CMDQ_BASE_ADDR = 0x0e16b000n;
const QSMMU_EVENTQ_BASE_ADDR = 0x0e170000n;
const L0 = 0x0e4d1000n;
const L1 = 0x0e4d2000n;
const L2 = 0x0e4d3000n;
const L3 = 0x0ecba000n;
const NON_LEAF = 0x8000000000000003n;
const LEAF_RO = 0x04000000000007e3n;
const LEAF_RW = 0x0400000000000763n;
const PTE_MASK = 0x0000fffffffff000n;
/** The iommu-testdev is the only device on bus 0 besides the host bridge: 00:01.0, devfn 8. */
const SID = 8;

function tableIndex(addr: bigint, level: number): bigint {
  return (addr >> BigInt(39 - 9 * level)) & 0x1ffn;
}
function tableAddr(base: bigint, level: number, iova: bigint): bigint {
  return (base & PTE_MASK) + tableIndex(iova, level) * 8n;
}

/** qsmmu_setup_s2_walk_for_ipa: the qtest writes a stage-2 walk for every S1 table IPA, even in S1-only mode. */
function s2WalkForIpa(b: SmmuTestBoard, ipa: bigint, vttb: bigint, isFinal: boolean): void {
  const l0v = NS + (L0 | NON_LEAF);
  const l1v = NS + (L1 | NON_LEAF);
  const l2v = NS + (L2 | NON_LEAF);
  b.put64(Number(tableAddr(vttb, 0, ipa)), l0v);
  b.put64(Number(tableAddr(l0v, 1, ipa)), l1v);
  b.put64(Number(tableAddr(l1v, 2, ipa)), l2v);
  b.put64(Number(tableAddr(l2v, 3, ipa)), (ipa & PTE_MASK) | (isFinal ? LEAF_RO : LEAF_RW));
}

/** qsmmu_build_translation(S1_ONLY) + qsmmu_program_bank, in the qtest's order. */
function programQtest(b: SmmuTestBoard): void {
  // STE image (STE_SET_*): Config = 5, V, S2 fields as the qtest sets them (ignored for S1-only).
  const ste = new Uint32Array(16);
  const cdAddr = Number(NS + QSMMU_CD_GPA);
  const vttb = NS + QSMMU_VTTB;
  ste[0] = (cdAddr & ~0x3f) | (0x5 << 1) | 1;
  ste[1] = Math.floor(cdAddr / 2 ** 32) & 0xffff;
  ste[5] = 0x14 | (0x2 << 6) | (0 << 14) | (0x5 << 16) | (1 << 19);
  ste[6] = Number(vttb & 0xfffffff0n);
  ste[7] = Number(vttb >> 32n);
  const steAddr = Number(NS + QSMMU_STR_TAB_BASE) + SID * 64;
  ste.forEach((w, i) => b.memory.write32(steAddr + 4 * i, w));
  // CD image (CD_SET_*): ASID 0x1e20, AA64, V, A, IPS 4, EPD1, T0SZ 16, TG0 4K, NSCFG0/1, R, TTB0 = VTTB.
  const cd = new Uint32Array(16);
  cd[0] = (1 << 31) | (1 << 30) | 0x10;
  cd[1] = (0x1e20 << 16) | (1 << 9) | (1 << 14) | (1 << 13) | 0x4;
  cd[2] = Number(vttb & 0xfffffff0n) | 1;
  cd[3] = Number(vttb >> 32n);
  cd[4] = 1;
  cd.forEach((w, i) => b.memory.write32(cdAddr + 4 * i, w));
  // qsmmu_setup_translation_tables(S1_ONLY): each S1 level behind a (redundant) S2 walk for its own address.
  const s1v = [NS + (L0 | NON_LEAF), NS + (L1 | NON_LEAF), NS + (L2 | NON_LEAF)];
  const leaf = NS + (L3 | LEAF_RW);
  const addrs = [tableAddr(vttb, 0, QSMMU_IOVA), tableAddr(s1v[0] ?? 0n, 1, QSMMU_IOVA), tableAddr(s1v[1] ?? 0n, 2, QSMMU_IOVA), tableAddr(s1v[2] ?? 0n, 3, QSMMU_IOVA)];
  const vals = [...s1v, leaf];
  addrs.forEach((a, i) => {
    s2WalkForIpa(b, a, vttb, false);
    b.put64(Number(a), vals[i] ?? 0n);
  });
  s2WalkForIpa(b, leaf, vttb, true);
  // qsmmu_program_bank
  b.w32(SMMU_REG.GBPA, 0x80000000);
  b.w32(SMMU_REG.CR0, 0x0);
  b.w32(SMMU_REG.CR1, 0x0d75);
  b.w64(SMMU_REG.CMDQ_BASE, (NS + QSMMU_CMDQ_BASE_ADDR) | 0x0an);
  b.w32(SMMU_REG.CMDQ_CONS, 0);
  b.w32(SMMU_REG.CMDQ_PROD, 0);
  b.w64(SMMU_REG.EVENTQ_BASE, (NS + QSMMU_EVENTQ_BASE_ADDR) | 0x0an);
  b.w32(SMMU_REG.EVENTQ_PROD, 0);
  b.w32(SMMU_REG.EVENTQ_CONS, 0);
  b.w32(SMMU_REG.STRTAB_BASE_CFG, 0x5);
  b.w64(SMMU_REG.STRTAB_BASE, NS + QSMMU_STR_TAB_BASE);
  b.w32(SMMU_REG.CR0, 0xd);
}

describe("QEMU qtest iommu-smmuv3-test ns-s1-only", () => {
  it("walks IOVA 0x8080604567 through L0..L3 indices 1/2/3/4 to PA 0x4ecba567", () => {
    expect([0, 1, 2, 3].map((l) => Number(tableIndex(QSMMU_IOVA, l)))).toEqual([1, 2, 3, 4]);
    const b = new SmmuTestBoard();
    programQtest(b);
    expect(b.r32(SMMU_REG.CR0ACK)).toBe(0xd);
    const out = b.smmu.translate({ streamId: SID, iova: Number(QSMMU_IOVA), access: "write", size: 4 });
    expect(out).toEqual({ kind: "translated", pa: 0x4ecba567 });
    // The testdev's DMA write lands where the qtest reads it back (smmuv3_expected_gpa).
    if (out.kind !== "translated") throw new Error("not translated");
    b.memory.write32(out.pa, 0x12345678);
    expect(b.memory.read32(Number(NS + L3) + 0x567)).toBe(0x12345678);
    // No event, one IOTLB entry (ASID 0x1e20, level 3, 4K), one cached config.
    expect(b.r32(0x100a8)).toBe(0);
    expect(b.smmu.iotlb()).toEqual([{ asid: 0x1e20, iova: 0x8080604000, size: 0x1000, pa: 0x4ecba000, writable: true, level: 3, granuleShift: 12 }]);
    expect(b.smmu.configCache().map((c) => [c.sid, c.asid, c.cdAddr])).toEqual([[SID, 0x1e20, 0x4e178fc0]]);
  });

  it("translates the second access from the IOTLB", () => {
    const b = new SmmuTestBoard();
    programQtest(b);
    b.smmu.translate({ streamId: SID, iova: Number(QSMMU_IOVA), access: "write", size: 4 });
    const again = b.smmu.translate({ streamId: SID, iova: 0x8080604ff0, access: "read", size: 4 });
    expect(again).toEqual({ kind: "translated", pa: 0x4ecbaff0 });
    expect(b.smmu.counters.iotlbHits).toBe(1);
    expect(b.smmu.counters.iotlbMisses).toBe(1);
  });
});

describe("Linux STE/CD images (smmuv3-model.md §2.7)", () => {
  const words = (dwords: readonly bigint[]): Uint32Array => {
    const w = new Uint32Array(16);
    dwords.forEach((d, i) => {
      w[2 * i] = Number(d & 0xffffffffn);
      w[2 * i + 1] = Number(d >> 32n);
    });
    return w;
  };
  const features = { stage2: false, ssidBits: 0 };

  it("decodes the abort STE (0x1, SHCFG=incoming) as a silent abort", () => {
    expect(decodeSte(words(LINUX_ABORT_STE), features)).toEqual({ ok: true, value: { kind: "abort" } });
  });

  it("decodes the bypass STE (0x9) as bypass", () => {
    expect(decodeSte(words(LINUX_BYPASS_STE), features)).toEqual({ ok: true, value: { kind: "bypass", eats: 0 } });
  });

  it("decodes the S1 STE (Config 5, S1DSS=SSID0, WBRA/WBRA/ISH = 0xD6) as stage 1 with the CD pointer", () => {
    const r = decodeSte(words(linuxS1Ste(0x4e178fc0)), features);
    expect(r).toEqual({ ok: true, value: { kind: "s1", contextPtr: 0x4e178fc0, s1Fmt: 0, s1CdMax: 0, s1Dss: 2, eats: 0, strw: 0, mev: false } });
  });

  it("decodes CD dword0 = 0x0001E204C0003510 as ASID 1, 4K, T0SZ 16, IPS 44-bit, EPD1, R", () => {
    const cd = linuxCd(0x47000000);
    expect(cd[0]).toBe(0x0001e204c0003510n);
    const r = decodeCd(words(cd), { oas: 44, gran16k: true, asid16: true });
    expect(r).toEqual({
      ok: true,
      value: {
        asid: 1,
        oas: 44,
        affd: false,
        recordFaults: true,
        tbi: 0,
        tt: [
          { disabled: false, tsz: 16, granuleShift: 12, ttb: 0x47000000, had: false },
          { disabled: true, tsz: 0, granuleShift: 0, ttb: 0, had: false },
        ],
      },
    });
  });

  it("translates through the Linux S1 STE and CD end to end", () => {
    const b = new SmmuTestBoard();
    const strtab = 0x40010000;
    const cdPa = 0x40020000;
    const pgd = 0x40030000;
    b.put64(strtab + 0x10 * 64, ...linuxS1Ste(cdPa));
    b.put64(cdPa, ...linuxCd(pgd));
    // 4-level 4K tables for IOVA 0xfffff000 → PA 0x48000000 (RW, AF, nG, AP[1], SH=IS, page).
    b.put64(pgd + 0 * 8, 0x40031003n);
    b.put64(0x40031000 + 3 * 8, 0x40032003n);
    b.put64(0x40032000 + 0x1ff * 8, 0x40033003n);
    b.put64(0x40033000 + 0x1ff * 8, 0x48000000n | 0xf43n);
    b.bringUp({ strtabBase: strtab, strtabCfg: 0x6 });
    expect(b.smmu.translate({ streamId: 0x10, iova: 0xfffff010, access: "write", size: 4 })).toEqual({ kind: "translated", pa: 0x48000010 });
  });
});
