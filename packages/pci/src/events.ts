/**
 * The PCI layer's trace events. Devices and buses are named as the kernel names them (`0000:03:01.0`, `0000:03`,
 * `pci0000:00`), never by object reference. Kernel log lines go out as driver-core `printk` events alongside.
 */
import type { PcieDevicePortType } from "@dmasim/machine";

/** Which firmware describes a host bridge: a DT node (`pci-host-generic`) or an ACPI companion (`PNP0A08`). */
export type PciFirmwareKind = "of" | "acpi" | "none";

/** A host bridge was registered (`pci_register_host_bridge`). */
export interface PciHostBridgeAddEvent {
  readonly type: "pci-host-bridge-add";
  /** The host bridge device, `pci0000:00`. */
  readonly host: string;
  readonly domain: number;
  readonly bus: number;
  readonly firmware: PciFirmwareKind;
}

/** `pci_setup_device` found a function (the `[vvvv:dddd] type NN class 0x...` line). */
export interface PciScanDeviceEvent {
  readonly type: "pci-scan-device";
  readonly device: string;
  readonly vendor: number;
  readonly deviceId: number;
  readonly hdrType: number;
  /** 24-bit class code. */
  readonly class: number;
  readonly multifunction: boolean;
  readonly pcieType: PcieDevicePortType | null;
}

/** A bus was allocated behind a bridge (`pci_alloc_child_bus`) or as a root bus. */
export interface PciBusAddEvent {
  readonly type: "pci-bus-add";
  readonly bus: string;
  readonly parent: string | null;
  readonly bridge: string | null;
}

/**
 * A bridge's bus numbers as the scan settled them: `"kernel"` when Linux wrote them (`pci_scan_bridge_extend` pass
 * 1), `"firmware"` when it kept what firmware had programmed (pass 0).
 */
export interface PciBusNumberEvent {
  readonly type: "pci-bus-number";
  readonly bridge: string;
  readonly primary: number;
  readonly secondary: number;
  readonly subordinate: number;
  readonly by: "kernel" | "firmware";
}

/** `pci_request_acs()` was called (the first call turns `pci_acs_enable` on). */
export interface PciAcsRequestEvent {
  readonly type: "pci-acs-request";
  readonly wasEnabled: boolean;
}

/** `pci_std_enable_acs` wrote the ACS control register. */
export interface PciAcsEnableEvent {
  readonly type: "pci-acs-enable";
  readonly device: string;
  readonly cap: number;
  readonly ctrlBefore: number;
  readonly ctrlAfter: number;
}

/** `pci_device_add` is about to `device_add` the function with `match_driver = false`. */
export interface PciDeviceAddEvent {
  readonly type: "pci-device-add";
  readonly device: string;
}

/** `pci_bus_add_device`: `match_driver = true`, then `device_attach` returned `ret`. */
export interface PciBusAddDeviceEvent {
  readonly type: "pci-bus-add-device";
  readonly device: string;
  readonly ret: number;
}

/** `pci_dma_configure` ran: at creation (v4.7–v4.11) or as `bus->dma_configure` at probe. */
export interface PciDmaConfigureEvent {
  readonly type: "pci-dma-configure";
  readonly device: string;
  readonly at: "device-add" | "probe";
  readonly firmware: PciFirmwareKind;
  readonly ret: number;
}

/** Every event the PCI layer emits (besides `printk`). */
export type PciEvent =
  | PciHostBridgeAddEvent
  | PciScanDeviceEvent
  | PciBusAddEvent
  | PciBusNumberEvent
  | PciAcsRequestEvent
  | PciAcsEnableEvent
  | PciDeviceAddEvent
  | PciBusAddDeviceEvent
  | PciDmaConfigureEvent;

/** The `type` of a {@link PciEvent}. */
export type PciEventType = PciEvent["type"];

const PCI_EVENT_TYPES: Readonly<Record<PciEventType, true>> = {
  "pci-host-bridge-add": true,
  "pci-scan-device": true,
  "pci-bus-add": true,
  "pci-bus-number": true,
  "pci-acs-request": true,
  "pci-acs-enable": true,
  "pci-device-add": true,
  "pci-bus-add-device": true,
  "pci-dma-configure": true,
};

/** Whether a trace record is a PCI event. */
export function isPciEvent(e: { readonly type: string }): e is PciEvent {
  return Object.prototype.hasOwnProperty.call(PCI_EVENT_TYPES, e.type);
}
