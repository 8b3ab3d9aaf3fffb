import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { formatFirmwareError } from "./errors";
import type { IortTable } from "./iort-model";
import { parseIort } from "./iort-parse";
import { acpiChecksum, writeIort } from "./iort-write";

const good = new Uint8Array(readFileSync(resolve(import.meta.dirname, "../../../fixtures/iort/qemu72-acpi-initrd.IORT.bin")));
// Node offsets in this table: ITS 0x30, SMMUv3 0x48, RC 0xA0 (see its .dsl).

/** Writes a little-endian field and fixes the checksum, so only the field is wrong. */
function patched(at: number, value: number, size: 1 | 2 | 4 = 4): Uint8Array {
  const b = good.slice();
  const dv = new DataView(b.buffer);
  if (size === 1) dv.setUint8(at, value);
  else if (size === 2) dv.setUint16(at, value, true);
  else dv.setUint32(at, value, true);
  b[9] = acpiChecksum(b);
  return b;
}

describe("parseIort on damaged tables: typed errors with offsets and node names", () => {
  it.each([
    ["empty", new Uint8Array(0), { code: "truncated", offset: 0 }],
    ["wrong signature", Uint8Array.from([..."DSDT"].map((c) => c.charCodeAt(0))), { code: "bad-magic", offset: 0 }],
    ["header cut", good.slice(0, 40), { code: "truncated" }],
    ["length past the end", patched(4, 0x1000), { code: "truncated", offset: 4 }],
    ["length below the header", patched(4, 0x20), { code: "bad-length", offset: 4 }],
    ["node array outside the table", patched(0x28, 0x4000), { code: "bad-offset", offset: 0x28 }],
    ["absurd node count", patched(0x24, 0x7fffffff), { code: "bad-length", offset: 0x24 }],
    ["node length below a header", patched(0x49, 4, 2), { code: "bad-length", offset: 0x49, path: "node 1 (smmu-v3 @0x48)" }],
    ["node length past the table", patched(0xa1, 0x400, 2), { code: "bad-length", offset: 0xa1, path: "node 2 (root-complex @0xa0)" }],
    ["unknown node type", patched(0x48, 9, 1), { code: "bad-value", offset: 0x48 }],
    ["ID mappings past the node", patched(0xa8, 9), { code: "bad-length", offset: 0xa8, path: "node 2 (root-complex @0xa0)" }],
    ["ID mapping offset outside the node", patched(0xac, 0x400), { code: "bad-offset", offset: 0xac }],
    ["output reference not a node", patched(0xd0, 0x4c), { code: "bad-offset", offset: 0xd0, path: "node 2 (root-complex @0xa0)" }],
    ["ITS count past the node", patched(0x40, 1000), { code: "bad-length", path: "node 0 (its-group @0x30)" }],
    ["64-bit base above 2^53", patched(0x5c, 0xffffffff), { code: "bad-value", offset: 0x58 }],
    ["a reference cycle (SMMU -> RC -> SMMU)", patched(0x98, 0xa0), { code: "loop" }],
  ] as const)("%s", (_name, blob, expected) => {
    const r = parseIort(blob);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ kind: "iort", ...expected });
  });

  it("rejects a bad checksum unless told to ignore it (Linux only warns)", () => {
    const b = good.slice();
    b[0x18] = 2;
    expect(parseIort(b)).toMatchObject({ ok: false, error: { code: "bad-checksum", offset: 9 } });
    const r = parseIort(b, { checksum: "ignore" });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.oemRevision).toBe(2);
  });

  it("formats a one-line CLI message", () => {
    const r = parseIort(patched(0xd0, 0x4c));
    if (r.ok) throw new Error("parsed");
    expect(formatFirmwareError("IORT.bin", r.error)).toBe(
      "IORT.bin: offset 0xd0 (node 2 (root-complex @0xa0)): bad-offset: ID mapping 0 output reference 0x4c is not the offset of a node",
    );
  });
});

describe("writeIort / parseIort round trip for every node type", () => {
  const model: IortTable = {
    revision: 5,
    oemId: "ACME  ",
    oemTableId: "ROADRUNR",
    oemRevision: 7,
    creatorId: "INTL",
    creatorRevision: 0x20200925,
    nodes: [
      { type: "its-group", revision: 1, identifier: 0, idMappings: [], itsIds: [0, 1] },
      {
        type: "smmu",
        revision: 3,
        identifier: 1,
        baseAddress: 0x15000000,
        span: 0x100000,
        model: 3,
        flags: 2,
        globalInterrupts: { nsgIrpt: { gsiv: 0x61, flags: 0 }, nsgCfgIrpt: { gsiv: 0, flags: 0 } },
        contextInterrupts: [{ gsiv: 0x80, flags: 1 }, { gsiv: 0x81, flags: 1 }],
        pmuInterrupts: [{ gsiv: 0x90, flags: 0 }],
        idMappings: [],
      },
      {
        type: "smmu-v3",
        revision: 0,
        identifier: 2,
        baseAddress: 0x2b400000,
        flags: 1,
        vatosAddress: 0,
        model: 0,
        eventGsiv: 0,
        priGsiv: 0,
        gerrGsiv: 0,
        syncGsiv: 0,
        idMappings: [{ inputBase: 0, idCount: 0xffff, outputBase: 0, outputReference: 0, flags: 0 }],
      },
      {
        type: "named-component",
        revision: 4,
        identifier: 3,
        nodeFlags: 0x2 << 1,
        memoryAccess: { cacheCoherency: 1, hints: 0, memoryFlags: 0 },
        memoryAddressLimit: 48,
        deviceName: "\\_SB.UFS0",
        idMappings: [{ inputBase: 0, idCount: 0, outputBase: 0x20, outputReference: 1, flags: 1 }],
      },
      {
        type: "root-complex",
        revision: 4,
        identifier: 4,
        memoryAccess: { cacheCoherency: 1, hints: 0, memoryFlags: 3 },
        atsAttribute: 1,
        pciSegment: 0,
        memoryAddressLimit: 0x30,
        pasidCapabilities: 20,
        rcFlags: 1,
        idMappings: [{ inputBase: 0, idCount: 0xffff, outputBase: 0, outputReference: 2, flags: 0 }],
      },
      { type: "pmcg", revision: 1, identifier: 5, page0BaseAddress: 0x2b420000, overflowGsiv: 0x100, nodeReference: 2, page1BaseAddress: 0x2b430000, idMappings: [] },
      {
        type: "rmr",
        revision: 3,
        identifier: 6,
        flags: 1,
        descriptors: [{ baseAddress: 0x80000000, length: 0x10000 }],
        idMappings: [{ inputBase: 0x10, idCount: 0, outputBase: 0x10, outputReference: 2, flags: 1 }],
      },
    ],
  };
  it("parseIort(writeIort(m)) equals m, and iasl would see a valid checksum", () => {
    const bytes = writeIort(model);
    expect(bytes.reduce((a, b) => (a + b) & 0xff, 0)).toBe(0);
    expect(parseIort(bytes)).toEqual({ ok: true, value: model });
  });
});
