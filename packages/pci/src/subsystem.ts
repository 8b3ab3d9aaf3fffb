/**
 * One simulated kernel's PCI subsystem: the `pci` bus type registered on its driver core, the PCI drivers, the
 * host bridges, and drivers/pci's globals made per instance (`pci_acs_enable`, `pci_flags`, `pci_domain_nr`
 * allocation). The kernel composition injects the era's DMA hooks and decides when to call `requestAcs()`.
 *
 * @see drivers/pci/pci.c pci_request_acs, pci_acs_enable
 * @see drivers/pci/pci-driver.c pci_dma_configure, pci_dma_cleanup, __pci_register_driver
 */
import {
  Errno,
  devPrintk,
  err,
  ok,
  printk,
  type Bus,
  type Device,
  type Driver,
  type DriverCore,
  type Fwnode,
  type LogLevel,
  type PrintkEvent,
  type Result,
  type TraceSink,
} from "@dmasim/driver-core";
import { PCI_ERAS, type PciEra } from "./era";
import type { PciEvent } from "./events";
import { makePciBusSpec, type PciDeviceId, type PciDriverSpec } from "./pci-driver";
import { toPciDev, type PciBus, type PciDev, type PciHostBridge } from "./pci-dev";
import { pciEnableAcs } from "./acs";

/** Events the PCI layer writes: its own and kernel log lines. */
export type PciTraceEvent = PciEvent | PrintkEvent;

/** The firmware `pci_dma_configure` found for a function: its host bridge's OF node or ACPI companion. */
export type PciDmaFirmware =
  | { readonly kind: "of"; readonly node: Fwnode; readonly host: PciHostBridge }
  | { readonly kind: "acpi"; readonly companion: Fwnode; readonly host: PciHostBridge };

/**
 * What the kernel composition plugs in, each called exactly where drivers/pci calls the function it names. All
 * optional.
 */
export interface PciHooks {
  /**
   * The firmware half of `pci_dma_configure`: `of_dma_configure(dev, bridge->parent->of_node, true)` or
   * `acpi_dma_configure(dev, acpi_get_dma_attr(adev))` (v4.7: `arch_setup_dma_ops` directly). 0 or a negative errno
   * (-EPROBE_DEFER while the IOMMU driver is missing); ignored when called from `pci_device_add` (v4.7).
   */
  readonly firmwareDmaConfigure?: (pdev: PciDev, firmware: PciDmaFirmware) => number;
  /** `iommu_device_use_default_domain(dev)` (v5.19+). */
  readonly iommuDeviceUseDefaultDomain?: (dev: Device) => number;
  /** `iommu_device_unuse_default_domain(dev)` (v5.19+, from `pci_dma_cleanup`). */
  readonly iommuDeviceUnuseDefaultDomain?: (dev: Device) => void;
  /** `arch_teardown_dma_ops(dev)` when `iommu_device_use_default_domain` fails. */
  readonly archTeardownDmaOps?: (dev: Device) => void;
  /**
   * `pci_set_msi_domain(dev)` in `pci_device_add`, just before `device_add` (DT: `of_msi_map_get_device_domain`,
   * whose `msi-map` translation is the `OF: ... msi-map` debug line of the 6.1 DT boots).
   */
  readonly setMsiDomain?: (pdev: PciDev) => void;
  /** `pci_fixup_device(pci_fixup_header, dev)`: where DMA-alias quirks (`pci_add_dma_alias`) run. */
  readonly fixupHeader?: (pdev: PciDev) => void;
  /** `pci_fixup_device(pci_fixup_final, dev)` in `pci_bus_add_device`. */
  readonly fixupFinal?: (pdev: PciDev) => void;
  /**
   * `pci_dev_specific_acs_enabled(dev, flags)`: ≥ 0 decides (1 enabled, 0 not), -ENOTTY when no quirk applies
   * (the default: QEMU's functions have none).
   */
  readonly devSpecificAcsEnabled?: (pdev: PciDev, flags: number) => number;
  /** `pci_dev_specific_enable_acs(dev)`: 0 when a quirk enabled ACS, -ENOTTY to use the standard capability. */
  readonly devSpecificEnableAcs?: (pdev: PciDev) => number;
}

/** Options of {@link registerPciBus}. */
export interface PciSubsystemOptions {
  readonly trace: TraceSink<PciTraceEvent>;
  /** Default `PCI_ERAS["v6.1"]`. */
  readonly era?: PciEra;
  readonly hooks?: PciHooks;
  /** `pci=noats`: `pci_ats_disabled()` (Translation Blocking is then requested with ACS). */
  readonly atsDisabled?: boolean;
  /** `pci=hpbussize=`: bus numbers reserved behind a hot-plug bridge (`pci_hotplug_bus_size`, default 1). */
  readonly hotplugBusSize?: number;
}

/** `pci_flags` (`PCI_REASSIGN_ALL_BUS`, `PCI_PROBE_ONLY`, `PCI_SCAN_ALL_PCIE_DEVS`). @see include/linux/pci.h */
export interface PciFlags {
  reassignAllBus: boolean;
  probeOnly: boolean;
  scanAllPcieDevs: boolean;
}

/** A registered PCI driver: its description and the ids added with `new_id` (`drv->dynids`). */
export interface PciDriverEntry {
  readonly spec: PciDriverSpec;
  readonly dynids: PciDeviceId[];
}

/**
 * One kernel's PCI subsystem. Create it with {@link registerPciBus}.
 *
 * @see drivers/pci/probe.c pci_scan_root_bus_bridge
 * @see drivers/pci/pci-driver.c pci_bus_type
 */
export class PciSubsystem {
  readonly core: DriverCore;
  readonly trace: TraceSink<PciTraceEvent>;
  readonly era: PciEra;
  readonly hooks: PciHooks;
  readonly atsDisabled: boolean;
  /** `pci_hotplug_bus_size`. */
  readonly hotplugBusSize: number;
  /** `pci_flags`. */
  readonly flags: PciFlags = { reassignAllBus: false, probeOnly: false, scanAllPcieDevs: false };
  /** Host bridges in registration order. */
  readonly hostBridges: PciHostBridge[] = [];
  #bus: Bus | null = null;
  #acsEnable = false;
  #nextDomain = 0;
  readonly #ioWindows: { cpuBase: number; size: number; port: number }[] = [];
  readonly #drivers = new Map<string, PciDriverEntry>();

  /** @internal Use {@link registerPciBus}. */
  constructor(core: DriverCore, options: PciSubsystemOptions) {
    this.core = core;
    this.trace = options.trace;
    this.era = options.era ?? PCI_ERAS["v6.1"];
    this.hooks = options.hooks ?? {};
    this.atsDisabled = options.atsDisabled ?? false;
    this.hotplugBusSize = options.hotplugBusSize ?? 1;
  }

  /** The registered `pci` bus type. */
  get bus(): Bus {
    if (this.#bus === null) throw new Error("the pci bus is not registered");
    return this.#bus;
  }

  /** @internal */
  setBus(bus: Bus): void {
    this.#bus = bus;
  }

  // ---- ACS -------------------------------------------------------------------------------------------------

  /**
   * `pci_request_acs()`: from now on `pci_enable_acs` (run for each function as it is added) writes the ACS control
   * register. Functions added before the call keep what they had — which is why ACPI (IORT init requests ACS before
   * the scan) and DT in 6.1 (`of_iommu_configure` requests it at the first probe, after the scan) differ.
   *
   * @see drivers/pci/pci.c pci_request_acs
   */
  requestAcs(): void {
    this.trace.emit({ type: "pci-acs-request", wasEnabled: this.#acsEnable });
    this.#acsEnable = true;
  }

  /** `pci_acs_enable`. */
  get acsEnabled(): boolean {
    return this.#acsEnable;
  }

  // ---- drivers ---------------------------------------------------------------------------------------------

  /**
   * `pci_register_driver`: a driver-core driver on the `pci` bus (the bus calls the PCI probe).
   *
   * @see drivers/pci/pci-driver.c __pci_register_driver
   */
  registerDriver(spec: PciDriverSpec): Result<Driver, number> {
    // Keyed by name (unique on a bus): driver_attach inside driver_register already matches with the entry.
    const mine = !this.#drivers.has(spec.name);
    if (mine) this.#drivers.set(spec.name, { spec, dynids: [] });
    const r = this.core.driverRegister({ name: spec.name, bus: this.bus, ...(spec.asyncProbe === true ? { asyncProbe: true } : {}) });
    if (!r.ok && mine) this.#drivers.delete(spec.name);
    return r.ok ? ok(r.value) : err(r.error);
  }

  /** `pci_unregister_driver`. */
  unregisterDriver(drv: Driver): void {
    this.core.driverUnregister(drv);
    if (drv.bus === this.#bus) this.#drivers.delete(drv.name);
  }

  /** `new_id`: adds a dynamic id and, as the sysfs store does, tries to bind the driver (`driver_attach`). */
  addDynid(drv: Driver, id: PciDeviceId): number {
    const entry = this.pciDriverOf(drv);
    if (entry === undefined) return -Errno.EINVAL;
    entry.dynids.push(id);
    return this.core.driverAttach(drv);
  }

  /** The PCI side of a driver on the `pci` bus (`to_pci_driver`). */
  pciDriverOf(drv: Driver): PciDriverEntry | undefined {
    return drv.bus === this.#bus ? this.#drivers.get(drv.name) : undefined;
  }

  // ---- DMA configuration -----------------------------------------------------------------------------------

  /** The firmware `pci_dma_configure` would use for `pdev`, if any. */
  dmaFirmware(pdev: PciDev): PciDmaFirmware | null {
    const host = pdev.bus.host;
    if (host.firmware === "of" && host.ofNode !== null) return { kind: "of", node: host.ofNode, host };
    if (host.firmware === "acpi" && host.acpiCompanion !== null) return { kind: "acpi", companion: host.acpiCompanion, host };
    return null;
  }

  /**
   * `pci_dma_configure` as `bus->dma_configure` (v4.12+): the firmware configure, then (v5.19+)
   * `iommu_device_use_default_domain` unless the driver manages DMA itself.
   *
   * @see drivers/pci/pci-driver.c pci_dma_configure
   */
  dmaConfigureAtProbe(dev: Device, drv: Driver): number {
    const pdev = toPciDev(dev);
    if (pdev === undefined) return 0;
    const fw = this.dmaFirmware(pdev);
    let ret = fw !== null && this.hooks.firmwareDmaConfigure !== undefined ? this.hooks.firmwareDmaConfigure(pdev, fw) : 0;
    if (this.era.acsEnableAt === "dma-configure") pciEnableAcs(this, pdev);
    const managed = this.pciDriverOf(drv)?.spec.driverManagedDma === true;
    if (ret === 0 && this.era.deviceUseDefaultDomain && !managed) {
      ret = this.hooks.iommuDeviceUseDefaultDomain?.(dev) ?? 0;
      if (ret !== 0) this.hooks.archTeardownDmaOps?.(dev);
    }
    this.trace.emit({ type: "pci-dma-configure", device: dev.name, at: "probe", firmware: fw?.kind ?? "none", ret });
    return ret;
  }

  /** `pci_dma_configure` from `pci_device_add` (v4.7–v4.11): the return value is not looked at. */
  dmaConfigureAtDeviceAdd(pdev: PciDev): void {
    const fw = this.dmaFirmware(pdev);
    const ret = fw !== null && this.hooks.firmwareDmaConfigure !== undefined ? this.hooks.firmwareDmaConfigure(pdev, fw) : 0;
    this.trace.emit({ type: "pci-dma-configure", device: pdev.name, at: "device-add", firmware: fw?.kind ?? "none", ret });
  }

  /** `pci_dma_cleanup` (v5.19+). @see drivers/pci/pci-driver.c pci_dma_cleanup */
  dmaCleanup(dev: Device): void {
    const drv = dev.driver;
    const managed = drv !== null && this.pciDriverOf(drv)?.spec.driverManagedDma === true;
    if (!managed) this.hooks.iommuDeviceUnuseDefaultDomain?.(dev);
  }

  // ---- lookup ----------------------------------------------------------------------------------------------

  /** `pci_bus_find_domain_nr` for a bridge without a fixed domain: the next free number. */
  allocateDomain(requested: number | undefined): number {
    const domain = requested ?? this.#nextDomain;
    this.#nextDomain = Math.max(this.#nextDomain, domain + 1);
    return domain;
  }

  /**
   * `pci_remap_iospace`/logical PIO: the port numbers an I/O window at CPU address `cpuBase` gets (windows are
   * packed from port 0 in registration order; the same window asked again gets the same ports).
   */
  allocateIoPorts(cpuBase: number, size: number): number {
    const known = this.#ioWindows.find((w) => w.cpuBase === cpuBase);
    if (known !== undefined) return known.port;
    const port = this.#ioWindows.reduce((end, w) => Math.max(end, w.port + w.size), 0);
    this.#ioWindows.push({ cpuBase, size, port });
    return port;
  }

  /** Every PCI function in `device_add` order (what `for_each_pci_dev` walks). */
  get devices(): readonly PciDev[] {
    const out: PciDev[] = [];
    if (this.#bus === null) return out;
    for (const dev of this.#bus.devices) {
      const pdev = toPciDev(dev);
      if (pdev !== undefined) out.push(pdev);
    }
    return out;
  }

  /** `pci_find_bus(domain, busnr)`. */
  findBus(domain: number, busnr: number): PciBus | null {
    for (const host of this.hostBridges) {
      if (host.domain !== domain) continue;
      const found = findBusBelow(host.bus, busnr);
      if (found !== null) return found;
    }
    return null;
  }

  /** `pci_get_domain_bus_and_slot(domain, bus, devfn)`. */
  getDomainBusAndSlot(domain: number, busnr: number, devfn: number): PciDev | null {
    return this.findBus(domain, busnr)?.devices.find((d) => d.devfn === devfn) ?? null;
  }

  /** Finds a function by its kernel name (`0000:03:01.0`). */
  findDev(name: string): PciDev | null {
    const dev = this.#bus?.findDevice(name);
    return dev === undefined ? null : (toPciDev(dev) ?? null);
  }

  // ---- logging ---------------------------------------------------------------------------------------------

  /** `pci_info`/`pci_warn`/`pci_err` on a function. */
  log(level: LogLevel, pdev: PciDev, file: string, text: string): void {
    devPrintk(this.trace, level, pdev.dev, file, text);
  }

  /** `pci_warn(dev, ...)`. */
  warn(pdev: PciDev, file: string, text: string): void {
    this.log("warning", pdev, file, text);
  }

  /** `dev_info(&bus->dev, ...)`: the bus device's driver string is its class, `pci_bus`. */
  busLog(level: LogLevel, bus: PciBus, file: string, text: string): void {
    printk(this.trace, level, `pci_bus ${bus.name}`, file, text);
  }
}

function findBusBelow(bus: PciBus, busnr: number): PciBus | null {
  if (bus.number === busnr) return bus;
  for (const child of bus.children) {
    const found = findBusBelow(child, busnr);
    if (found !== null) return found;
  }
  return null;
}

/**
 * Registers the `pci` bus type on `core` (`pci_driver_init`) and returns the subsystem that owns it.
 *
 * @see drivers/pci/pci-driver.c pci_driver_init
 * @example
 * ```ts
 * const pci = registerPciBus(core, { trace, era: PCI_ERAS["v6.1"], hooks: { firmwareDmaConfigure } });
 * ```
 */
export function registerPciBus(core: DriverCore, options: PciSubsystemOptions): Result<PciSubsystem, number> {
  const sys = new PciSubsystem(core, options);
  const bus = core.busRegister(makePciBusSpec(sys));
  if (!bus.ok) return err(bus.error);
  sys.setBus(bus.value);
  return ok(sys);
}
