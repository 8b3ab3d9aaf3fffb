/**
 * The translate hot path (same StreamID as the last transaction, IOTLB page hit) must give exactly what the full flow
 * gives. Random sequences of mappings, remappings with and without TLBI/CFGI, enables/disables and reads/writes run
 * on two identical boards, the second built without the hot path.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CMD_OP } from "@dmasim/iommu/smmuv3-hw";
import { PTE_RDONLY, PTE_RW, stage1Board, type SmmuTestBoard, type TestPageTable } from "../src/smmuv3-hw/test-support";

type Op =
  | { readonly op: "map"; readonly sid: number; readonly page: number; readonly frame: number; readonly ro: boolean; readonly af: boolean }
  | { readonly op: "tlbi-asid"; readonly asid: number }
  | { readonly op: "tlbi-va"; readonly asid: number; readonly page: number }
  | { readonly op: "cfgi"; readonly sid: number }
  | { readonly op: "dma"; readonly sid: number; readonly page: number; readonly offset: number; readonly write: boolean }
  | { readonly op: "disable" }
  | { readonly op: "enable" };

const SIDS = [1, 2];
const page = fc.integer({ min: 0, max: 1 });
const dma = fc.record({ op: fc.constant("dma" as const), sid: fc.constantFrom(...SIDS), page, offset: fc.integer({ min: 0, max: 0xfff }), write: fc.boolean() });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: dma, weight: 8 },
  { arbitrary: fc.record({ op: fc.constant("map" as const), sid: fc.constantFrom(...SIDS), page, frame: fc.integer({ min: 0, max: 15 }), ro: fc.boolean(), af: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("tlbi-asid" as const), asid: fc.constantFrom(1, 2) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("tlbi-va" as const), asid: fc.constantFrom(1, 2), page }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("cfgi" as const), sid: fc.constantFrom(...SIDS) }), weight: 1 },
  { arbitrary: fc.constant({ op: "disable" as const }), weight: 1 },
  { arbitrary: fc.constant({ op: "enable" as const }), weight: 1 },
);

function board(hotPath: boolean): { b: SmmuTestBoard; pts: Map<number, TestPageTable> } {
  const { board: b, tables } = stage1Board([{ sid: 1, asid: 1 }, { sid: 2, asid: 2 }], undefined, { hotPath });
  return { b, pts: tables };
}

function apply(t: { b: SmmuTestBoard; pts: Map<number, TestPageTable> }, o: Op): unknown {
  const { b, pts } = t;
  switch (o.op) {
    case "map":
      pts.get(o.sid)?.map(0x10000 + o.page * 0x1000, 0x48000000 + o.frame * 0x1000, { attrs: (PTE_RW | (o.ro ? PTE_RDONLY : 0n)) & ~(o.af ? 0n : 0x400n) });
      return null;
    case "tlbi-asid":
      b.submit({ opcode: CMD_OP.TLBI_NH_ASID, asid: o.asid }, { opcode: CMD_OP.SYNC });
      return null;
    case "tlbi-va":
      b.submit({ opcode: CMD_OP.TLBI_NH_VA, asid: o.asid, addr: 0x10000 + o.page * 0x1000, leaf: true }, { opcode: CMD_OP.SYNC });
      return null;
    case "cfgi":
      b.submit({ opcode: CMD_OP.CFGI_STE, sid: o.sid, leaf: true }, { opcode: CMD_OP.SYNC });
      return null;
    case "disable":
      b.w32(0x20, 0xc);
      return null;
    case "enable":
      b.w32(0x20, 0xd);
      return null;
    case "dma":
      return b.smmu.translate({ streamId: o.sid, iova: 0x10000 + o.page * 0x1000 + o.offset, access: o.write ? "write" : "read", size: 4 });
  }
}

describe("translate hot path", () => {
  it("agrees with the full flow on random sequences", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 30, maxLength: 80 }), (ops) => {
        const fast = board(true);
        const full = board(false);
        for (const o of ops) expect(apply(fast, o)).toEqual(apply(full, o));
        expect(fast.b.smmu.iotlb()).toEqual(full.b.smmu.iotlb());
        expect(fast.b.drainEvents()).toEqual(full.b.drainEvents());
      }),
      { numRuns: 200, seed: 4 },
    );
  });
});
