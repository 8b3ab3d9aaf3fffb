/**
 * The kernel's PCI objects: `struct pci_dev` (kept in the driver-core device's data slot), `struct pci_bus` and
 * `struct pci_host_bridge`, with the accessors the rest of the kernel uses (`to_pci_dev`, `pci_dev_id`,
 * `pci_is_root_bus`, `pci_pcie_type`, `pci_upstream_bridge`).
 *
 * @see include/linux/pci.h struct pci_dev, struct pci_bus, struct pci_host_bridge
 */
import { defineDeviceData, type Device, type Fwnode } from "@dmasim/driver-core";
import { PcieType, pciFunc, pciSlot, type PciConfigWidth, type PciWindow, type PcieDevicePortType } from "@dmasim/machine";
import type { PciFirmwareKind } from "./events";
import type { PciSubsystem } from "./subsystem";

/**
 * `struct pci_ops`: configuration access by bus number, as a host bridge driver provides it (ECAM for
 * `pci-host-generic` and for ACPI MCFG).
 *
 * @see include/linux/pci.h struct pci_ops
 */
export interface PciOps {
  /** A read; all ones when nothing answers (`PCI_SET_ERROR_RESPONSE`). */
  readonly read: (bus: number, devfn: number, where: number, size: PciConfigWidth) => number;
  /** A write; `false` when nothing took it. */
  readonly write: (bus: number, devfn: number, where: number, size: PciConfigWidth, value: number) => boolean;
}

/** `pci_dev->dev_flags` bits the DMA-alias walk reads. @see include/linux/pci.h enum pci_dev_flags */
export interface PciDevFlags {
  /** `PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS`: a conventional bridge that aliases like a PCIe-to-PCI bridge. */
  pcieBridgeAlias: boolean;
  /** `PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT`: the IOMMU sits at this bridge; the alias walk stops here. */
  bridgeXlateRoot: boolean;
}

/** `PCI_EXP_TYPE_*` → the machine package's port-type names. */
const PCIE_TYPE_NAMES: Readonly<Record<number, PcieDevicePortType>> = {
  [PcieType.ENDPOINT]: "endpoint",
  [PcieType.LEG_END]: "legacy-endpoint",
  [PcieType.ROOT_PORT]: "root-port",
  [PcieType.UPSTREAM]: "upstream-port",
  [PcieType.DOWNSTREAM]: "downstream-port",
  [PcieType.PCI_BRIDGE]: "pcie-to-pci-bridge",
  [PcieType.PCIE_BRIDGE]: "pci-to-pcie-bridge",
  [PcieType.RC_END]: "rc-integrated-endpoint",
  [PcieType.RC_EC]: "rc-event-collector",
};

/** Names a `PCI_EXP_TYPE_*` value; `null` for reserved encodings. */
export function pcieTypeName(type: number): PcieDevicePortType | null {
  return PCIE_TYPE_NAMES[type] ?? null;
}

/**
 * `struct pci_host_bridge`: the host bridge device (`pci0000:00`), its root bus, its config accessor and the
 * firmware that describes it. `pci_dma_configure` reads `ofNode` (the OF node of the bridge device's parent, the
 * `pci-host-generic` platform device) or `acpiCompanion`.
 */
export class PciHostBridge {
  /** The subsystem the bridge belongs to (hooks, era, ACS state). */
  readonly subsystem: PciSubsystem;
  /** The host bridge device `pciDDDD:BB`. */
  readonly dev: Device;
  readonly domain: number;
  /** `bridge->busnr`: the root bus number. */
  readonly busnr: number;
  readonly ops: PciOps;
  /** `bridge->dev.parent->of_node` (DT). */
  readonly ofNode: Fwnode | null;
  /** `ACPI_COMPANION(&bridge->dev)` (ACPI). */
  readonly acpiCompanion: Fwnode | null;
  /** The windows the firmware gave (DT `ranges` / ACPI `_CRS`). */
  readonly windows: readonly PciWindow[];
  /** `bridge->native_shpc_hotplug`: the OS controls SHPC hot-plug (ACPI: granted by `_OSC`; DT: always). */
  readonly nativeShpcHotplug: boolean;
  #bus: PciBus | null = null;

  /** @internal Created by the host-bridge creators. */
  constructor(init: {
    subsystem: PciSubsystem;
    dev: Device;
    domain: number;
    busnr: number;
    ops: PciOps;
    ofNode: Fwnode | null;
    acpiCompanion: Fwnode | null;
    windows: readonly PciWindow[];
    nativeShpcHotplug: boolean;
  }) {
    this.subsystem = init.subsystem;
    this.dev = init.dev;
    this.domain = init.domain;
    this.busnr = init.busnr;
    this.ops = init.ops;
    this.ofNode = init.ofNode;
    this.acpiCompanion = init.acpiCompanion;
    this.windows = init.windows;
    this.nativeShpcHotplug = init.nativeShpcHotplug;
  }

  /** `bridge->bus`, the root bus. */
  get bus(): PciBus {
    if (this.#bus === null) throw new Error(`host bridge ${this.dev.name} has no root bus yet`);
    return this.#bus;
  }

  /** @internal Set once by `pci_register_host_bridge`. */
  setRootBus(bus: PciBus): void {
    this.#bus = bus;
  }

  /** The PCI segment (`pci_domain_nr`), the same as `domain`. */
  get segment(): number {
    return this.domain;
  }

  /** Which firmware describes the bridge, as `pci_dma_configure` decides it. */
  get firmware(): PciFirmwareKind {
    if (this.dev.parent !== null && this.ofNode !== null) return "of";
    return this.acpiCompanion !== null ? "acpi" : "none";
  }
}

/**
 * `struct pci_bus`. The number is fixed when the bus is allocated (`bus->number = busn_res.start`), as in Linux;
 * `busnEnd` follows `pci_bus_update_busn_res_end`.
 */
export class PciBus {
  readonly host: PciHostBridge;
  readonly number: number;
  /** `bus->primary`. */
  primary: number;
  /** `bus->busn_res.end`. */
  busnEnd: number;
  readonly parent: PciBus | null;
  /** `bus->self`: the bridge leading to this bus; `null` for a root bus. */
  readonly self: PciDev | null;
  /** `bus->bridge`: the device that is the parent of the bus's functions (host bridge device, or `self`'s). */
  readonly bridge: Device;
  /** `bus->devices`, in the order `pci_device_add` added them. */
  readonly devices: PciDev[] = [];
  /** `bus->children`, in creation order. */
  readonly children: PciBus[] = [];
  /** `PCI_BUS_FLAGS_NO_EXTCFG`. */
  noExtCfg: boolean;
  /** `bus->is_added` (set once fixups ran for it during the scan). */
  isAdded = false;

  /** @internal Created by the scan. */
  constructor(init: { host: PciHostBridge; number: number; primary: number; busnEnd: number; parent: PciBus | null; self: PciDev | null; bridge: Device; noExtCfg: boolean }) {
    this.host = init.host;
    this.number = init.number;
    this.primary = init.primary;
    this.busnEnd = init.busnEnd;
    this.parent = init.parent;
    this.self = init.self;
    this.bridge = init.bridge;
    this.noExtCfg = init.noExtCfg;
  }

  /** `pci_domain_nr(bus)`. */
  get domain(): number {
    return this.host.domain;
  }

  /** The bus device's name, `DDDD:BB` (what `pci_bus` log lines print). */
  get name(): string {
    return `${hex(this.domain, 4)}:${hex(this.number, 2)}`;
  }

  /** `bus->busn_res.start`. */
  get busnStart(): number {
    return this.number;
  }
}

/**
 * `struct pci_dev`: what the kernel read from configuration space when it found the function, plus the state PCI
 * code keeps (`match_driver`, DMA alias quirks, ACS capability offset). Fields that Linux mutates after setup are
 * writable; the rest are read-only.
 */
export class PciDev {
  /** `&pdev->dev`, the driver-core device (`DDDD:BB:DD.F` on the `pci` bus). */
  readonly dev: Device;
  readonly bus: PciBus;
  readonly devfn: number;
  readonly vendor: number;
  readonly device: number;
  /** 24-bit class code (`dev->class`). */
  class: number;
  readonly revision: number;
  /** Header type without the multifunction bit (`dev->hdr_type`). */
  readonly hdrType: number;
  /** `dev->multifunction`: function 0's header bit, or set for every function found beyond 0 (`pci_scan_slot`). */
  multifunction: boolean;
  /** `dev->pcie_cap`: offset of the PCIe capability, 0 for conventional PCI. */
  readonly pcieCap: number;
  /** `dev->pcie_flags_reg` (the port type may be corrected by `set_pcie_port_type`). */
  pcieFlagsReg: number;
  /** `dev->subordinate`: the bus behind a bridge once scanned. */
  subordinate: PciBus | null = null;
  /** `dev->match_driver`: false until `pci_bus_add_device`; `pci_bus_match` matches nothing while false. */
  matchDriver = false;
  /** `dev->dma_alias_mask`, as the sorted list of its set devfns (`pci_add_dma_alias`). */
  readonly dmaAliasDevfns: number[] = [];
  readonly devFlags: PciDevFlags = { pcieBridgeAlias: false, bridgeXlateRoot: false };
  /** `dev->acs_cap`: offset of the ACS extended capability, 0 when absent (set by `pci_acs_init`). */
  acsCap = 0;
  /** `dev->cfg_size`. */
  cfgSize = 256;
  /** `dev->is_hotplug_bridge`. */
  isHotplugBridge = false;
  /** `dev->transparent` (subtractive-decode bridge). */
  transparent = false;
  subsystemVendor = 0;
  subsystemDevice = 0;
  /** `dev->external_facing` / `dev->untrusted`: firmware marks; Translation Blocking is enabled for them. */
  externalFacing = false;
  untrusted = false;
  /** `dev->driver_override`. */
  driverOverride: string | null = null;
  /** `pci_dev_is_added(dev)`: `pci_bus_add_device` ran. */
  isAdded = false;

  /** @internal Created by `pci_scan_device`. */
  constructor(init: {
    dev: Device;
    bus: PciBus;
    devfn: number;
    vendor: number;
    device: number;
    class: number;
    revision: number;
    hdrType: number;
    multifunction: boolean;
    pcieCap: number;
    pcieFlagsReg: number;
  }) {
    this.dev = init.dev;
    this.bus = init.bus;
    this.devfn = init.devfn;
    this.vendor = init.vendor;
    this.device = init.device;
    this.class = init.class;
    this.revision = init.revision;
    this.hdrType = init.hdrType;
    this.multifunction = init.multifunction;
    this.pcieCap = init.pcieCap;
    this.pcieFlagsReg = init.pcieFlagsReg;
  }

  /** `pci_name(dev)`, `DDDD:BB:DD.F`. */
  get name(): string {
    return this.dev.name;
  }

  /** `pci_is_pcie(dev)`. */
  get isPcie(): boolean {
    return this.pcieCap !== 0;
  }

  /** `pci_pcie_type(dev)`: the `PCI_EXP_TYPE_*` value; meaningless (0) for conventional PCI. */
  get pcieTypeCode(): number {
    return (this.pcieFlagsReg >>> 4) & 0xf;
  }

  /** The PCIe Device/Port Type by name; `null` for conventional PCI. */
  get pcieType(): PcieDevicePortType | null {
    return this.isPcie ? pcieTypeName(this.pcieTypeCode) : null;
  }

  /** `pci_is_bridge(dev)`: a type 1 (PCI-to-PCI) or type 2 (CardBus) header. */
  get isBridge(): boolean {
    return this.hdrType === 1 || this.hdrType === 2;
  }
}

/**
 * The PCI slot of the device data area.
 *
 * @see include/linux/pci.h struct pci_dev
 */
export const PCI_DEV = defineDeviceData<PciDev>("pci");

/**
 * `to_pci_dev(dev)`: the PCI function behind a driver-core device, if it is one.
 *
 * @see include/linux/pci.h to_pci_dev
 */
export function toPciDev(dev: Device): PciDev | undefined {
  return dev.getData(PCI_DEV);
}

/**
 * `dev_is_pci(dev)`.
 *
 * @see include/linux/pci.h dev_is_pci
 */
export function devIsPci(dev: Device): boolean {
  return dev.hasData(PCI_DEV);
}

/**
 * `pci_name(pdev)`.
 *
 * @see include/linux/pci.h pci_name
 */
export function pciDevName(pdev: PciDev): string {
  return pdev.dev.name;
}

/**
 * `PCI_DEVID(bus, devfn)`: a requester ID.
 *
 * @see include/linux/pci.h PCI_DEVID
 */
export function pciDevId(bus: number, devfn: number): number {
  return ((bus & 0xff) << 8) | (devfn & 0xff);
}

/**
 * `pci_dev_id(pdev)`: the function's own requester ID with the bus number it was found at.
 *
 * @see include/linux/pci.h pci_dev_id
 */
export function pciDevRid(pdev: PciDev): number {
  return pciDevId(pdev.bus.number, pdev.devfn);
}

/**
 * `pci_is_root_bus(bus)`: no parent bus.
 *
 * @see include/linux/pci.h pci_is_root_bus
 */
export function pciIsRootBus(bus: PciBus): boolean {
  return bus.parent === null;
}

/**
 * `pci_upstream_bridge(dev)`: the bridge above the function's bus, `null` on a root bus.
 *
 * @see include/linux/pci.h pci_upstream_bridge
 */
export function pciUpstreamBridge(pdev: PciDev): PciDev | null {
  return pciIsRootBus(pdev.bus) ? null : pdev.bus.self;
}

/**
 * `pci_find_host_bridge(bus)`.
 *
 * @see drivers/pci/host-bridge.c pci_find_host_bridge
 */
export function pciFindHostBridge(bus: PciBus): PciHostBridge {
  return bus.host;
}

/**
 * `pci_get_host_bridge_device(dev)`: the host bridge's device.
 *
 * @see drivers/pci/host-bridge.c pci_get_host_bridge_device
 */
export function pciGetHostBridgeDevice(pdev: PciDev): Device {
  return pdev.bus.host.dev;
}

/**
 * `pcie_downstream_port(dev)`: root port, switch downstream port, or PCI-to-PCIe bridge.
 *
 * @see drivers/pci/pci.h pcie_downstream_port
 */
export function pcieDownstreamPort(pdev: PciDev): boolean {
  const t = pdev.pcieTypeCode;
  return t === PcieType.ROOT_PORT || t === PcieType.DOWNSTREAM || t === PcieType.PCIE_BRIDGE;
}

/**
 * The kernel's device name `DDDD:BB:DD.F`.
 *
 * @see drivers/pci/probe.c pci_setup_device (dev_set_name "%04x:%02x:%02x.%d")
 */
export function pciFormatName(domain: number, bus: number, devfn: number): string {
  return `${hex(domain, 4)}:${hex(bus, 2)}:${hex(pciSlot(devfn), 2)}.${pciFunc(devfn)}`;
}

/** Lower-case hex, zero-padded. */
export function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}
