/** Generated trees and tables: parseFdt(writeFdt(t)) equals t, parseIort(writeIort(m)) equals m. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FdtNode, IortIdMapping, IortNode, IortTable } from "@dmasim/firmware";
import { fdtNode, fdtTree, parseFdt, parseIort, writeFdt, writeIort } from "@dmasim/firmware";

const SEED = process.env.FC_SEED === undefined ? 0x5eed : Number(process.env.FC_SEED);
const name = fc.stringMatching(/^[a-z][a-z0-9,._+-]{0,15}(@[0-9a-f]{1,8})?$/);
const propName = fc.stringMatching(/^[#a-z][a-z0-9,._+?#-]{0,20}$/);
const value = fc.uint8Array({ maxLength: 40 });

const node: fc.Memo<FdtNode> = fc.memo((depth) =>
  fc
    .tuple(name, fc.uniqueArray(fc.tuple(propName, value), { maxLength: 6, selector: (p) => p[0] }), depth > 1 ? fc.array(node(depth - 1), { maxLength: 4 }) : fc.constant([]))
    .map(([n, props, children]) => fdtNode(n, props.map(([pn, v]) => ({ name: pn, value: v })), children)),
);

describe("writeFdt / parseFdt", () => {
  it("parseFdt(writeFdt(t)) equals t for generated trees", () => {
    const tree = fc
      .tuple(node(4), fc.array(fc.record({ address: fc.nat(2 ** 48), size: fc.integer({ min: 1, max: 2 ** 40 }) }), { maxLength: 3 }), fc.nat(0xffffffff))
      .map(([root, reservations, bootCpuidPhys]) => fdtTree(root, { reservations, bootCpuidPhys }));
    fc.assert(
      fc.property(tree, (t) => {
        expect(parseFdt(writeFdt(t))).toEqual({ ok: true, value: t });
      }),
      { numRuns: 300, seed: SEED },
    );
  });
});

const u32 = fc.nat(0xffffffff);
const ascii = (n: number) => fc.stringMatching(new RegExp(`^[A-Z0-9 ]{${n}}$`));

const ref = fc.option(fc.nat(7), { nil: null });
const mapping: fc.Arbitrary<IortIdMapping> = fc.record({ inputBase: u32, idCount: u32, outputBase: u32, outputReference: ref, flags: fc.nat(1) });
const common = { revision: fc.nat(6), identifier: u32, idMappings: fc.array(mapping, { maxLength: 4 }) };
const ma = fc.record({ cacheCoherency: fc.nat(1), hints: fc.nat(15), memoryFlags: fc.nat(3) });
const irq = fc.record({ gsiv: u32, flags: fc.nat(1) });
const addr = fc.nat(2 ** 52);
const nodeArb: fc.Arbitrary<IortNode> = fc.oneof(
  fc.record({ type: fc.constant("its-group" as const), ...common, itsIds: fc.array(u32, { maxLength: 4 }) }),
  fc.record({
    type: fc.constant("named-component" as const),
    ...common,
    nodeFlags: u32,
    memoryAccess: ma,
    memoryAddressLimit: fc.nat(64),
    deviceName: fc.stringMatching(/^\\_SB\.[A-Z0-9]{1,4}(\.[A-Z0-9]{1,4})?$/),
  }),
  fc.record({
    type: fc.constant("root-complex" as const),
    ...common,
    revision: fc.nat(3),
    memoryAccess: ma,
    atsAttribute: fc.nat(7),
    pciSegment: fc.nat(0xffff),
    memoryAddressLimit: fc.nat(64),
  }),
  fc.record({
    type: fc.constant("smmu" as const),
    ...common,
    baseAddress: addr,
    span: addr,
    model: fc.nat(5),
    flags: fc.nat(3),
    globalInterrupts: fc.record({ nsgIrpt: irq, nsgCfgIrpt: irq }),
    contextInterrupts: fc.array(irq, { maxLength: 4 }),
    pmuInterrupts: fc.array(irq, { maxLength: 2 }),
  }),
  fc.record({
    type: fc.constant("smmu-v3" as const),
    ...common,
    baseAddress: addr,
    flags: fc.nat(31),
    vatosAddress: addr,
    model: fc.nat(2),
    eventGsiv: u32,
    priGsiv: u32,
    gerrGsiv: u32,
    syncGsiv: u32,
    proximityDomain: u32,
    deviceIdMappingIndex: u32,
  }),
  fc.record({ type: fc.constant("pmcg" as const), ...common, page0BaseAddress: addr, overflowGsiv: u32, nodeReference: ref, page1BaseAddress: addr }),
  fc.record({ type: fc.constant("rmr" as const), ...common, flags: u32, descriptors: fc.array(fc.record({ baseAddress: addr, length: addr }), { maxLength: 3 }) }),
);
const tableArb: fc.Arbitrary<IortTable> = fc.record({
  revision: fc.nat(6),
  oemId: ascii(6),
  oemTableId: ascii(8),
  oemRevision: u32,
  creatorId: ascii(4),
  creatorRevision: u32,
  nodes: fc.array(nodeArb, { minLength: 1, maxLength: 8 }),
});

/**
 * References must name existing nodes, and parseIort rejects reference cycles, so ID-mapping references are made
 * to point forward (or NULL); the PMCG node reference may point anywhere.
 */
function valid(t: IortTable): IortTable {
  const n = t.nodes.length;
  const fwd = (r: number | null, i: number): number | null => (r === null || i + 1 >= n ? null : i + 1 + (r % (n - i - 1)));
  return {
    ...t,
    nodes: t.nodes.map((node, i) => ({
      ...node,
      ...(node.type === "pmcg" ? { nodeReference: node.nodeReference === null ? null : node.nodeReference % n } : {}),
      idMappings: node.idMappings.map((m) => ({ ...m, outputReference: fwd(m.outputReference, i) })),
    })) as IortNode[],
  };
}

/** JSON with sorted keys: fast-check records have null prototypes, so compare by content. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x,
  );
}

describe("writeIort / parseIort", () => {
  it("parseIort(writeIort(m)) equals m for generated tables of every node type", () => {
    fc.assert(
      fc.property(tableArb.map(valid), (m) => {
        const r = parseIort(writeIort(m));
        if (canonical(r) !== canonical({ ok: true, value: m })) {
          console.log(canonical(m));
          console.log(canonical(r));
          return false;
        }
        return true;
      }),
      { numRuns: 500, seed: SEED, endOnFailure: true },
    );
  });
});
