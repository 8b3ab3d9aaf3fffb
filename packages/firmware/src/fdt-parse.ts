/**
 * DTB parser (versions 16 and 17). Every offset and length is checked against the header's `totalsize` and its
 * block before it is read, so a damaged blob yields a typed {@link FirmwareError} naming the byte offset and the
 * node path, never an exception, a hang or an allocation larger than the input.
 *
 * Property values are `Uint8Array` views into the input (no copy) unless `copy` is set; mutate the input and the
 * tree changes with it.
 *
 * @see scripts/dtc/libfdt/fdt.c (fdt_check_header, fdt_next_tag)
 * @see drivers/of/fdt.c (unflatten_dt_nodes, populate_node, populate_properties)
 */
import type { FirmwareErrorCode, FirmwareResult } from "./errors";
import { firmwareError } from "./errors";
import type { FdtNode, FdtProperty, FdtReservation, FdtTree } from "./fdt-tree";
import { FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_MAGIC, FDT_NOP, FDT_PROP } from "./fdt-write";

/**
 * Header fields of a DTB.
 *
 * @see scripts/dtc/libfdt/fdt.h struct fdt_header
 */
export interface FdtHeader {
  readonly magic: number;
  readonly totalSize: number;
  readonly offDtStruct: number;
  readonly offDtStrings: number;
  readonly offMemRsvmap: number;
  readonly version: number;
  readonly lastCompVersion: number;
  readonly bootCpuidPhys: number;
  readonly sizeDtStrings: number;
  /** Absent from version-16 headers (the structure block then runs to `totalsize`). */
  readonly sizeDtStruct?: number;
}

/** Where each parsed node and property sat in the blob, for error messages and cross-checks. */
export interface FdtOffsets {
  /** Offset of the node's BEGIN_NODE token. */
  readonly nodes: Map<FdtNode, number>;
  /** Offset of the property's value bytes. */
  readonly properties: Map<FdtProperty, number>;
}

/** Parser options. */
export interface ParseFdtOptions {
  /** Copy property values out of the input instead of keeping views (default false). */
  readonly copy?: boolean;
  /** Deepest node nesting accepted (default 64, Linux's FDT_MAX_DEPTH). */
  readonly maxDepth?: number;
  /** Most nodes accepted (default 1,000,000). */
  readonly maxNodes?: number;
  /** Most memory reservation entries accepted (default 4096). */
  readonly maxReservations?: number;
  /** When given, filled with the offset of every node and property. */
  readonly offsets?: FdtOffsets;
}

const TWO_32 = 0x1_0000_0000;
const HEADER_V16 = 36;
const HEADER_V17 = 40;

function err(code: FirmwareErrorCode, offset: number, message: string, path?: string): FirmwareResult<never> {
  return { ok: false, error: firmwareError("fdt", code, offset, message, path) };
}

/**
 * Reads and checks a DTB header: magic, a version this parser reads (16 or 17, or a later version whose
 * `last_comp_version` is at most 17), and every block inside `totalsize`, which must itself fit in the bytes.
 *
 * @see scripts/dtc/libfdt/fdt.c fdt_check_header
 */
export function readFdtHeader(bytes: Uint8Array): FirmwareResult<FdtHeader> {
  if (bytes.length < 8) return err("truncated", 0, `${bytes.length} bytes is too short for an FDT header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0);
  if (magic !== FDT_MAGIC) return err("bad-magic", 0, `magic 0x${magic.toString(16)} is not 0xd00dfeed`);
  if (bytes.length < HEADER_V16) return err("truncated", bytes.length, `${bytes.length} bytes is too short for an FDT header`);
  const version = dv.getUint32(20);
  const lastCompVersion = dv.getUint32(24);
  if (version < 16 || lastCompVersion > 17) {
    return err("bad-version", 20, `version ${version} (last compatible ${lastCompVersion}) is not readable; versions 16-17 are`);
  }
  const headerSize = version >= 17 ? HEADER_V17 : HEADER_V16;
  if (bytes.length < headerSize) return err("truncated", bytes.length, `${bytes.length} bytes is too short for a v${version} header`);
  const totalSize = dv.getUint32(4);
  if (totalSize > bytes.length) {
    return err("truncated", 4, `totalsize 0x${totalSize.toString(16)} is past the end of the ${bytes.length}-byte blob`);
  }
  if (totalSize < headerSize) return err("bad-length", 4, `totalsize ${totalSize} is smaller than the header`);
  const header: FdtHeader = {
    magic,
    totalSize,
    offDtStruct: dv.getUint32(8),
    offDtStrings: dv.getUint32(12),
    offMemRsvmap: dv.getUint32(16),
    version,
    lastCompVersion,
    bootCpuidPhys: dv.getUint32(28),
    sizeDtStrings: dv.getUint32(32),
    ...(version >= 17 ? { sizeDtStruct: dv.getUint32(36) } : {}),
  };
  const structEnd = header.sizeDtStruct === undefined ? totalSize : header.offDtStruct + header.sizeDtStruct;
  const checks: [boolean, number, string][] = [
    [header.offMemRsvmap >= headerSize && header.offMemRsvmap <= totalSize && header.offMemRsvmap % 8 === 0, 16, "off_mem_rsvmap"],
    [header.offDtStruct >= headerSize && header.offDtStruct <= totalSize && header.offDtStruct % 4 === 0, 8, "off_dt_struct"],
    [header.offDtStrings >= headerSize && header.offDtStrings <= totalSize, 12, "off_dt_strings"],
  ];
  for (const [good, at, name] of checks) {
    if (!good) return err("bad-offset", at, `${name} is outside the blob or misaligned`);
  }
  if (structEnd > totalSize) return err("bad-length", 36, `size_dt_struct runs past totalsize`);
  if (header.offDtStrings + header.sizeDtStrings > totalSize) return err("bad-length", 32, `size_dt_strings runs past totalsize`);
  return { ok: true, value: header };
}

/** Latin-1 decode of `bytes[start, end)`. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (end - start < 64) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i] as number);
    return s;
  }
  const parts: string[] = [];
  for (let i = start; i < end; i += 4096) parts.push(String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 4096))));
  return parts.join("");
}

interface Frame {
  name: string;
  properties: FdtProperty[];
  children: FdtNode[];
  offset: number;
}

function pathOf(stack: readonly Frame[]): string {
  if (stack.length <= 1) return "/";
  return stack
    .slice(1)
    .map((f) => `/${f.name}`)
    .join("");
}

/**
 * Parses a DTB into an {@link FdtTree}.
 *
 * @see drivers/of/fdt.c unflatten_dt_nodes
 * @see scripts/dtc/libfdt/fdt.c fdt_next_tag
 */
export function parseFdt(bytes: Uint8Array, options: ParseFdtOptions = {}): FirmwareResult<FdtTree> {
  const h = readFdtHeader(bytes);
  if (!h.ok) return h;
  const header = h.value;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const maxDepth = options.maxDepth ?? 64;
  const maxNodes = options.maxNodes ?? 1_000_000;
  const maxRsv = options.maxReservations ?? 4096;

  // Memory reservation block: (address, size) u64 pairs up to a (0, 0) terminator.
  const reservations: FdtReservation[] = [];
  for (let off = header.offMemRsvmap; ; off += 16) {
    if (off + 16 > header.totalSize) return err("truncated", off, "memory reservation block has no terminator");
    const aHi = dv.getUint32(off);
    const aLo = dv.getUint32(off + 4);
    const sHi = dv.getUint32(off + 8);
    const sLo = dv.getUint32(off + 12);
    if ((aHi | aLo | sHi | sLo) === 0) break;
    if (aHi >= 0x200000 || sHi >= 0x200000) return err("bad-value", off, "memory reservation above 2^53 is not representable");
    if (reservations.length >= maxRsv) return err("too-many", off, `more than ${maxRsv} memory reservations`);
    reservations.push({ address: aHi * TWO_32 + aLo, size: sHi * TWO_32 + sLo });
  }

  const structStart = header.offDtStruct;
  const structEnd = header.sizeDtStruct === undefined ? header.totalSize : structStart + header.sizeDtStruct;
  const stringsStart = header.offDtStrings;
  const stringsEnd = stringsStart + header.sizeDtStrings;
  const nameCache = new Map<number, string>();
  const copy = options.copy ?? false;
  const offsets = options.offsets;

  const stack: Frame[] = [];
  let root: FdtNode | undefined;
  let nodeCount = 0;
  let off = structStart;
  const fail = (code: FirmwareErrorCode, at: number, message: string): FirmwareResult<never> =>
    err(code, at, message, stack.length > 0 ? pathOf(stack) : undefined);

  for (;;) {
    if (off + 4 > structEnd) return fail("truncated", off, "structure block ends before FDT_END");
    const token = dv.getUint32(off);
    const tokenAt = off;
    off += 4;
    if (token === FDT_BEGIN_NODE) {
      if (root !== undefined) return fail("bad-token", tokenAt, "a second root node after the first ended");
      let end = off;
      while (end < structEnd && bytes[end] !== 0) end++;
      if (end >= structEnd) return fail("bad-string", off, "node name is not NUL-terminated inside the structure block");
      const name = latin1(bytes, off, end);
      off = (end + 1 + 3) & ~3;
      if (stack.length >= maxDepth) return fail("too-deep", tokenAt, `nodes nested deeper than ${maxDepth}`);
      if (++nodeCount > maxNodes) return fail("too-many", tokenAt, `more than ${maxNodes} nodes`);
      stack.push({ name, properties: [], children: [], offset: tokenAt });
    } else if (token === FDT_END_NODE) {
      const frame = stack.pop();
      if (frame === undefined) return fail("bad-token", tokenAt, "FDT_END_NODE outside any node");
      const node: FdtNode = { name: frame.name, properties: frame.properties, children: frame.children };
      offsets?.nodes.set(node, frame.offset);
      const parent = stack[stack.length - 1];
      if (parent === undefined) root = node;
      else parent.children.push(node);
    } else if (token === FDT_PROP) {
      const frame = stack[stack.length - 1];
      if (frame === undefined) return fail("bad-token", tokenAt, "FDT_PROP outside any node");
      if (off + 8 > structEnd) return fail("truncated", off, "property header runs past the structure block");
      const len = dv.getUint32(off);
      const nameoff = dv.getUint32(off + 4);
      const valueAt = off + 8;
      if (len > structEnd - valueAt) {
        return fail("bad-length", off, `property length ${len} runs past the structure block`);
      }
      let name = nameCache.get(nameoff);
      if (name === undefined) {
        if (nameoff >= header.sizeDtStrings) {
          return fail("bad-offset", off + 4, `property name offset 0x${nameoff.toString(16)} is outside the strings block`);
        }
        let end = stringsStart + nameoff;
        while (end < stringsEnd && bytes[end] !== 0) end++;
        if (end >= stringsEnd) return fail("bad-string", stringsStart + nameoff, "property name is not NUL-terminated");
        name = latin1(bytes, stringsStart + nameoff, end);
        nameCache.set(nameoff, name);
      }
      const view = bytes.subarray(valueAt, valueAt + len);
      const prop: FdtProperty = { name, value: copy ? view.slice() : view };
      offsets?.properties.set(prop, valueAt);
      frame.properties.push(prop);
      off = (valueAt + len + 3) & ~3;
    } else if (token === FDT_NOP) {
      continue;
    } else if (token === FDT_END) {
      if (stack.length > 0) return fail("bad-token", tokenAt, `FDT_END with ${stack.length} node(s) still open`);
      if (root === undefined) return fail("bad-token", tokenAt, "FDT_END before any node");
      return { ok: true, value: { root, reservations, bootCpuidPhys: header.bootCpuidPhys } };
    } else {
      return fail("bad-token", tokenAt, `unknown structure token 0x${token.toString(16)}`);
    }
  }
}
