/**
 * `of_map_id`: translating a bus-side ID (a PCI requester ID, a fsl-mc ICID) through a host bridge's `iommu-map`
 * or `msi-map` into an IOMMU specifier or an MSI controller DeviceID.
 *
 * Entries are `<id-base phandle out-base length>`; the ID is first ANDed with `<map>-mask` (default 0xffffffff);
 * an entry matches when `id-base <= masked < id-base + length` (32-bit arithmetic, as the C), and yields
 * `masked - id-base + out-base`.
 *
 * What happens when no entry matches changed: v4.12's `of_pci_map_rid` failed with -EFAULT ("Invalid ...
 * translation - no match for rid"); Jean-Philippe Brucker's 2020 change to `of_map_rid` (kept by `of_map_id`,
 * v5.9+, and so in v6.1) logs "no ... translation for id" and bypasses translation: the ID comes back unchanged
 * and no target is set, so `of_iommu_xlate` sees no IOMMU for the device. Both are modelled, chosen by era.
 *
 * @see drivers/of/base.c of_map_id (v6.1), of_pci_map_rid (v4.12)
 * @see Documentation/devicetree/bindings/pci/pci-iommu.txt
 */
import type { DeviceTree } from "./device-tree";
import type { FirmwareEra } from "./era";
import { DEFAULT_FIRMWARE_ERA } from "./era";
import type { FirmwareError } from "./errors";
import { firmwareError } from "./errors";
import { fdtGetProp, readU32 } from "./fdt-read";
import type { FdtNode } from "./fdt-tree";

/** The two map properties `of_map_id` is used with. */
export type OfMapName = "iommu-map" | "msi-map";

/** Linux errno values `of_map_id` returns, as negative numbers (errno as data). */
export const OF_MAP_ID_ERRNO = { EINVAL: -22, EFAULT: -14, ENODEV: -19 } as const;

/**
 * The outcome of {@link ofMapId}.
 *
 * @see drivers/of/base.c of_map_id
 */
export type OfMapIdResult =
  /** An entry matched: the target (IOMMU or MSI controller) node and the translated ID. */
  | { readonly kind: "mapped"; readonly target: FdtNode; readonly targetPath: string; readonly id: number; readonly entry: number }
  /** The bridge has no such property: `of_map_id` returns -ENODEV when a target is wanted ("no IOMMU"). */
  | { readonly kind: "no-map"; readonly id: number }
  /** v6.1: no entry matched and translation is bypassed (the ID unchanged, no target). */
  | { readonly kind: "no-match"; readonly id: number }
  /** A failure `of_map_id` reports with an errno; v4.12's no-match is one (`reason: "no-match"`, -EFAULT). */
  | {
      readonly kind: "error";
      readonly errno: number;
      readonly reason: "bad-length" | "mask-ignores-base" | "dangling-phandle" | "no-match";
      readonly error: FirmwareError;
    };

/**
 * Options for {@link ofMapId}.
 *
 * @see drivers/of/base.c of_map_id
 */
export interface OfMapIdOptions {
  readonly era?: FirmwareEra;
  /** Only accept entries pointing at this node (`*target` preset by the caller); by default the first match sets it. */
  readonly target?: FdtNode;
}

/**
 * Maps `id` through `node`'s `mapName` property.
 *
 * @see drivers/of/base.c of_map_id
 */
export function ofMapId(dt: DeviceTree, node: FdtNode, id: number, mapName: OfMapName, options: OfMapIdOptions = {}): OfMapIdResult {
  const era = options.era ?? DEFAULT_FIRMWARE_ERA;
  const prop = fdtGetProp(node, mapName);
  if (prop === undefined) return { kind: "no-map", id };
  const where = dt.where(node, prop);
  const fail = (errno: number, reason: "bad-length" | "mask-ignores-base" | "dangling-phandle" | "no-match", code: "bad-length" | "bad-value" | "dangling-phandle", at: number, message: string): OfMapIdResult => ({
    kind: "error",
    errno,
    reason,
    error: firmwareError("fdt", code, where.offset < 0 ? -1 : where.offset + at, message, where.path),
  });
  const v = prop.value;
  if (v.length === 0 || v.length % 16 !== 0) {
    return fail(OF_MAP_ID_ERRNO.EINVAL, "bad-length", "bad-length", 0, `Bad ${mapName} length: ${v.length}`);
  }
  const maskProp = fdtGetProp(node, `${mapName}-mask`);
  const maskRead = maskProp === undefined ? undefined : readU32(maskProp);
  const mask = maskRead !== undefined && maskRead.ok ? maskRead.value : 0xffffffff;
  const masked = (id & mask) >>> 0;
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  let target = options.target;
  for (let off = 0, entry = 0; off < v.length; off += 16, entry++) {
    const idBase = dv.getUint32(off);
    const phandle = dv.getUint32(off + 4);
    const outBase = dv.getUint32(off + 8);
    const len = dv.getUint32(off + 12);
    if ((idBase & ~mask) >>> 0 !== 0) {
      return fail(
        OF_MAP_ID_ERRNO.EFAULT,
        "mask-ignores-base",
        "bad-value",
        off,
        `Invalid ${mapName} translation - ${mapName}-mask (0x${mask.toString(16)}) ignores id-base (0x${idBase.toString(16)})`,
      );
    }
    if (masked < idBase || masked >= ((idBase + len) >>> 0)) continue;
    const node2 = dt.nodeByPhandle(phandle);
    if (node2 === undefined) {
      return fail(OF_MAP_ID_ERRNO.ENODEV, "dangling-phandle", "dangling-phandle", off + 4, `${mapName} entry ${entry} names phandle 0x${phandle.toString(16)}, which no node has`);
    }
    if (target === undefined) target = node2;
    if (target !== node2) continue;
    return { kind: "mapped", target: node2, targetPath: dt.pathOf(node2), id: (masked - idBase + outBase) >>> 0, entry };
  }
  if (era === "v4.12") {
    return fail(OF_MAP_ID_ERRNO.EFAULT, "no-match", "bad-value", 0, `Invalid ${mapName} translation - no match for rid 0x${id.toString(16)}`);
  }
  return { kind: "no-match", id };
}
