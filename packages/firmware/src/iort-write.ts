/**
 * IORT writer: lays the nodes out back to back from offset 0x30, each node's ID mappings right after its
 * type-specific data (ID-mapping offset 0 when it has none), as QEMU's `build_iort` and iasl do; nodes that carry a
 * {@link IortNodeLayout} are placed exactly where it says. Output references become byte offsets; the checksum is
 * computed last.
 *
 * @see hw/arm/virt-acpi-build.c build_iort (QEMU)
 * @see include/acpi/actbl2.h
 */
import { ByteWriter } from "./byte-writer";
import type { IortMemoryAccess, IortNode, IortTable } from "./iort-model";
import { IORT_HEADER_SIZE, IORT_ID_MAPPING_SIZE, IORT_NODE_HEADER_SIZE, IORT_NODE_TYPE } from "./iort-model";

/** Bytes of type-specific data `writeIort` emits for a node (between the 16-byte header and the ID mappings). */
export function iortNodeDataSize(node: IortNode): number {
  switch (node.type) {
    case "its-group":
      return 4 + 4 * node.itsIds.length;
    case "named-component":
      // flags, memory access (8), size limit, then the NUL-terminated path, padded to 4 bytes.
      return align4(4 + 8 + 1 + node.deviceName.length + 1);
    case "root-complex":
      if (node.rcFlags !== undefined) return 24;
      return node.memoryAddressLimit !== undefined || node.pasidCapabilities !== undefined ? 20 : 16;
    case "smmu":
      return 44 + 16 + 8 * (node.contextInterrupts.length + node.pmuInterrupts.length);
    case "smmu-v3":
      if (node.deviceIdMappingIndex !== undefined) return 52;
      return node.proximityDomain !== undefined ? 48 : 44;
    case "pmcg":
      return node.page1BaseAddress !== undefined ? 24 : 16;
    case "rmr":
      return 12;
  }
}

/** Bytes of a node's trailing arrays placed after its ID mappings (RMR memory range descriptors). */
export function iortNodeTailSize(node: IortNode): number {
  return node.type === "rmr" ? 20 * node.descriptors.length : 0;
}

/** The length `writeIort` gives a node with no layout hint. */
export function iortNodeNaturalLength(node: IortNode): number {
  return IORT_NODE_HEADER_SIZE + iortNodeDataSize(node) + IORT_ID_MAPPING_SIZE * node.idMappings.length + iortNodeTailSize(node);
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * Byte offsets of every node as `writeIort` places them, and the table length. For a table returned by
 * `parseIort` these are the offsets the nodes had in the parsed blob.
 */
export function iortLayout(table: IortTable): { readonly nodeOffsets: readonly number[]; readonly length: number } {
  const offsets: number[] = [];
  let cursor = IORT_HEADER_SIZE;
  for (const node of table.nodes) {
    const at = node.layout?.offset ?? cursor;
    if (at < cursor) throw new RangeError(`IORT node ${offsets.length} layout offset 0x${at.toString(16)} overlaps the previous node`);
    offsets.push(at);
    cursor = at + (node.layout?.length ?? iortNodeNaturalLength(node));
  }
  return { nodeOffsets: offsets, length: cursor };
}

function writeAscii(w: ByteWriter, s: string, size: number, what: string): void {
  if (s.length !== size) throw new RangeError(`${what} ${JSON.stringify(s)} must be ${size} characters`);
  for (let i = 0; i < size; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`${what} ${JSON.stringify(s)} is not Latin-1`);
    w.u8(c);
  }
}

function writeMemoryAccess(w: ByteWriter, m: IortMemoryAccess): void {
  w.u32le(m.cacheCoherency);
  w.u8(m.hints);
  w.u16le(0);
  w.u8(m.memoryFlags);
}

function refOffset(ref: number | null, offsets: readonly number[], what: string): number {
  if (ref === null) return 0;
  const off = offsets[ref];
  if (off === undefined) throw new RangeError(`${what} references node ${ref}, which does not exist`);
  return off;
}

function writeNodeData(w: ByteWriter, node: IortNode, offsets: readonly number[], index: number): void {
  switch (node.type) {
    case "its-group":
      w.u32le(node.itsIds.length);
      for (const id of node.itsIds) w.u32le(id);
      return;
    case "named-component": {
      w.u32le(node.nodeFlags);
      writeMemoryAccess(w, node.memoryAccess);
      w.u8(node.memoryAddressLimit);
      for (let i = 0; i < node.deviceName.length; i++) {
        const c = node.deviceName.charCodeAt(i);
        if (c === 0 || c > 0xff) throw new RangeError(`named component path ${JSON.stringify(node.deviceName)} cannot be stored`);
        w.u8(c);
      }
      // Padding to 4 bytes comes from the ID-mapping offset / node length (iortNodeDataSize rounds up).
      w.u8(0);
      return;
    }
    case "root-complex": {
      writeMemoryAccess(w, node.memoryAccess);
      w.u32le(node.atsAttribute);
      w.u32le(node.pciSegment);
      const size = iortNodeDataSize(node);
      if (size >= 20) {
        w.u8(node.memoryAddressLimit ?? 0);
        w.u16le(node.pasidCapabilities ?? 0);
        w.u8(0);
      }
      if (size >= 24) w.u32le(node.rcFlags ?? 0);
      return;
    }
    case "smmu": {
      const globalOff = IORT_NODE_HEADER_SIZE + 44;
      const ctxOff = globalOff + 16;
      const pmuOff = ctxOff + 8 * node.contextInterrupts.length;
      w.u64le(node.baseAddress);
      w.u64le(node.span);
      w.u32le(node.model);
      w.u32le(node.flags);
      w.u32le(globalOff);
      w.u32le(node.contextInterrupts.length);
      w.u32le(node.contextInterrupts.length > 0 ? ctxOff : 0);
      w.u32le(node.pmuInterrupts.length);
      w.u32le(node.pmuInterrupts.length > 0 ? pmuOff : 0);
      const g = node.globalInterrupts;
      w.u32le(g.nsgIrpt.gsiv);
      w.u32le(g.nsgIrpt.flags);
      w.u32le(g.nsgCfgIrpt.gsiv);
      w.u32le(g.nsgCfgIrpt.flags);
      for (const irq of [...node.contextInterrupts, ...node.pmuInterrupts]) {
        w.u32le(irq.gsiv);
        w.u32le(irq.flags);
      }
      return;
    }
    case "smmu-v3": {
      w.u64le(node.baseAddress);
      w.u32le(node.flags);
      w.u32le(0);
      w.u64le(node.vatosAddress);
      w.u32le(node.model);
      w.u32le(node.eventGsiv);
      w.u32le(node.priGsiv);
      w.u32le(node.gerrGsiv);
      w.u32le(node.syncGsiv);
      const size = iortNodeDataSize(node);
      if (size >= 48) w.u32le(node.proximityDomain ?? 0);
      if (size >= 52) w.u32le(node.deviceIdMappingIndex ?? 0);
      return;
    }
    case "pmcg":
      w.u64le(node.page0BaseAddress);
      w.u32le(node.overflowGsiv);
      w.u32le(refOffset(node.nodeReference, offsets, `PMCG node ${index}`));
      if (node.page1BaseAddress !== undefined) w.u64le(node.page1BaseAddress);
      return;
    case "rmr": {
      w.u32le(node.flags);
      w.u32le(node.descriptors.length);
      // Descriptors follow the ID mappings; their offset is patched in once the mapping offset is known.
      w.u32le(0);
      return;
    }
  }
}

/**
 * Encodes an IORT. Throws RangeError for a model that cannot be encoded (a dangling node index, OEM strings of the
 * wrong length, a layout hint that overlaps): those are bugs in the builder, not input errors.
 *
 * @see hw/arm/virt-acpi-build.c build_iort
 */
export function writeIort(table: IortTable): Uint8Array {
  const { nodeOffsets, length } = iortLayout(table);
  const w = new ByteWriter(length);
  w.zeros(4);
  for (const [i, c] of [..."IORT"].entries()) w.patchU8(i, c.charCodeAt(0));
  w.u32le(length);
  w.u8(table.revision);
  w.u8(0);
  writeAscii(w, table.oemId, 6, "OEM ID");
  writeAscii(w, table.oemTableId, 8, "OEM table ID");
  w.u32le(table.oemRevision);
  writeAscii(w, table.creatorId, 4, "creator ID");
  w.u32le(table.creatorRevision);
  w.u32le(table.nodes.length);
  w.u32le(table.nodes.length > 0 ? (nodeOffsets[0] ?? IORT_HEADER_SIZE) : IORT_HEADER_SIZE);
  w.u32le(0);

  table.nodes.forEach((node, i) => {
    const start = nodeOffsets[i] ?? 0;
    w.zeros(start - w.length);
    const dataSize = iortNodeDataSize(node);
    const natural = iortNodeNaturalLength(node);
    const nodeLength = node.layout?.length ?? natural;
    const mapOffset = node.layout?.idMappingOffset ?? (node.idMappings.length > 0 ? IORT_NODE_HEADER_SIZE + dataSize : 0);
    if (nodeLength > 0xffff) throw new RangeError(`IORT node ${i} is ${nodeLength} bytes, over the 16-bit length field`);
    w.u8(IORT_NODE_TYPE[node.type]);
    w.u16le(nodeLength);
    w.u8(node.revision);
    w.u32le(node.identifier);
    w.u32le(node.idMappings.length);
    w.u32le(mapOffset);
    writeNodeData(w, node, nodeOffsets, i);
    const mapStart = start + (node.idMappings.length > 0 ? mapOffset : Math.max(IORT_NODE_HEADER_SIZE + dataSize, w.length - start));
    if (mapStart < w.length) throw new RangeError(`IORT node ${i}: ID mapping offset overlaps the node data`);
    w.zeros(mapStart - w.length);
    for (const m of node.idMappings) {
      w.u32le(m.inputBase);
      w.u32le(m.idCount);
      w.u32le(m.outputBase);
      w.u32le(refOffset(m.outputReference, nodeOffsets, `IORT node ${i} ID mapping`));
      w.u32le(m.flags);
    }
    if (node.type === "rmr") {
      w.patchU32le(start + IORT_NODE_HEADER_SIZE + 8, node.descriptors.length > 0 ? w.length - start : 0);
      for (const d of node.descriptors) {
        w.u64le(d.baseAddress);
        w.u64le(d.length);
        w.u32le(0);
      }
    }
    const end = start + nodeLength;
    if (w.length > end) throw new RangeError(`IORT node ${i}: content is longer than its layout length ${nodeLength}`);
    w.zeros(end - w.length);
  });

  const bytes = w.finish();
  bytes[9] = acpiChecksum(bytes);
  return bytes;
}

/** The byte that makes an ACPI table sum to zero (computed with the checksum byte at offset 9 taken as zero). */
export function acpiChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) if (i !== 9) sum = (sum + (bytes[i] ?? 0)) & 0xff;
  return (0x100 - sum) & 0xff;
}
