/**
 * Finding one function and adding it: `pci_scan_device` (vendor ID read), `pci_setup_device` (header, class,
 * PCIe port type, config-space size — all read through config cycles), and `pci_device_add` (header fixups,
 * `pci_init_capabilities` → `pci_acs_init`, the era's creation-time DMA configuration, `device_add` with
 * `match_driver = false`).
 *
 * @see drivers/pci/probe.c pci_scan_single_device, pci_scan_device, pci_setup_device, pci_device_add
 */
import { PciCapId, PciReg, PcieCapReg, PcieType } from "@dmasim/machine";
import { pciBusFindCapability, pciBusReadConfig, pciFindCapability, pciReadConfig } from "./config";
import { PCI_CFG_SPACE_EXP_SIZE, PCI_CFG_SPACE_SIZE, PciClass, PciHeaderType, PcieSlot, PciX } from "./constants";
import { pciAcsInit } from "./acs";
import { PCI_DEV, PciDev, hex, pciFormatName, pciUpstreamBridge, pcieDownstreamPort, type PciBus } from "./pci-dev";
import type { PciSubsystem } from "./subsystem";

const PROBE_C = "drivers/pci/probe.c";

/**
 * `pci_bus_generic_read_dev_vendor_id`: the vendor/device dword, or `null` when the slot is empty (all ones, zero,
 * or half-ones as broken boards return) or answers Configuration Request Retry (not modelled as ever becoming ready).
 *
 * @see drivers/pci/probe.c pci_bus_generic_read_dev_vendor_id
 */
export function pciBusReadDevVendorId(bus: PciBus, devfn: number): number | null {
  const l = pciBusReadConfig(bus, devfn, PciReg.VENDOR_ID, 4);
  if (l === 0xffff_ffff || l === 0 || l === 0x0000_ffff || l === 0xffff_0000) return null;
  if ((l & 0xffff) === 0x0001) return null; // CRS completion
  return l;
}

/**
 * `pci_cfg_space_size`: 4 KiB for host bridges, PCIe functions and PCI-X mode 2 functions whose dword at 0x100
 * reads as something other than all ones and does not alias the header; 256 bytes otherwise and always below a
 * bus without extended config space.
 *
 * @see drivers/pci/probe.c pci_cfg_space_size, pci_cfg_space_size_ext, pci_ext_cfg_is_aliased
 */
export function pciCfgSpaceSize(pdev: PciDev): number {
  if (pdev.bus.noExtCfg) return PCI_CFG_SPACE_SIZE;
  const ext = (): number => {
    const status = pciReadConfig(pdev, PCI_CFG_SPACE_SIZE, 4);
    if (status === 0xffff_ffff) return PCI_CFG_SPACE_SIZE;
    const header = pciReadConfig(pdev, PciReg.VENDOR_ID, 4);
    let aliased = true;
    for (let pos = PCI_CFG_SPACE_SIZE; pos < PCI_CFG_SPACE_EXP_SIZE && aliased; pos += PCI_CFG_SPACE_SIZE) {
      aliased = pciReadConfig(pdev, pos, 4) === header;
    }
    return aliased ? PCI_CFG_SPACE_SIZE : PCI_CFG_SPACE_EXP_SIZE;
  };
  if (pdev.class >>> 8 === PciClass.BRIDGE_HOST || pdev.isPcie) return ext();
  const pcix = pciFindCapability(pdev, PciX.CAP_ID);
  if (pcix === 0) return PCI_CFG_SPACE_SIZE;
  const status = pciReadConfig(pdev, pcix + PciX.STATUS, 4);
  return (status & (PciX.STATUS_266MHZ | PciX.STATUS_533MHZ)) !== 0 ? ext() : PCI_CFG_SPACE_SIZE;
}

/**
 * The port-type corrections of `set_pcie_port_type`: a "downstream port" below a downstream port is really an
 * upstream port, an "upstream port" below an upstream port really a downstream port.
 *
 * @see drivers/pci/probe.c set_pcie_port_type
 */
function correctPcieType(sys: PciSubsystem, pdev: PciDev): void {
  const parent = pciUpstreamBridge(pdev);
  if (!pdev.isPcie || parent === null) return;
  const type = pdev.pcieTypeCode;
  if (type === PcieType.DOWNSTREAM && parent.isPcie && pcieDownstreamPort(parent)) {
    sys.log("info", pdev, PROBE_C, "claims to be downstream port but is acting as upstream port, correcting type");
    pdev.pcieFlagsReg = (pdev.pcieFlagsReg & ~0xf0) | (PcieType.UPSTREAM << 4);
  } else if (type === PcieType.UPSTREAM && parent.isPcie && parent.pcieTypeCode === PcieType.UPSTREAM) {
    sys.log("info", pdev, PROBE_C, "claims to be upstream port but is acting as downstream port, correcting type");
    pdev.pcieFlagsReg = (pdev.pcieFlagsReg & ~0xf0) | (PcieType.DOWNSTREAM << 4);
  }
}

/**
 * `set_pcie_hotplug_bridge`: a root or downstream port whose slot is implemented and hot-plug capable.
 *
 * @see drivers/pci/probe.c set_pcie_hotplug_bridge
 * @see drivers/pci/access.c pcie_capability_reg_implemented
 */
function setPcieHotplugBridge(pdev: PciDev): void {
  const t = pdev.pcieTypeCode;
  const slotRegs = pdev.isPcie && (t === PcieType.ROOT_PORT || t === PcieType.DOWNSTREAM) && (pdev.pcieFlagsReg & PcieSlot.FLAGS_SLOT) !== 0;
  if (slotRegs && (pciReadConfig(pdev, pdev.pcieCap + PcieCapReg.SLTCAP, 4) & PcieSlot.SLTCAP_HPC) !== 0) pdev.isHotplugBridge = true;
}

/**
 * `pci_scan_device` + `pci_setup_device`: reads the function's header through config cycles, names it
 * `DDDD:BB:DD.F`, prints `[vvvv:dddd] type NN class 0x...`, and returns it (not yet added); `null` for an empty
 * slot or a header Linux ignores.
 *
 * @see drivers/pci/probe.c pci_scan_device, pci_setup_device
 */
export function pciScanDevice(sys: PciSubsystem, bus: PciBus, devfn: number): PciDev | null {
  const l = pciBusReadDevVendorId(bus, devfn);
  if (l === null) return null;
  const hdr = pciBusReadConfig(bus, devfn, PciReg.HEADER_TYPE, 1);
  const hdrType = hdr & 0x7f;
  const pcieCap = pciBusFindCapability(bus, devfn, hdrType, PciCapId.EXP);
  const pcieFlagsReg = pcieCap === 0 ? 0 : pciBusReadConfig(bus, devfn, pcieCap + PcieCapReg.FLAGS, 2);
  const classRev = pciBusReadConfig(bus, devfn, PciReg.REVISION_ID, 4);
  const dev = sys.core.deviceInitialize({ name: pciFormatName(bus.domain, bus.number, devfn), bus: sys.bus, parent: bus.bridge });
  const pdev = new PciDev({
    dev,
    bus,
    devfn,
    vendor: l & 0xffff,
    device: l >>> 16,
    class: classRev >>> 8,
    revision: classRev & 0xff,
    hdrType,
    multifunction: (hdr & PciHeaderType.MULTI_FUNCTION) !== 0,
    pcieCap,
    pcieFlagsReg,
  });
  dev.setData(PCI_DEV, pdev);
  correctPcieType(sys, pdev);
  pdev.cfgSize = pciCfgSpaceSize(pdev);
  const up = pciUpstreamBridge(pdev);
  if (up !== null && (up.untrusted || up.externalFacing)) pdev.untrusted = true;
  sys.log("info", pdev, PROBE_C, `[${hex(pdev.vendor, 4)}:${hex(pdev.device, 4)}] type ${hex(hdrType, 2)} class 0x${hex(pdev.class, 6)}`);
  sys.trace.emit({
    type: "pci-scan-device",
    device: pdev.name,
    vendor: pdev.vendor,
    deviceId: pdev.device,
    hdrType,
    class: pdev.class,
    multifunction: pdev.multifunction,
    pcieType: pdev.pcieType,
  });
  const cls = pdev.class >>> 8;
  switch (hdrType) {
    case PciHeaderType.NORMAL:
      if (cls === PciClass.BRIDGE_PCI) return badClass(sys, pdev);
      pdev.subsystemVendor = pciReadConfig(pdev, PciReg.SUBSYSTEM_VENDOR_ID, 2);
      pdev.subsystemDevice = pciReadConfig(pdev, PciReg.SUBSYSTEM_ID, 2);
      break;
    case PciHeaderType.BRIDGE: {
      pdev.transparent = (pdev.class & 0xff) === 1;
      setPcieHotplugBridge(pdev);
      const ssvid = pciFindCapability(pdev, PciCapId.SSVID);
      if (ssvid !== 0) {
        pdev.subsystemVendor = pciReadConfig(pdev, ssvid + 4, 2);
        pdev.subsystemDevice = pciReadConfig(pdev, ssvid + 6, 2);
      }
      break;
    }
    case PciHeaderType.CARDBUS:
      if (cls !== PciClass.BRIDGE_CARDBUS) return badClass(sys, pdev);
      pdev.subsystemVendor = pciReadConfig(pdev, 0x40, 2);
      pdev.subsystemDevice = pciReadConfig(pdev, 0x42, 2);
      break;
    default:
      sys.log("err", pdev, PROBE_C, `unknown header type ${hex(hdrType, 2)}, ignoring device`);
      return null;
  }
  return pdev;
}

/** The `bad:` label of `pci_setup_device`: the class does not fit the header; the class is cleared. */
function badClass(sys: PciSubsystem, pdev: PciDev): PciDev {
  sys.log("err", pdev, PROBE_C, `ignoring class 0x${hex(pdev.class, 6)} (doesn't match header type ${hex(pdev.hdrType, 2)})`);
  pdev.class = PciClass.NOT_DEFINED << 8;
  return pdev;
}

/**
 * `pci_device_add`: header fixups, (v4.7–v4.11) `pci_dma_configure`, `pci_init_capabilities` (ACS), onto the
 * bus's device list, `pci_set_msi_domain`, then `device_add` with `match_driver = false` — so BUS_NOTIFY_ADD_DEVICE
 * fires and the driver core tries the drivers, but `pci_bus_match` refuses them all until `pci_bus_add_device`.
 *
 * @see drivers/pci/probe.c pci_device_add, pci_init_capabilities
 */
export function pciDeviceAdd(sys: PciSubsystem, pdev: PciDev, bus: PciBus): void {
  if (sys.era.dmaConfigureAt === "device-add") sys.dmaConfigureAtDeviceAdd(pdev);
  sys.hooks.fixupHeader?.(pdev);
  pciAcsInit(sys, pdev);
  bus.devices.push(pdev);
  sys.hooks.setMsiDomain?.(pdev);
  pdev.matchDriver = false;
  sys.trace.emit({ type: "pci-device-add", device: pdev.name });
  sys.core.deviceAdd(pdev.dev); // WARN_ON(ret < 0) in the kernel; a duplicate name is a model bug upstream of here
}

/**
 * `pci_scan_single_device`: the function already known at `devfn`, or a newly found and added one.
 *
 * @see drivers/pci/probe.c pci_scan_single_device
 */
export function pciScanSingleDevice(sys: PciSubsystem, bus: PciBus, devfn: number): { pdev: PciDev; isNew: boolean } | null {
  const known = bus.devices.find((d) => d.devfn === devfn);
  if (known !== undefined) return { pdev: known, isNew: false };
  const pdev = pciScanDevice(sys, bus, devfn);
  if (pdev === null) return null;
  pciDeviceAdd(sys, pdev, bus);
  return { pdev, isNew: true };
}
