/**
 * The command queue (smmuv3-model.md §3): consumption with wrap, every CFGI and TLBI form Linux issues with its
 * architectural effect (a stale STE/CD is served until CFGI, a stale translation until TLBI), CMD_SYNC, and
 * CERROR_ILL / CERROR_ABT with CMDQ_CONS.ERR, GERROR.CMDQ_ERR and Linux's recovery.
 */
import { describe, expect, it } from "vitest";
import { alignedPow2Count, CMD_OP, GERROR, SMMU_REG } from "@dmasim/iommu/smmuv3-hw";
import { CMDQ_PA, LINUX_ABORT_STE, LINUX_BYPASS_STE, linuxCd, PTE_RDONLY, PTE_RW, SmmuTestBoard, stage1Board, STRTAB_PA } from "../src/smmuv3-hw/test-support";

const R = SMMU_REG;
const rd = (sid: number, iova: number) => ({ streamId: sid, iova, access: "read" as const, size: 4 });
const wr = (sid: number, iova: number) => ({ streamId: sid, iova, access: "write" as const, size: 4 });
const SYNC = { opcode: CMD_OP.SYNC, cs: 2 };

describe("consumption", () => {
  it("executes every command up to PROD, across the wrap of a 4-entry queue", () => {
    const b = new SmmuTestBoard();
    b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8, qLog2: 2 });
    b.submit(SYNC, SYNC, SYNC);
    expect(b.r32(R.CMDQ_CONS)).toBe(3);
    b.submit(SYNC, SYNC, SYNC); // entries 3, 0, 1: the wrap bit flips
    expect(b.r32(R.CMDQ_CONS)).toBe(0x4 | 2);
    expect(b.r32(R.CMDQ_PROD)).toBe(0x4 | 2);
    expect(b.smmu.counters.commands).toBe(6);
  });

  it("waits while CR0.CMDQEN = 0 and consumes pending commands when it is set", () => {
    const b = new SmmuTestBoard();
    b.w64(R.CMDQ_BASE, BigInt(CMDQ_PA) | 4n);
    b.submit(SYNC, SYNC);
    expect(b.r32(R.CMDQ_CONS)).toBe(0);
    b.w32(R.CR0, 0x8);
    expect(b.r32(R.CMDQ_CONS)).toBe(2);
  });

  it("pulses the CMD_SYNC IRQ for CS = IRQ only", () => {
    const b = new SmmuTestBoard();
    b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8 });
    b.submit({ opcode: CMD_OP.SYNC, cs: 0 }, { opcode: CMD_OP.SYNC, cs: 2 }, { opcode: CMD_OP.SYNC, cs: 1 });
    expect(b.irqs).toEqual(["cmd-sync"]);
    // Linux's non-MSI CMD_SYNC {0x000000000FC02046, 0}: CS = SEV, MSH = ISH, MSIAttr = 0xF.
    b.submitRaw([0x0fc02046, 0, 0, 0]);
    expect(b.r32(R.CMDQ_CONS)).toBe(4);
    expect(b.irqs).toEqual(["cmd-sync"]);
  });
});

describe("CERROR (§3.3, §3.4)", () => {
  it("stops at an unknown opcode with CONS.ERR = ILL and GERROR.CMDQ_ERR, and resumes after Linux's skip", () => {
    const b = new SmmuTestBoard();
    b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8 });
    b.submit(SYNC, { opcode: 0x7f }, { opcode: CMD_OP.TLBI_NSNH_ALL }, SYNC);
    expect(b.r32(R.CMDQ_CONS)).toBe((1 << 24) | 1);
    expect(b.r32(R.GERROR)).toBe(GERROR.CMDQ_ERR);
    // More commands are not consumed while CMDQ_ERR is active.
    b.submit(SYNC);
    expect(b.r32(R.CMDQ_CONS) & 0xff).toBe(1);
    // __arm_smmu_cmdq_skip_err: ILL → replace the entry with CMD_SYNC; then GERRORN = GERROR restarts consumption.
    expect((b.r32(R.CMDQ_CONS) >>> 24) & 0x7f).toBe(1);
    b.memory.write32(CMDQ_PA + 16, 0x46);
    b.w32(R.GERRORN, b.r32(R.GERROR));
    expect(b.r32(R.CMDQ_CONS) & 0xff).toBe(5);
    expect(b.traced("smmu-cmd").map((c) => c.name)).toEqual(["CMD_SYNC", "UNKNOWN", "CMD_SYNC", "CMD_TLBI_NSNH_ALL", "CMD_SYNC", "CMD_SYNC"]);
    expect(b.traced("smmu-cmd-error")).toEqual([
      expect.objectContaining({ index: 1, opcode: 0x7f, error: "CERROR_ILL" }),
    ]);
  });

  it("treats CMD_SYNC with CS = 0b11, CFGI with SSec = 1 and CMD_CFGI_VMS_PIDM as illegal", () => {
    for (const bad of [{ opcode: CMD_OP.SYNC, cs: 3 }, { opcode: CMD_OP.CFGI_STE, ssec: true, sid: 1 }, { opcode: CMD_OP.CFGI_VMS_PIDM }]) {
      const b = new SmmuTestBoard();
      b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8 });
      b.submit(bad);
      expect([b.r32(R.CMDQ_CONS), b.r32(R.GERROR)]).toEqual([1 << 24, GERROR.CMDQ_ERR]);
    }
  });

  it("reports CERROR_ABT when the command cannot be read", () => {
    const b = new SmmuTestBoard();
    b.w64(R.CMDQ_BASE, 0x2000_0000n | 4n); // not RAM
    b.w32(R.CR0, 0x8);
    b.w32(R.CMDQ_PROD, 1);
    expect([b.r32(R.CMDQ_CONS), b.r32(R.GERROR)]).toEqual([2 << 24, GERROR.CMDQ_ERR]);
  });

  it("does nothing for stage-2 TLBIs on a stage-1-only SMMU as QEMU 7.2, but rejects them in spec mode", () => {
    for (const [compat, cons] of [["qemu", 2], ["spec", 1 << 24]] as const) {
      const b = new SmmuTestBoard({ compat });
      b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8 });
      b.submit({ opcode: CMD_OP.TLBI_S12_VMALL, vmid: 1 }, SYNC);
      expect(b.r32(R.CMDQ_CONS)).toBe(cons);
    }
  });

  it("accepts EL2/EL3 TLBIs, ATC_INV, PRI_RESP, RESUME, STALL_TERM and the prefetches as no-ops", () => {
    const b = new SmmuTestBoard();
    b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8 });
    const ops = [0x01, 0x02, 0x18, 0x1a, 0x20, 0x21, 0x22, 0x23, 0x40, 0x41, 0x44, 0x45];
    b.submit(...ops.map((opcode) => ({ opcode })));
    expect([b.r32(R.CMDQ_CONS), b.r32(R.GERROR)]).toEqual([ops.length, 0]);
  });
});

describe("configuration cache and CFGI (a stale STE/CD is served until CFGI)", () => {
  it("keeps serving a cached bypass STE after it is rewritten as abort, until CMD_CFGI_STE", () => {
    const b = new SmmuTestBoard();
    b.put64(STRTAB_PA + 5 * 64, ...LINUX_BYPASS_STE);
    b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8 });
    expect(b.smmu.translate(rd(5, 0x1000)).kind).toBe("bypass");
    b.put64(STRTAB_PA + 5 * 64, ...LINUX_ABORT_STE);
    expect(b.smmu.translate(rd(5, 0x1000)).kind).toBe("bypass");
    b.submit({ opcode: CMD_OP.CFGI_STE, sid: 4, leaf: true }, SYNC); // another SID: no effect
    expect(b.smmu.translate(rd(5, 0x1000)).kind).toBe("bypass");
    b.submit({ opcode: CMD_OP.CFGI_STE, sid: 5, leaf: true }, SYNC);
    expect(b.smmu.translate(rd(5, 0x1000))).toEqual({ kind: "abort", reason: "ste-abort", eventId: null });
    expect(b.traced("smmu-cfgi").map((e) => e.dropped)).toEqual([[], [5]]);
  });

  it("drops 2^(Range+1) aligned StreamIDs with CMD_CFGI_STE_RANGE and all with CMD_CFGI_ALL", () => {
    const b = new SmmuTestBoard();
    for (let sid = 0; sid < 12; sid++) b.put64(STRTAB_PA + sid * 64, ...LINUX_BYPASS_STE);
    b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8 });
    for (let sid = 0; sid < 12; sid++) b.smmu.translate(rd(sid, 0));
    expect(b.smmu.configCacheSize).toBe(12);
    b.submit({ opcode: CMD_OP.CFGI_STE_RANGE, sid: 6, range: 1 }, SYNC); // SIDs 4..7
    expect(b.smmu.configCache().map((c) => c.sid)).toEqual([0, 1, 2, 3, 8, 9, 10, 11]);
    b.submit({ opcode: CMD_OP.CFGI_STE_RANGE, range: 31 }, SYNC);
    expect(b.smmu.configCacheSize).toBe(0);
    expect(b.traced("smmu-cfgi").map((e) => [e.command, e.first, e.last])).toEqual([
      ["CMD_CFGI_STE_RANGE", 4, 7],
      ["CMD_CFGI_ALL", 0, 2 ** 32 - 1],
    ]);
  });

  it("keeps using a cached CD after it is rewritten, until CMD_CFGI_CD (or CD_ALL)", () => {
    const { board: b, tables } = stage1Board([{ sid: 3, asid: 1 }]);
    const pt = tables.get(3);
    if (pt === undefined) throw new Error("no table");
    pt.map(0x10000, 0x48000000);
    expect(b.smmu.translate(rd(3, 0x10000))).toEqual({ kind: "translated", pa: 0x48000000 });
    // Point the CD at empty tables with ASID 2.
    b.put64(0x40800000, ...linuxCd(0x42000000, 2));
    expect(b.smmu.translate(rd(3, 0x10004))).toEqual({ kind: "translated", pa: 0x48000004 });
    b.submit({ opcode: CMD_OP.CFGI_CD, sid: 3, ssid: 0, leaf: true }, SYNC);
    expect(b.smmu.translate(rd(3, 0x10008))).toMatchObject({ kind: "abort", eventId: 0x10 });
    b.put64(0x40800000, ...linuxCd(pt.root, 1));
    b.submit({ opcode: CMD_OP.CFGI_CD_ALL, sid: 3 }, SYNC);
    expect(b.smmu.translate(rd(3, 0x1000c))).toEqual({ kind: "translated", pa: 0x4800000c });
  });

  it("does not touch the IOTLB on CFGI, nor the configuration cache on TLBI", () => {
    const { board: b, tables } = stage1Board([{ sid: 3, asid: 1 }]);
    tables.get(3)?.map(0x10000, 0x48000000);
    b.smmu.translate(rd(3, 0x10000));
    b.submit({ opcode: CMD_OP.CFGI_STE_RANGE, range: 31 }, SYNC);
    expect([b.smmu.configCacheSize, b.smmu.iotlbSize]).toEqual([0, 1]);
    b.smmu.translate(rd(3, 0x10000));
    b.submit({ opcode: CMD_OP.TLBI_NSNH_ALL }, SYNC);
    expect([b.smmu.configCacheSize, b.smmu.iotlbSize]).toEqual([1, 0]);
  });
});

describe("TLBI (a stale translation is served until TLBI)", () => {
  function twoAsids() {
    const { board, tables } = stage1Board([{ sid: 1, asid: 1 }, { sid: 2, asid: 2 }]);
    const t1 = tables.get(1);
    const t2 = tables.get(2);
    if (t1 === undefined || t2 === undefined) throw new Error("no tables");
    for (let i = 0; i < 16; i++) {
      t1.map(0x10000 + i * 0x1000, 0x48000000 + i * 0x1000);
      t2.map(0x10000 + i * 0x1000, 0x49000000 + i * 0x1000);
    }
    for (let i = 0; i < 16; i++) {
      board.smmu.translate(rd(1, 0x10000 + i * 0x1000));
      board.smmu.translate(rd(2, 0x10000 + i * 0x1000));
    }
    return { b: board, t1, t2 };
  }
  const iovasOf = (b: SmmuTestBoard, asid: number) => b.smmu.iotlb().filter((e) => e.asid === asid).map((e) => e.iova);

  it("serves a remapped page from the IOTLB until CMD_TLBI_NH_ASID", () => {
    const { b, t1 } = twoAsids();
    t1.map(0x10000, 0x4a000000); // change the PTE in memory, no TLBI yet
    expect(b.smmu.translate(rd(1, 0x10000))).toEqual({ kind: "translated", pa: 0x48000000 });
    b.submit({ opcode: CMD_OP.TLBI_NH_ASID, asid: 2 }, SYNC);
    expect(b.smmu.translate(rd(1, 0x10000))).toEqual({ kind: "translated", pa: 0x48000000 });
    expect(iovasOf(b, 2)).toEqual([]);
    b.submit({ opcode: CMD_OP.TLBI_NH_ASID, asid: 1 }, SYNC);
    expect(b.smmu.translate(rd(1, 0x10000))).toEqual({ kind: "translated", pa: 0x4a000000 });
  });

  it("drops everything on CMD_TLBI_NH_ALL and CMD_TLBI_NSNH_ALL", () => {
    for (const opcode of [CMD_OP.TLBI_NH_ALL, CMD_OP.TLBI_NSNH_ALL]) {
      const { b } = twoAsids();
      expect(b.smmu.iotlbSize).toBe(32);
      b.submit({ opcode }, SYNC);
      expect(b.smmu.iotlbSize).toBe(0);
    }
  });

  it("drops one page of one ASID on CMD_TLBI_NH_VA without a range (TG = 0)", () => {
    const { b } = twoAsids();
    b.submit({ opcode: CMD_OP.TLBI_NH_VA, asid: 1, addr: 0x13000, leaf: true }, SYNC);
    expect(iovasOf(b, 1)).not.toContain(0x13000);
    expect(iovasOf(b, 1)).toHaveLength(15);
    expect(iovasOf(b, 2)).toHaveLength(16);
  });

  it("drops a range: Linux's unmap of 8 x 4K at 0x10000 is one TLBI_NH_VA with TG=1, TTL=3, SCALE=3, NUM=0", () => {
    const { b } = twoAsids();
    b.submit({ opcode: CMD_OP.TLBI_NH_VA, asid: 1, addr: 0x10000, leaf: true, tg: 1, ttl: 3, scale: 3, num: 0 }, SYNC);
    expect(iovasOf(b, 1)).toEqual(Array.from({ length: 8 }, (_, i) => 0x18000 + i * 0x1000));
    expect(iovasOf(b, 2)).toHaveLength(16);
  });

  it("splits a non-power-of-two range (NUM=2: 3 pages) into aligned chunks", () => {
    const { b } = twoAsids();
    b.submit({ opcode: CMD_OP.TLBI_NH_VA, asid: 1, addr: 0x12000, leaf: true, tg: 1, ttl: 3, scale: 0, num: 2 }, SYNC);
    expect(iovasOf(b, 1).filter((a) => a >= 0x11000 && a <= 0x15000)).toEqual([0x11000, 0x15000]);
    expect(b.traced("smmu-tlbi").at(-1)?.dropped.map((d) => d.iova)).toEqual([0x12000, 0x13000, 0x14000]);
  });

  it("drops a single page by exact key when TTL is given (TG=1, TTL=3, NUM=SCALE=0)", () => {
    const { b } = twoAsids();
    b.submit({ opcode: CMD_OP.TLBI_NH_VA, asid: 2, addr: 0x1f000, leaf: true, tg: 1, ttl: 3 }, SYNC);
    expect(iovasOf(b, 2)).toHaveLength(15);
    expect(iovasOf(b, 2)).not.toContain(0x1f000);
  });

  it("drops the page in every ASID on CMD_TLBI_NH_VAA", () => {
    const { b } = twoAsids();
    b.submit({ opcode: CMD_OP.TLBI_NH_VAA, addr: 0x14000, leaf: true }, SYNC);
    expect([iovasOf(b, 1).includes(0x14000), iovasOf(b, 2).includes(0x14000)]).toEqual([false, false]);
    expect(b.smmu.iotlbSize).toBe(30);
  });

  it("drops a 2 MiB block entry when the invalidated address lies inside it", () => {
    const { board: b, tables } = stage1Board([{ sid: 1, asid: 7 }]);
    tables.get(1)?.map(0x200000, 0x48200000, { level: 2 });
    expect(b.smmu.translate(rd(1, 0x2abcde))).toEqual({ kind: "translated", pa: 0x482abcde });
    expect(b.smmu.iotlb()).toMatchObject([{ iova: 0x200000, size: 0x200000, level: 2 }]);
    b.submit({ opcode: CMD_OP.TLBI_NH_VA, asid: 7, addr: 0x3ff000, leaf: true }, SYNC);
    expect(b.smmu.iotlbSize).toBe(0);
  });

  it("rejects the reserved TG != 0 with TTL = NUM = SCALE = 0 in spec mode only", () => {
    for (const [compat, err] of [["qemu", 0], ["spec", GERROR.CMDQ_ERR]] as const) {
      const b = new SmmuTestBoard({ compat });
      b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8 });
      b.submit({ opcode: CMD_OP.TLBI_NH_VA, asid: 1, addr: 0x1000, tg: 1 });
      expect(b.r32(R.GERROR)).toBe(err);
    }
  });

  it("splits like QEMU's dma_aligned_pow2_mask", () => {
    expect(alignedPow2Count(0, 7, 52)).toBe(8);
    expect(alignedPow2Count(0, 2, 52)).toBe(2);
    expect(alignedPow2Count(2, 2, 52)).toBe(1);
    expect(alignedPow2Count(4, 11, 52)).toBe(4);
    expect(alignedPow2Count(8, 11, 52)).toBe(4);
  });

  it("keeps a read-only page read-only through the IOTLB (F_PERMISSION on a write hit)", () => {
    const { board: b, tables } = stage1Board([{ sid: 1 }]);
    tables.get(1)?.map(0x10000, 0x48000000, { attrs: PTE_RW | PTE_RDONLY });
    expect(b.smmu.translate(rd(1, 0x10000)).kind).toBe("translated");
    expect(b.smmu.translate(wr(1, 0x10000))).toEqual({ kind: "abort", reason: "F_PERMISSION", eventId: 0x13 });
    expect(b.smmu.counters.iotlbHits).toBe(1);
  });
});
