/**
 * The contract between QEMU device recipes and the QEMU PCI topology builder: what a recipe is told about the bus
 * it is plugged into, what it returns, and the typed errors a `-device` argument can produce.
 */
import type { PciConfigSpace } from "./pci-config";

/** The bus a device is being plugged into. */
export interface QemuBusContext {
  /** A PCI Express bus (`pci_bus_is_express`): the root bus of `gpex`, or below a PCIe port. */
  readonly express: boolean;
  /** The host bridge's root bus (`pci_bus_is_root`). */
  readonly root: boolean;
}

/** What a device's realize is given. */
export interface QemuRealizeContext {
  readonly bus: QemuBusContext;
  readonly devfn: number;
  readonly multifunction: boolean;
  /** `-device` properties other than the generic ones (`id`, `bus`, `addr`, `multifunction`). */
  readonly props: ReadonlyMap<string, string>;
  /** The original `-device` argument, for error messages. */
  readonly arg: string;
  /** Allocates the next default NIC MAC address (`qemu_macaddr_default_if_unset`). */
  nextMac(): readonly number[];
}

/** A bridge's secondary side, as the topology builder needs it. */
export interface QemuBridgeInfo {
  /** The secondary bus is PCI Express (root port) or conventional PCI (PCIe-to-PCI bridge). */
  readonly secondaryExpress: boolean;
  /** Only device number 0 may be used below it (a PCIe port has one link partner). */
  readonly slot0Only: boolean;
  /** Hot-plug controller type, which decides what cold-plugging a child does to the bridge's registers. */
  readonly hotplug: "pcie-slot" | "shpc";
}

/** A realized QEMU PCI device. */
export interface QemuRealizedDevice {
  readonly config: PciConfigSpace;
  readonly bridge: QemuBridgeInfo | null;
  /** Chassis/slot pair a PCIe slot registers (`pcie_chassis_add_slot`); must be unique per machine. */
  readonly chassisSlot?: { readonly chassis: number; readonly slot: number };
  /** The NIC's MAC address, when the device is a NIC. */
  readonly mac?: readonly number[];
  /** Where the device's non-MSI DMA goes (see `PciTopologyInput.dmaAddressSpace`); default `"bus-master"`. */
  readonly dmaAddressSpace?: "bus-master" | "memory";
}

/** Why a `-device` argument could not be turned into a device. */
export type QemuDeviceError =
  | { readonly kind: "unknown-device"; readonly arg: string; readonly driver: string }
  | { readonly kind: "bad-property"; readonly arg: string; readonly property: string; readonly message: string }
  | { readonly kind: "unknown-bus"; readonly arg: string; readonly bus: string }
  | { readonly kind: "devfn-unavailable"; readonly arg: string; readonly message: string }
  | { readonly kind: "multifunction"; readonly arg: string; readonly message: string }
  | { readonly kind: "slot-not-allowed"; readonly arg: string; readonly message: string }
  | { readonly kind: "duplicate-id"; readonly arg: string; readonly id: string }
  | { readonly kind: "realize-failed"; readonly arg: string; readonly message: string };

/** A result union (the project-wide shape). */
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** A QEMU PCI device model: its type name and realize. */
export interface QemuPciDeviceType {
  readonly name: string;
  /** Properties this model accepts besides `id`, `bus`, `addr`, `multifunction`, `romfile`, `rombar`. */
  readonly properties: readonly string[];
  /**
   * Option ROM QEMU loads by default (`pc->romfile`); `romfile=` (empty) disables it. The ROM's BAR is not
   * modelled: a device whose ROM would be loaded is rejected, as QEMU without the ROM file is.
   */
  readonly defaultRomfile: string | null;
  /** Whether the model declares the PCIe device interface (`INTERFACE_PCIE_DEVICE`). */
  readonly pcie: boolean;
  realize(ctx: QemuRealizeContext): Result<QemuRealizedDevice, QemuDeviceError>;
  /** Device-specific part of system reset, after the generic `pci_do_device_reset`. */
  reset?(config: PciConfigSpace): void;
}

/** Parses a QEMU integer property (decimal, or hex with `0x`). */
export function parseQemuInt(text: string): number | null {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  if (/^[0-9]+$/.test(t)) return Number.parseInt(t, 10);
  return null;
}
