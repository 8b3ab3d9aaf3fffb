/**
 * Typed readers for property values, with the length rules of Linux's `of_property_read_*` helpers: a value that
 * does not fit gives a `bad-length` error rather than a short read.
 *
 * @see drivers/of/property.c (of_property_read_u32_index, of_property_read_string, of_property_count_elems_of_size)
 */
import type { FirmwareResult } from "./errors";
import { firmwareError } from "./errors";
import type { FdtNode, FdtProperty } from "./fdt-tree";

/** Where a property lives, for error messages: its value offset in the blob (or -1) and its node path. */
export interface FdtWhere {
  readonly offset: number;
  readonly path?: string;
}

const NOWHERE: FdtWhere = { offset: -1 };

function bad(where: FdtWhere, code: "bad-length" | "bad-string" | "bad-value", message: string): FirmwareResult<never> {
  return { ok: false, error: firmwareError("fdt", code, where.offset, message, where.path) };
}

/**
 * The first property of that name on the node (Linux keeps the first of duplicates).
 *
 * @see drivers/of/base.c of_find_property
 */
export function fdtGetProp(node: FdtNode, name: string): FdtProperty | undefined {
  for (const p of node.properties) if (p.name === name) return p;
  return undefined;
}

/** True if the node has the property (`of_property_read_bool`). */
export function fdtHasProp(node: FdtNode, name: string): boolean {
  return fdtGetProp(node, name) !== undefined;
}

function cell(v: Uint8Array, i: number): number {
  return (((v[i] as number) << 24) | ((v[i + 1] as number) << 16) | ((v[i + 2] as number) << 8) | (v[i + 3] as number)) >>> 0;
}

/**
 * The first cell (`of_property_read_u32`: the value must hold at least 4 bytes).
 *
 * @see drivers/of/property.c of_property_read_variable_u32_array
 */
export function readU32(prop: FdtProperty, where: FdtWhere = NOWHERE): FirmwareResult<number> {
  if (prop.value.length < 4) return bad(where, "bad-length", `${prop.name} is ${prop.value.length} bytes, too short for a u32`);
  return { ok: true, value: cell(prop.value, 0) };
}

/**
 * Every cell. The length must be a multiple of 4 (`of_property_count_u32_elems` gives -EINVAL otherwise).
 *
 * @see drivers/of/property.c of_property_count_elems_of_size
 */
export function readCells(prop: FdtProperty, where: FdtWhere = NOWHERE): FirmwareResult<number[]> {
  const v = prop.value;
  if (v.length % 4 !== 0) return bad(where, "bad-length", `${prop.name} is ${v.length} bytes, not a whole number of cells`);
  const out = new Array<number>(v.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = cell(v, i * 4);
  return { ok: true, value: out };
}

/**
 * Combines big-endian cells into one number (cells beyond the last two must be zero to stay below 2^53).
 *
 * @see include/linux/of.h of_read_number
 */
export function cellsToNumber(cells: readonly number[], where: FdtWhere = NOWHERE): FirmwareResult<number> {
  let value = 0;
  for (const c of cells) {
    value = value * 0x1_0000_0000 + c;
    if (!Number.isSafeInteger(value)) return bad(where, "bad-value", `cells ${cells.map((x) => x.toString(16)).join(" ")} exceed 2^53`);
  }
  return { ok: true, value };
}

/**
 * The first 64-bit value (`of_property_read_u64`: at least 8 bytes). Values above 2^53 are a `bad-value` error.
 *
 * @see drivers/of/property.c of_property_read_u64
 */
export function readU64(prop: FdtProperty, where: FdtWhere = NOWHERE): FirmwareResult<number> {
  if (prop.value.length < 8) return bad(where, "bad-length", `${prop.name} is ${prop.value.length} bytes, too short for a u64`);
  return cellsToNumber([cell(prop.value, 0), cell(prop.value, 4)], where);
}

/**
 * The string (`of_property_read_string`: the value must contain a NUL, else -EILSEQ). Text up to the first NUL.
 *
 * @see drivers/of/property.c of_property_read_string
 */
export function readString(prop: FdtProperty, where: FdtWhere = NOWHERE): FirmwareResult<string> {
  const v = prop.value;
  const nul = v.indexOf(0);
  if (nul < 0) return bad(where, "bad-string", `${prop.name} is not NUL-terminated`);
  let s = "";
  for (let i = 0; i < nul; i++) s += String.fromCharCode(v[i] as number);
  return { ok: true, value: s };
}

/**
 * All strings of a string list (`of_property_read_string_array`); the value must end with a NUL.
 *
 * @see drivers/of/property.c of_property_read_string_helper
 */
export function readStringList(prop: FdtProperty, where: FdtWhere = NOWHERE): FirmwareResult<string[]> {
  const v = prop.value;
  if (v.length === 0) return { ok: true, value: [] };
  if (v[v.length - 1] !== 0) return bad(where, "bad-string", `${prop.name} does not end with a NUL`);
  const out: string[] = [];
  let s = "";
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as number;
    if (c === 0) {
      out.push(s);
      s = "";
    } else s += String.fromCharCode(c);
  }
  return { ok: true, value: out };
}

/**
 * `of_device_is_available`: no `status`, or a non-empty `status` whose string is `"okay"` or `"ok"`.
 *
 * @see drivers/of/base.c __of_device_is_available
 */
export function isAvailable(node: FdtNode): boolean {
  const status = fdtGetProp(node, "status");
  if (status === undefined) return true;
  if (status.value.length === 0) return false;
  const nul = status.value.indexOf(0);
  const end = nul < 0 ? status.value.length : nul;
  let s = "";
  for (let i = 0; i < end && i < 8; i++) s += String.fromCharCode(status.value[i] as number);
  return end <= 4 && (s === "okay" || s === "ok");
}

/** The `compatible` strings, or `[]` when absent or malformed. */
export function compatibleOf(node: FdtNode): string[] {
  const p = fdtGetProp(node, "compatible");
  if (p === undefined) return [];
  const r = readStringList(p);
  return r.ok ? r.value : [];
}
