/**
 * Phandle-with-arguments lists (`iommus = <&smmu 0x10>, <&smmu 0x11>;`, `interconnects`, ...) walked as Linux's
 * phandle iterator does: each entry is a phandle followed by as many cells as the provider's `#xxx-cells` says.
 *
 * @see drivers/of/base.c of_phandle_iterator_next, __of_parse_phandle_with_args
 */
import type { DeviceTree } from "./device-tree";
import type { FirmwareError } from "./errors";
import { firmwareError } from "./errors";
import { fdtGetProp, readU32 } from "./fdt-read";
import type { FdtNode } from "./fdt-tree";

/** `MAX_PHANDLE_ARGS` (include/linux/of.h): Linux keeps at most this many argument cells per entry. */
export const MAX_PHANDLE_ARGS = 16;

/**
 * One parsed entry.
 *
 * @see include/linux/of.h struct of_phandle_args
 */
export interface PhandleArgs {
  /** Index of the entry in the list. */
  readonly index: number;
  readonly phandle: number;
  readonly provider: FdtNode;
  /** The provider's cell count (`#iommu-cells`, ...). */
  readonly cellCount: number;
  /** The argument cells (truncated to {@link MAX_PHANDLE_ARGS}, as `of_phandle_iterator_args`). */
  readonly args: readonly number[];
}

/**
 * Why the walk stopped: `end` of the property, an `empty` entry (phandle 0: `of_parse_phandle_with_args` returns
 * -ENOENT for it, so Linux's `while (!of_parse_phandle_with_args(...))` loops stop there), or an `error`
 * (-EINVAL in Linux: dangling phandle, missing cell count, arguments past the end).
 */
export type PhandleListEnd =
  | { readonly kind: "end" }
  | { readonly kind: "empty"; readonly index: number }
  | { readonly kind: "error"; readonly index: number; readonly error: FirmwareError };

/**
 * The entries before the walk stopped, and why it stopped.
 *
 * @see include/linux/of.h of_parse_phandle_with_args
 */
export interface PhandleList {
  readonly entries: readonly PhandleArgs[];
  readonly end: PhandleListEnd;
}

/**
 * Walks `node`'s `listName` property with `cellsName` giving each provider's argument count. A property length
 * that is not a multiple of 4 is truncated to whole cells, as Linux's `list_end` is.
 *
 * @see drivers/of/base.c of_phandle_iterator_next
 */
export function ofParsePhandleList(dt: DeviceTree, node: FdtNode, listName: string, cellsName: string): PhandleList {
  const prop = fdtGetProp(node, listName);
  const entries: PhandleArgs[] = [];
  if (prop === undefined) return { entries, end: { kind: "end" } };
  const where = dt.where(node, prop);
  const v = prop.value;
  const total = Math.floor(v.length / 4);
  const cellAt = (i: number): number =>
    (((v[i * 4] as number) << 24) | ((v[i * 4 + 1] as number) << 16) | ((v[i * 4 + 2] as number) << 8) | (v[i * 4 + 3] as number)) >>> 0;
  const stop = (index: number, code: "dangling-phandle" | "bad-cells" | "bad-length", cellIndex: number, message: string): PhandleList => ({
    entries,
    end: {
      kind: "error",
      index,
      error: firmwareError("fdt", code, where.offset < 0 ? -1 : where.offset + cellIndex * 4, message, where.path),
    },
  });
  let cur = 0;
  for (let index = 0; cur < total; index++) {
    const at = cur;
    const phandle = cellAt(cur++);
    if (phandle === 0) return { entries, end: { kind: "empty", index } };
    const provider = dt.nodeByPhandle(phandle);
    if (provider === undefined) return stop(index, "dangling-phandle", at, `${listName}[${index}]: could not find phandle 0x${phandle.toString(16)}`);
    const cellsProp = fdtGetProp(provider, cellsName);
    const count = cellsProp === undefined ? undefined : readU32(cellsProp);
    if (count === undefined || !count.ok) {
      return stop(index, "bad-cells", at, `${listName}[${index}]: could not get ${cellsName} for ${dt.pathOf(provider)}`);
    }
    if (cur + count.value > total) {
      return stop(index, "bad-length", at, `${listName}[${index}]: ${cellsName} = ${count.value} found ${total - cur}`);
    }
    const args: number[] = [];
    for (let i = 0; i < Math.min(count.value, MAX_PHANDLE_ARGS); i++) args.push(cellAt(cur + i));
    entries.push({ index, phandle, provider, cellCount: count.value, args });
    cur += count.value;
  }
  return { entries, end: { kind: "end" } };
}
