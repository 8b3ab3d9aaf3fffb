/**
 * Mutation property test over every fixture: bit flips, truncations and rewritten length/offset fields. Every
 * parse must return a value or a typed FirmwareError (never throw, never hang); whatever parses must re-encode and
 * survive discovery and ID walks. Seeded for reproducibility (override with FC_SEED).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FdtOffsets, FirmwareError } from "@dmasim/firmware";
import {
  DeviceTree,
  dmaCoherent,
  dmaRanges,
  iortMapPciRid,
  iortNodeMapId,
  ofIommuMasters,
  ofMapId,
  parseFdt,
  parseIort,
  writeFdt,
  writeIort,
} from "@dmasim/firmware";
import { dtbFixtures, iortFixtures } from "./fixtures";

const SEED = process.env.FC_SEED === undefined ? 0x5eed : Number(process.env.FC_SEED);
const CODES = new Set([
  "truncated",
  "bad-magic",
  "bad-version",
  "bad-checksum",
  "bad-offset",
  "bad-length",
  "bad-token",
  "bad-string",
  "bad-value",
  "too-deep",
  "too-many",
  "loop",
  "dangling-phandle",
  "bad-cells",
]);

function wellFormed(e: FirmwareError, kind: "fdt" | "iort", size: number): void {
  expect(e.kind).toBe(kind);
  expect(CODES.has(e.code)).toBe(true);
  expect(Number.isInteger(e.offset) && e.offset >= -1 && e.offset <= Math.max(size, 0x40)).toBe(true);
  expect(e.message.length).toBeGreaterThan(0);
}

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "truncate"; length: number }
  | { kind: "word"; at: number; value: number; littleEndian: boolean };

const interesting = (size: number) =>
  fc.oneof(
    fc.constantFrom(0, 1, 3, 4, 0x10, 0x7fffffff, 0x80000000, 0xffffffff, size, size - 1, size + 1, size * 2),
    fc.integer({ min: 0, max: 0xffffffff }),
  );

/** Mutations aimed at a blob's length/offset fields (`fields`) plus random flips and truncations. */
function mutations(size: number, fields: readonly number[], littleEndian: boolean): fc.Arbitrary<Mutation[]> {
  const m: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("flip" as const), at: fc.nat(size - 1), bit: fc.nat(7) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), length: fc.nat(size) }) },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant("word" as const), at: fc.constantFrom(...fields), value: interesting(size), littleEndian: fc.constant(littleEndian) }),
    },
  );
  return fc.array(m, { minLength: 1, maxLength: 6 });
}

function apply(bytes: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = bytes.slice();
  for (const m of ms) {
    if (m.kind === "flip" && m.at < b.length) b[m.at] = (b[m.at] as number) ^ (1 << m.bit);
    else if (m.kind === "truncate") b = b.slice(0, Math.min(m.length, b.length));
    else if (m.kind === "word" && m.at + 4 <= b.length) new DataView(b.buffer).setUint32(m.at, m.value >>> 0, m.littleEndian);
  }
  return b;
}

/** Header fields plus a sample of property length / name-offset words of a DTB. */
function fdtFields(bytes: Uint8Array): number[] {
  const fields = [4, 8, 12, 16, 20, 24, 32, 36];
  const offsets: FdtOffsets = { nodes: new Map(), properties: new Map() };
  parseFdt(bytes, { offsets });
  let i = 0;
  for (const at of offsets.properties.values()) if (i++ % 17 === 0) fields.push(at - 8, at - 4);
  return fields;
}

/** Header fields plus every node's length / mapping count / mapping offset and every mapping's reference. */
function iortFields(bytes: Uint8Array): number[] {
  const fields = [4, 0x24, 0x28];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0x30;
  for (let n = 0; n < dv.getUint32(0x24, true) && at + 16 <= bytes.length; n++) {
    const len = dv.getUint16(at + 1, true);
    fields.push(at, at + 8, at + 12);
    const count = dv.getUint32(at + 8, true);
    const off = dv.getUint32(at + 12, true);
    for (let i = 0; i < count; i++) fields.push(at + off + 20 * i + 4, at + off + 20 * i + 12);
    if (len === 0) break;
    at += len;
  }
  return fields;
}

describe("FDT mutation fuzz", () => {
  const dtbs = dtbFixtures();
  const runsEach = Math.ceil(6000 / dtbs.length);
  it.each(dtbs)(`$name: ${runsEach} mutants parse or fail with a typed error`, ({ bytes }) => {
    const fields = fdtFields(bytes);
    fc.assert(
      fc.property(mutations(bytes.length, fields, false), fc.nat(0xffff), (ms, rid) => {
        const blob = apply(bytes, ms);
        const r = parseFdt(blob);
        if (!r.ok) {
          wellFormed(r.error, "fdt", blob.length);
          return;
        }
        // Re-encoding is deterministic, so byte equality of two rounds is tree equality (and far cheaper).
        const once = writeFdt(r.value);
        const again = parseFdt(once);
        expect(again.ok && Buffer.from(writeFdt(again.value)).equals(Buffer.from(once))).toBe(true);
        const dt = DeviceTree.fromTree(r.value);
        if (!dt.ok) {
          wellFormed(dt.error, "fdt", blob.length);
          return;
        }
        for (const m of ofIommuMasters(dt.value, { includeUnavailable: true })) {
          if (m.end.kind === "error") wellFormed(m.end.error, "fdt", blob.length);
          const c = dmaCoherent(dt.value, m.node);
          if (!c.ok) wellFormed(c.error, "fdt", blob.length);
          const d = dmaRanges(dt.value, m.node);
          if (!d.ok) wellFormed(d.error, "fdt", blob.length);
        }
        for (const node of dt.value.nodes) {
          for (const name of ["iommu-map", "msi-map"] as const) {
            if (!node.properties.some((p) => p.name === name)) continue;
            const res = ofMapId(dt.value, node, rid, name);
            if (res.kind === "error") wellFormed(res.error, "fdt", blob.length);
          }
        }
      }),
      { numRuns: runsEach, seed: SEED },
    );
  }, 20_000);
});

describe("IORT mutation fuzz", () => {
  const iorts = iortFixtures();
  const runsEach = Math.ceil(6000 / iorts.length);
  it.each(iorts)(`$name: ${runsEach} mutants parse or fail with a typed error`, ({ bytes }) => {
    const fields = iortFields(bytes);
    fc.assert(
      fc.property(mutations(bytes.length, fields, true), fc.boolean(), fc.nat(0xffff), (ms, ignoreChecksum, rid) => {
        const blob = apply(bytes, ms);
        const r = parseIort(blob, { checksum: ignoreChecksum ? "ignore" : "verify" });
        if (!r.ok) {
          wellFormed(r.error, "iort", blob.length);
          return;
        }
        expect(parseIort(writeIort(r.value))).toEqual(r);
        for (const era of ["v4.12", "v6.1"] as const) {
          iortMapPciRid(r.value, 0, rid, { era });
          r.value.nodes.forEach((_, i) => {
            iortNodeMapId(r.value, i, rid, "iommu", { era });
            iortNodeMapId(r.value, i, rid, "msi", { era });
          });
        }
      }),
      { numRuns: runsEach, seed: SEED },
    );
  }, 20_000);
});
