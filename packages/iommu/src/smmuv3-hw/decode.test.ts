import { describe, expect, it } from "vitest";
import { decodeCd } from "./cd";
import { CMD_OP, commandName, decodeCommand, encodeCommand } from "./commands";
import { decodeEventRecord, encodeEventRecord, eventName, EVENT_ID } from "./events";
import { decodeSte } from "./ste";

/** Sixteen words from eight 64-bit dwords. */
function words(dwords: readonly bigint[]): Uint32Array {
  const w = new Uint32Array(16);
  dwords.forEach((d, i) => {
    w[2 * i] = Number(d & 0xffffffffn);
    w[2 * i + 1] = Number((d >> 32n) & 0xffffffffn);
  });
  return w;
}

const CD_OK = 0x0001e204c0003510n; // smmuv3-model.md §2.7
const cd = (d0: bigint, ttb0 = 0x47000000n, ttb1 = 0n) => words([d0, ttb0, ttb1, 0n]);
const CD_FEATURES = { oas: 44, gran16k: true, asid16: true };
const bit = (n: number): bigint => 1n << BigInt(n);

describe("decodeSte (smmuv3-model.md §2.3, §2.5)", () => {
  const f = { stage2: false, ssidBits: 0 };
  it("treats Config 0b000..0b011 as abort and V = 0 as ILLEGAL", () => {
    for (const cfg of [0, 1, 2, 3]) expect(decodeSte(words([1n | BigInt(cfg << 1)]), f)).toEqual({ ok: true, value: { kind: "abort" } });
    expect(decodeSte(words([0x9n & ~1n]), f)).toMatchObject({ ok: false, error: { field: "V" } });
  });

  it("rejects stage-2 configurations on a stage-1-only SMMU", () => {
    for (const cfg of [6, 7]) expect(decodeSte(words([1n | BigInt(cfg << 1)]), f)).toMatchObject({ ok: false, error: { field: "Config" } });
  });

  it("reads S1ContextPtr[51:6], S1DSS, EATS, STRW, MEV", () => {
    const d0 = 0xbn | 0x000f_1234_5678_9ac0n;
    const d1 = 2n | (1n << 28n) | (2n << 30n) | bit(19);
    expect(decodeSte(words([d0, d1]), f)).toEqual({
      ok: true,
      value: { kind: "s1", contextPtr: 0xf_1234_5678_9ac0, s1Fmt: 0, s1CdMax: 0, s1Dss: 2, eats: 1, strw: 2, mev: true },
    });
  });

  it("bounds S1CDMax by SSIDSIZE and rejects reserved S1Fmt / S1DSS with substreams", () => {
    const s1 = (cdmax: number, fmt = 0, dss = 0) => words([0xbn | 0x40000000n | (BigInt(cdmax) << 59n) | (BigInt(fmt) << 4n), BigInt(dss)]);
    expect(decodeSte(s1(1), f)).toMatchObject({ ok: false, error: { field: "S1CDMax" } });
    expect(decodeSte(s1(4), { stage2: false, ssidBits: 4 })).toMatchObject({ ok: true });
    expect(decodeSte(s1(5), { stage2: false, ssidBits: 4 })).toMatchObject({ ok: false, error: { field: "S1CDMax" } });
    expect(decodeSte(s1(2, 3), { stage2: false, ssidBits: 4 })).toMatchObject({ ok: false, error: { field: "S1Fmt" } });
    expect(decodeSte(s1(2, 0, 3), { stage2: false, ssidBits: 4 })).toMatchObject({ ok: false, error: { field: "S1DSS" } });
  });
});

describe("decodeCd (smmuv3-model.md §2.4, §2.5 C_BAD_CD rules)", () => {
  it("accepts Linux's CD", () => {
    expect(decodeCd(cd(CD_OK), CD_FEATURES)).toMatchObject({ ok: true, value: { asid: 1, oas: 44, recordFaults: true } });
  });

  it.each([
    ["V", CD_OK & ~bit(31)],
    ["AA64", CD_OK & ~bit(41)],
    ["A", CD_OK & ~bit(46)],
    ["S", CD_OK | bit(44)],
    ["HA/HD", CD_OK | bit(43)],
    ["HA/HD", CD_OK | bit(42)],
    ["T0SZ", (CD_OK & ~0x3fn) | 15n],
    ["T0SZ", (CD_OK & ~0x3fn) | 40n],
    ["TG0", CD_OK | (3n << 6n)],
    ["ENDI", CD_OK | bit(15)],
  ])("rejects %s", (field, d0) => {
    expect(decodeCd(cd(d0), CD_FEATURES)).toMatchObject({ ok: false, error: { field } });
  });

  it("rejects a TTB beyond the effective IPS, and caps IPS at IDR5.OAS", () => {
    expect(decodeCd(cd(CD_OK, 0x1000_0000_0000n), CD_FEATURES)).toMatchObject({ ok: false, error: { field: "TTB0" } });
    const ips52 = (CD_OK & ~(7n << 32n)) | (6n << 32n);
    expect(decodeCd(cd(ips52), CD_FEATURES)).toMatchObject({ ok: true, value: { oas: 44 } });
    expect(decodeCd(cd(ips52), { ...CD_FEATURES, oas: 52 })).toMatchObject({ ok: true, value: { oas: 48 } });
    const ips52k64 = (ips52 & ~(3n << 6n)) | (1n << 6n);
    expect(decodeCd(cd(ips52k64), { ...CD_FEATURES, oas: 52 })).toMatchObject({ ok: true, value: { oas: 52 } });
  });

  it("decodes TG1's own encoding when EPD1 = 0, and honours GRAN16K and 8-bit ASIDs", () => {
    const both = (CD_OK & ~bit(30)) | (25n << 16n) | (1n << 22n); // T1SZ 25, TG1 = 16K
    expect(decodeCd(cd(both, 0x47000000n, 0x48000000n), CD_FEATURES)).toMatchObject({
      ok: true,
      value: { tt: [{ granuleShift: 12 }, { disabled: false, tsz: 25, granuleShift: 14, ttb: 0x48000000 }] },
    });
    expect(decodeCd(cd(both), { ...CD_FEATURES, gran16k: false })).toMatchObject({ ok: false, error: { field: "TG1" } });
    expect(decodeCd(cd(CD_OK | (0x1234n << 48n)), { ...CD_FEATURES, asid16: false })).toMatchObject({ ok: true, value: { asid: 0x35 } });
  });
});

describe("commands (smmuv3-model.md §3.2 encodings)", () => {
  it("decodes Linux's encodings", () => {
    expect(decodeCommand([0x00000003, 0x10, 0x1, 0])).toMatchObject({ name: "CMD_CFGI_STE", sid: 0x10, leaf: true });
    expect(decodeCommand([0x00000011, 0x00010000, 0, 0])).toMatchObject({ name: "CMD_TLBI_NH_ASID", asid: 1, vmid: 0 });
    expect(decodeCommand([0x4, 0, 0x1f, 0])).toMatchObject({ name: "CMD_CFGI_ALL", range: 31 });
    expect(decodeCommand([0x0fc02046, 0, 0, 0])).toMatchObject({ name: "CMD_SYNC", cs: 2 });
    expect(decodeCommand([0x00300012, 0x00010000, 0x00010d01, 0x1])).toMatchObject({
      name: "CMD_TLBI_NH_VA",
      asid: 1,
      scale: 3,
      num: 0,
      tg: 3,
      ttl: 1,
      leaf: true,
      addr: 0x1_0001_0000,
    });
    expect(commandName(0x99)).toBeNull();
  });

  it("round-trips through encodeCommand", () => {
    const c = { opcode: CMD_OP.TLBI_NH_VA, asid: 0xbeef, vmid: 3, num: 7, scale: 2, tg: 1, ttl: 3, leaf: true, addr: 0xfff_ffff_f000 };
    expect(decodeCommand(encodeCommand(c))).toMatchObject(c);
  });
});

describe("event records (smmuv3-model.md §4.1)", () => {
  it("places SID, SSID/SSV, RnW, S2, CLASS, InputAddr and FetchAddr where Linux's EVTQ_* masks read them", () => {
    const w = encodeEventRecord({ id: EVENT_ID.F_WALK_EABT, sid: 0x300, ssv: true, ssid: 5, rnw: true, cls: 1, inputAddr: 0x8080604567, addr2: 0x4e4d0008 });
    const d = decodeEventRecord(w);
    expect(d.dwords).toEqual([0x000003000000580bn, 0x0000010800000000n, 0x0000008080604567n, 0x000000004e4d0008n]);
    expect(d).toMatchObject({ id: 0x0b, name: "F_WALK_EABT", sid: 0x300, ssv: true, ssid: 5, rnw: true, cls: 1, s2: false });
  });

  it("names architected, IMPDEF and unknown IDs", () => {
    expect([eventName(0x10), eventName(0xe3), eventName(0x42)]).toEqual(["F_TRANSLATION", "IMPDEF_0xe3", "UNKNOWN_0x42"]);
  });
});
