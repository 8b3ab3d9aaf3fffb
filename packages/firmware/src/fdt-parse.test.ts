import { describe, expect, it } from "vitest";
import { formatFirmwareError } from "./errors";
import { parseFdt, readFdtHeader } from "./fdt-parse";
import { fdtCells, fdtNode, fdtString, fdtTree } from "./fdt-tree";
import { writeFdt } from "./fdt-write";

const tree = fdtTree(
  fdtNode("", { "#address-cells": fdtCells(2) }, [fdtNode("soc", {}, [fdtNode("iommu@15000000", { compatible: fdtString("arm,mmu-500") })])]),
);
const good = writeFdt(tree);
const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const hdr = readFdtHeader(good);
if (!hdr.ok) throw new Error("bad fixture");
const H = hdr.value;
function patched(at: number, value: number): Uint8Array {
  const b = good.slice();
  dv(b).setUint32(at, value);
  return b;
}
/** Offset of a property's value in the good blob, from the parser's own offset map. */
function valueOffset(name: string): number {
  const offsets = { nodes: new Map(), properties: new Map() };
  parseFdt(good, { offsets });
  for (const [prop, at] of offsets.properties) if ((prop as { name: string }).name === name) return at as number;
  throw new Error(name);
}
const lastEndNode = H.offDtStruct + (H.sizeDtStruct ?? 0) - 8;

describe("parseFdt on damaged blobs: typed errors with offsets and paths", () => {
  it("round-trips the intact blob", () => {
    expect(parseFdt(good)).toEqual({ ok: true, value: tree });
  });

  it.each([
    ["too short", good.slice(0, 6), { code: "truncated", offset: 0 }],
    ["wrong magic", patched(0, 0xfeedd00d), { code: "bad-magic", offset: 0 }],
    ["version 15", patched(20, 15), { code: "bad-version", offset: 20 }],
    ["totalsize past the end", patched(4, good.length + 4), { code: "truncated", offset: 4 }],
    ["header cut", good.slice(0, 30), { code: "truncated" }],
    ["struct offset past totalsize", patched(8, good.length + 8), { code: "bad-offset", offset: 8 }],
    ["misaligned rsvmap", patched(16, 41), { code: "bad-offset", offset: 16 }],
    ["strings size past totalsize", patched(32, 0x10000), { code: "bad-length", offset: 32 }],
    ["struct size past totalsize", patched(36, 0x10000), { code: "bad-length", offset: 36 }],
  ] as const)("%s", (_name, blob, expected) => {
    const r = parseFdt(blob);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ kind: "fdt", ...expected });
  });

  it("names the node whose property length does not fit", () => {
    // The compatible property: PROP token, then len.
    const compatLenAt = valueOffset("compatible") - 8;
    const b = good.slice();
    dv(b).setUint32(compatLenAt, 0x7fffffff);
    const r = parseFdt(b);
    expect(r).toMatchObject({ ok: false, error: { code: "bad-length", offset: compatLenAt, path: "/soc/iommu@15000000" } });
    if (!r.ok) expect(formatFirmwareError("board.dtb", r.error)).toBe(
      `board.dtb: offset 0x${compatLenAt.toString(16)} (/soc/iommu@15000000): bad-length: property length 2147483647 runs past the structure block`,
    );
  });

  it("rejects a property name offset outside the strings block", () => {
    const at = valueOffset("#address-cells") - 4;
    const b = good.slice();
    dv(b).setUint32(at, 0xffff);
    expect(parseFdt(b)).toMatchObject({ ok: false, error: { code: "bad-offset", offset: at, path: "/" } });
  });

  it("rejects an unknown token and FDT_END with open nodes", () => {
    const endNode = lastEndNode;
    const b = good.slice();
    dv(b).setUint32(endNode, 7);
    expect(parseFdt(b)).toMatchObject({ ok: false, error: { code: "bad-token", offset: endNode } });
    const c = good.slice();
    dv(c).setUint32(endNode, 9);
    expect(parseFdt(c)).toMatchObject({ ok: false, error: { code: "bad-token", offset: endNode } });
  });

  it("caps nesting depth and node count", () => {
    let deep = fdtNode("n", {});
    for (let i = 0; i < 70; i++) deep = fdtNode("n", {}, [deep]);
    const blob = writeFdt(fdtTree(fdtNode("", {}, [deep])));
    expect(parseFdt(blob)).toMatchObject({ ok: false, error: { code: "too-deep" } });
    expect(parseFdt(blob, { maxDepth: 100 }).ok).toBe(true);
    expect(parseFdt(blob, { maxDepth: 100, maxNodes: 10 })).toMatchObject({ ok: false, error: { code: "too-many" } });
  });

  it("reads a version-16 header (no size_dt_struct) and a reservation map", () => {
    const withRsv = writeFdt(fdtTree(tree.root, { reservations: [{ address: 0x8000_0000, size: 0x10_0000 }], bootCpuidPhys: 3 }));
    const v16 = withRsv.slice();
    dv(v16).setUint32(20, 16);
    expect(parseFdt(v16)).toEqual({ ok: true, value: fdtTree(tree.root, { reservations: [{ address: 0x8000_0000, size: 0x10_0000 }], bootCpuidPhys: 3 }) });
  });

  it("keeps property values as views of the input unless asked to copy", () => {
    const a = parseFdt(good);
    const b = parseFdt(good, { copy: true });
    if (!a.ok || !b.ok) throw new Error("parse");
    const va = a.value.root.properties[0]?.value;
    const vb = b.value.root.properties[0]?.value;
    expect(va?.buffer).toBe(good.buffer);
    expect(vb?.buffer).not.toBe(good.buffer);
  });
});
