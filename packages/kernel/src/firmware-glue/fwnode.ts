/**
 * Firmware node handles (`struct fwnode_handle`): one object per DT node or ACPI object, so that identity comparisons
 * (`iommu_ops_from_fwnode`, `dev->fwnode == ...`) behave as the kernel's pointer comparisons do.
 *
 * @see include/linux/fwnode.h; drivers/of/base.c of_fwnode_handle; drivers/acpi/arm64/iort.c iort_set_fwnode
 */
import type { Fwnode } from "@dmasim/driver-core";
import type { FdtNode } from "@dmasim/firmware";

/** A DT node's fwnode: named by its full path, which is what `%pOF` prints. */
export interface OfFwnode extends Fwnode {
  readonly kind: "of";
  readonly node: FdtNode;
}

/** An ACPI object's fwnode (a namespace device such as `PNP0A08:00`, or an IORT node's static fwnode). */
export interface AcpiFwnode extends Fwnode {
  readonly kind: "acpi";
  /** The IORT node index for IORT fwnodes. */
  readonly iortNode: number | null;
}

/** Whether a fwnode is a DT node's. */
export function isOfFwnode(f: Fwnode | null | undefined): f is OfFwnode {
  return f !== null && f !== undefined && (f as Partial<OfFwnode>).kind === "of";
}

/** Whether a fwnode is an ACPI one. */
export function isAcpiFwnode(f: Fwnode | null | undefined): f is AcpiFwnode {
  return f !== null && f !== undefined && (f as Partial<AcpiFwnode>).kind === "acpi";
}

/** The handles of one kernel, created on first use. */
export class FwnodeRegistry {
  readonly #of = new Map<FdtNode, OfFwnode>();
  readonly #acpi = new Map<string, AcpiFwnode>();
  readonly #pathOf: (node: FdtNode) => string;

  constructor(pathOf: (node: FdtNode) => string) {
    this.#pathOf = pathOf;
  }

  /** `of_fwnode_handle(np)`. */
  of(node: FdtNode): OfFwnode {
    let f = this.#of.get(node);
    if (f === undefined) {
      f = { kind: "of", name: this.#pathOf(node), node };
      this.#of.set(node, f);
    }
    return f;
  }

  /** An ACPI handle by name (the same name gives the same handle). */
  acpi(name: string, iortNode: number | null = null): AcpiFwnode {
    let f = this.#acpi.get(name);
    if (f === undefined) {
      f = { kind: "acpi", name, iortNode };
      this.#acpi.set(name, f);
    }
    return f;
  }
}
