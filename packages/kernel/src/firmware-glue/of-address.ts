/**
 * Address translation up the DT (`of_translate_address`) and the kernel's platform device names
 * (`of_device_make_bus_id`), which both the board derivation and `of_platform_populate` need.
 *
 * @see drivers/of/address.c of_translate_address, __of_translate_address
 * @see drivers/of/platform.c of_device_make_bus_id
 */
import { readCells, type DeviceTree, type FdtNode } from "@dmasim/firmware";

function cellsValue(cells: readonly number[], from: number, count: number): number {
  let v = 0;
  for (let i = 0; i < count; i++) v = v * 2 ** 32 + (cells[from + i] ?? 0);
  return v;
}

/**
 * Translates `address` (in `node`'s parent bus space) to a CPU physical address through every ancestor's `ranges`.
 * An ancestor without `ranges` stops translation (the address is not memory-mapped): `null`, as
 * `of_translate_address` returns OF_BAD_ADDR.
 */
export function ofTranslateAddress(dt: DeviceTree, node: FdtNode, address: number): number | null {
  let bus = dt.parentOf(node);
  let addr = address;
  while (bus !== undefined) {
    const parent = dt.parentOf(bus);
    if (parent === undefined) return addr; // the root: CPU addresses
    const ranges = bus.properties.find((p) => p.name === "ranges");
    if (ranges === undefined) return null;
    if (ranges.value.length > 0) {
      const childAc = dt.addressCells(bus);
      const childSc = dt.sizeCells(bus);
      const parentAc = dt.addressCells(parent);
      const cells = readCells(ranges);
      if (!cells.ok) return null;
      const stride = childAc + parentAc + childSc;
      let hit: number | null = null;
      for (let i = 0; i + stride <= cells.value.length; i += stride) {
        const childBase = cellsValue(cells.value, i + Math.max(0, childAc - 2), Math.min(childAc, 2));
        const parentBase = cellsValue(cells.value, i + childAc + Math.max(0, parentAc - 2), Math.min(parentAc, 2));
        const size = cellsValue(cells.value, i + childAc + parentAc + Math.max(0, childSc - 2), Math.min(childSc, 2));
        if (addr >= childBase && addr < childBase + size) {
          hit = addr - childBase + parentBase;
          break;
        }
      }
      if (hit === null) return null;
      addr = hit;
    }
    bus = parent;
  }
  return addr;
}

/**
 * The kernel name of a platform device created from `node`: `<translated reg address in hex>.<node name without
 * unit address>`, or the bare node name when it has no usable `reg`.
 *
 * @see drivers/of/platform.c of_device_make_bus_id
 */
export function ofDeviceMakeBusId(dt: DeviceTree, node: FdtNode): string {
  const bare = node.name.split("@")[0] ?? node.name;
  const reg = dt.reg(node);
  const first = reg.ok ? reg.value[0] : undefined;
  if (first === undefined) return node.name;
  const addr = ofTranslateAddress(dt, node, first.address);
  return addr === null ? node.name : `${addr.toString(16)}.${bare}`;
}

/** The first `reg` range of `node`, translated to CPU addresses, or null. */
export function ofFirstRegion(dt: DeviceTree, node: FdtNode): { readonly base: number; readonly size: number } | null {
  const reg = dt.reg(node);
  const first = reg.ok ? reg.value[0] : undefined;
  if (first === undefined) return null;
  const base = ofTranslateAddress(dt, node, first.address);
  return base === null ? null : { base, size: first.size };
}

/** A string property's value (first string), or undefined. */
export function ofStringProp(node: FdtNode, name: string): string | undefined {
  const p = node.properties.find((q) => q.name === name);
  if (p === undefined) return undefined;
  const end = p.value.indexOf(0);
  return new TextDecoder().decode(p.value.subarray(0, end < 0 ? p.value.length : end));
}

/** Whether `node` has property `name`. */
export function ofHasProp(node: FdtNode, name: string): boolean {
  return node.properties.some((p) => p.name === name);
}
