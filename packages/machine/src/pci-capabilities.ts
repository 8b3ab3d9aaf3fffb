/**
 * Header masks and the conventional capabilities (PM, MSI, MSI-X, bridge subsystem ID, vendor-specific) as QEMU's
 * device models create them. Each function mirrors one QEMU helper; the device recipes in `qemu-pci-devices.ts`
 * call them in the order the QEMU device's realize does, so offsets and list order come out as QEMU lays them out.
 */
import {
  MSIX_CAP_LENGTH,
  PCI_CONFIG_HEADER_SIZE,
  PCI_PM_SIZEOF,
  PciBarType,
  PciCapId,
  PciCommand,
  PciHeaderType,
  PciReg,
  PciStatus,
} from "./pci-regs";
import { PciConfigSpace, pow2ceil } from "./pci-config";

/** Identity registers every function starts with (`do_pci_register_device`). */
export interface PciIdentity {
  readonly vendorId: number;
  readonly deviceId: number;
  readonly revision: number;
  /** 24-bit class code: base class, subclass, programming interface (`0x060400`). */
  readonly classCode: number;
  /** Subsystem vendor/device; `null` leaves QEMU's default (1af4:1100) on type 0 headers. */
  readonly subsystem?: { readonly vendorId: number; readonly id: number } | null;
}

/**
 * A fresh config space with the identity registers, QEMU's default masks and, for bridges, the type 1 header masks.
 * @see hw/pci/pci.c do_pci_register_device, pci_init_wmask, pci_init_w1cmask, pci_init_mask_bridge,
 *      pci_init_multifunction, pci_set_default_subsystem_id
 */
export function createPciConfig(
  id: PciIdentity,
  opts: { readonly express: boolean; readonly bridge: boolean; readonly multifunction: boolean },
): PciConfigSpace {
  const cfg = new PciConfigSpace(opts.express ? 0x1000 : 0x100);
  cfg.set16(PciReg.VENDOR_ID, id.vendorId);
  cfg.set16(PciReg.DEVICE_ID, id.deviceId);
  cfg.set8(PciReg.REVISION_ID, id.revision);
  cfg.set8(PciReg.CLASS_PROG, id.classCode & 0xff);
  cfg.set16(PciReg.CLASS_DEVICE, (id.classCode >>> 8) & 0xffff);
  if (!opts.bridge) {
    const sub = id.subsystem ?? { vendorId: 0x1af4, id: 0x1100 };
    cfg.set16(PciReg.SUBSYSTEM_VENDOR_ID, sub.vendorId);
    cfg.set16(PciReg.SUBSYSTEM_ID, sub.id);
  }
  // pci_init_wmask
  cfg.set8(PciReg.CACHE_LINE_SIZE, 0xff, cfg.wmask);
  cfg.set8(PciReg.INTERRUPT_LINE, 0xff, cfg.wmask);
  cfg.set16(
    PciReg.COMMAND,
    PciCommand.IO | PciCommand.MEMORY | PciCommand.MASTER | PciCommand.INTX_DISABLE | PciCommand.SERR,
    cfg.wmask,
  );
  cfg.wmask.fill(0xff, PCI_CONFIG_HEADER_SIZE, cfg.size);
  // pci_init_w1cmask
  cfg.set16(
    PciReg.STATUS,
    PciStatus.PARITY |
      PciStatus.SIG_TARGET_ABORT |
      PciStatus.REC_TARGET_ABORT |
      PciStatus.REC_MASTER_ABORT |
      PciStatus.SIG_SYSTEM_ERROR |
      PciStatus.DETECTED_PARITY,
    cfg.w1cmask,
  );
  if (opts.bridge) initBridgeMasks(cfg);
  if (opts.multifunction) cfg.orMask(PciReg.HEADER_TYPE, 1, PciHeaderType.MULTI_FUNCTION);
  return cfg;
}

/** @see hw/pci/pci.c pci_init_mask_bridge (QEMU 7.2: the secondary latency timer is still writable) */
function initBridgeMasks(cfg: PciConfigSpace): void {
  cfg.wmask.fill(0xff, PciReg.PRIMARY_BUS, PciReg.PRIMARY_BUS + 4);
  cfg.set8(PciReg.IO_BASE, 0xf0, cfg.wmask);
  cfg.set8(PciReg.IO_LIMIT, 0xf0, cfg.wmask);
  cfg.set16(PciReg.MEMORY_BASE, 0xfff0, cfg.wmask);
  cfg.set16(PciReg.MEMORY_LIMIT, 0xfff0, cfg.wmask);
  cfg.set16(PciReg.PREF_MEMORY_BASE, 0xfff0, cfg.wmask);
  cfg.set16(PciReg.PREF_MEMORY_LIMIT, 0xfff0, cfg.wmask);
  cfg.wmask.fill(0xff, PciReg.PREF_BASE_UPPER32, PciReg.PREF_BASE_UPPER32 + 8);
  // 16-bit I/O decode, 64-bit prefetchable decode.
  cfg.orMask(PciReg.PREF_MEMORY_BASE, 2, 0x1);
  cfg.orMask(PciReg.PREF_MEMORY_LIMIT, 2, 0x1);
  // PARITY SERR ISA VGA VGA_16BIT MASTER_ABORT BUS_RESET FAST_BACK DISCARD SEC_DISCARD DISCARD_SERR
  cfg.set16(PciReg.BRIDGE_CONTROL, 0x0bff, cfg.wmask);
  cfg.set16(PciReg.BRIDGE_CONTROL, 0x0400, cfg.w1cmask);
}

/**
 * What `pci_bridge_initfn` does to the header: 66 MHz / fast back-to-back status on both sides, class 0x0604,
 * header type 1 (keeping the multifunction bit).
 * @see hw/pci/pci_bridge.c pci_bridge_initfn
 */
export function pciBridgeInit(cfg: PciConfigSpace): void {
  cfg.orMask(PciReg.STATUS, 2, PciStatus.MHZ66 | PciStatus.FAST_BACK);
  cfg.set16(PciReg.CLASS_DEVICE, 0x0604);
  cfg.set8(PciReg.HEADER_TYPE, (cfg.get8(PciReg.HEADER_TYPE) & PciHeaderType.MULTI_FUNCTION) | PciHeaderType.BRIDGE);
  cfg.set16(PciReg.SEC_STATUS, PciStatus.MHZ66 | PciStatus.FAST_BACK);
}

/**
 * Power-management capability with the PMC word, the PMCSR reset value and the PMCSR masks the device sets.
 * @see hw/net/e1000e.c e1000e_add_pm_capability; hw/nvme/ctrl.c nvme_add_pm_capability
 */
export function pmCapInit(
  cfg: PciConfigSpace,
  offset: number,
  pmc: number,
  opts: { readonly ctrl?: number; readonly ctrlWmask?: number; readonly ctrlW1c?: number } = {},
): number {
  const pos = cfg.addCapability(PciCapId.PM, offset, PCI_PM_SIZEOF);
  cfg.set16(pos + 2, pmc);
  cfg.set16(pos + 4, opts.ctrl ?? 0);
  if (opts.ctrlWmask !== undefined) cfg.set16(pos + 4, opts.ctrlWmask, cfg.wmask);
  if (opts.ctrlW1c !== undefined) cfg.set16(pos + 4, opts.ctrlW1c, cfg.w1cmask);
  return pos;
}

/** `PCI_PM_CTRL_STATE_MASK`. */
export const PM_CTRL_STATE_MASK = 0x0003;

/**
 * MSI capability: vector count, 64-bit and per-vector-mask flags; the writable enable / multiple-message-enable,
 * address and data registers.
 * @see hw/pci/msi.c msi_init
 */
export function msiInit(cfg: PciConfigSpace, offset: number, vectors: number, is64: boolean, mask: boolean): number {
  const order = Math.round(Math.log2(vectors));
  let flags = order << 1;
  if (is64) flags |= 0x80;
  if (mask) flags |= 0x100;
  const size = 0x0a + (is64 ? 4 : 0) + (mask ? 10 : 0);
  const pos = cfg.addCapability(PciCapId.MSI, offset, size);
  cfg.set16(pos + 2, flags);
  cfg.set16(pos + 2, 0x0070 | 0x0001, cfg.wmask); // QSIZE | ENABLE
  cfg.set32(pos + 4, 0xffff_fffc, cfg.wmask);
  if (is64) cfg.set32(pos + 8, 0xffff_ffff, cfg.wmask);
  const dataOff = pos + (is64 ? 0x0c : 0x08);
  cfg.set16(dataOff, 0xffff, cfg.wmask);
  if (mask) cfg.set32(pos + (is64 ? 0x10 : 0x0c), (0xffff_ffff >>> (32 - vectors)) >>> 0, cfg.wmask);
  return pos;
}

/**
 * MSI-X capability: table size, table and PBA locators; the enable and function-mask bits are writable.
 * @see hw/pci/msix.c msix_init
 */
export function msixInit(
  cfg: PciConfigSpace,
  entries: number,
  table: { readonly bar: number; readonly offset: number },
  pba: { readonly bar: number; readonly offset: number },
  capPos: number,
): number {
  const pos = cfg.addCapability(PciCapId.MSIX, capPos, MSIX_CAP_LENGTH);
  cfg.set16(pos + 2, entries - 1);
  cfg.set32(pos + 4, (table.offset | table.bar) >>> 0);
  cfg.set32(pos + 8, (pba.offset | pba.bar) >>> 0);
  cfg.orMask(pos + 3, 1, 0x80 | 0x40, cfg.wmask);
  return pos;
}

/**
 * MSI-X with its table and PBA alone in a BAR of their own: table at 0, PBA in the upper half of a 4 KiB BAR
 * (further up when the table is larger), the BAR a power of two.
 * @see hw/pci/msix.c msix_init_exclusive_bar
 */
export function msixInitExclusiveBar(cfg: PciConfigSpace, entries: number, barNr: number): number {
  let barSize = 4096;
  let pbaOffset = barSize / 2;
  const pbaSize = Math.ceil(entries / 64) * 8;
  if (entries * 16 > pbaOffset) pbaOffset = entries * 16;
  if (pbaOffset + pbaSize > 4096) barSize = pbaOffset + pbaSize;
  barSize = pow2ceil(barSize);
  const pos = msixInit(cfg, entries, { bar: barNr, offset: 0 }, { bar: barNr, offset: pbaOffset }, 0);
  cfg.registerBar(barNr, PciBarType.MEM, barSize);
  return pos;
}

/**
 * Bridge subsystem vendor ID capability (`PCI_CAP_ID_SSVID`).
 * @see hw/pci/pci_bridge.c pci_bridge_ssvid_init
 */
export function ssvidInit(cfg: PciConfigSpace, offset: number, svid: number, ssid: number): number {
  const pos = cfg.addCapability(PciCapId.SSVID, offset, 8);
  cfg.set16(pos + 4, svid);
  cfg.set16(pos + 6, ssid);
  return pos;
}

/**
 * A vendor-specific capability whose body (from byte 2 on) is `body`.
 * @see hw/virtio/virtio-pci.c virtio_pci_add_mem_cap
 */
export function vendorCapInit(cfg: PciConfigSpace, body: readonly number[]): number {
  const len = body.length + 2;
  const pos = cfg.addCapability(PciCapId.VNDR, 0, len);
  body.forEach((b, i) => cfg.set8(pos + 2 + i, b));
  return pos;
}

/** Little-endian bytes of a 32-bit value, for capability bodies. */
export function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
