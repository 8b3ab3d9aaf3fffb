/**
 * Walking a hierarchy from config space as Linux does: every slot of a bus (`pci_scan_slot`: function 0, the
 * others only when it is multifunction; below a PCIe downstream port only device 0), then the bridges in two passes
 * (`pci_scan_bridge_extend`): pass 0 keeps bus numbers firmware programmed and flags nonsense ("bridge configuration
 * invalid"), pass 1 assigns numbers depth-first, writing primary/secondary/subordinate. Which pass numbers a bridge
 * depends on `pcibios_assign_all_busses()` (arm64: `PCI_REASSIGN_ALL_BUS`, set by `pci-host-generic`).
 *
 * @see drivers/pci/probe.c pci_scan_slot, pci_scan_child_bus_extend, pci_scan_bridge_extend, pci_alloc_child_bus,
 *   pci_bus_update_busn_res_end
 */
import { PciReg, PcieCapReg, PcieType } from "@dmasim/machine";
import { pciFindCapability, pciReadConfig, pciWriteConfig } from "./config";
import { PciBridgeCtl, PciHeaderType, PciX } from "./constants";
import { PciBus, pcieDownstreamPort, type PciDev } from "./pci-dev";
import { formatBusRange } from "./resource-format";
import { pciScanSingleDevice } from "./probe-device";
import type { PciSubsystem } from "./subsystem";

const PROBE_C = "drivers/pci/probe.c";
const PCI_EXP_RTCAP_CRSVIS = 0x0001;
const PCI_EXP_RTCTL_CRSSVE = 0x0010;

/** `only_one_child(bus)`: below a PCIe downstream port only device 0 is scanned (unless PCI_SCAN_ALL_PCIE_DEVS). */
function onlyOneChild(sys: PciSubsystem, bus: PciBus): boolean {
  if (sys.flags.scanAllPcieDevs) return false;
  const bridge = bus.self;
  return bridge !== null && bridge.isPcie && pcieDownstreamPort(bridge);
}

/**
 * `pci_scan_slot(bus, devfn)`: function 0 first; functions 1–7 only while the last function found says
 * multifunction (ARI is not modelled); every function beyond 0 is marked multifunction. Returns how many functions
 * were newly added.
 *
 * @see drivers/pci/probe.c pci_scan_slot, next_fn
 */
export function pciScanSlot(sys: PciSubsystem, bus: PciBus, devfn: number): number {
  if (onlyOneChild(sys, bus) && devfn > 0) return 0;
  let nr = 0;
  let last: PciDev | null = null;
  for (let fn = 0; fn < 8; fn++) {
    const found = pciScanSingleDevice(sys, bus, devfn + fn);
    if (found === null && fn === 0) break;
    if (found !== null) {
      if (found.isNew) nr++;
      if (fn > 0) found.pdev.multifunction = true;
    }
    last = found?.pdev ?? null;
    if (last !== null && !last.multifunction) break;
  }
  return nr;
}

/**
 * `pci_bridge_child_ext_cfg_accessible`: extended config space reaches the secondary bus of a PCIe root/switch
 * port; of other bridges only PCI-X mode 2 ones.
 *
 * @see drivers/pci/probe.c pci_bridge_child_ext_cfg_accessible
 */
function childExtCfgAccessible(bridge: PciDev): boolean {
  if (bridge.bus.noExtCfg) return false;
  const t = bridge.pcieTypeCode;
  if (bridge.isPcie && (t === PcieType.ROOT_PORT || t === PcieType.UPSTREAM || t === PcieType.DOWNSTREAM)) return true;
  const pos = pciFindCapability(bridge, PciX.CAP_ID);
  if (pos === 0) return false;
  return (pciReadConfig(bridge, pos + PciX.STATUS, 4) & (PciX.STATUS_266MHZ | PciX.STATUS_533MHZ)) !== 0;
}

/**
 * `pci_add_new_bus` → `pci_alloc_child_bus`: bus `busnr` behind `bridge`, `busn_res` [busnr–ff], primary = the
 * parent's number, extended config space checked.
 *
 * @see drivers/pci/probe.c pci_add_new_bus, pci_alloc_child_bus
 */
export function pciAddNewBus(sys: PciSubsystem, parent: PciBus, bridge: PciDev, busnr: number): PciBus {
  const child = new PciBus({
    host: parent.host,
    number: busnr,
    primary: parent.number,
    busnEnd: 0xff,
    parent,
    self: bridge,
    bridge: bridge.dev,
    noExtCfg: parent.noExtCfg,
  });
  if (!childExtCfgAccessible(bridge)) {
    child.noExtCfg = true;
    sys.busLog("info", child, PROBE_C, "extended config space not accessible");
  }
  parent.children.push(child);
  bridge.subordinate = child;
  sys.trace.emit({ type: "pci-bus-add", bus: child.name, parent: parent.name, bridge: bridge.name });
  return child;
}

/**
 * `pci_bus_update_busn_res_end`: the bus's range now ends at `busMax` (logged, as the DT boots show:
 * `busn_res: [bus 01-ff] end is updated to 01`).
 *
 * @see drivers/pci/probe.c pci_bus_update_busn_res_end
 */
function updateBusnResEnd(sys: PciSubsystem, bus: PciBus, busMax: number): void {
  if (bus.number > busMax) return;
  const old = formatBusRange(bus.number, bus.busnEnd);
  bus.busnEnd = busMax;
  sys.busLog("info", bus, PROBE_C, `busn_res: ${old} end is updated to ${busMax.toString(16).padStart(2, "0")}`);
}

/** `pci_enable_crs`: Configuration Request Retry visibility on a root port that offers it. */
function enableCrs(pdev: PciDev): void {
  if (!pdev.isPcie || pdev.pcieTypeCode !== PcieType.ROOT_PORT) return;
  if ((pciReadConfig(pdev, pdev.pcieCap + PcieCapReg.RTCAP, 2) & PCI_EXP_RTCAP_CRSVIS) === 0) return;
  const ctl = pciReadConfig(pdev, pdev.pcieCap + PcieCapReg.RTCTL, 2);
  pciWriteConfig(pdev, pdev.pcieCap + PcieCapReg.RTCTL, 2, ctl | PCI_EXP_RTCTL_CRSSVE);
}

/**
 * `pci_scan_bridge_extend(bus, dev, max, available_buses, pass)`: returns the new highest bus number.
 *
 * @see drivers/pci/probe.c pci_scan_bridge_extend
 */
export function pciScanBridgeExtend(sys: PciSubsystem, bus: PciBus, dev: PciDev, maxIn: number, availableIn: number, pass: 0 | 1): number {
  let max = maxIn;
  let available = availableIn;
  if (dev.hdrType === PciHeaderType.CARDBUS) return max; // CardBus bridges are not modelled
  const buses = pciReadConfig(dev, PciReg.PRIMARY_BUS, 4);
  let primary = buses & 0xff;
  const secondary = (buses >>> 8) & 0xff;
  const subordinate = (buses >>> 16) & 0xff;
  if (primary === 0 && primary !== bus.number && secondary !== 0 && subordinate !== 0) {
    sys.warn(dev, PROBE_C, "Primary bus is hard wired to 0");
    primary = bus.number;
  }
  let broken = false;
  if (pass === 0 && (primary !== bus.number || secondary <= bus.number || secondary > subordinate)) {
    sys.log("info", dev, PROBE_C, `bridge configuration invalid ([bus ${hex2(secondary)}-${hex2(subordinate)}]), reconfiguring`);
    broken = true;
  }
  const bctl = pciReadConfig(dev, PciReg.BRIDGE_CONTROL, 2);
  pciWriteConfig(dev, PciReg.BRIDGE_CONTROL, 2, bctl & ~PciBridgeCtl.MASTER_ABORT);
  enableCrs(dev);
  let child: PciBus | null = null;
  const assignAll = sys.flags.reassignAllBus;
  if ((secondary !== 0 || subordinate !== 0) && !assignAll && !broken) {
    if (pass === 0) {
      // Configured by firmware: note the configuration and scan behind it in the first pass.
      child = sys.findBus(bus.domain, secondary);
      if (child === null) {
        child = pciAddNewBus(sys, bus, dev, secondary);
        child.primary = primary;
        child.busnEnd = subordinate;
      }
      const cmax = rescanGuard(child) ? pciScanChildBusExtend(sys, child, subordinate - secondary) : child.busnEnd;
      if (cmax > subordinate) sys.warn(dev, PROBE_C, `bridge has subordinate ${hex2(subordinate)} but max busn ${hex2(cmax)}`);
      if (subordinate > max) max = subordinate;
      emitBusNumbers(sys, dev, "firmware");
    }
  } else if (pass === 0) {
    // Numbered in the second pass; meanwhile stop the bridge forwarding config cycles with a stale range.
    if (assignAll || broken) pciWriteConfig(dev, PciReg.PRIMARY_BUS, 4, (buses & 0xff00_0000) >>> 0);
  } else {
    pciWriteConfig(dev, PciReg.STATUS, 2, 0xffff);
    const next = max + 1;
    // Bus numbers are 8 bits: with none left the bridge stays unnumbered (the stable fix "PCI: Fix pci_scan_bridge_extend
    // next_busnr overflow", Nam Cao 2024, Cc stable all; without it the number wraps to 0 and the scan recurses).
    if (next > 0xff) {
      pciWriteConfig(dev, PciReg.BRIDGE_CONTROL, 2, bctl);
      return max;
    }
    child = sys.findBus(bus.domain, next);
    if (child === null) {
      child = pciAddNewBus(sys, bus, dev, next);
      child.busnEnd = bus.busnEnd;
    }
    max++;
    if (available > 0) available--;
    const cur = pciReadConfig(dev, PciReg.PRIMARY_BUS, 4);
    const value = ((cur & 0xff00_0000) | child.primary | (child.busnStart << 8) | (child.busnEnd << 16)) >>> 0;
    pciWriteConfig(dev, PciReg.PRIMARY_BUS, 4, value);
    max = rescanGuard(child) ? pciScanChildBusExtend(sys, child, available) : Math.max(max, child.busnEnd);
    updateBusnResEnd(sys, child, max);
    pciWriteConfig(dev, PciReg.SUBORDINATE_BUS, 1, max);
    emitBusNumbers(sys, dev, "kernel");
  }
  if (child !== null) {
    for (let b: PciBus | null = bus; b !== null && b.parent !== null; b = b.parent) {
      if (child.busnEnd > b.busnEnd || child.number > b.busnEnd || child.number < b.number || child.busnEnd < b.number) {
        sys.log("info", dev, PROBE_C, `devices behind bridge are unusable because ${formatBusRange(child.number, child.busnEnd)} cannot be assigned for them`);
        break;
      }
    }
  }
  pciWriteConfig(dev, PciReg.BRIDGE_CONTROL, 2, bctl);
  return max;
}

/**
 * Whether to walk `child`: Linux re-walks a bus it reaches again (a bus behind two bridges, or a number firmware
 * reused), which on real topologies only re-finds known functions. The model walks each bus once per enumeration so
 * that adversarial config spaces (every devfn a bridge to the same bus) cannot make the scan exponential.
 */
function rescanGuard(child: PciBus): boolean {
  return !child.isAdded;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

function emitBusNumbers(sys: PciSubsystem, dev: PciDev, by: "kernel" | "firmware"): void {
  const buses = pciReadConfig(dev, PciReg.PRIMARY_BUS, 4);
  sys.trace.emit({ type: "pci-bus-number", bridge: dev.name, primary: buses & 0xff, secondary: (buses >>> 8) & 0xff, subordinate: (buses >>> 16) & 0xff, by });
}

/**
 * `pci_scan_child_bus_extend(bus, available_buses)`: all slots, then bridges already configured (pass 0), then
 * bridges to number (pass 1), sharing spare bus numbers between hot-plug bridges; returns the highest bus number
 * below `bus`.
 *
 * @see drivers/pci/probe.c pci_scan_child_bus_extend
 */
export function pciScanChildBusExtend(sys: PciSubsystem, bus: PciBus, availableBuses: number): number {
  const start = bus.busnStart;
  let max = start;
  for (let devfn = 0; devfn < 256; devfn += 8) pciScanSlot(sys, bus, devfn);
  let usedBuses = 0; // SR-IOV bus reservations are not modelled
  bus.isAdded = true;
  const bridges = bus.devices.filter((d) => d.isBridge);
  const hotplugBridges = bridges.filter((d) => d.isHotplugBridge).length;
  const normalBridges = bridges.length - hotplugBridges;
  for (const dev of bridges) {
    const cmax = max;
    max = pciScanBridgeExtend(sys, bus, dev, max, 0, 0);
    usedBuses++;
    if (max - cmax > 1) usedBuses += max - cmax - 1;
  }
  for (const dev of bridges) {
    let buses = 0;
    if (hotplugBridges === 0 && normalBridges === 1) buses = availableBuses;
    else if (dev.isHotplugBridge) {
      buses = Math.floor(availableBuses / hotplugBridges);
      buses = Math.min(buses, (availableBuses - usedBuses + 1) >>> 0); // unsigned arithmetic, as in C
    }
    const cmax = max;
    max = pciScanBridgeExtend(sys, bus, dev, cmax, buses, 1);
    if (max - cmax > 1) usedBuses += max - cmax - 1;
  }
  if (bus.self !== null && bus.self.isHotplugBridge) {
    const used = Math.max(availableBuses, sys.hotplugBusSize - 1);
    if (max - start < used) max = Math.min(start + used, bus.busnEnd);
  }
  return max;
}

/** `pci_scan_child_bus(bus)`. @see drivers/pci/probe.c pci_scan_child_bus */
export function pciScanChildBus(sys: PciSubsystem, bus: PciBus): number {
  return pciScanChildBusExtend(sys, bus, 0);
}
