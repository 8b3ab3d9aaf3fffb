/**
 * Configuration access as PCI code does it: `pci_bus_read_config_*` through the host bridge's `pci_ops`, the
 * per-device wrappers, and the capability-list walks (bounded, so a looping list in a bad config space never hangs).
 *
 * @see drivers/pci/access.c pci_bus_read_config_byte
 * @see drivers/pci/pci.c __pci_find_next_cap_ttl, pci_find_capability, pci_find_next_ext_capability
 */
import { PciReg, type PciConfigAccess, type PciConfigWidth } from "@dmasim/machine";
import { PCI_CFG_SPACE_EXP_SIZE, PCI_CFG_SPACE_SIZE, PCI_FIND_CAP_TTL, PCI_STATUS_CAP_LIST, PciHeaderType } from "./constants";
import type { PciBus, PciDev, PciOps } from "./pci-dev";

/**
 * `pci_bus_read_config_{byte,word,dword}`: all ones when nothing answers.
 *
 * @see drivers/pci/access.c pci_bus_read_config_dword
 */
export function pciBusReadConfig(bus: PciBus, devfn: number, where: number, size: PciConfigWidth): number {
  return bus.host.ops.read(bus.number, devfn, where, size);
}

/**
 * `pci_bus_write_config_{byte,word,dword}`.
 *
 * @see drivers/pci/access.c pci_bus_write_config_dword
 */
export function pciBusWriteConfig(bus: PciBus, devfn: number, where: number, size: PciConfigWidth, value: number): boolean {
  return bus.host.ops.write(bus.number, devfn, where, size, value);
}

/**
 * `pci_read_config_{byte,word,dword}(dev, ...)`.
 *
 * @see drivers/pci/access.c pci_read_config_dword
 */
export function pciReadConfig(pdev: PciDev, where: number, size: PciConfigWidth): number {
  return pciBusReadConfig(pdev.bus, pdev.devfn, where, size);
}

/**
 * `pci_write_config_{byte,word,dword}(dev, ...)`.
 *
 * @see drivers/pci/access.c pci_write_config_dword
 */
export function pciWriteConfig(pdev: PciDev, where: number, size: PciConfigWidth, value: number): boolean {
  return pciBusWriteConfig(pdev.bus, pdev.devfn, where, size, value);
}

/**
 * Where the capability list of a function with header type `hdrType` starts (0x34, 0x14 for CardBus), or 0 when
 * the status register says there is none.
 *
 * @see drivers/pci/pci.c __pci_bus_find_cap_start
 */
function findCapStart(bus: PciBus, devfn: number, hdrType: number): number {
  const status = pciBusReadConfig(bus, devfn, PciReg.STATUS, 2);
  if ((status & PCI_STATUS_CAP_LIST) === 0) return 0;
  if (hdrType === PciHeaderType.NORMAL || hdrType === PciHeaderType.BRIDGE) return PciReg.CAPABILITY_LIST;
  return hdrType === PciHeaderType.CARDBUS ? 0x14 : 0;
}

/**
 * `pci_bus_find_capability(bus, devfn, cap)`: the offset of the first standard capability `cap`, or 0. At most
 * `PCI_FIND_CAP_TTL` entries are followed.
 *
 * @see drivers/pci/pci.c pci_bus_find_capability, __pci_find_next_cap_ttl
 */
export function pciBusFindCapability(bus: PciBus, devfn: number, hdrType: number, cap: number): number {
  const start = findCapStart(bus, devfn, hdrType);
  if (start === 0) return 0;
  let pos = pciBusReadConfig(bus, devfn, start, 1);
  for (let ttl = PCI_FIND_CAP_TTL; ttl > 0; ttl--) {
    if (pos < 0x40) break;
    pos &= ~3;
    const ent = pciBusReadConfig(bus, devfn, pos, 2);
    const id = ent & 0xff;
    if (id === 0xff) break;
    if (id === cap) return pos;
    pos = ent >>> 8;
  }
  return 0;
}

/** `pci_find_capability(dev, cap)`. @see drivers/pci/pci.c pci_find_capability */
export function pciFindCapability(pdev: PciDev, cap: number): number {
  return pciBusFindCapability(pdev.bus, pdev.devfn, pdev.hdrType, cap);
}

/**
 * `pci_find_next_ext_capability(dev, start, cap)`: walks the extended list from 0x100 (nothing when the function's
 * config space is 256 bytes), at most 480 entries.
 *
 * @see drivers/pci/pci.c pci_find_next_ext_capability
 */
export function pciFindNextExtCapability(pdev: PciDev, start: number, cap: number): number {
  if (pdev.cfgSize <= PCI_CFG_SPACE_SIZE) return 0;
  let pos = start !== 0 ? start : PCI_CFG_SPACE_SIZE;
  let header = pciReadConfig(pdev, pos, 4);
  if (header === 0 || header === 0xffff_ffff) return 0;
  for (let ttl = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8; ttl > 0; ttl--) {
    if ((header & 0xffff) === cap && pos !== start) return pos;
    pos = (header >>> 20) & 0xffc;
    if (pos < PCI_CFG_SPACE_SIZE) break;
    header = pciReadConfig(pdev, pos, 4);
    if (header === 0xffff_ffff) break;
  }
  return 0;
}

/**
 * `pci_find_ext_capability(dev, cap)`.
 *
 * @see drivers/pci/pci.c pci_find_ext_capability
 */
export function pciFindExtCapability(pdev: PciDev, cap: number): number {
  return pciFindNextExtCapability(pdev, 0, cap);
}

/**
 * ECAM `pci_ops` over the machine's configuration access for one segment (what `pci_generic_config_read/write` do
 * through the ECAM window of `pci-host-generic` or an ACPI MCFG region: native-width accesses).
 *
 * @see drivers/pci/ecam.c pci_ecam_map_bus
 * @see drivers/pci/access.c pci_generic_config_read
 */
export function ecamPciOps(access: PciConfigAccess, segment: number): PciOps {
  return {
    read: (bus, devfn, where, size) => access.read(segment, bus, devfn, where, size),
    write: (bus, devfn, where, size, value) => access.write(segment, bus, devfn, where, size, value),
  };
}
