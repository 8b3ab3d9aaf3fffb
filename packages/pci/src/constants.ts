/**
 * The PCI constants the kernel side needs beyond the register offsets `@dmasim/machine` exports: header types,
 * class codes, `PCI_ANY_ID`, bridge-control and PCI-X bits, and the `dev_flags` the DMA-alias walk reads.
 *
 * @see include/uapi/linux/pci_regs.h
 * @see include/linux/pci_ids.h
 * @see include/linux/pci.h
 */

/** `PCI_ANY_ID`: an id-table field that matches anything. @see include/linux/mod_devicetable.h */
export const PCI_ANY_ID = 0xffff_ffff;

/** Header types (`PCI_HEADER_TYPE_*`, low 7 bits) and the multifunction bit: the hardware's own definition. */
export { PciHeaderType } from "@dmasim/machine";

/**
 * 24-bit class codes (`dev->class`: base class, subclass, programming interface) and 16-bit ones (`class >> 8`).
 *
 * @see include/linux/pci_ids.h
 */
export const PciClass = {
  /** `PCI_CLASS_BRIDGE_HOST` (16-bit). */
  BRIDGE_HOST: 0x0600,
  /** `PCI_CLASS_BRIDGE_PCI` (16-bit). */
  BRIDGE_PCI: 0x0604,
  /** `PCI_CLASS_BRIDGE_CARDBUS` (16-bit). */
  BRIDGE_CARDBUS: 0x0607,
  /** `PCI_CLASS_BRIDGE_PCI_NORMAL` (24-bit, 060400h). */
  BRIDGE_PCI_NORMAL: 0x060400,
  /** `PCI_CLASS_BRIDGE_PCI_SUBTRACTIVE` (24-bit, 060401h). */
  BRIDGE_PCI_SUBTRACTIVE: 0x060401,
  /** `PCI_CLASS_SYSTEM_RCEC` (16-bit, Root Complex Event Collector). */
  SYSTEM_RCEC: 0x0807,
  /** `PCI_CLASS_NOT_DEFINED` (16-bit). */
  NOT_DEFINED: 0x0000,
} as const;

/** `PCI_BRIDGE_CTL_*` bits of the bridge control register. */
export const PciBridgeCtl = { MASTER_ABORT: 0x20, BUS_RESET: 0x40 } as const;

/** PCI-X capability (`PCI_CAP_ID_PCIX`) and the status bits that make extended config space reachable behind it. */
export const PciX = { CAP_ID: 0x07, STATUS: 0x04, STATUS_266MHZ: 0x4000_0000, STATUS_533MHZ: 0x8000_0000 } as const;

/** Slot Capabilities bit Hot-Plug Capable (`PCI_EXP_SLTCAP_HPC`) and the PCIe Flags "slot implemented" bit. */
export const PcieSlot = { FLAGS_SLOT: 0x0100, SLTCAP_HPC: 0x0040 } as const;

/** Standard and PCIe configuration space sizes (`PCI_CFG_SPACE_SIZE`, `PCI_CFG_SPACE_EXP_SIZE`). */
export const PCI_CFG_SPACE_SIZE = 0x100;
/**
 * `PCI_CFG_SPACE_EXP_SIZE`: the 4 KiB configuration space of a PCIe function (extended capabilities from 0x100).
 *
 * @see include/uapi/linux/pci_regs.h PCI_CFG_SPACE_EXP_SIZE
 */
export const PCI_CFG_SPACE_EXP_SIZE = 0x1000;

/** `PCI_STATUS_CAP_LIST`: the capability list pointer at 0x34 is valid. */
export const PCI_STATUS_CAP_LIST = 0x10;

/** `PCI_FIND_CAP_TTL`: the kernel's bound on capability-list walks (a looping list cannot hang it). */
export const PCI_FIND_CAP_TTL = 48;

/** `PCI_DEVFN(0, 0)` etc. are plain numbers; `MAX_NR_DEVFNS` bounds the alias mask. */
export const MAX_NR_DEVFNS = 256;
