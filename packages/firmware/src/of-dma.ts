/**
 * DMA properties of a device-tree node: coherency (`dma-coherent` / `dma-noncoherent`, inherited from DMA
 * parents) and `dma-ranges` (the bus-to-parent address windows).
 *
 * @see drivers/of/address.c of_dma_is_coherent, of_dma_get_range, of_get_next_dma_parent
 */
import type { DeviceTree } from "./device-tree";
import type { FirmwareEra } from "./era";
import { DEFAULT_FIRMWARE_ERA } from "./era";
import type { FirmwareResult } from "./errors";
import { firmwareError } from "./errors";
import { cellsToNumber, fdtGetProp, fdtHasProp, readCells, readStringList } from "./fdt-read";
import type { FdtNode } from "./fdt-tree";
import { ofParsePhandleList } from "./of-phandle";

/**
 * The next node up for DMA purposes. v6.1: the target of the `interconnects` entry named `dma-mem` when there is
 * one (a phandle, so it can point anywhere, including back down), else the parent. v4.12: the parent.
 *
 * @see drivers/of/address.c of_get_next_dma_parent
 */
export function ofNextDmaParent(dt: DeviceTree, node: FdtNode, era: FirmwareEra = DEFAULT_FIRMWARE_ERA): FdtNode | undefined {
  if (era === "v6.1") {
    const names = fdtGetProp(node, "interconnect-names");
    const list = names === undefined ? undefined : readStringList(names);
    const index = list !== undefined && list.ok ? list.value.indexOf("dma-mem") : -1;
    if (index >= 0) {
      const ic = ofParsePhandleList(dt, node, "interconnects", "#interconnect-cells");
      const hit = ic.entries.find((e) => e.index === index);
      if (hit !== undefined) return hit.provider;
    }
  }
  return dt.parentOf(node);
}

/** Walks DMA parents from `node` (inclusive), failing with `loop` if a node comes round again. */
function* dmaChain(dt: DeviceTree, node: FdtNode, era: FirmwareEra): Generator<FdtNode, FirmwareResult<true>> {
  const seen = new Set<FdtNode>();
  for (let n: FdtNode | undefined = node; n !== undefined; n = ofNextDmaParent(dt, n, era)) {
    if (seen.has(n)) {
      const w = dt.where(n);
      return { ok: false, error: firmwareError("fdt", "loop", w.offset, "DMA parent chain (interconnects dma-mem) loops", w.path) };
    }
    seen.add(n);
    yield n;
  }
  return { ok: true, value: true };
}

/**
 * `of_dma_is_coherent`: the nearest DMA ancestor (the node itself first) with `dma-coherent` makes it coherent;
 * in v6.1 one with `dma-noncoherent` first makes it non-coherent. Default non-coherent (arm64). A DMA-parent cycle
 * (possible through `interconnects`; Linux would spin) is a `loop` error.
 *
 * @see drivers/of/address.c of_dma_is_coherent
 */
export function dmaCoherent(dt: DeviceTree, node: FdtNode, era: FirmwareEra = DEFAULT_FIRMWARE_ERA): FirmwareResult<boolean> {
  const it = dmaChain(dt, node, era);
  for (let step = it.next(); ; step = it.next()) {
    if (step.done === true) return step.value.ok ? { ok: true, value: false } : step.value;
    if (fdtHasProp(step.value, "dma-coherent")) return { ok: true, value: true };
    if (era === "v6.1" && fdtHasProp(step.value, "dma-noncoherent")) return { ok: true, value: false };
  }
}

/**
 * One `dma-ranges` window: `size` bytes at `childBus` on the node's bus appear at `parentBus` on its parent's.
 *
 * @see include/linux/dma-direct.h struct bus_dma_region
 */
export interface DmaRange {
  readonly childBus: number;
  readonly parentBus: number;
  readonly size: number;
}

/**
 * The outcome of {@link dmaRanges}.
 *
 * @see drivers/of/address.c of_dma_get_range
 */
export type DmaRangesResult =
  /** No usable `dma-ranges` (`of_dma_get_range` returns -ENODEV; DMA is then 1:1). */
  | { readonly kind: "none" }
  /** The windows of the nearest non-empty `dma-ranges`, and the node that carries it. */
  | { readonly kind: "ranges"; readonly path: string; readonly ranges: readonly DmaRange[] };

/**
 * `of_dma_get_range`: walks DMA parents from `node` looking for a non-empty `dma-ranges`. An empty one means
 * "1:1 here, keep looking"; once the walk has passed the first node, a node with no `dma-ranges` at all ends it
 * with "none". Entries are decoded with the carrying node's `#address-cells` (child bus), its parent's
 * `#address-cells` (parent bus) and its `#size-cells`. Parent-bus addresses are returned as written (not
 * translated further up). v4.12 read only the first window, and (like v6.1) started from the node itself.
 *
 * @see drivers/of/address.c of_dma_get_range, of_dma_range_parser_init
 */
export function dmaRanges(dt: DeviceTree, node: FdtNode, era: FirmwareEra = DEFAULT_FIRMWARE_ERA): FirmwareResult<DmaRangesResult> {
  let found = false;
  const it = dmaChain(dt, node, era);
  for (let step = it.next(); ; step = it.next()) {
    if (step.done === true) return step.value.ok ? { ok: true, value: { kind: "none" } } : step.value;
    const n = step.value;
    const p = fdtGetProp(n, "dma-ranges");
    if (p !== undefined && p.value.length > 0) return decodeRanges(dt, n, era);
    if (found && p === undefined) return { ok: true, value: { kind: "none" } };
    found = true;
  }
}

function decodeRanges(dt: DeviceTree, n: FdtNode, era: FirmwareEra): FirmwareResult<DmaRangesResult> {
  const p = fdtGetProp(n, "dma-ranges");
  if (p === undefined) return { ok: true, value: { kind: "none" } };
  const where = dt.where(n, p);
  const na = dt.busCells(n, "#address-cells");
  const ns = dt.busCells(n, "#size-cells");
  const parent = dt.parentOf(n);
  const pna = parent === undefined ? na : dt.busCells(parent, "#address-cells");
  if (na > 4 || pna > 4 || ns > 2 || ns === 0) {
    return { ok: false, error: firmwareError("fdt", "bad-cells", where.offset, `dma-ranges cells ${na}/${pna}/${ns} are not decodable`, where.path) };
  }
  const cells = readCells(p, where);
  if (!cells.ok) return cells;
  const per = na + pna + ns;
  if (cells.value.length % per !== 0) {
    return { ok: false, error: firmwareError("fdt", "bad-length", where.offset, `dma-ranges has ${cells.value.length} cells, not a multiple of ${per}`, where.path) };
  }
  const ranges: DmaRange[] = [];
  for (let i = 0; i < cells.value.length; i += per) {
    // Only the low two cells of an address are an address; a third (PCI phys.hi) carries space flags.
    const child = cellsToNumber(cells.value.slice(i, i + na).slice(-2), where);
    const parentBus = cellsToNumber(cells.value.slice(i + na, i + na + pna).slice(-2), where);
    const size = cellsToNumber(cells.value.slice(i + na + pna, i + per), where);
    if (!child.ok) return child;
    if (!parentBus.ok) return parentBus;
    if (!size.ok) return size;
    ranges.push({ childBus: child.value, parentBus: parentBus.value, size: size.value });
    // v4.12's of_dma_get_range read only the first window.
    if (era === "v4.12") break;
  }
  return { ok: true, value: { kind: "ranges", path: dt.pathOf(n), ranges } };
}
