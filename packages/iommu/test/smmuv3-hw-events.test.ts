/**
 * Events (smmuv3-model.md §4): each event ID produced by the condition that causes it, read back from the event queue
 * in RAM through EVENTQ_PROD/CONS on page 1 as Linux's `arm_smmu_evtq_thread` does, with the record fields checked;
 * recording rules (CD.R, EVENTQEN, RECINVSID) and a full queue under both QEMU and spec behaviour.
 */
import { describe, expect, it } from "vitest";
import { EVENT_ID, formatEventDwords, GERROR, SMMU_REG, type SmmuV3ConfigInput } from "@dmasim/iommu/smmuv3-hw";
import {
  linuxCd,
  linuxS1Ste,
  LINUX_BYPASS_STE,
  PTE_RDONLY,
  PTE_RW,
  SmmuTestBoard,
  stage1Board,
  STRTAB_PA,
  TestPageTable,
} from "../src/smmuv3-hw/test-support";

const R = SMMU_REG;
const rd = (sid: number, iova: number) => ({ streamId: sid, iova, access: "read" as const, size: 4 });
const wr = (sid: number, iova: number) => ({ streamId: sid, iova, access: "write" as const, size: 4 });

/** A board with a linear table (LOG2SIZE 8) and nothing in it yet. */
function linearBoard(config?: SmmuV3ConfigInput): SmmuTestBoard {
  const b = new SmmuTestBoard(config);
  b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8 });
  return b;
}

function mappedBoard(opts: { r?: boolean; affd?: boolean } = {}, config?: SmmuV3ConfigInput) {
  const { board, tables } = stage1Board([{ sid: 0x21, asid: 5, ...opts }], config);
  const pt = tables.get(0x21);
  if (pt === undefined) throw new Error("no table");
  return { b: board, pt };
}

describe("configuration events", () => {
  it("C_BAD_STREAMID (0x02) for a StreamID beyond STRTAB_BASE_CFG.LOG2SIZE", () => {
    const b = linearBoard();
    expect(b.smmu.translate(rd(0x100, 0x1000))).toEqual({ kind: "abort", reason: "C_BAD_STREAMID", eventId: 0x02 });
    const [e, ...rest] = b.drainEvents();
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ id: 0x02, sid: 0x100, ssv: false, inputAddr: 0, addr2: 0 });
    expect(e?.dwords).toEqual([0x0000010000000002n, 0n, 0n, 0n]);
  });

  it("C_BAD_STREAMID for a 2-level L1 descriptor with Span 0", () => {
    const b = new SmmuTestBoard();
    b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x10210 });
    expect(b.smmu.translate(rd(0x0310, 0))).toMatchObject({ eventId: 0x02 });
    expect(b.drainEvents().map((e) => [e.id, e.sid])).toEqual([[0x02, 0x310]]);
  });

  it("records C_BAD_STREAMID regardless of CR2.RECINVSID under QEMU, only with it under the spec", () => {
    for (const [compat, recorded] of [["qemu", 1], ["spec", 0]] as const) {
      const b = linearBoard({ compat });
      b.w32(R.CR2, 0x4); // PTM only
      const out = b.smmu.translate(rd(0x100, 0));
      expect(out).toEqual({ kind: "abort", reason: "C_BAD_STREAMID", eventId: recorded ? 2 : null });
      expect(b.drainEvents()).toHaveLength(recorded);
    }
  });

  it("F_STE_FETCH (0x03) with FetchAddr in dword3 when the STE (or L1STD) read aborts", () => {
    const b = new SmmuTestBoard();
    b.bringUp({ strtabBase: 0x20000000, strtabCfg: 0x8 });
    expect(b.smmu.translate(rd(5, 0))).toMatchObject({ eventId: 0x03 });
    const l2 = new SmmuTestBoard();
    l2.bringUp({ strtabBase: 0x20000000, strtabCfg: 0x10210 });
    l2.smmu.translate(rd(0x305, 0));
    expect(b.drainEvents().map((e) => [e.id, e.sid, e.addr2])).toEqual([[0x03, 5, 0x20000000 + 5 * 64]]);
    expect(l2.drainEvents().map((e) => [e.id, e.sid, e.addr2])).toEqual([[0x03, 0x305, 0x20000000 + 3 * 8]]);
  });

  it("C_BAD_STE (0x04) for V = 0, a stage-2 Config, S1STALLD, or S1CDMax without substreams", () => {
    const b = linearBoard();
    b.put64(STRTAB_PA + 2 * 64, 0xdn, 0n); // V, Config = 0b110 (S2 only)
    b.put64(STRTAB_PA + 3 * 64, 0x4000000bn, 1n << 27n); // S1STALLD
    b.put64(STRTAB_PA + 4 * 64, 0x4000000bn | (1n << 59n), 2n); // S1CDMax = 1, SSIDSIZE = 0
    for (const sid of [1, 2, 3, 4]) expect(b.smmu.translate(rd(sid, 0))).toMatchObject({ reason: "C_BAD_STE", eventId: 4 });
    expect(b.drainEvents().map((e) => [e.id, e.sid])).toEqual([[4, 1], [4, 2], [4, 3], [4, 4]]);
    // Nothing is cached for a bad STE: the next transaction raises the event again (QEMU smmuv3_get_config).
    b.smmu.translate(rd(1, 0));
    expect(b.drainEvents()).toHaveLength(1);
    expect(b.smmu.configCacheSize).toBe(0);
  });

  it("F_CD_FETCH (0x09): FetchAddr in dword2 under QEMU, dword3 under the spec", () => {
    for (const [compat, inDword2] of [["qemu", true], ["spec", false]] as const) {
      const b = linearBoard({ compat });
      b.put64(STRTAB_PA + 7 * 64, ...linuxS1Ste(0x20001000));
      expect(b.smmu.translate(rd(7, 0))).toMatchObject({ eventId: 0x09 });
      const [e] = b.drainEvents();
      expect([e?.id, e?.sid, inDword2 ? e?.inputAddr : e?.addr2, inDword2 ? e?.addr2 : e?.inputAddr]).toEqual([9, 7, 0x20001000, 0]);
    }
  });

  it("C_BAD_CD (0x0A) for V = 0, A = 0, T0SZ out of range, an unadvertised granule", () => {
    const b = linearBoard({ gran16k: false });
    const cds: bigint[][] = [
      linuxCd(0x41000000).map((d, i) => (i === 0 ? d & ~(1n << 31n) : d)),
      linuxCd(0x41000000).map((d, i) => (i === 0 ? d & ~(1n << 46n) : d)),
      linuxCd(0x41000000, 1, { t0sz: 12 }),
      linuxCd(0x41000000, 1, { tg0: 2 }),
    ];
    cds.forEach((cd, i) => {
      b.put64(STRTAB_PA + i * 64, ...linuxS1Ste(0x40800000 + i * 64));
      b.put64(0x40800000 + i * 64, ...cd);
    });
    for (let sid = 0; sid < 4; sid++) expect(b.smmu.translate(rd(sid, 0))).toMatchObject({ reason: "C_BAD_CD", eventId: 0x0a });
    expect(b.drainEvents().map((e) => e.id)).toEqual([0x0a, 0x0a, 0x0a, 0x0a]);
  });
});

describe("substream and ATS events (minimal models; QEMU has neither)", () => {
  function substreamBoard(s1Dss: number) {
    const b = new SmmuTestBoard({ ssidBits: 4 });
    const pt = new TestPageTable(b, 0x41000000);
    pt.map(0x10000, 0x48000000);
    // STE: V, S1, linear CD table of 2^2 CDs, S1DSS as given.
    b.put64(STRTAB_PA + 9 * 64, 0xbn | 0x40800000n | (2n << 59n), BigInt(s1Dss) | 0xd4n);
    b.put64(0x40800000, ...linuxCd(pt.root, 1));
    b.put64(0x40800000 + 64, ...linuxCd(pt.root, 2));
    b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8 });
    return b;
  }

  it("F_STREAM_DISABLED (0x06) for non-substream traffic when S1CDMax > 0 and S1DSS = terminate", () => {
    const b = substreamBoard(0);
    expect(b.smmu.translate(rd(9, 0x10000))).toEqual({ kind: "abort", reason: "F_STREAM_DISABLED", eventId: 0x06 });
    expect(b.drainEvents().map((e) => e.dwords)).toEqual([[0x0000000900000006n, 0n, 0n, 0n]]);
    // SubstreamID 1 uses CD 1 (ASID 2).
    expect(b.smmu.translate({ ...rd(9, 0x10008), ssid: 1 })).toEqual({ kind: "translated", pa: 0x48000008 });
    expect(b.smmu.iotlb().map((e) => e.asid)).toEqual([2]);
  });

  it("F_STREAM_DISABLED for SubstreamID 0 when S1DSS = SSID0; no SSID then uses CD 0", () => {
    const b = substreamBoard(2);
    expect(b.smmu.translate({ ...rd(9, 0x10000), ssid: 0 })).toMatchObject({ eventId: 0x06 });
    expect(b.smmu.translate(rd(9, 0x10000))).toEqual({ kind: "translated", pa: 0x48000000 });
    expect(b.smmu.iotlb().map((e) => e.asid)).toEqual([1]);
  });

  it("C_BAD_SUBSTREAMID (0x08) with the SubstreamID and SSV = 0, when substreams are off or it is too large", () => {
    const b = substreamBoard(1);
    expect(b.smmu.translate({ ...rd(9, 0), ssid: 4 })).toMatchObject({ eventId: 0x08 }); // >= 2^S1CDMax
    const q = stage1Board([{ sid: 1 }]).board; // QEMU-like: SSIDSIZE = 0
    expect(q.smmu.translate({ ...rd(1, 0), ssid: 3 })).toMatchObject({ eventId: 0x08 });
    const [e1] = b.drainEvents();
    const [e2] = q.drainEvents();
    expect([e1?.id, e1?.sid, e1?.ssid, e1?.ssv]).toEqual([8, 9, 4, false]);
    expect([e2?.id, e2?.sid, e2?.ssid, e2?.ssv]).toEqual([8, 1, 3, false]);
    // S1DSS = bypass: non-substream traffic bypasses.
    expect(b.smmu.translate(rd(9, 0x1234))).toEqual({ kind: "bypass", pa: 0x1234 });
  });

  it("F_TRANSL_FORBIDDEN (0x07) with InputAddr and RnW for an ATS-translated transaction the STE does not allow", () => {
    const b = linearBoard();
    b.put64(STRTAB_PA + 6 * 64, ...LINUX_BYPASS_STE);
    b.put64(STRTAB_PA + 8 * 64, ...linuxS1Ste(0x40800000)); // EATS = 0
    b.put64(0x40800000, ...linuxCd(0x41000000));
    expect(b.smmu.translate({ ...rd(6, 0x48001000), atsTranslated: true })).toMatchObject({ eventId: 0x07 });
    expect(b.smmu.translate({ ...wr(8, 0x48002000), atsTranslated: true })).toMatchObject({ eventId: 0x07 });
    expect(b.drainEvents().map((e) => [e.id, e.sid, e.inputAddr, e.rnw])).toEqual([
      [7, 6, 0x48001000, true],
      [7, 8, 0x48002000, false],
    ]);
  });

  it("lets ATS-translated traffic through an STE with EATS on an ATS-capable SMMU, unchecked with ATSCHK = 0", () => {
    const b = new SmmuTestBoard({ ats: true });
    b.put64(STRTAB_PA + 8 * 64, 0xbn | 0x40800000n, 0xd6n | (1n << 28n)); // EATS = 1
    b.put64(STRTAB_PA + 6 * 64, ...LINUX_BYPASS_STE);
    b.put64(0x40800000, ...linuxCd(0x41000000));
    b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8, cr0Extra: 0x10 });
    expect(b.smmu.translate({ ...rd(8, 0x48001000), atsTranslated: true })).toEqual({ kind: "bypass", pa: 0x48001000 });
    expect(b.smmu.translate({ ...rd(6, 0x48001000), atsTranslated: true })).toMatchObject({ eventId: 7 });
    b.w32(R.CR0, 0xd); // ATSCHK = 0
    expect(b.smmu.translate({ ...rd(6, 0x48001000), atsTranslated: true })).toEqual({ kind: "bypass", pa: 0x48001000 });
  });
});

describe("translation events", () => {
  it("F_TRANSLATION (0x10): the record QEMU 7.2 wrote in the real 6.1 boot (acpi-topo-gic3.log)", () => {
    // Debian 6.1 under QEMU 7.2: SID 0x300 (2-level table 0x10210), a write to unmapped IOVA 0x8090040.
    const b = new SmmuTestBoard();
    const l2 = 0x40040000;
    const cd = 0x40800000;
    const pt = new TestPageTable(b, 0x41000000);
    pt.map(0xfffff000, 0x48000000);
    b.put64(STRTAB_PA + 3 * 8, 9n | BigInt(l2));
    b.put64(l2 + 0 * 64, ...linuxS1Ste(cd));
    b.put64(cd, ...linuxCd(pt.root, 1));
    b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x10210 });
    expect(b.smmu.translate(wr(0x300, 0x8090040))).toEqual({ kind: "abort", reason: "F_TRANSLATION", eventId: 0x10 });
    const events = b.drainEvents();
    expect(events.map(formatEventDwords)).toEqual([["0x0000030000000010", "0x0000000000000000", "0x0000000008090040", "0x0000000000000000"]]);
  });

  it("F_TRANSLATION with CLASS = IN under the spec", () => {
    const { b } = mappedBoard({}, { compat: "spec" });
    b.smmu.translate(rd(0x21, 0x5000));
    expect(b.drainEvents().map((e) => [e.id, e.cls, e.rnw, e.inputAddr])).toEqual([[0x10, 2, true, 0x5000]]);
  });

  it("F_WALK_EABT (0x0B) with CLASS = TT and the descriptor address, recorded even when CD.R = 0", () => {
    const { board: b } = stage1Board([{ sid: 4, r: false }]);
    b.put64(0x40800000 + 8, 0x20000000n); // TTB0 outside RAM
    b.submit({ opcode: 0x05, sid: 4 }, { opcode: 0x46 });
    expect(b.smmu.translate(rd(4, 0x8080604567))).toEqual({ kind: "abort", reason: "F_WALK_EABT", eventId: 0x0b });
    const [e] = b.drainEvents();
    expect([e?.id, e?.sid, e?.cls, e?.rnw, e?.inputAddr, e?.addr2]).toEqual([0x0b, 4, 1, true, 0x8080604567, 0x20000000 + 1 * 8]);
  });

  it("F_ADDR_SIZE (0x11) when the output address is beyond the 44-bit IPS", () => {
    const { b, pt } = mappedBoard();
    pt.map(0x7000, 0x1000_0000_0000);
    expect(b.smmu.translate(rd(0x21, 0x7000))).toMatchObject({ eventId: 0x11 });
    expect(b.drainEvents().map((e) => [e.id, e.inputAddr])).toEqual([[0x11, 0x7000]]);
  });

  it("F_ACCESS (0x12) when AF = 0 and CD.AFFD = 0; AFFD = 1 treats AF as set", () => {
    const { b, pt } = mappedBoard();
    pt.map(0x8000, 0x48008000, { attrs: PTE_RW & ~0x400n });
    expect(b.smmu.translate(rd(0x21, 0x8000))).toMatchObject({ eventId: 0x12 });
    const affd = mappedBoard({ affd: true });
    affd.pt.map(0x8000, 0x48008000, { attrs: PTE_RW & ~0x400n });
    expect(affd.b.smmu.translate(rd(0x21, 0x8000))).toEqual({ kind: "translated", pa: 0x48008000 });
  });

  it("F_PERMISSION (0x13) with RnW = 0 for a write to a read-only page", () => {
    const { b, pt } = mappedBoard();
    pt.map(0x9000, 0x48009000, { attrs: PTE_RW | PTE_RDONLY });
    expect(b.smmu.translate(wr(0x21, 0x9004))).toMatchObject({ eventId: 0x13 });
    expect(b.drainEvents().map((e) => [e.id, e.sid, e.rnw, e.inputAddr, e.cls])).toEqual([[0x13, 0x21, false, 0x9004, 0]]);
  });

  it("does not record stage-1 faults when CD.R = 0, but still aborts", () => {
    const { b } = mappedBoard({ r: false });
    expect(b.smmu.translate(rd(0x21, 0x5000))).toEqual({ kind: "abort", reason: "F_TRANSLATION", eventId: null });
    expect(b.drainEvents()).toEqual([]);
    expect(b.traced("smmu-event").map((e) => e.disposition)).toEqual(["not-recorded"]);
  });

  it("F_UUT (0x01) for a malformed transaction instead of crashing", () => {
    const b = linearBoard();
    expect(b.smmu.translate({ streamId: 1, iova: -5, access: "read", size: 4 })).toMatchObject({ eventId: 0x01 });
    expect(b.smmu.translate({ streamId: 1, iova: 0x1000, access: "write", size: 0 })).toMatchObject({ eventId: 0x01 });
    expect(b.drainEvents().map((e) => [e.id, e.inputAddr, e.rnw])).toEqual([[1, 0, true], [1, 0x1000, false]]);
  });
});

describe("priority when several faults apply (SPEC §7.3.22)", () => {
  it("reports only the highest-priority event of a transaction", () => {
    const b = new SmmuTestBoard({ ssidBits: 4 });
    b.bringUp({ strtabBase: 0x20000000, strtabCfg: 0x8 }); // stream table outside RAM
    // C_BAD_STREAMID before F_STE_FETCH.
    expect(b.smmu.translate(rd(0x100, 0)).kind === "abort" && b.drainEvents().map((e) => e.id)).toEqual([0x02]);
    const c = linearBoard({ ssidBits: 4 });
    c.put64(STRTAB_PA + 1 * 64, 0x8n); // V = 0
    c.put64(STRTAB_PA + 2 * 64, ...LINUX_BYPASS_STE);
    c.put64(STRTAB_PA + 3 * 64, ...linuxS1Ste(0x20001000)); // CD outside RAM
    // C_BAD_STE before C_BAD_SUBSTREAMID; C_BAD_SUBSTREAMID for an SSID on a bypass STE; F_CD_FETCH before the walk.
    c.smmu.translate({ ...rd(1, 0), ssid: 1 });
    c.smmu.translate({ ...rd(2, 0), ssid: 1 });
    c.smmu.translate(wr(3, 0xdead0000));
    expect(c.drainEvents().map((e) => e.id)).toEqual([0x04, 0x08, 0x09]);
  });
});

describe("recording (§4.3)", () => {
  it("drops events silently while CR0.EVENTQEN = 0", () => {
    const b = linearBoard();
    b.w32(R.CR0, 0x9);
    expect(b.smmu.translate(rd(0x100, 0))).toMatchObject({ eventId: 2 });
    expect(b.r32(0x100a8)).toBe(0);
    expect(b.traced("smmu-event").map((e) => e.disposition)).toEqual(["eventq-disabled"]);
  });

  it("pulses the event IRQ per record when IRQ_CTRL.EVENTQ_IRQEN", () => {
    const b = linearBoard();
    b.smmu.translate(rd(0x100, 0));
    b.w32(R.IRQ_CTRL, 0x1);
    b.smmu.translate(rd(0x101, 0));
    expect(b.irqs).toEqual(["eventq"]);
  });

  it("raises GERROR.EVTQ_ABT_ERR on a full queue under QEMU, losing the record", () => {
    const b = new SmmuTestBoard();
    b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8, qLog2: 1 });
    for (let i = 0; i < 3; i++) b.smmu.translate(rd(0x100 + i, 0));
    expect(b.r32(0x100a8)).toBe(0x2);
    expect(b.r32(R.GERROR)).toBe(GERROR.EVTQ_ABT_ERR);
    expect(b.drainEvents().map((e) => e.sid)).toEqual([0x100, 0x101]);
    expect(b.overflows).toBe(0);
  });

  it("toggles EVENTQ_PROD.OVFLG on a full queue under the spec; Linux sees the overflow and acknowledges it", () => {
    const b = new SmmuTestBoard({ compat: "spec" });
    b.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8, qLog2: 1 });
    for (let i = 0; i < 4; i++) b.smmu.translate(rd(0x100 + i, 0));
    expect(b.r32(0x100a8)).toBe(0x80000002);
    expect(b.r32(R.GERROR)).toBe(0);
    expect(b.drainEvents().map((e) => e.sid)).toEqual([0x100, 0x101]);
    expect(b.overflows).toBe(1);
    expect(b.r32(0x100ac)).toBe(0x80000002); // OVACKFLG = OVFLG
    expect(b.traced("smmu-event").map((e) => e.disposition)).toEqual(["queued", "queued", "overflow", "overflow"]);
    // A later overflow toggles OVFLG back.
    for (let i = 0; i < 3; i++) b.smmu.translate(rd(0x110 + i, 0));
    expect(b.r32(0x100a8)).toBe(0x00000000);
  });

  it("raises GERROR.EVTQ_ABT_ERR when the record cannot be written", () => {
    const b = linearBoard();
    b.w64(R.EVENTQ_BASE, 0x20000000n | 4n);
    b.smmu.translate(rd(0x100, 0));
    expect([b.r32(R.GERROR), b.r32(0x100a8)]).toEqual([GERROR.EVTQ_ABT_ERR, 0]);
  });
});
