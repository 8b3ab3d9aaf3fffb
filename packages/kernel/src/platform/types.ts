/**
 * A platform: the hardware (a `@dmasim/machine` board) plus the firmware the kernel reads (a device tree or ACPI
 * tables). How it was obtained (QEMU options, a DTB, an IORT) does not matter to `boot`.
 */
import type { DeviceTree, IortTable } from "@dmasim/firmware";
import type { Board, PciTopologyInput } from "@dmasim/machine";

/** What the kernel sees as firmware: the flattened device tree, or the ACPI tables (the IORT is what matters). */
export type PlatformFirmware =
  | { readonly kind: "dt"; readonly dt: DeviceTree }
  | {
      readonly kind: "acpi";
      readonly iort: IortTable;
      /** The IORT index of each SMMU node, by board SMMU name (for the `arm-smmu-v3.N.auto` devices). */
      readonly smmuNodes: readonly { readonly smmu: string; readonly node: number }[];
    };

/** A master whose IOMMU provider the model does not implement (reported, the device proceeds without it). */
export interface UnmodelledIommu {
  /** DT path of the master. */
  readonly master: string;
  /** DT path of the provider. */
  readonly provider: string;
  /** What the provider is (`mmu-500`, `exynos-sysmmu`, `unknown`, ...). */
  readonly model: string;
}

/** A platform ready to boot. */
export interface Platform {
  readonly name: string;
  readonly board: Board;
  readonly firmware: PlatformFirmware;
  readonly unmodelledIommus: readonly UnmodelledIommu[];
}

/** Where a platform description went wrong: the input, the field (or byte offset), and what was wrong. */
export interface PlatformError {
  readonly source: "qemu" | "dtb" | "iort" | "pci" | "board";
  /** Field path or DT node path, e.g. `devices[2]`, `/pcie@10000000/iommu-map`. */
  readonly field: string;
  /** Byte offset in the blob, when the error comes from a parser. */
  readonly offset?: number;
  readonly message: string;
}

/**
 * A platform device added to a QEMU board's DT (QEMU `virt` itself has none behind the SMMU): with StreamIDs it gets
 * `iommus = <&smmu SID...>` and is wired to the SMMU; without, it is a plain device. Children become sub-nodes (the
 * node gets `ranges;` so their addresses translate), which `of_platform_populate` does not create by itself.
 */
export interface PlatformMasterSpec {
  /** DT node name with unit address, e.g. `dma@a100000`; the kernel device becomes `a100000.dma`. */
  readonly node: string;
  readonly compatible: readonly string[];
  readonly reg: { readonly base: number; readonly size: number };
  /** StreamIDs on the board's (first) SMMU; empty for a device that is not a DMA master behind it. */
  readonly streamIds: readonly number[];
  /** `dma-coherent` (default true). */
  readonly dmaCoherent?: boolean;
  /** Sub-nodes (devices a driver creates with `of_platform_device_create`). */
  readonly children?: readonly PlatformMasterSpec[];
}

/**
 * A PCI topology supplied beside a DTB or IORT (firmware does not list endpoints): QEMU `-device` arguments (the
 * QEMU host bridge function 00:00.0 comes with them), or functions described as data (machine's `PciTopologyInput`
 * plus a model name).
 */
export type PciTopologySpec =
  | { readonly devices: readonly string[] }
  | {
      readonly functions: readonly (PciTopologyInput & { readonly model: string })[];
    };

/** Results of the platform builders. */
export type PlatformResult = { readonly ok: true; readonly value: Platform } | { readonly ok: false; readonly error: PlatformError };
