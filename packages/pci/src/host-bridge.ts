/**
 * Host bridges and the two creators the kernel calls: the `pci-host-generic` platform driver's probe (DT) and
 * `acpi_pci_root_add` (ACPI). Both register the host bridge device (`pci0000:00`), scan the root bus from config
 * space, and add the functions found (`pci_bus_add_devices`). Resource assignment (BARs, bridge windows) is not
 * modelled; bus numbers are.
 *
 * @see drivers/pci/probe.c pci_register_host_bridge, pci_scan_root_bus_bridge, pci_host_probe
 * @see drivers/pci/controller/pci-host-common.c pci_host_common_probe, gen_pci_init
 * @see drivers/pci/of.c devm_of_pci_get_host_bridge_resources
 * @see drivers/acpi/pci_root.c acpi_pci_root_add
 */
import { devPrintk, printk, Errno, type Device, type Fwnode } from "@dmasim/driver-core";
import type { AddressRange, PciConfigAccess, PciWindow } from "@dmasim/machine";
import { pciBusAddDevices } from "./bus-add";
import { ecamPciOps } from "./config";
import { PciBus, PciHostBridge, hex, type PciOps } from "./pci-dev";
import { pciScanChildBus } from "./probe-scan";
import { formatBusRange, formatResource } from "./resource-format";
import type { PciSubsystem } from "./subsystem";

/**
 * Bus numbers a host bridge decodes (DT `bus-range`, ACPI `_CRS` bus resource).
 *
 * @see drivers/pci/of.c of_pci_parse_bus_range
 */
export interface PciBusRange {
  readonly first: number;
  readonly last: number;
}

/** What `pci_register_host_bridge` needs. */
export interface PciHostBridgeInit {
  /** The device the host bridge device hangs below (the `pci-host-generic` platform device), or none (ACPI). */
  readonly parent: Device | null;
  readonly ofNode: Fwnode | null;
  readonly acpiCompanion: Fwnode | null;
  readonly domain: number;
  readonly busRange: PciBusRange;
  readonly windows: readonly PciWindow[];
  readonly ops: PciOps;
  readonly nativeShpcHotplug: boolean;
  /** Where the firmware lists the bus resource: before the windows (DT) or after them (ACPI `_CRS`). */
  readonly busResourceFirst: boolean;
  /** ACPI windows print as `... window]`. */
  readonly windowFlag: boolean;
}

/**
 * `pci_register_host_bridge`: registers `pciDDDD:BB`, allocates the root bus, and logs the bridge and its
 * resources (`PCI host bridge to bus 0000:00`, `pci_bus 0000:00: root bus resource [bus 00-ff]`, ...).
 *
 * @see drivers/pci/probe.c pci_register_host_bridge
 */
export function pciRegisterHostBridge(sys: PciSubsystem, init: PciHostBridgeInit): PciHostBridge | null {
  const name = `pci${hex(init.domain, 4)}:${hex(init.busRange.first, 2)}`;
  if (sys.hostBridges.some((h) => h.domain === init.domain && h.busnr === init.busRange.first)) return null; // pci_find_bus: already there
  const dev = sys.core.deviceInitialize({ name, parent: init.parent, fwnode: init.acpiCompanion ?? init.ofNode });
  const host = new PciHostBridge({
    subsystem: sys,
    dev,
    domain: init.domain,
    busnr: init.busRange.first,
    ops: init.ops,
    ofNode: init.ofNode,
    acpiCompanion: init.acpiCompanion,
    windows: init.windows,
    nativeShpcHotplug: init.nativeShpcHotplug,
  });
  const bus = new PciBus({ host, number: init.busRange.first, primary: 0, busnEnd: init.busRange.last, parent: null, self: null, bridge: dev, noExtCfg: false });
  host.setRootBus(bus);
  sys.hostBridges.push(host);
  sys.core.deviceAdd(dev);
  const busName = `${hex(init.domain, 4)}:${hex(init.busRange.first, 2)}`;
  const text = `PCI host bridge to bus ${busName}`;
  if (init.parent !== null) devPrintk(sys.trace, "info", init.parent, "drivers/pci/probe.c", text);
  else printk(sys.trace, "info", null, "drivers/pci/probe.c", text);
  sys.trace.emit({ type: "pci-host-bridge-add", host: name, domain: init.domain, bus: init.busRange.first, firmware: host.firmware });
  sys.trace.emit({ type: "pci-bus-add", bus: bus.name, parent: null, bridge: null });
  const busLine = (): void => sys.busLog("info", bus, "drivers/pci/probe.c", `root bus resource ${formatBusRange(init.busRange.first, init.busRange.last)}`);
  if (init.busResourceFirst) busLine();
  for (const w of init.windows) {
    const res = windowResource(sys, w);
    const offset = res.start - w.pciBase;
    const addr = offset === 0 ? "" : w.kind === "io" ? ` (bus address [${hexp(w.pciBase, 4)}-${hexp(w.pciBase + w.size - 1, 4)}])` : ` (bus address [${hexp(w.pciBase, 8)}-${hexp(w.pciBase + w.size - 1, 8)}])`;
    sys.busLog("info", bus, "drivers/pci/probe.c", `root bus resource ${formatResource(w.kind === "io" ? "io" : "mem", res.start, res.end, { window: init.windowFlag })}${addr}`);
  }
  if (!init.busResourceFirst) busLine();
  return host;
}

/** `0x` + at least `digits` hex digits (`%#0Nllx`). */
function hexp(n: number, digits: number): string {
  return `0x${n.toString(16).padStart(digits, "0")}`;
}

/** The CPU-side resource of a window; I/O windows get logical port numbers (`pci_remap_iospace`). */
function windowResource(sys: PciSubsystem, w: PciWindow): { start: number; end: number } {
  if (w.kind !== "io") return { start: w.cpuBase, end: w.cpuBase + w.size - 1 };
  const start = sys.allocateIoPorts(w.cpuBase, w.size);
  return { start, end: start + w.size - 1 };
}

/** `pci_scan_root_bus_bridge` + the `pci_host_probe` tail: scan, then add every function found. */
function scanAndAdd(sys: PciSubsystem, host: PciHostBridge): void {
  pciScanChildBus(sys, host.bus);
  pciBusAddDevices(sys, host.bus);
}

/**
 * The DT description of a `pci-host-ecam-generic` node, as the composition parsed it.
 *
 * @see drivers/pci/controller/pci-host-common.c pci_host_common_probe
 */
export interface PciHostGenericConfig {
  /** The host node (`%pOF` prints its full path, e.g. `/pcie@10000000`); default the platform device's fwnode. */
  readonly ofNode?: Fwnode;
  /** The ECAM window (`reg`). */
  readonly ecam: AddressRange;
  /** `bus-range` (default 0–255). */
  readonly busRange?: PciBusRange;
  /** `ranges`, in DT order. */
  readonly windows: readonly PciWindow[];
  /** Configuration access (ECAM through the machine); or explicit `pci_ops`. */
  readonly config: PciConfigAccess | PciOps;
  /** `linux,pci-domain` (default: the next free domain number). */
  readonly domain?: number;
  /** `/chosen/linux,pci-probe-only`. */
  readonly probeOnly?: boolean;
}

function isPciOps(c: PciConfigAccess | PciOps): c is PciOps {
  return !("hierarchy" in c);
}

/**
 * The `pci-host-generic` platform driver's probe (`pci_host_common_probe`): logs the DT ranges and the ECAM
 * window, sets `PCI_REASSIGN_ALL_BUS` (so Linux numbers the bridges itself, as the DT boots' "bridge configuration
 * invalid ([bus 00-00]), reconfiguring" lines show), registers the host bridge below `pdev`, scans and adds.
 *
 * @see drivers/pci/controller/pci-host-common.c pci_host_common_probe
 */
export function pciHostGenericProbe(sys: PciSubsystem, pdev: Device, cfg: PciHostGenericConfig): number {
  const node = cfg.ofNode ?? pdev.fwnode;
  if (node === null) return -Errno.ENODEV;
  const info = (text: string, file: string, level: "info" | "warning" = "info"): void => devPrintk(sys.trace, level, pdev, file, text);
  if (cfg.probeOnly === true) sys.flags.probeOnly = true;
  const busRange = cfg.busRange ?? { first: 0, last: 0xff };
  info(`host bridge ${node.name} ranges:`, "drivers/pci/of.c");
  for (const w of cfg.windows) {
    const kind = w.kind === "io" ? "IO" : "MEM";
    info(`  ${kind.padStart(6)} ${hexp(w.cpuBase, 10)}..${hexp(w.cpuBase + w.size - 1, 10)} -> ${hexp(w.pciBase, 10)}`, "drivers/pci/of.c");
  }
  for (const w of cfg.windows) {
    if (w.kind !== "io" && w.size >= 2 ** 32) info("Memory resource size exceeds max for 32 bits", "drivers/pci/of.c", "warning");
  }
  const ecamEnd = cfg.ecam.base + cfg.ecam.size - 1;
  info(`ECAM at ${formatResource("mem", cfg.ecam.base, ecamEnd)} for ${formatBusRange(busRange.first, busRange.last)}`, "drivers/pci/ecam.c");
  if (!sys.flags.probeOnly) sys.flags.reassignAllBus = true;
  const domain = sys.allocateDomain(cfg.domain);
  const ops = isPciOps(cfg.config) ? cfg.config : ecamPciOps(cfg.config, domain);
  const host = pciRegisterHostBridge(sys, { parent: pdev, ofNode: node, acpiCompanion: null, domain, busRange, windows: cfg.windows, ops, nativeShpcHotplug: true, busResourceFirst: true, windowFlag: false });
  if (host === null) return -Errno.EEXIST;
  scanAndAdd(sys, host);
  return 0;
}

/** What `acpi_pci_root_add` reads from the namespace (`_SEG`, `_CRS`, `_OSC`) and the MCFG. */
export interface AcpiPciRootConfig {
  /** The `PNP0A08` device (`PNP0A08:00`). */
  readonly companion: Fwnode;
  /** `acpi_device_bid`, e.g. `PCI0`. */
  readonly busId: string;
  /** `_SEG`. */
  readonly segment: number;
  readonly busRange: PciBusRange;
  /** `_CRS` windows, in `_CRS` order. */
  readonly windows: readonly PciWindow[];
  readonly config: PciConfigAccess | PciOps;
  /** The MCFG region for the segment, logged as `ECAM at ...`. */
  readonly ecam?: AddressRange;
  /** Whether `_OSC` granted the OS SHPC hot-plug control (`native_shpc_hotplug`, default true). */
  readonly oscShpcHotplug?: boolean;
}

/**
 * `acpi_pci_root_add`: logs the root bridge, creates the host bridge with the ACPI companion (no parent device),
 * keeps the bus numbers firmware programmed (no `PCI_REASSIGN_ALL_BUS` under ACPI), scans and adds.
 *
 * @see drivers/acpi/pci_root.c acpi_pci_root_add
 * @see arch/arm64/kernel/pci.c pci_acpi_scan_root
 */
export function acpiPciRootAdd(sys: PciSubsystem, cfg: AcpiPciRootConfig): number {
  const range = formatBusRange(cfg.busRange.first, cfg.busRange.last);
  printk(sys.trace, "info", "ACPI", "drivers/acpi/pci_root.c", `PCI Root Bridge [${cfg.busId}] (domain ${hex(cfg.segment, 4)} ${range})`);
  if (cfg.ecam !== undefined) {
    const end = cfg.ecam.base + cfg.ecam.size - 1;
    printk(sys.trace, "info", `acpi ${cfg.companion.name}`, "drivers/pci/ecam.c", `ECAM at ${formatResource("mem", cfg.ecam.base, end)} for ${range}`);
  }
  const domain = sys.allocateDomain(cfg.segment);
  const ops = isPciOps(cfg.config) ? cfg.config : ecamPciOps(cfg.config, domain);
  const host = pciRegisterHostBridge(sys, {
    parent: null,
    ofNode: null,
    acpiCompanion: cfg.companion,
    domain,
    busRange: cfg.busRange,
    windows: cfg.windows,
    ops,
    nativeShpcHotplug: cfg.oscShpcHotplug ?? true,
    busResourceFirst: false,
    windowFlag: true,
  });
  if (host === null) return -Errno.EEXIST;
  scanAndAdd(sys, host);
  return 0;
}
