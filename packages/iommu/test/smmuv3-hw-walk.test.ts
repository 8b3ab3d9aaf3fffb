/**
 * Stream lookup and the outcome table (smmuv3-model.md §2.2, §2.6), the stage-1 walk for 4K/16K/64K granules with
 * blocks and QEMU's check order (§5.1–§5.4), and the QEMU-keyed IOTLB (§5.5).
 */
import { describe, expect, it } from "vitest";
import { selectTable, SMMU_REG, type WalkTable } from "@dmasim/iommu/smmuv3-hw";
import {
  linuxCd,
  linuxS1Ste,
  LINUX_ABORT_STE,
  LINUX_BYPASS_STE,
  PTE_RDONLY,
  PTE_RW,
  SmmuTestBoard,
  stage1Board,
  STRTAB_PA,
} from "../src/smmuv3-hw/test-support";

const R = SMMU_REG;
const rd = (sid: number, iova: number) => ({ streamId: sid, iova, access: "read" as const, size: 4 });
const wr = (sid: number, iova: number) => ({ streamId: sid, iova, access: "write" as const, size: 4 });

describe("outcome of a transaction (§2.6)", () => {
  it("bypasses with the SMMU disabled and GBPA.ABORT = 0, aborts silently with GBPA.ABORT = 1", () => {
    const b = new SmmuTestBoard();
    expect(b.smmu.translate(rd(3, 0x1234))).toEqual({ kind: "bypass", pa: 0x1234 });
    b.w32(R.GBPA, 0x80100000);
    expect(b.smmu.translate(wr(3, 0x1234))).toEqual({ kind: "abort", reason: "gbpa-abort", eventId: null });
    expect(b.traced("smmu-abort")).toEqual([{ type: "smmu-abort", smmu: "9050000.smmuv3", sid: 3, iova: 0x1234, access: "write", reason: "gbpa-abort" }]);
  });

  it("aborts silently on Linux's abort STE, bypasses on its bypass STE, translates on its S1 STE", () => {
    const { board: b, tables } = stage1Board([{ sid: 2 }]);
    tables.get(2)?.map(0x1000, 0x48001000);
    b.put64(STRTAB_PA + 0 * 64, ...LINUX_ABORT_STE);
    b.put64(STRTAB_PA + 1 * 64, ...LINUX_BYPASS_STE);
    expect(b.smmu.translate(rd(0, 0x1000))).toEqual({ kind: "abort", reason: "ste-abort", eventId: null });
    expect(b.smmu.translate(rd(1, 0x1000))).toEqual({ kind: "bypass", pa: 0x1000 });
    expect(b.smmu.translate(rd(2, 0x1000))).toEqual({ kind: "translated", pa: 0x48001000 });
    expect(b.drainEvents()).toEqual([]);
  });
});

describe("stream table lookup (§2.2)", () => {
  it("finds a linear STE at (base aligned to the table) + SID x 64", () => {
    const b = new SmmuTestBoard();
    b.put64(STRTAB_PA + 0x2a * 64, ...LINUX_BYPASS_STE);
    b.bringUp({ strtabBase: STRTAB_PA + 0x40, strtabCfg: 0x8 }); // low bits below the 16 KiB table size are ignored
    expect(b.smmu.translate(rd(0x2a, 0x5000)).kind).toBe("bypass");
    expect(b.smmu.configCache()[0]?.steAddr).toBe(STRTAB_PA + 0x2a * 64);
  });

  it("walks Linux's 2-level table (STRTAB_BASE_CFG 0x10210: LOG2SIZE 16, SPLIT 8, Span 9)", () => {
    const b = new SmmuTestBoard();
    const l2 = 0x40040000;
    b.put64(STRTAB_PA + 0x03 * 8, 9n | BigInt(l2));
    b.put64(l2 + 0x10 * 64, ...LINUX_BYPASS_STE);
    b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x10210 });
    expect(b.smmu.translate(rd(0x0310, 0x5000)).kind).toBe("bypass");
    expect(b.smmu.configCache()[0]?.steAddr).toBe(l2 + 0x10 * 64);
    // SIDs of other buses have Span 0: C_BAD_STREAMID.
    expect(b.smmu.translate(rd(0x0410, 0)).kind).toBe("abort");
    expect(b.drainEvents().map((e) => [e.id, e.sid])).toEqual([[0x02, 0x0410]]);
  });

  it("bounds the L2 index by 2^Span - 1 with C_BAD_STE (QEMU) or 2^(Span-1) - 1 with C_BAD_STREAMID (spec)", () => {
    for (const compat of ["qemu", "spec"] as const) {
      const b = new SmmuTestBoard({ compat });
      const l2 = 0x40040000;
      b.put64(STRTAB_PA, 3n | BigInt(l2)); // Span 3: spec 4 STEs, QEMU 8
      for (let i = 0; i < 8; i++) b.put64(l2 + i * 64, ...LINUX_BYPASS_STE);
      b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x10210 });
      const kinds = [3, 5, 9].map((sid) => {
        const o = b.smmu.translate(rd(sid, 0));
        return o.kind === "abort" ? o.reason : o.kind;
      });
      expect(kinds).toEqual(compat === "qemu" ? ["bypass", "bypass", "C_BAD_STE"] : ["bypass", "C_BAD_STREAMID", "C_BAD_STREAMID"]);
    }
  });
});

describe("stage-1 walk (§5)", () => {
  it("translates 4K pages with a 4-level (T0SZ 16) and a 3-level (T0SZ 25) table", () => {
    const { board: b, tables } = stage1Board([{ sid: 1 }, { sid: 2, t0sz: 25, asid: 2 }]);
    tables.get(1)?.map(0x7f_ffff_f000, 0x48000000);
    tables.get(2)?.map(0x7f_ffff_f000, 0x49000000);
    expect(tables.get(2)?.startLevel).toBe(1);
    expect(b.smmu.translate(rd(1, 0x7f_ffff_fabc))).toEqual({ kind: "translated", pa: 0x48000abc });
    expect(b.smmu.translate(rd(2, 0x7f_ffff_fabc))).toEqual({ kind: "translated", pa: 0x49000abc });
    // Beyond TTB0's 39-bit range the EPD1 half is selected: F_TRANSLATION.
    expect(b.smmu.translate(rd(2, 0x80_0000_0000))).toMatchObject({ reason: "F_TRANSLATION" });
  });

  it("translates 4K blocks at level 1 (1 GiB) and level 2 (2 MiB)", () => {
    const { board: b, tables } = stage1Board([{ sid: 1 }]);
    tables.get(1)?.map(0x40000000, 0x80000000 * 2, { level: 1 });
    tables.get(1)?.map(0x200000, 0x48200000, { level: 2 });
    expect(b.smmu.translate(rd(1, 0x7654_3210))).toEqual({ kind: "translated", pa: 0x1_3654_3210 });
    expect(b.smmu.translate(rd(1, 0x3f_fff8))).toEqual({ kind: "translated", pa: 0x483f_fff8 });
    expect(b.smmu.iotlb().map((e) => [e.iova, e.size, e.level])).toEqual([
      [0x200000, 0x200000, 2],
      [0x40000000, 0x40000000, 1],
    ]);
  });

  it("walks 16K tables (start level 0 with one index bit at 48-bit VA) and 32 MiB level-2 blocks", () => {
    const { board: b, tables } = stage1Board([{ sid: 1, tg0: 2 }]);
    const pt = tables.get(1);
    expect(pt?.startLevel).toBe(0);
    pt?.map(0x8000_1234_4000, 0x4800_4000);
    pt?.map(0x200_0000 * 3, 0x4a00_0000, { level: 2 });
    expect(b.smmu.translate(rd(1, 0x8000_1234_5678))).toEqual({ kind: "translated", pa: 0x4800_5678 });
    expect(b.smmu.translate(rd(1, 0x600_0000 + 0x1ff_ffff))).toEqual({ kind: "translated", pa: 0x4bff_ffff });
    expect(b.smmu.iotlb().map((e) => [e.size, e.level, e.granuleShift])).toEqual([
      [0x200_0000, 2, 14],
      [0x4000, 3, 14],
    ]);
  });

  it("walks 64K tables (start level 1) and 512 MiB level-2 blocks", () => {
    const { board: b, tables } = stage1Board([{ sid: 1, tg0: 1 }]);
    const pt = tables.get(1);
    expect(pt?.startLevel).toBe(1);
    pt?.map(0xabcd_0001_0000, 0x4801_0000);
    pt?.map(0x2000_0000, 0x6000_0000, { level: 2 });
    expect(b.smmu.translate(rd(1, 0xabcd_0001_fffc))).toEqual({ kind: "translated", pa: 0x4801_fffc });
    expect(b.smmu.translate(rd(1, 0x2123_4567))).toEqual({ kind: "translated", pa: 0x6123_4567 });
  });

  it("accepts a 4K level-0 block under QEMU but faults it under the spec (needs 52-bit support)", () => {
    for (const [compat, kind] of [["qemu", "translated"], ["spec", "abort"]] as const) {
      const { board: b, tables } = stage1Board([{ sid: 1 }], { compat });
      tables.get(1)?.map(0x80_0000_0000, 0, { level: 0 });
      expect(b.smmu.translate(rd(1, 0x80_4000_1000)).kind).toBe(kind);
    }
  });

  it("faults an invalid descriptor and the reserved level-3 encoding 0b01 with F_TRANSLATION", () => {
    const { board: b, tables } = stage1Board([{ sid: 1 }]);
    const addr = tables.get(1)?.map(0x3000, 0x48003000) ?? 0;
    b.put64(addr, 0x48003000n | PTE_RW | 1n);
    expect(b.smmu.translate(rd(1, 0x3000))).toMatchObject({ reason: "F_TRANSLATION", eventId: 0x10 });
    expect(b.smmu.translate(rd(1, 0x4000))).toMatchObject({ reason: "F_TRANSLATION", eventId: 0x10 });
  });

  it("checks the access flag before permission, as QEMU does", () => {
    const { board: b, tables } = stage1Board([{ sid: 1 }]);
    tables.get(1)?.map(0x3000, 0x48003000, { attrs: (PTE_RW | PTE_RDONLY) & ~0x400n });
    expect(b.smmu.translate(wr(1, 0x3000))).toMatchObject({ reason: "F_ACCESS" });
  });

  it("treats reads as always permitted and writes as needing AP[2] = 0 (privileged, XN ignored)", () => {
    const { board: b, tables } = stage1Board([{ sid: 1 }]);
    tables.get(1)?.map(0x3000, 0x48003000, { attrs: (PTE_RW & ~0x40n) | (3n << 53n) }); // AP[1] = 0, PXN/UXN
    expect(b.smmu.translate(wr(1, 0x3000))).toEqual({ kind: "translated", pa: 0x48003000 });
  });

  it("faults writes below a table descriptor with APTable[1] = 1 unless CD.HAD0 (QEMU: only while walking)", () => {
    const { board: b, tables } = stage1Board([{ sid: 1 }]);
    tables.get(1)?.map(0x3000, 0x48003000, { tableBits: 1n << 62n });
    expect(b.smmu.translate(wr(1, 0x3008))).toMatchObject({ reason: "F_PERMISSION" });
    expect(b.smmu.translate(rd(1, 0x3000)).kind).toBe("translated");
    // QEMU caches only the leaf's AP: once a read has filled the IOTLB, a write hits and succeeds. The spec folds
    // APTable into the cached permission.
    expect(b.smmu.translate(wr(1, 0x3008)).kind).toBe("translated");
    const spec = stage1Board([{ sid: 1 }], { compat: "spec" });
    spec.tables.get(1)?.map(0x3000, 0x48003000, { tableBits: 1n << 62n });
    expect(spec.board.smmu.translate(rd(1, 0x3000)).kind).toBe("translated");
    expect(spec.board.smmu.translate(wr(1, 0x3008))).toMatchObject({ reason: "F_PERMISSION" });
    const had = stage1Board([{ sid: 1 }]);
    had.tables.get(1)?.map(0x3000, 0x48003000, { tableBits: 1n << 62n });
    had.board.put64(0x40800000 + 8, BigInt(had.tables.get(1)?.root ?? 0) | 2n); // HAD0
    expect(had.board.smmu.translate(wr(1, 0x3000)).kind).toBe("translated");
  });

  it("checks table addresses against the IPS under the spec; QEMU only checks the output", () => {
    for (const [compat, reason] of [["qemu", "F_WALK_EABT"], ["spec", "F_ADDR_SIZE"]] as const) {
      const { board: b, tables } = stage1Board([{ sid: 1 }], { compat });
      const pt = tables.get(1);
      const l0 = pt?.pteAddr(0x1000, 0) ?? 0;
      pt?.map(0x1000, 0x48001000);
      b.put64(l0, 0x1000_0000_0000n | 3n);
      expect(b.smmu.translate(rd(1, 0x1000))).toMatchObject({ reason });
    }
  });

  it("selects TTB0 for addresses in its range, the size-less half otherwise, or none", () => {
    const t = (tsz: number): WalkTable => ({ disabled: tsz === 0, tsz, granuleShift: 12, ttb: 0, had: false, startLevel: 0 });
    const t0 = t(16);
    const t1 = t(0);
    expect(selectTable(t0, t1, 0, 0xffff_ffff_ffff)).toBe(t0);
    expect(selectTable(t0, t1, 0, 0x1_0000_0000_0000)).toBe(t1);
    expect(selectTable(t(16), t(16), 0, 0x1_0000_0000_0000)).toBeNull();
    expect(selectTable(t(0), t(16), 0, 0x1234)).not.toBe(null);
  });
});

describe("IOTLB (§5.5)", () => {
  it("shares entries between StreamIDs of the same ASID (the key has no StreamID)", () => {
    const { board: b, tables } = stage1Board([{ sid: 1, asid: 9 }]);
    const pt = tables.get(1);
    pt?.map(0x1000, 0x48001000);
    b.put64(STRTAB_PA + 2 * 64, ...linuxS1Ste(0x40900000));
    b.put64(0x40900000, ...linuxCd(0x42000000, 9)); // empty tables, same ASID
    expect(b.smmu.translate(rd(1, 0x1000)).kind).toBe("translated");
    expect(b.smmu.translate(rd(2, 0x1000))).toEqual({ kind: "translated", pa: 0x48001000 });
    expect(b.smmu.translate(rd(2, 0x2000)).kind).toBe("abort");
  });

  it("flushes everything when an insert finds 256 entries (SMMU_IOTLB_MAX_SIZE)", () => {
    const { board: b, tables } = stage1Board([{ sid: 1 }]);
    for (let i = 0; i < 300; i++) tables.get(1)?.map(0x100000 + i * 0x1000, 0x48000000 + i * 0x1000);
    for (let i = 0; i < 300; i++) b.smmu.translate(rd(1, 0x100000 + i * 0x1000));
    expect(b.smmu.iotlbSize).toBe(300 - 256);
    expect(b.smmu.counters.capacityFlushes).toBe(1);
    expect(b.traced("smmu-iotlb-flush")).toEqual([{ type: "smmu-iotlb-flush", smmu: "9050000.smmuv3", reason: "capacity", dropped: 256 }]);
  });

  it("returns the same outcome object for a repeated address, and counts hits and misses", () => {
    const { board: b, tables } = stage1Board([{ sid: 1 }]);
    tables.get(1)?.map(0x1000, 0x48001000);
    const first = b.smmu.translate(rd(1, 0x1010));
    expect(b.smmu.translate(rd(1, 0x1010))).toBe(first);
    expect(b.smmu.translate(rd(1, 0x1020))).toEqual({ kind: "translated", pa: 0x48001020 });
    expect(b.smmu.counters).toMatchObject({ iotlbHits: 2, iotlbMisses: 1, configMisses: 1, configHits: 2 });
  });
});
