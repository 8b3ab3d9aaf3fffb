/**
 * PCI / PCIe configuration-space register offsets and bits used by the config-space model, named as in Linux's
 * `include/uapi/linux/pci_regs.h` (which QEMU imports as `standard-headers/linux/pci_regs.h`).
 */

/**
 * Type 0/1 header registers.
 *
 * @see include/uapi/linux/pci_regs.h
 */
export const PciReg = {
  VENDOR_ID: 0x00,
  DEVICE_ID: 0x02,
  COMMAND: 0x04,
  STATUS: 0x06,
  REVISION_ID: 0x08,
  CLASS_PROG: 0x09,
  CLASS_DEVICE: 0x0a,
  CACHE_LINE_SIZE: 0x0c,
  LATENCY_TIMER: 0x0d,
  HEADER_TYPE: 0x0e,
  BASE_ADDRESS_0: 0x10,
  SUBSYSTEM_VENDOR_ID: 0x2c,
  SUBSYSTEM_ID: 0x2e,
  ROM_ADDRESS: 0x30,
  CAPABILITY_LIST: 0x34,
  INTERRUPT_LINE: 0x3c,
  INTERRUPT_PIN: 0x3d,
  /* Type 1 (bridge) header */
  PRIMARY_BUS: 0x18,
  SECONDARY_BUS: 0x19,
  SUBORDINATE_BUS: 0x1a,
  SEC_LATENCY_TIMER: 0x1b,
  IO_BASE: 0x1c,
  IO_LIMIT: 0x1d,
  SEC_STATUS: 0x1e,
  MEMORY_BASE: 0x20,
  MEMORY_LIMIT: 0x22,
  PREF_MEMORY_BASE: 0x24,
  PREF_MEMORY_LIMIT: 0x26,
  PREF_BASE_UPPER32: 0x28,
  PREF_LIMIT_UPPER32: 0x2c,
  ROM_ADDRESS1: 0x38,
  BRIDGE_CONTROL: 0x3e,
} as const;

/**
 * PCI_COMMAND bits.
 *
 * @see include/uapi/linux/pci_regs.h PCI_COMMAND
 */
export const PciCommand = {
  IO: 0x1,
  MEMORY: 0x2,
  MASTER: 0x4,
  SERR: 0x100,
  INTX_DISABLE: 0x400,
} as const;

/**
 * PCI_STATUS bits.
 *
 * @see include/uapi/linux/pci_regs.h PCI_STATUS
 */
export const PciStatus = {
  CAP_LIST: 0x10,
  MHZ66: 0x20,
  FAST_BACK: 0x80,
  PARITY: 0x100,
  SIG_TARGET_ABORT: 0x800,
  REC_TARGET_ABORT: 0x1000,
  REC_MASTER_ABORT: 0x2000,
  SIG_SYSTEM_ERROR: 0x4000,
  DETECTED_PARITY: 0x8000,
} as const;

/**
 * Header type values (low 7 bits) and the multifunction bit.
 *
 * @see include/uapi/linux/pci_regs.h PCI_HEADER_TYPE
 */
export const PciHeaderType = { NORMAL: 0, BRIDGE: 1, CARDBUS: 2, MULTI_FUNCTION: 0x80 } as const;

/** BAR type bits (`PCI_BASE_ADDRESS_*`). */
export const PciBarType = {
  MEM: 0x0,
  IO: 0x1,
  MEM_TYPE_64: 0x4,
  MEM_PREFETCH: 0x8,
} as const;

/**
 * Capability IDs (`PCI_CAP_ID_*`).
 *
 * @see include/uapi/linux/pci_regs.h PCI_CAP_ID_EXP
 */
export const PciCapId = {
  PM: 0x01,
  MSI: 0x05,
  VNDR: 0x09,
  SHPC: 0x0c,
  SSVID: 0x0d,
  EXP: 0x10,
  MSIX: 0x11,
} as const;

/**
 * Extended capability IDs (`PCI_EXT_CAP_ID_*`).
 *
 * @see include/uapi/linux/pci_regs.h PCI_EXT_CAP_ID_ACS
 */
export const PciExtCapId = { ERR: 0x0001, DSN: 0x0003, ACS: 0x000d } as const;

/**
 * PCI Express device/port type (`PCI_EXP_TYPE_*`), the Device/Port Type field of the PCIe capability.
 *
 * @see include/uapi/linux/pci_regs.h PCI_EXP_TYPE_ROOT_PORT
 */
export const PcieType = {
  ENDPOINT: 0x0,
  LEG_END: 0x1,
  ROOT_PORT: 0x4,
  UPSTREAM: 0x5,
  DOWNSTREAM: 0x6,
  PCI_BRIDGE: 0x7,
  PCIE_BRIDGE: 0x8,
  RC_END: 0x9,
  RC_EC: 0xa,
} as const;

/**
 * Offsets inside the PCI Express capability (`PCI_EXP_*`).
 *
 * @see include/uapi/linux/pci_regs.h PCI_EXP_FLAGS
 */
export const PcieCapReg = {
  FLAGS: 0x02,
  DEVCAP: 0x04,
  DEVCTL: 0x08,
  DEVSTA: 0x0a,
  LNKCAP: 0x0c,
  LNKCTL: 0x10,
  LNKSTA: 0x12,
  SLTCAP: 0x14,
  SLTCTL: 0x18,
  SLTSTA: 0x1a,
  RTCTL: 0x1c,
  RTCAP: 0x1e,
  RTSTA: 0x20,
  DEVCAP2: 0x24,
  DEVCTL2: 0x28,
  LNKCAP2: 0x2c,
  LNKCTL2: 0x30,
} as const;

/** Size of a version-1 PCIe capability (`PCI_EXP_VER1_SIZEOF`). */
export const PCI_EXP_VER1_SIZEOF = 0x14;
/** Size of a version-2 PCIe capability (`PCI_EXP_VER2_SIZEOF`). */
export const PCI_EXP_VER2_SIZEOF = 0x3c;
/** Size of the AER extended capability (`PCI_ERR_SIZEOF`). */
export const PCI_ERR_SIZEOF = 0x48;
/** Size of the ACS extended capability as QEMU adds it (`PCI_ACS_SIZEOF`). */
export const PCI_ACS_SIZEOF = 8;
/** Size of the device serial number extended capability (`PCI_EXT_CAP_DSN_SIZEOF`). */
export const PCI_EXT_CAP_DSN_SIZEOF = 12;
/** Size of the power-management capability (`PCI_PM_SIZEOF`). */
export const PCI_PM_SIZEOF = 8;
/** Size of the MSI-X capability (`MSIX_CAP_LENGTH`). */
export const MSIX_CAP_LENGTH = 12;

/**
 * ACS capability/control bits (`PCI_ACS_*`), and the offsets inside the capability.
 *
 * @see include/uapi/linux/pci_regs.h PCI_ACS_SV
 */
export const PciAcs = {
  CAP: 0x04,
  CTRL: 0x06,
  SV: 0x01,
  TB: 0x02,
  RR: 0x04,
  CR: 0x08,
  UF: 0x10,
  EC: 0x20,
  DT: 0x40,
} as const;

/** AER register offsets (`PCI_ERR_*`). */
export const PciErr = {
  UNCOR_STATUS: 0x04,
  UNCOR_MASK: 0x08,
  UNCOR_SEVER: 0x0c,
  COR_STATUS: 0x10,
  COR_MASK: 0x14,
  CAP: 0x18,
  ROOT_COMMAND: 0x2c,
  ROOT_STATUS: 0x30,
} as const;

/** Standard (non-extended) configuration space size. */
export const PCI_CONFIG_SPACE_SIZE = 0x100;
/** PCI Express extended configuration space size. */
export const PCIE_CONFIG_SPACE_SIZE = 0x1000;
/** End of the type 0/1 header (`PCI_CONFIG_HEADER_SIZE`). */
export const PCI_CONFIG_HEADER_SIZE = 0x40;

/**
 * `PCI_DEVFN(slot, fn)`.
 *
 * @see include/uapi/linux/pci.h PCI_DEVFN
 */
export function pciDevfn(slot: number, fn: number): number {
  return ((slot & 0x1f) << 3) | (fn & 0x7);
}

/**
 * `PCI_SLOT(devfn)`.
 *
 * @see include/uapi/linux/pci.h PCI_SLOT
 */
export function pciSlot(devfn: number): number {
  return (devfn >> 3) & 0x1f;
}

/**
 * `PCI_FUNC(devfn)`.
 *
 * @see include/uapi/linux/pci.h PCI_FUNC
 */
export function pciFunc(devfn: number): number {
  return devfn & 0x7;
}

/** A requester ID / BDF as `bus << 8 | devfn` (`PCI_BUILD_BDF`). */
export function pciBuildBdf(bus: number, devfn: number): number {
  return ((bus & 0xff) << 8) | (devfn & 0xff);
}

/**
 * Formats `SSSS:BB:DD.F`, the kernel's name for a PCI function.
 *
 * @see drivers/pci/probe.c pci_setup_device
 */
export function formatPciName(segment: number, bus: number, devfn: number): string {
  const h = (n: number, w: number): string => n.toString(16).padStart(w, "0");
  return `${h(segment, 4)}:${h(bus, 2)}:${h(pciSlot(devfn), 2)}.${pciFunc(devfn)}`;
}
