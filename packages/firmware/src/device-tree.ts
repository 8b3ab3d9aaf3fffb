/**
 * An indexed device tree: parent links, full paths, the phandle index (built once), `/aliases` and `__symbols__`
 * labels, and the `#address-cells`/`#size-cells` aware `reg` reader. The discovery functions (of-iommu.ts,
 * of-map-id.ts, of-dma.ts) work on this.
 *
 * @see drivers/of/base.c (of_find_node_by_path, of_find_node_by_phandle, of_n_addr_cells, of_n_size_cells)
 * @see drivers/of/fdt.c populate_properties (phandle / linux,phandle)
 */
import type { FirmwareResult } from "./errors";
import { firmwareError } from "./errors";
import type { FdtOffsets, ParseFdtOptions } from "./fdt-parse";
import { parseFdt } from "./fdt-parse";
import type { FdtWhere } from "./fdt-read";
import { cellsToNumber, fdtGetProp, readCells, readString, readU32 } from "./fdt-read";
import type { FdtNode, FdtProperty, FdtTree } from "./fdt-tree";

/** `OF_ROOT_NODE_ADDR_CELLS_DEFAULT` (include/linux/of.h): `#address-cells` when no ancestor says. */
export const OF_ROOT_NODE_ADDR_CELLS_DEFAULT = 1;
/** `OF_ROOT_NODE_SIZE_CELLS_DEFAULT` (include/linux/of.h): `#size-cells` when no ancestor says. */
export const OF_ROOT_NODE_SIZE_CELLS_DEFAULT = 1;
/** `OF_MAX_ADDR_CELLS` (drivers/of/address.c): more address cells than this is rejected. */
export const OF_MAX_ADDR_CELLS = 4;

/** One `reg` entry. `address` combines the last (at most two) address cells; `addressCells` keeps them all. */
export interface FdtRegEntry {
  readonly address: number;
  readonly size: number;
  readonly addressCells: readonly number[];
}

/**
 * The indexed tree. Build it with {@link DeviceTree.parse} (from a DTB) or {@link DeviceTree.fromTree}.
 *
 * @see drivers/of/fdt.c unflatten_device_tree
 * @see drivers/of/base.c of_find_node_opts_by_path
 */
export class DeviceTree {
  readonly tree: FdtTree;
  readonly #nodes: FdtNode[] = [];
  readonly #parent = new Map<FdtNode, FdtNode | undefined>();
  readonly #path = new Map<FdtNode, string>();
  readonly #byPath = new Map<string, FdtNode>();
  readonly #byPhandle = new Map<number, FdtNode>();
  readonly #phandleOf = new Map<FdtNode, number>();
  readonly #labels = new Map<string, FdtNode>();
  readonly #labelsOf = new Map<FdtNode, string[]>();
  readonly #offsets: FdtOffsets | undefined;

  private constructor(tree: FdtTree, offsets: FdtOffsets | undefined) {
    this.tree = tree;
    this.#offsets = offsets;
  }

  /** Parses a DTB and indexes it (offsets are kept for error messages). */
  static parse(bytes: Uint8Array, options: Omit<ParseFdtOptions, "offsets"> = {}): FirmwareResult<DeviceTree> {
    const offsets: FdtOffsets = { nodes: new Map(), properties: new Map() };
    const r = parseFdt(bytes, { ...options, offsets });
    if (!r.ok) return r;
    return DeviceTree.fromTree(r.value, offsets);
  }

  /**
   * Indexes a tree. Fails on a node object reachable twice (a loop or shared subtree, possible only in hand-built
   * trees) and on a `phandle` property that is not one cell.
   */
  static fromTree(tree: FdtTree, offsets?: FdtOffsets): FirmwareResult<DeviceTree> {
    const dt = new DeviceTree(tree, offsets);
    const r = dt.#index();
    return r.ok ? { ok: true, value: dt } : r;
  }

  #index(): FirmwareResult<true> {
    const walk: [FdtNode, FdtNode | undefined, string][] = [[this.tree.root, undefined, "/"]];
    while (walk.length > 0) {
      const [node, parent, path] = walk.pop() as [FdtNode, FdtNode | undefined, string];
      if (this.#parent.has(node)) {
        return { ok: false, error: firmwareError("fdt", "loop", this.#offsets?.nodes.get(node) ?? -1, "node reached twice", path) };
      }
      this.#nodes.push(node);
      this.#parent.set(node, parent);
      this.#path.set(node, path);
      if (!this.#byPath.has(path)) this.#byPath.set(path, node);
      for (const name of ["phandle", "linux,phandle"]) {
        const p = fdtGetProp(node, name);
        if (p === undefined || this.#phandleOf.has(node)) continue;
        if (p.value.length !== 4) {
          return { ok: false, error: firmwareError("fdt", "bad-length", this.where(node, p).offset, `${name} is ${p.value.length} bytes, not one cell`, path) };
        }
        const ph = (readU32(p) as { value: number }).value;
        this.#phandleOf.set(node, ph);
        if (ph !== 0 && ph !== 0xffffffff && !this.#byPhandle.has(ph)) this.#byPhandle.set(ph, node);
      }
      const prefix = path === "/" ? "/" : `${path}/`;
      for (let i = node.children.length - 1; i >= 0; i--) {
        const c = node.children[i] as FdtNode;
        walk.push([c, node, `${prefix}${c.name}`]);
      }
    }
    const symbols = this.#byPath.get("/__symbols__");
    if (symbols !== undefined) {
      for (const p of symbols.properties) {
        const target = readString(p);
        const node = target.ok ? this.#byPath.get(target.value) : undefined;
        if (node === undefined || this.#labels.has(p.name)) continue;
        this.#labels.set(p.name, node);
        const list = this.#labelsOf.get(node) ?? [];
        list.push(p.name);
        this.#labelsOf.set(node, list);
      }
    }
    return { ok: true, value: true };
  }

  /** The root node. */
  get root(): FdtNode {
    return this.tree.root;
  }

  /** Every node in depth-first pre-order (document order, as `for_each_of_allnodes`). */
  get nodes(): readonly FdtNode[] {
    return this.#nodes;
  }

  /** Full path (`/soc/iommu@15000000`; the root is `/`). Throws for a node of another tree (a caller bug). */
  pathOf(node: FdtNode): string {
    const p = this.#path.get(node);
    if (p === undefined) throw new Error(`node ${node.name} is not in this tree`);
    return p;
  }

  /** The parent, or `undefined` for the root. */
  parentOf(node: FdtNode): FdtNode | undefined {
    return this.#parent.get(node);
  }

  /**
   * A node by full path, or by alias (`serial0`, `serial0/child`) through `/aliases`, as `of_find_node_by_path`.
   *
   * @see drivers/of/base.c of_find_node_opts_by_path
   */
  findNode(path: string): FdtNode | undefined {
    if (path.startsWith("/")) return this.#byPath.get(path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path);
    const slash = path.indexOf("/");
    const alias = slash < 0 ? path : path.slice(0, slash);
    const aliases = this.#byPath.get("/aliases");
    const p = aliases === undefined ? undefined : fdtGetProp(aliases, alias);
    const target = p === undefined ? undefined : readString(p);
    if (target === undefined || !target.ok) return undefined;
    return this.findNode(slash < 0 ? target.value : `${target.value}${path.slice(slash)}`);
  }

  /** `of_find_node_by_phandle`: the first node (in document order) with that phandle; 0 and ~0 name nothing. */
  nodeByPhandle(phandle: number): FdtNode | undefined {
    return this.#byPhandle.get(phandle);
  }

  /** The node's phandle, if it has one. */
  phandleOf(node: FdtNode): number | undefined {
    return this.#phandleOf.get(node);
  }

  /** A node by its `__symbols__` label (present when the DTB was built with `dtc -@`). */
  nodeByLabel(label: string): FdtNode | undefined {
    return this.#labels.get(label);
  }

  /** Labels of a node from `__symbols__`, in property order. */
  labelsOf(node: FdtNode): readonly string[] {
    return this.#labelsOf.get(node) ?? [];
  }

  /** Where a node (or one of its properties) sits: blob offset when parsed from bytes (else -1) and path. */
  where(node: FdtNode, prop?: FdtProperty): FdtWhere {
    const offset = prop !== undefined ? this.#offsets?.properties.get(prop) : this.#offsets?.nodes.get(node);
    return { offset: offset ?? -1, path: this.#path.get(node) ?? "?" };
  }

  /**
   * `#address-cells` governing this node's `reg`: the parent's, inherited upwards, default 1.
   *
   * @see drivers/of/base.c of_n_addr_cells, of_bus_n_addr_cells
   */
  addressCells(node: FdtNode): number {
    return this.#busCells(this.parentOf(node) ?? node, "#address-cells", OF_ROOT_NODE_ADDR_CELLS_DEFAULT);
  }

  /**
   * `#size-cells` governing this node's `reg`, default 1.
   *
   * @see drivers/of/base.c of_n_size_cells
   */
  sizeCells(node: FdtNode): number {
    return this.#busCells(this.parentOf(node) ?? node, "#size-cells", OF_ROOT_NODE_SIZE_CELLS_DEFAULT);
  }

  /**
   * The cell count a bus node gives its children (`of_bus_n_addr_cells`): its own property, else its ancestors'.
   */
  busCells(bus: FdtNode, name: "#address-cells" | "#size-cells"): number {
    return this.#busCells(bus, name, name === "#address-cells" ? OF_ROOT_NODE_ADDR_CELLS_DEFAULT : OF_ROOT_NODE_SIZE_CELLS_DEFAULT);
  }

  #busCells(start: FdtNode, name: string, dflt: number): number {
    for (let n: FdtNode | undefined = start; n !== undefined; n = this.parentOf(n)) {
      const p = fdtGetProp(n, name);
      if (p !== undefined) {
        const v = readU32(p);
        if (v.ok) return v.value;
      }
    }
    return dflt;
  }

  /**
   * `reg` decoded with the parent bus's cell counts. Absent `reg` gives `[]`.
   *
   * @see drivers/of/address.c __of_get_address
   */
  reg(node: FdtNode): FirmwareResult<FdtRegEntry[]> {
    const p = fdtGetProp(node, "reg");
    if (p === undefined) return { ok: true, value: [] };
    const where = this.where(node, p);
    const na = this.addressCells(node);
    const ns = this.sizeCells(node);
    if (na > OF_MAX_ADDR_CELLS || ns > 2 || na + ns === 0) {
      return { ok: false, error: firmwareError("fdt", "bad-cells", where.offset, `#address-cells ${na} / #size-cells ${ns} cannot describe reg`, where.path) };
    }
    const cells = readCells(p, where);
    if (!cells.ok) return cells;
    const per = na + ns;
    if (cells.value.length % per !== 0) {
      return { ok: false, error: firmwareError("fdt", "bad-length", where.offset, `reg has ${cells.value.length} cells, not a multiple of ${per}`, where.path) };
    }
    const out: FdtRegEntry[] = [];
    for (let i = 0; i < cells.value.length; i += per) {
      const addressCells = cells.value.slice(i, i + na);
      const address = cellsToNumber(addressCells.slice(-2), where);
      if (!address.ok) return address;
      const size = cellsToNumber(cells.value.slice(i + na, i + per), where);
      if (!size.ok) return size;
      out.push({ address: address.value, size: size.value, addressCells });
    }
    return { ok: true, value: out };
  }
}
