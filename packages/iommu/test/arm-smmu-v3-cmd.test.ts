/**
 * The driver's command encoder (`arm_smmu_cmdq_build_cmd`) against smmuv3-model.md §3.2's encoding examples, and,
 * since driver and hardware keep separate encoders, agreement with the hardware model's decoder on any field values.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCommand } from "@dmasim/iommu/smmuv3-hw";
import { buildCmd, hex64 } from "../src/arm-smmu-v3/cmd";

const dw = (w: readonly number[]): [string, string] => [hex64(w[0] as number, w[1] as number), hex64(w[2] as number, w[3] as number)];

describe("§3.2 encoding examples", () => {
  it("CFGI_STE for SID 0x10 (leaf) = {0x0000001000000003, 0x1}", () => {
    expect(dw(buildCmd({ op: "CFGI_STE", sid: 0x10, leaf: true }))).toEqual(["0x0000001000000003", "0x0000000000000001"]);
  });
  it("TLBI_NH_ASID for ASID 1 = {0x0001000000000011, 0}", () => {
    expect(dw(buildCmd({ op: "TLBI_NH_ASID", asid: 1, vmid: 0 }))).toEqual(["0x0001000000000011", "0x0000000000000000"]);
  });
  it("CFGI_ALL = {0x4, 0x1f}", () => {
    expect(dw(buildCmd({ op: "CFGI_ALL" }))).toEqual(["0x0000000000000004", "0x000000000000001f"]);
  });
  it("Linux's non-MSI CMD_SYNC = {0x000000000FC02046, 0} (CS=SEV, MSH=ISH, MSIAttr=0xF)", () => {
    expect(dw(buildCmd({ op: "CMD_SYNC", msiAddr: 0, withAttrs: true }))).toEqual(["0x000000000fc02046", "0x0000000000000000"]);
  });
  it("TLBI_NH_VA for 8 pages at 0x10000: TG=1, TTL=3, SCALE=3, NUM=0, leaf", () => {
    const w = buildCmd({ op: "TLBI_NH_VA", asid: 1, vmid: 0, leaf: true, addr: 0x10000, num: 0, scale: 3, ttl: 3, tg: 1 });
    expect(dw(w)).toEqual(["0x0001000000300012", "0x0000000000010701"]);
  });
  it("TLBI_NSNH_ALL, PREFETCH_CONFIG, CFGI_CD and CFGI_CD_ALL", () => {
    expect(dw(buildCmd({ op: "TLBI_NSNH_ALL" }))).toEqual(["0x0000000000000030", "0x0000000000000000"]);
    expect(dw(buildCmd({ op: "PREFETCH_CFG", sid: 0x300 }))).toEqual(["0x0000030000000001", "0x0000000000000000"]);
    expect(dw(buildCmd({ op: "CFGI_CD", sid: 0x300, ssid: 0, leaf: true }))).toEqual(["0x0000030000000005", "0x0000000000000001"]);
    expect(dw(buildCmd({ op: "CFGI_CD_ALL", sid: 7 }))).toEqual(["0x0000000700000006", "0x0000000000000000"]);
  });
});

describe("driver encoder vs hardware decoder", () => {
  it("agree on every field of TLBI_NH_VA", () => {
    fc.assert(
      fc.property(
        fc.record({
          asid: fc.integer({ min: 0, max: 0xffff }),
          vmid: fc.integer({ min: 0, max: 0xffff }),
          leaf: fc.boolean(),
          page: fc.integer({ min: 0, max: 2 ** 40 - 1 }),
          num: fc.integer({ min: 0, max: 31 }),
          scale: fc.integer({ min: 0, max: 31 }),
          ttl: fc.integer({ min: 0, max: 3 }),
          tg: fc.integer({ min: 0, max: 3 }),
        }),
        (f) => {
          const addr = f.page * 0x1000;
          const c = decodeCommand(buildCmd({ op: "TLBI_NH_VA", asid: f.asid, vmid: f.vmid, leaf: f.leaf, addr, num: f.num, scale: f.scale, ttl: f.ttl, tg: f.tg }));
          expect(c).toMatchObject({ opcode: 0x12, name: "CMD_TLBI_NH_VA", asid: f.asid, vmid: f.vmid, leaf: f.leaf, addr, num: f.num, scale: f.scale, ttl: f.ttl, tg: f.tg });
        },
      ),
    );
  });

  it("agree on CFGI_STE / CFGI_CD StreamIDs and SubstreamIDs", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xfffff }), fc.boolean(), (sid, ssid, leaf) => {
        expect(decodeCommand(buildCmd({ op: "CFGI_STE", sid, leaf }))).toMatchObject({ name: "CMD_CFGI_STE", sid, leaf, ssec: false });
        expect(decodeCommand(buildCmd({ op: "CFGI_CD", sid, ssid, leaf }))).toMatchObject({ name: "CMD_CFGI_CD", sid, ssid, leaf });
      }),
    );
  });
});
