/**
 * The PCI Express capability and the extended capabilities (AER, ACS, device serial number) as QEMU's `hw/pci/pcie.c`
 * and `hw/pci/pcie_aer.c` build them for QEMU 7.2's device models.
 */
import {
  PCI_ACS_SIZEOF,
  PCI_CONFIG_SPACE_SIZE,
  PCI_EXP_VER1_SIZEOF,
  PCI_EXP_VER2_SIZEOF,
  PCI_EXT_CAP_DSN_SIZEOF,
  PciAcs,
  PciCapId,
  PciErr,
  PciExtCapId,
  PciReg,
  PcieCapReg,
  PcieType,
} from "./pci-regs";
import type { PciConfigSpace } from "./pci-config";

/** Link speed encodings (`QEMU_PCI_EXP_LNK_*GT`): 1 = 2.5 GT/s … 4 = 16 GT/s. */
export type PcieLinkSpeed = 1 | 2 | 3 | 4 | 5;

const DEVCAP_RBER = 0x8000;
const DEVCAP_FLR = 0x1000_0000;
const LNKCAP_ASPMS_L0S = 0x400;
const LNKCAP_DLLLARC = 0x10_0000;
const LNKCAP_LBNC = 0x20_0000;
const LNKSTA_DLLLA = 0x2000;
const DEVCAP2_ARI = 0x20;
const DEVCAP2_EFF = 0x10_0000;
const DEVCAP2_EETLPP = 0x20_0000;
const DEVCTL2_ARI = 0x20;
const DEVCTL2_EETLPPB = 0x8000;
const FLAGS_SLOT = 0x100;

/** Offset of the PCIe capability, or 0 when the function is conventional PCI. */
export function pcieCapOffset(cfg: PciConfigSpace): number {
  return cfg.findCapability(PciCapId.EXP);
}

/** The Device/Port Type field, or `null` for a conventional function. */
export function pcieType(cfg: PciConfigSpace): number | null {
  const pos = pcieCapOffset(cfg);
  return pos === 0 ? null : (cfg.get16(pos + PcieCapReg.FLAGS) >>> 4) & 0xf;
}

/** Whether the function is a root port or a switch downstream port (`pci_is_express_downstream_port`). */
export function isPcieDownstreamPort(cfg: PciConfigSpace): boolean {
  const t = pcieType(cfg);
  return t === PcieType.ROOT_PORT || t === PcieType.DOWNSTREAM;
}

/** @see hw/pci/pcie.c pcie_cap_v1_fill */
function fillV1(cfg: PciConfigSpace, pos: number, type: number, port: number, version: number): void {
  cfg.set16(pos + PcieCapReg.FLAGS, ((type << 4) & 0xf0) | version);
  cfg.set32(pos + PcieCapReg.DEVCAP, DEVCAP_RBER);
  cfg.set32(pos + PcieCapReg.LNKCAP, ((port << 24) | LNKCAP_ASPMS_L0S | (1 << 4) | 1) >>> 0);
  cfg.set16(pos + PcieCapReg.LNKSTA, (1 << 4) | 1);
}

/**
 * A version-2 PCIe capability (`PCI_EXP_VER2_SIZEOF`), with QEMU's v2 defaults (extended fmt field and end-end TLP
 * prefix supported, EETLPP blocking writable) and the first extended-capability header made read-only.
 * @see hw/pci/pcie.c pcie_cap_init
 */
export function pcieCapInit(cfg: PciConfigSpace, offset: number, type: number, port: number): number {
  const pos = cfg.addCapability(PciCapId.EXP, offset, PCI_EXP_VER2_SIZEOF);
  fillV1(cfg, pos, type, port, 2);
  cfg.set32(pos + PcieCapReg.DEVCAP2, DEVCAP2_EFF | DEVCAP2_EETLPP);
  cfg.set16(pos + PcieCapReg.DEVCTL2, DEVCTL2_EETLPPB, cfg.wmask);
  cfg.set32(PCI_CONFIG_SPACE_SIZE, 0, cfg.wmask);
  return pos;
}

/**
 * A version-1 PCIe capability (`PCI_EXP_VER1_SIZEOF`), as e1000e has.
 * @see hw/pci/pcie.c pcie_cap_v1_init
 */
export function pcieCapV1Init(cfg: PciConfigSpace, offset: number, type: number, port: number): number {
  const pos = cfg.addCapability(PciCapId.EXP, offset, PCI_EXP_VER1_SIZEOF);
  fillV1(cfg, pos, type, port, 1);
  return pos;
}

/**
 * The endpoint type QEMU gives a PCIe function: a Root Complex Integrated Endpoint on a root bus that is PCI
 * Express, a plain Endpoint elsewhere.
 * @see hw/pci/pcie.c pcie_endpoint_cap_init
 */
export function pcieEndpointType(onExpressRootBus: boolean): number {
  return onExpressRootBus ? PcieType.RC_END : PcieType.ENDPOINT;
}

/**
 * Link capabilities of a slot (root or downstream port) configured for `speed` and `width`: max width and speed,
 * link-bandwidth notification, DLL-link-active reporting and target link speed above 2.5 GT/s, and the supported
 * speeds vector above 5 GT/s.
 * @see hw/pci/pcie.c pcie_cap_fill_slot_lnk
 */
export function pcieCapFillSlotLink(cfg: PciConfigSpace, speed: PcieLinkSpeed, width: number): void {
  const pos = pcieCapOffset(cfg);
  cfg.clearMask(pos + PcieCapReg.LNKCAP, 4, 0x3ff);
  cfg.orMask(pos + PcieCapReg.LNKCAP, 4, ((width & 0x3f) << 4) | speed);
  if (width > 1 || speed > 1) cfg.orMask(pos + PcieCapReg.LNKCAP, 4, LNKCAP_LBNC);
  if (speed > 1) {
    cfg.orMask(pos + PcieCapReg.LNKCAP, 4, LNKCAP_DLLLARC);
    cfg.clearMask(pos + PcieCapReg.LNKCTL2, 2, 0xf);
    cfg.orMask(pos + PcieCapReg.LNKCTL2, 2, speed);
  }
  if (speed > 2) {
    let sls = 0x2 | 0x4 | 0x8;
    if (speed > 3) sls |= 0x10;
    if (speed > 4) sls |= 0x20;
    cfg.set32(pos + PcieCapReg.LNKCAP2, sls);
  }
}

/**
 * Hot-plug slot registers of a root/downstream port: physical slot number, attention button, power controller
 * (when `powerControl`), attention and power indicators, hot-plug surprise and capable, electromechanical
 * interlock; indicator and interrupt-enable controls writable; hot-plug events W1C.
 * @see hw/pci/pcie.c pcie_cap_slot_init
 */
export function pcieCapSlotInit(cfg: PciConfigSpace, slot: number, powerControl: boolean): void {
  const pos = pcieCapOffset(cfg);
  cfg.orMask(pos + PcieCapReg.FLAGS, 2, FLAGS_SLOT);
  // EIP | HPC | HPS | PIP | AIP | ABP (+ PCP)
  const cap = (((slot & 0x1fff) << 19) | 0x2_0000 | 0x40 | 0x20 | 0x10 | 0x08 | 0x01 | (powerControl ? 0x02 : 0)) >>> 0;
  cfg.set32(pos + PcieCapReg.SLTCAP, cap);
  cfg.clearMask(pos + PcieCapReg.SLTCTL, 2, 0x300 | 0xc0);
  cfg.orMask(pos + PcieCapReg.SLTCTL, 2, 0x300 | 0xc0); // power and attention indicators off
  // PIC | AIC | HPIE | CCIE | PDCE | ABPE | EIC (+ PCC)
  cfg.orMask(pos + PcieCapReg.SLTCTL, 2, 0x300 | 0xc0 | 0x20 | 0x10 | 0x08 | 0x01 | 0x800 | (powerControl ? 0x400 : 0), cfg.wmask);
  cfg.orMask(pos + PcieCapReg.SLTSTA, 2, 0x01 | 0x08 | 0x10, cfg.w1cmask); // ABP | PDC | CC
}

/**
 * A device was cold-plugged below the port: presence detect state, and data-link-layer link active.
 * @see hw/pci/pcie.c pcie_cap_slot_plug_cb (the `!dev->hotplugged` branch)
 */
export function pcieCapSlotColdPlug(cfg: PciConfigSpace): void {
  const pos = pcieCapOffset(cfg);
  cfg.orMask(pos + PcieCapReg.SLTSTA, 2, 0x40);
  cfg.orMask(pos + PcieCapReg.LNKSTA, 2, LNKSTA_DLLLA);
}

/** @see hw/pci/pcie.c pcie_cap_root_init */
export function pcieCapRootInit(cfg: PciConfigSpace): void {
  const pos = pcieCapOffset(cfg);
  cfg.set16(pos + PcieCapReg.RTCTL, 0x7, cfg.wmask); // SECEE | SENFEE | SEFEE
}

/** @see hw/pci/pcie.c pcie_cap_deverr_init */
export function pcieCapDeverrInit(cfg: PciConfigSpace): void {
  const pos = pcieCapOffset(cfg);
  cfg.orMask(pos + PcieCapReg.DEVCAP, 4, DEVCAP_RBER);
  cfg.orMask(pos + PcieCapReg.DEVCTL, 2, 0x000f, cfg.wmask); // CERE | NFERE | FERE | URRE
  cfg.orMask(pos + PcieCapReg.DEVSTA, 2, 0x000f, cfg.w1cmask); // CED | NFED | FED | URD
}

/** @see hw/pci/pcie.c pcie_cap_arifwd_init */
export function pcieCapArifwdInit(cfg: PciConfigSpace): void {
  const pos = pcieCapOffset(cfg);
  cfg.orMask(pos + PcieCapReg.DEVCAP2, 4, DEVCAP2_ARI);
  cfg.orMask(pos + PcieCapReg.DEVCTL2, 2, DEVCTL2_ARI, cfg.wmask);
}

/** @see hw/pci/pcie.c pcie_cap_flr_init */
export function pcieCapFlrInit(cfg: PciConfigSpace): void {
  const pos = pcieCapOffset(cfg);
  cfg.orMask(pos + PcieCapReg.DEVCAP, 4, DEVCAP_FLR);
  cfg.orMask(pos + PcieCapReg.DEVCTL, 2, 0x8000, cfg.wmask); // BCR_FLR
}

/** @see hw/pci/pcie.c pcie_cap_lnkctl_init */
export function pcieCapLnkctlInit(cfg: PciConfigSpace): void {
  const pos = pcieCapOffset(cfg);
  cfg.orMask(pos + PcieCapReg.LNKCTL, 2, 0x0003 | 0x0080, cfg.wmask); // ASPMC | ES
}

/** AER "uncorrectable errors supported" bits (`PCI_ERR_UNC_SUPPORTED`). */
const ERR_UNC_SUPPORTED = 0x03ff_f030;
/** `PCI_ERR_UNC_SEVERITY_DEFAULT`. */
const ERR_UNC_SEVERITY_DEFAULT = 0x0046_2030;
/** `PCI_ERR_COR_SUPPORTED`. */
const ERR_COR_SUPPORTED = 0xf1c1;
/** `PCI_ERR_COR_MASK_DEFAULT`. */
const ERR_COR_MASK_DEFAULT = 0xe000;

/**
 * Advanced Error Reporting extended capability. `multiHeader` is set for ports (their `aer_log_max` defaults to 8),
 * not for endpoints.
 * @see hw/pci/pcie_aer.c pcie_aer_init
 */
export function pcieAerInit(cfg: PciConfigSpace, offset: number, size: number, multiHeader: boolean): void {
  cfg.addExtCapability(PciExtCapId.ERR, 2, offset, size);
  cfg.set32(offset + PciErr.UNCOR_STATUS, ERR_UNC_SUPPORTED, cfg.w1cmask);
  cfg.set32(offset + PciErr.UNCOR_MASK, ERR_UNC_SUPPORTED, cfg.wmask);
  cfg.set32(offset + PciErr.UNCOR_SEVER, ERR_UNC_SEVERITY_DEFAULT);
  cfg.set32(offset + PciErr.UNCOR_SEVER, ERR_UNC_SUPPORTED, cfg.wmask);
  cfg.orMask(offset + PciErr.COR_STATUS, 4, ERR_COR_SUPPORTED, cfg.w1cmask);
  cfg.set32(offset + PciErr.COR_MASK, ERR_COR_MASK_DEFAULT);
  cfg.set32(offset + PciErr.COR_MASK, ERR_COR_SUPPORTED, cfg.wmask);
  // ECRC generation/check capable (+ multiple header recording capable); the enables writable.
  cfg.set32(offset + PciErr.CAP, 0x20 | 0x80 | (multiHeader ? 0x200 : 0));
  cfg.set32(offset + PciErr.CAP, 0x40 | 0x100 | (multiHeader ? 0x400 : 0), cfg.wmask);
  const t = pcieType(cfg);
  if (t === PcieType.ROOT_PORT || t === PcieType.DOWNSTREAM || t === PcieType.UPSTREAM) {
    cfg.orMask(PciReg.BRIDGE_CONTROL, 2, 0x0002, cfg.wmask); // SERR
    cfg.orMask(PciReg.SEC_STATUS, 2, 0x4000, cfg.w1cmask); // received system error
  }
}

/** @see hw/pci/pcie_aer.c pcie_aer_root_init */
export function pcieAerRootInit(cfg: PciConfigSpace): void {
  const pos = cfg.findExtCapability(PciExtCapId.ERR);
  cfg.set32(pos + PciErr.ROOT_COMMAND, 0x7, cfg.wmask);
  cfg.set32(pos + PciErr.ROOT_STATUS, 0x7f, cfg.w1cmask);
}

/**
 * Access Control Services. Downstream ports implement SV, TB, RR, CR, UF and DT, and exactly those bits of the ACS
 * control register are writable; the control register resets to 0 (ACS off until the OS enables it).
 * @see hw/pci/pcie.c pcie_acs_init
 */
export function pcieAcsInit(cfg: PciConfigSpace, offset: number): void {
  const downstream = isPcieDownstreamPort(cfg);
  cfg.addExtCapability(PciExtCapId.ACS, 1, offset, PCI_ACS_SIZEOF);
  const bits = downstream ? PciAcs.SV | PciAcs.TB | PciAcs.RR | PciAcs.CR | PciAcs.UF | PciAcs.DT : 0;
  cfg.set16(offset + PciAcs.CAP, bits);
  cfg.set16(offset + PciAcs.CTRL, bits, cfg.wmask);
}

/**
 * Device serial number, given as two 32-bit halves.
 * @see hw/pci/pcie.c pcie_dev_ser_num_init
 */
export function pcieDsnInit(cfg: PciConfigSpace, offset: number, serialHi: number, serialLo: number): void {
  cfg.addExtCapability(PciExtCapId.DSN, 1, offset, PCI_EXT_CAP_DSN_SIZEOF);
  cfg.set32(offset + 4, serialLo >>> 0);
  cfg.set32(offset + 8, serialHi >>> 0);
}

/**
 * Reset of a root port's PCIe registers: root control, device error enables, ARI forwarding, slot indicators and
 * events, ACS control and AER root command.
 * @see hw/pci-bridge/pcie_root_port.c rp_reset_hold; hw/pci/pcie.c pcie_cap_slot_reset, pcie_acs_reset
 */
export function pcieRootPortReset(cfg: PciConfigSpace): void {
  const pos = pcieCapOffset(cfg);
  cfg.set16(pos + PcieCapReg.RTCTL, 0);
  cfg.clearMask(pos + PcieCapReg.DEVCTL, 2, 0x000f);
  cfg.clearMask(pos + PcieCapReg.DEVCTL2, 2, DEVCTL2_ARI);
  cfg.clearMask(pos + PcieCapReg.SLTCTL, 2, 0x800 | 0x300 | 0xc0 | 0x20 | 0x10 | 0x08 | 0x01);
  cfg.orMask(pos + PcieCapReg.SLTCTL, 2, 0x300 | 0xc0);
  cfg.clearMask(pos + PcieCapReg.SLTSTA, 2, 0x80 | 0x08 | 0x01);
  const acs = cfg.findExtCapability(PciExtCapId.ACS);
  if (acs !== 0) cfg.set16(acs + PciAcs.CTRL, 0);
  const aer = cfg.findExtCapability(PciExtCapId.ERR);
  if (aer !== 0) cfg.set32(aer + PciErr.ROOT_COMMAND, 0);
}

/**
 * A downstream port reports the link status of the function 0 below it (speed and width), read when the guest
 * reads the port's link status register.
 * @see hw/pci/pcie.c pcie_sync_bridge_lnk
 */
export function pcieSyncBridgeLink(port: PciConfigSpace, below: PciConfigSpace | undefined): void {
  if (below === undefined) return;
  const bpos = pcieCapOffset(below);
  if (bpos === 0) return;
  const pos = pcieCapOffset(port);
  const lnkcap = port.get32(pos + PcieCapReg.LNKCAP);
  let sta = below.get16(bpos + PcieCapReg.LNKSTA);
  if (((sta >>> 4) & 0x3f) > ((lnkcap >>> 4) & 0x3f)) sta = (sta & ~0x3f0) | (lnkcap & 0x3f0);
  if ((sta & 0xf) > (lnkcap & 0xf)) sta = (sta & ~0xf) | (lnkcap & 0xf);
  port.clearMask(pos + PcieCapReg.LNKSTA, 2, 0x3ff);
  port.orMask(pos + PcieCapReg.LNKSTA, 2, sta & 0x3ff);
}
