/**
 * The flattened device tree as data: nodes with ordered properties (raw big-endian bytes) and ordered children,
 * plus the memory reservation block and the boot CPU. Builders and property encoders let boards and tests write a
 * tree the way a `.dts` reads; {@link writeFdt} (fdt-write.ts) turns it into a DTB and `parseFdt` back.
 *
 * @see scripts/dtc/libfdt/fdt.h (struct fdt_header, FDT_BEGIN_NODE ...)
 * @see Documentation/devicetree/usage-model.rst
 */

/**
 * A property: its name and its value exactly as stored in the DTB (big-endian cells, NUL-terminated strings).
 *
 * @see scripts/dtc/libfdt/fdt.h struct fdt_property
 */
export interface FdtProperty {
  readonly name: string;
  readonly value: Uint8Array;
}

/**
 * A node: its name with unit address (`"smmuv3@9050000"`; the root is `""`), properties and children in order.
 *
 * @see scripts/dtc/libfdt/fdt.h struct fdt_node_header
 */
export interface FdtNode {
  readonly name: string;
  readonly properties: readonly FdtProperty[];
  readonly children: readonly FdtNode[];
}

/**
 * One entry of the memory reservation block (`/memreserve/`).
 *
 * @see scripts/dtc/libfdt/fdt.h struct fdt_reserve_entry
 */
export interface FdtReservation {
  readonly address: number;
  readonly size: number;
}

/**
 * A whole device tree: what a DTB holds besides its layout.
 *
 * @see scripts/dtc/libfdt/fdt.h struct fdt_header
 */
export interface FdtTree {
  readonly root: FdtNode;
  readonly reservations: readonly FdtReservation[];
  /** `boot_cpuid_phys` from the header. */
  readonly bootCpuidPhys: number;
}

/** Properties for {@link fdtNode}: an ordered record (`{ compatible: fdtString("arm,smmu-v3") }`) or a list. */
export type FdtPropertiesInit = Readonly<Record<string, Uint8Array>> | readonly FdtProperty[];

/**
 * Builds a node.
 *
 * @example
 * fdtNode("smmuv3@9050000", {
 *   compatible: fdtString("arm,smmu-v3"),
 *   reg: fdtReg([[0x9050000, 0x20000]]),
 *   "#iommu-cells": fdtCells(1),
 *   "dma-coherent": fdtEmpty(),
 *   phandle: fdtCells(0x8001),
 * })
 */
export function fdtNode(name: string, properties: FdtPropertiesInit = [], children: readonly FdtNode[] = []): FdtNode {
  const props: FdtProperty[] = isPropertyList(properties)
    ? [...properties]
    : Object.entries(properties).map(([n, value]) => ({ name: n, value }));
  return { name, properties: props, children: [...children] };
}

function isPropertyList(p: FdtPropertiesInit): p is readonly FdtProperty[] {
  return Array.isArray(p);
}

/** Builds a property. */
export function fdtProp(name: string, value: Uint8Array): FdtProperty {
  return { name, value };
}

/** Builds a tree around a root node (whose name is forced to `""`). */
export function fdtTree(
  root: FdtNode,
  options: { readonly reservations?: readonly FdtReservation[]; readonly bootCpuidPhys?: number } = {},
): FdtTree {
  return {
    root: root.name === "" ? root : { ...root, name: "" },
    reservations: [...(options.reservations ?? [])],
    bootCpuidPhys: options.bootCpuidPhys ?? 0,
  };
}

const TWO_32 = 0x1_0000_0000;

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v >= TWO_32) throw new RangeError(`${what}: ${v} is not a u32`);
}

function checkU64(v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what}: ${v} is not a safe non-negative integer`);
}

/** `<a b c>`: big-endian u32 cells. Throws RangeError on a value that is not a u32 (a builder bug). */
export function fdtCells(...cells: readonly number[]): Uint8Array {
  const out = new Uint8Array(cells.length * 4);
  const dv = new DataView(out.buffer);
  cells.forEach((c, i) => {
    checkU32(c, "fdtCells");
    dv.setUint32(i * 4, c);
  });
  return out;
}

/** `/bits/ 64 <a b>`: big-endian u64 values (each two cells, high first). */
export function fdtU64(...values: readonly number[]): Uint8Array {
  const cells: number[] = [];
  for (const v of values) {
    checkU64(v, "fdtU64");
    cells.push(Math.floor(v / TWO_32), v % TWO_32);
  }
  return fdtCells(...cells);
}

/**
 * A number as `cellCount` big-endian cells (`#address-cells`/`#size-cells` aware encoding). Throws RangeError if it
 * does not fit.
 */
export function fdtNumberCells(value: number, cellCount: number): number[] {
  checkU64(value, "fdtNumberCells");
  if (cellCount === 0) {
    if (value !== 0) throw new RangeError(`fdtNumberCells: ${value} does not fit in 0 cells`);
    return [];
  }
  const cells = new Array<number>(cellCount).fill(0);
  cells[cellCount - 1] = value % TWO_32;
  const hi = Math.floor(value / TWO_32);
  if (cellCount >= 2) cells[cellCount - 2] = hi;
  else if (hi !== 0) throw new RangeError(`fdtNumberCells: ${value} does not fit in 1 cell`);
  return cells;
}

/** `reg = <addr size>, ...` with the parent bus's `#address-cells` / `#size-cells` (default 2 and 2). */
export function fdtReg(
  entries: readonly (readonly [address: number, size: number])[],
  addressCells = 2,
  sizeCells = 2,
): Uint8Array {
  const cells: number[] = [];
  for (const [a, s] of entries) cells.push(...fdtNumberCells(a, addressCells), ...fdtNumberCells(s, sizeCells));
  return fdtCells(...cells);
}

function latin1Bytes(s: string, what: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0xff) throw new RangeError(`${what}: character ${c} at ${i} cannot be stored`);
    out.push(c);
  }
  return out;
}

/** `"text"`: a NUL-terminated string (Latin-1 bytes). */
export function fdtString(s: string): Uint8Array {
  return Uint8Array.from([...latin1Bytes(s, "fdtString"), 0]);
}

/** `"a", "b"`: a string list (each NUL-terminated). */
export function fdtStringList(...strings: readonly string[]): Uint8Array {
  const bytes: number[] = [];
  for (const s of strings) bytes.push(...latin1Bytes(s, "fdtStringList"), 0);
  return Uint8Array.from(bytes);
}

/** A boolean property (`dma-coherent;`): no value. */
export function fdtEmpty(): Uint8Array {
  return new Uint8Array(0);
}

/** `[de ad be ef]`: raw bytes (copied). */
export function fdtBytes(bytes: ArrayLike<number>): Uint8Array {
  return Uint8Array.from(bytes);
}

/** Encodes a string as Latin-1 bytes (no terminator). Throws RangeError on NUL or characters above 0xff. */
export function latin1Encode(s: string, what = "string"): Uint8Array {
  return Uint8Array.from(latin1Bytes(s, what));
}
