/**
 * DTB writer: the inverse of `parseFdt`, laid out as dtc does (header, memory reservation block, structure block,
 * strings block), version 17 with last compatible version 16.
 *
 * @see scripts/dtc/flattree.c (dt_to_blob)
 * @see scripts/dtc/libfdt/fdt.h
 */
import { ByteWriter } from "./byte-writer";
import type { FdtNode, FdtTree } from "./fdt-tree";
import { latin1Encode } from "./fdt-tree";

/**
 * `0xd00dfeed`, the first word of every DTB.
 *
 * @see scripts/dtc/libfdt/fdt.h FDT_MAGIC
 */
export const FDT_MAGIC = 0xd00dfeed;
/**
 * Structure-block token: a node starts (followed by its NUL-terminated name, padded to 4 bytes).
 *
 * @see scripts/dtc/libfdt/fdt.h FDT_BEGIN_NODE
 */
export const FDT_BEGIN_NODE = 1;
/**
 * Structure-block token: the current node ends.
 *
 * @see scripts/dtc/libfdt/fdt.h FDT_END_NODE
 */
export const FDT_END_NODE = 2;
/**
 * Structure-block token: a property (length, name offset, value padded to 4 bytes).
 *
 * @see scripts/dtc/libfdt/fdt.h FDT_PROP
 */
export const FDT_PROP = 3;
/**
 * Structure-block token: ignored.
 *
 * @see scripts/dtc/libfdt/fdt.h FDT_NOP
 */
export const FDT_NOP = 4;
/**
 * Structure-block token: the end of the structure block.
 *
 * @see scripts/dtc/libfdt/fdt.h FDT_END
 */
export const FDT_END = 9;
/**
 * Size of a version-17 header.
 *
 * @see scripts/dtc/libfdt/fdt.h struct fdt_header
 */
export const FDT_HEADER_SIZE = 40;

/** Writer options. */
export interface WriteFdtOptions {
  /**
   * Pad the blob with zeros to this `totalsize` (QEMU's `dumpdtb` gives a 1 MiB blob, for instance). Ignored when
   * smaller than the content.
   */
  readonly totalSize?: number;
}

/**
 * Encodes a tree as a DTB. Property names are deduplicated in the strings block. Throws RangeError for a tree that
 * cannot be encoded (a NUL or non-Latin-1 character in a name, a reservation that is not a safe integer): those are
 * bugs in whoever built the tree, not input errors. Every tree `parseFdt` returns re-encodes.
 *
 * @see scripts/dtc/flattree.c dt_to_blob
 */
export function writeFdt(tree: FdtTree, options: WriteFdtOptions = {}): Uint8Array {
  const strings = new ByteWriter(1024);
  const stringOffsets = new Map<string, number>();
  const nameOffset = (name: string): number => {
    let off = stringOffsets.get(name);
    if (off === undefined) {
      off = strings.length;
      strings.bytes(latin1Encode(name, "property name"));
      strings.u8(0);
      stringOffsets.set(name, off);
    }
    return off;
  };

  const struct = new ByteWriter(4096);
  // Names are stored as given (any Latin-1 text without NUL), so whatever parseFdt read re-encodes; path lookup
  // is the DeviceTree index's business.
  const writeNode = (node: FdtNode): void => {
    struct.u32be(FDT_BEGIN_NODE);
    struct.bytes(latin1Encode(node.name, "node name"));
    struct.u8(0);
    struct.align(4);
    for (const p of node.properties) {
      struct.u32be(FDT_PROP);
      struct.u32be(p.value.length);
      struct.u32be(nameOffset(p.name));
      struct.bytes(p.value);
      struct.align(4);
    }
    for (const c of node.children) writeNode(c);
    struct.u32be(FDT_END_NODE);
  };
  writeNode(tree.root);
  struct.u32be(FDT_END);

  const rsvOffset = FDT_HEADER_SIZE;
  const structOffset = rsvOffset + (tree.reservations.length + 1) * 16;
  const stringsOffset = structOffset + struct.length;
  const contentSize = stringsOffset + strings.length;
  const totalSize = Math.max(contentSize, options.totalSize ?? 0);

  const out = new ByteWriter(totalSize);
  out.u32be(FDT_MAGIC);
  out.u32be(totalSize);
  out.u32be(structOffset);
  out.u32be(stringsOffset);
  out.u32be(rsvOffset);
  out.u32be(17);
  out.u32be(16);
  out.u32be(tree.bootCpuidPhys);
  out.u32be(strings.length);
  out.u32be(struct.length);
  for (const r of tree.reservations) {
    if (!Number.isSafeInteger(r.address) || !Number.isSafeInteger(r.size) || r.address < 0 || r.size < 0) {
      throw new RangeError(`reservation ${r.address}+${r.size} is not representable`);
    }
    out.u64be(r.address);
    out.u64be(r.size);
  }
  out.zeros(16);
  out.bytes(struct.finish());
  out.bytes(strings.finish());
  out.zeros(totalSize - contentSize);
  return out.finish();
}
