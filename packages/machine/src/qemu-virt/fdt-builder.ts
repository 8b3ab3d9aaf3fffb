/**
 * A device tree under construction with libfdt's editing semantics, which is what makes QEMU's DTB order what it
 * is: `fdt_add_subnode` inserts a new node BEFORE the parent's existing children, `fdt_setprop` inserts a new
 * property BEFORE the node's existing properties (and replaces an existing one in place), and QEMU hands out
 * phandles from 0x8000 upward in call order. The `virt` DT code below calls these in QEMU's order, and the tree
 * comes out in the order `dumpdtb` shows.
 *
 * @see scripts/dtc/libfdt/fdt_rw.c fdt_add_subnode_namelen, fdt_add_property_; softmmu/device_tree.c
 *      qemu_fdt_alloc_phandle, qemu_fdt_add_path (QEMU)
 */
import { fdtCells, fdtNode, fdtString, fdtTree, type FdtNode, type FdtTree } from "@dmasim/firmware";

interface MutableNode {
  readonly name: string;
  props: { name: string; value: Uint8Array }[];
  children: MutableNode[];
}

/** The first phandle QEMU allocates (`machine_phandle_start` default). */
export const QEMU_PHANDLE_START = 0x8000;

/**
 * A libfdt-like editable tree.
 *
 * @see softmmu/device_tree.c qemu_fdt_setprop
 */
export class QemuFdt {
  readonly #root: MutableNode = { name: "", props: [], children: [] };
  #nextPhandle = QEMU_PHANDLE_START;

  /** `qemu_fdt_alloc_phandle`. */
  allocPhandle(): number {
    return this.#nextPhandle++;
  }

  #find(path: string): MutableNode {
    if (path === "/") return this.#root;
    let node = this.#root;
    for (const part of path.split("/").filter((p) => p !== "")) {
      const next = node.children.find((c) => c.name === part);
      if (next === undefined) throw new Error(`no node ${path}`);
      node = next;
    }
    return node;
  }

  /** `qemu_fdt_add_subnode`: the new node goes first among its parent's children. */
  addSubnode(path: string): void {
    const slash = path.lastIndexOf("/");
    const parent = this.#find(slash <= 0 ? "/" : path.slice(0, slash));
    const name = path.slice(slash + 1);
    if (parent.children.some((c) => c.name === name)) throw new Error(`${path} exists`);
    parent.children.unshift({ name, props: [], children: [] });
  }

  /** `qemu_fdt_add_path`: creates every missing node of `path`, outermost first. */
  addPath(path: string): void {
    let cur = "";
    for (const part of path.split("/").filter((p) => p !== "")) {
      cur = `${cur}/${part}`;
      const parent = this.#find(cur.slice(0, cur.lastIndexOf("/")) || "/");
      if (!parent.children.some((c) => c.name === part)) this.addSubnode(cur);
    }
  }

  /** `qemu_fdt_setprop`: a new property goes first; an existing one is replaced where it is. */
  setProp(path: string, name: string, value: Uint8Array): void {
    const node = this.#find(path);
    const existing = node.props.find((p) => p.name === name);
    if (existing !== undefined) existing.value = value;
    else node.props.unshift({ name, value });
  }

  /** `qemu_fdt_setprop_cell(s)`. */
  setCells(path: string, name: string, ...cells: number[]): void {
    this.setProp(path, name, fdtCells(...cells));
  }

  /** `qemu_fdt_setprop_string`. */
  setString(path: string, name: string, s: string): void {
    this.setProp(path, name, fdtString(s));
  }

  /** `qemu_fdt_setprop(..., NULL, 0)`: a boolean property. */
  setEmpty(path: string, name: string): void {
    this.setProp(path, name, new Uint8Array(0));
  }

  /** `qemu_fdt_setprop_sized_cells`: each value in the given number of cells (1 or 2). */
  setSizedCells(path: string, name: string, ...pairs: (readonly [cells: 1 | 2, value: number])[]): void {
    const cells: number[] = [];
    for (const [n, v] of pairs) {
      if (n === 2) cells.push(Math.floor(v / 0x1_0000_0000), v % 0x1_0000_0000);
      else cells.push(v);
    }
    this.setCells(path, name, ...cells);
  }

  /** The finished tree, as `@dmasim/firmware` types. */
  toTree(): FdtTree {
    const freeze = (n: MutableNode): FdtNode => fdtNode(n.name, n.props.map((p) => ({ ...p })), n.children.map(freeze));
    return fdtTree(freeze(this.#root));
  }
}
