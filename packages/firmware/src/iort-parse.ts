/**
 * IORT parser: the ACPI header (signature, length, checksum), the node array and every node type of revisions 0
 * to E.e. Offsets and lengths are checked before each read; output references must name a node start; a cycle of
 * output references (on which Linux's `iort_node_map_id` would spin) is rejected. Errors name the byte offset and
 * the node (`node 2 (root-complex @0xa0)`).
 *
 * Fields that a revision may or may not carry (root complex memory size limit / PASID / flags, SMMUv3 proximity
 * domain / DeviceID mapping index, PMCG page 1) are read when the node's type-specific data is long enough to
 * hold them, so a table re-encodes to the same layout.
 *
 * @see drivers/acpi/arm64/iort.c (iort_scan_node, acpi_iort_init)
 * @see include/acpi/actbl2.h
 */
import type { FirmwareErrorCode, FirmwareResult } from "./errors";
import { firmwareError } from "./errors";
import type {
  IortIdMapping,
  IortInterrupt,
  IortMemoryAccess,
  IortNode,
  IortNodeCommon,
  IortNodeLayout,
  IortNodeType,
  IortTable,
} from "./iort-model";
import { IORT_HEADER_SIZE, IORT_ID_MAPPING_SIZE, IORT_NODE_HEADER_SIZE, IORT_NODE_TYPE } from "./iort-model";
import { iortNodeDataSize, iortNodeNaturalLength } from "./iort-write";

/** Parser options. */
export interface ParseIortOptions {
  /** `"verify"` (default) rejects a table whose bytes do not sum to zero; `"ignore"` accepts it, as Linux does. */
  readonly checksum?: "verify" | "ignore";
}

const TYPE_NAMES: readonly IortNodeType[] = (Object.keys(IORT_NODE_TYPE) as IortNodeType[]).sort(
  (a, b) => IORT_NODE_TYPE[a] - IORT_NODE_TYPE[b],
);
const TWO_32 = 0x1_0000_0000;

class IortReadError {
  constructor(
    readonly code: FirmwareErrorCode,
    readonly offset: number,
    readonly message: string,
    readonly path?: string,
  ) {}
}

/** A bounds-checked little-endian reader over one node. Reads outside `[start, end)` raise an internal error. */
class NodeReader {
  constructor(
    readonly dv: DataView,
    readonly start: number,
    readonly end: number,
    readonly path: string,
  ) {}
  #check(rel: number, size: number, what: string): number {
    const at = this.start + rel;
    if (rel < 0 || at + size > this.end) {
      throw new IortReadError("bad-length", at, `${what} at +0x${rel.toString(16)} runs past the node data`, this.path);
    }
    return at;
  }
  u8(rel: number, what: string): number {
    return this.dv.getUint8(this.#check(rel, 1, what));
  }
  u16(rel: number, what: string): number {
    return this.dv.getUint16(this.#check(rel, 2, what), true);
  }
  u32(rel: number, what: string): number {
    return this.dv.getUint32(this.#check(rel, 4, what), true);
  }
  u64(rel: number, what: string): number {
    const at = this.#check(rel, 8, what);
    const hi = this.dv.getUint32(at + 4, true);
    if (hi >= 0x200000) throw new IortReadError("bad-value", at, `${what} 0x${hi.toString(16)}_... is above 2^53`, this.path);
    return hi * TWO_32 + this.dv.getUint32(at, true);
  }
  fits(rel: number, size: number): boolean {
    return this.start + rel + size <= this.end;
  }
}

interface RawNode {
  readonly offset: number;
  readonly type: number;
  readonly length: number;
  readonly revision: number;
  readonly identifier: number;
  readonly mappingCount: number;
  readonly mappingOffset: number;
  readonly path: string;
}

function fail(code: FirmwareErrorCode, offset: number, message: string, path?: string): FirmwareResult<never> {
  return { ok: false, error: firmwareError("iort", code, offset, message, path) };
}

function ascii(bytes: Uint8Array, at: number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(bytes[at + i] as number);
  return s;
}

/**
 * Parses an IORT.
 *
 * @see drivers/acpi/arm64/iort.c iort_scan_node
 */
export function parseIort(bytes: Uint8Array, options: ParseIortOptions = {}): FirmwareResult<IortTable> {
  if (bytes.length < 4) return fail("truncated", 0, `${bytes.length} bytes is too short for an ACPI table`);
  if (ascii(bytes, 0, 4) !== "IORT") return fail("bad-magic", 0, `signature ${JSON.stringify(ascii(bytes, 0, 4))} is not "IORT"`);
  if (bytes.length < IORT_HEADER_SIZE) return fail("truncated", bytes.length, `${bytes.length} bytes is too short for the IORT header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = dv.getUint32(4, true);
  if (length < IORT_HEADER_SIZE) return fail("bad-length", 4, `table length ${length} is shorter than the IORT header`);
  if (length > bytes.length) return fail("truncated", 4, `table length 0x${length.toString(16)} is past the end of the ${bytes.length}-byte blob`);
  if ((options.checksum ?? "verify") === "verify") {
    let sum = 0;
    for (let i = 0; i < length; i++) sum = (sum + (bytes[i] as number)) & 0xff;
    if (sum !== 0) return fail("bad-checksum", 9, `bytes sum to 0x${sum.toString(16)}, not 0`);
  }
  const nodeCount = dv.getUint32(0x24, true);
  const nodeOffset = dv.getUint32(0x28, true);
  if (nodeCount > 0 && (nodeOffset < IORT_HEADER_SIZE || nodeOffset > length)) {
    return fail("bad-offset", 0x28, `node array offset 0x${nodeOffset.toString(16)} is outside the table`);
  }
  if (nodeCount > Math.floor((length - Math.min(nodeOffset, length)) / IORT_NODE_HEADER_SIZE)) {
    return fail("bad-length", 0x24, `${nodeCount} nodes cannot fit in the table`);
  }

  // Pass 1: node headers, as iort_scan_node walks them (each node starts where the previous one's length ends).
  const raws: RawNode[] = [];
  const indexByOffset = new Map<number, number>();
  let cursor = nodeOffset;
  for (let i = 0; i < nodeCount; i++) {
    if (cursor + IORT_NODE_HEADER_SIZE > length) return fail("bad-offset", cursor, `node ${i} header runs past the table`);
    const type = dv.getUint8(cursor);
    const nodeLen = dv.getUint16(cursor + 1, true);
    const typeName = TYPE_NAMES[type];
    const path = `node ${i} (${typeName ?? `type ${type}`} @0x${cursor.toString(16)})`;
    if (typeName === undefined) return fail("bad-value", cursor, `unknown node type ${type}`, path);
    if (nodeLen < IORT_NODE_HEADER_SIZE) return fail("bad-length", cursor + 1, `node length ${nodeLen} is shorter than a node header`, path);
    if (cursor + nodeLen > length) return fail("bad-length", cursor + 1, `node length ${nodeLen} runs past the table`, path);
    const raw: RawNode = {
      offset: cursor,
      type,
      length: nodeLen,
      revision: dv.getUint8(cursor + 3),
      identifier: dv.getUint32(cursor + 4, true),
      mappingCount: dv.getUint32(cursor + 8, true),
      mappingOffset: dv.getUint32(cursor + 12, true),
      path,
    };
    if (raw.mappingCount > 0) {
      if (raw.mappingOffset < IORT_NODE_HEADER_SIZE || raw.mappingOffset > nodeLen) {
        return fail("bad-offset", cursor + 12, `ID mapping offset 0x${raw.mappingOffset.toString(16)} is outside the node`, path);
      }
      if (raw.mappingCount > Math.floor((nodeLen - raw.mappingOffset) / IORT_ID_MAPPING_SIZE)) {
        return fail("bad-length", cursor + 8, `${raw.mappingCount} ID mappings do not fit in the node`, path);
      }
    }
    raws.push(raw);
    indexByOffset.set(cursor, i);
    cursor += nodeLen;
  }

  try {
    const nodes: IortNode[] = [];
    let natural = nodeOffset === IORT_HEADER_SIZE ? IORT_HEADER_SIZE : -1;
    for (const raw of raws) {
      const node = decodeNode(dv, bytes, raw, indexByOffset);
      const layout: IortNodeLayout = { offset: raw.offset, length: raw.length, idMappingOffset: raw.mappingOffset };
      const naturalMap = node.idMappings.length > 0 ? IORT_NODE_HEADER_SIZE + iortNodeDataSize(node) : 0;
      const isNatural = raw.offset === natural && raw.length === iortNodeNaturalLength(node) && raw.mappingOffset === naturalMap;
      nodes.push(isNatural ? node : { ...node, layout });
      natural = raw.offset + raw.length;
    }
    const loop = findLoop(nodes);
    if (loop !== undefined) {
      const raw = raws[loop] as RawNode;
      return fail("loop", raw.offset, "ID mapping output references lead back to this node", raw.path);
    }
    return {
      ok: true,
      value: {
        revision: dv.getUint8(8),
        oemId: ascii(bytes, 10, 6),
        oemTableId: ascii(bytes, 16, 8),
        oemRevision: dv.getUint32(24, true),
        creatorId: ascii(bytes, 28, 4),
        creatorRevision: dv.getUint32(32, true),
        nodes,
      },
    };
  } catch (e) {
    if (e instanceof IortReadError) return fail(e.code, e.offset, e.message, e.path);
    throw e;
  }
}

function decodeNode(dv: DataView, bytes: Uint8Array, raw: RawNode, indexByOffset: ReadonlyMap<number, number>): IortNode {
  const dataEnd = raw.mappingCount > 0 ? raw.mappingOffset : raw.length;
  const r = new NodeReader(dv, raw.offset, raw.offset + dataEnd, raw.path);
  const whole = new NodeReader(dv, raw.offset, raw.offset + raw.length, raw.path);
  const ref = (value: number, at: number, what: string): number | null => {
    if (value === 0) return null;
    const idx = indexByOffset.get(value);
    if (idx === undefined) throw new IortReadError("bad-offset", at, `${what} 0x${value.toString(16)} is not the offset of a node`, raw.path);
    return idx;
  };
  const idMappings: IortIdMapping[] = [];
  for (let i = 0; i < raw.mappingCount; i++) {
    const rel = raw.mappingOffset + i * IORT_ID_MAPPING_SIZE;
    idMappings.push({
      inputBase: whole.u32(rel, "input base"),
      idCount: whole.u32(rel + 4, "ID count"),
      outputBase: whole.u32(rel + 8, "output base"),
      outputReference: ref(whole.u32(rel + 12, "output reference"), raw.offset + rel + 12, `ID mapping ${i} output reference`),
      flags: whole.u32(rel + 16, "flags"),
    });
  }
  const common: IortNodeCommon = { revision: raw.revision, identifier: raw.identifier, idMappings };
  const D = IORT_NODE_HEADER_SIZE;
  const memoryAccess = (rel: number): IortMemoryAccess => ({
    cacheCoherency: r.u32(rel, "cache coherency"),
    hints: r.u8(rel + 4, "hints"),
    memoryFlags: r.u8(rel + 7, "memory flags"),
  });
  const irq = (reader: NodeReader, rel: number): IortInterrupt => ({ gsiv: reader.u32(rel, "GSIV"), flags: reader.u32(rel + 4, "interrupt flags") });
  switch (TYPE_NAMES[raw.type]) {
    case "its-group": {
      const count = r.u32(D, "ITS count");
      if (!r.fits(D + 4, count * 4)) throw new IortReadError("bad-length", raw.offset + D, `${count} ITS identifiers do not fit`, raw.path);
      const itsIds: number[] = [];
      for (let i = 0; i < count; i++) itsIds.push(r.u32(D + 4 + 4 * i, "ITS identifier"));
      return { type: "its-group", ...common, itsIds };
    }
    case "named-component": {
      const nodeFlags = r.u32(D, "node flags");
      const ma = memoryAccess(D + 4);
      const memoryAddressLimit = r.u8(D + 12, "memory address size limit");
      let end = raw.offset + D + 13;
      const limit = raw.offset + dataEnd;
      while (end < limit && bytes[end] !== 0) end++;
      if (end >= limit) throw new IortReadError("bad-string", raw.offset + D + 13, "device object name is not NUL-terminated inside the node", raw.path);
      const deviceName = ascii(bytes, raw.offset + D + 13, end - (raw.offset + D + 13));
      return { type: "named-component", ...common, nodeFlags, memoryAccess: ma, memoryAddressLimit, deviceName };
    }
    case "root-complex": {
      const base = {
        type: "root-complex" as const,
        ...common,
        memoryAccess: memoryAccess(D),
        atsAttribute: r.u32(D + 8, "ATS attribute"),
        pciSegment: r.u32(D + 12, "PCI segment"),
      };
      const hasLimit = r.fits(D + 16, 4);
      return {
        ...base,
        ...(hasLimit ? { memoryAddressLimit: r.u8(D + 16, "memory address size limit") } : {}),
        ...(hasLimit && raw.revision >= 4 ? { pasidCapabilities: r.u16(D + 17, "PASID capabilities") } : {}),
        ...(r.fits(D + 20, 4) ? { rcFlags: r.u32(D + 20, "flags") } : {}),
      };
    }
    case "smmu": {
      const globalOff = r.u32(D + 24, "global interrupt offset");
      const ctxCount = r.u32(D + 28, "context interrupt count");
      const ctxOff = r.u32(D + 32, "context interrupt offset");
      const pmuCount = r.u32(D + 36, "PMU interrupt count");
      const pmuOff = r.u32(D + 40, "PMU interrupt offset");
      const array = (count: number, off: number, what: string): IortInterrupt[] => {
        if (count === 0) return [];
        if (!whole.fits(off, count * 8)) throw new IortReadError("bad-length", raw.offset + off, `${count} ${what} interrupts do not fit in the node`, raw.path);
        return Array.from({ length: count }, (_, i) => irq(whole, off + 8 * i));
      };
      return {
        type: "smmu",
        ...common,
        baseAddress: r.u64(D, "base address"),
        span: r.u64(D + 8, "span"),
        model: r.u32(D + 16, "model"),
        flags: r.u32(D + 20, "flags"),
        globalInterrupts: { nsgIrpt: irq(whole, globalOff), nsgCfgIrpt: irq(whole, globalOff + 8) },
        contextInterrupts: array(ctxCount, ctxOff, "context"),
        pmuInterrupts: array(pmuCount, pmuOff, "PMU"),
      };
    }
    case "smmu-v3":
      return {
        type: "smmu-v3",
        ...common,
        baseAddress: r.u64(D, "base address"),
        flags: r.u32(D + 8, "flags"),
        vatosAddress: r.u64(D + 16, "VATOS address"),
        model: r.u32(D + 24, "model"),
        eventGsiv: r.u32(D + 28, "event GSIV"),
        priGsiv: r.u32(D + 32, "PRI GSIV"),
        gerrGsiv: r.u32(D + 36, "GERR GSIV"),
        syncGsiv: r.u32(D + 40, "sync GSIV"),
        ...(r.fits(D + 44, 4) ? { proximityDomain: r.u32(D + 44, "proximity domain") } : {}),
        ...(r.fits(D + 48, 4) ? { deviceIdMappingIndex: r.u32(D + 48, "DeviceID mapping index") } : {}),
      };
    case "pmcg":
      return {
        type: "pmcg",
        ...common,
        page0BaseAddress: r.u64(D, "page 0 base"),
        overflowGsiv: r.u32(D + 8, "overflow GSIV"),
        nodeReference: ref(r.u32(D + 12, "node reference"), raw.offset + D + 12, "PMCG node reference"),
        ...(r.fits(D + 16, 8) ? { page1BaseAddress: r.u64(D + 16, "page 1 base") } : {}),
      };
    case "rmr": {
      const flags = r.u32(D, "flags");
      const count = r.u32(D + 4, "memory range count");
      const off = r.u32(D + 8, "memory range offset");
      if (count > 0 && !whole.fits(off, count * 20)) {
        throw new IortReadError("bad-length", raw.offset + D + 4, `${count} memory range descriptors do not fit in the node`, raw.path);
      }
      const descriptors = Array.from({ length: count }, (_, i) => ({
        baseAddress: whole.u64(off + 20 * i, "range base"),
        length: whole.u64(off + 20 * i + 8, "range length"),
      }));
      return { type: "rmr", ...common, flags, descriptors };
    }
    default:
      throw new IortReadError("bad-value", raw.offset, `unknown node type ${raw.type}`, raw.path);
  }
}

/** Index of a node on a cycle of ID-mapping output references, or undefined. */
function findLoop(nodes: readonly IortNode[]): number | undefined {
  const state = new Uint8Array(nodes.length); // 0 unvisited, 1 on stack, 2 done
  const visit = (start: number): number | undefined => {
    const stack: [number, number][] = [[start, 0]];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [number, number];
      const [n, i] = top;
      const maps = (nodes[n] as IortNode).idMappings;
      if (i >= maps.length) {
        state[n] = 2;
        stack.pop();
        continue;
      }
      top[1] = i + 1;
      const next = (maps[i] as IortIdMapping).outputReference;
      if (next === null) continue;
      if (state[next] === 1) return next;
      if (state[next] === 0) {
        state[next] = 1;
        stack.push([next, 0]);
      }
    }
    return undefined;
  };
  for (let i = 0; i < nodes.length; i++) {
    if (state[i] !== 0) continue;
    const hit = visit(i);
    if (hit !== undefined) return hit;
  }
  return undefined;
}
