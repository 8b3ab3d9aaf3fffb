/**
 * Access Control Services as Linux 6.1 handles them: `pci_acs_init` finds the capability and calls
 * `pci_enable_acs`, which writes the control register only if `pci_request_acs()` was called before; the IOMMU
 * core's grouping then asks `pci_acs_enabled`/`pci_acs_path_enabled`, which READ the control register back from
 * configuration space — so what an earlier enable wrote (or did not write) is what grouping sees.
 *
 * @see drivers/pci/pci.c pci_acs_init, pci_enable_acs, pci_std_enable_acs, pci_acs_flags_enabled,
 *   pci_acs_enabled, pci_acs_path_enabled
 */
import { Errno } from "@dmasim/driver-core";
import { PciAcs, PciExtCapId, PcieType } from "@dmasim/machine";
import { pciFindExtCapability, pciReadConfig, pciWriteConfig } from "./config";
import { pciIsRootBus, type PciDev } from "./pci-dev";
import type { PciSubsystem } from "./subsystem";


/**
 * `pci_std_enable_acs`: sets the control bits the capability offers among Source Validation, P2P Request
 * Redirect, P2P Completion Redirect and Upstream Forwarding (and, v5.8+, Translation Blocking for external-facing
 * or untrusted devices and with `pci=noats`). QEMU's root ports offer SV|TB|RR|CR|UF|DT, so this writes 0x001d.
 *
 * @see drivers/pci/pci.c pci_std_enable_acs
 */
export function pciStdEnableAcs(sys: PciSubsystem, pdev: PciDev): void {
  const pos = pdev.acsCap;
  if (pos === 0) return;
  const cap = pciReadConfig(pdev, pos + PciAcs.CAP, 2);
  const before = pciReadConfig(pdev, pos + PciAcs.CTRL, 2);
  let ctrl = before;
  ctrl |= cap & PciAcs.SV;
  ctrl |= cap & PciAcs.RR;
  ctrl |= cap & PciAcs.CR;
  ctrl |= cap & PciAcs.UF;
  if (sys.era.acsTranslationBlocking && (sys.atsDisabled || pdev.externalFacing || pdev.untrusted)) ctrl |= cap & PciAcs.TB;
  pciWriteConfig(pdev, pos + PciAcs.CTRL, 2, ctrl);
  sys.trace.emit({ type: "pci-acs-enable", device: pdev.name, cap, ctrlBefore: before, ctrlAfter: pciReadConfig(pdev, pos + PciAcs.CTRL, 2) });
}

/**
 * `pci_enable_acs`: nothing unless `pci_acs_enable` (set by `pci_request_acs`); a device-specific quirk may do it
 * instead of the standard capability.
 *
 * @see drivers/pci/pci.c pci_enable_acs
 */
export function pciEnableAcs(sys: PciSubsystem, pdev: PciDev): void {
  if (!sys.acsEnabled) return;
  const quirk = sys.hooks.devSpecificEnableAcs?.(pdev) ?? -Errno.ENOTTY;
  if (quirk === 0) return;
  pciStdEnableAcs(sys, pdev);
}

/**
 * `pci_acs_init`: caches the ACS capability offset, then `pci_enable_acs` (the 6.1 place; see
 * `PciEra.acsEnableAt`).
 *
 * @see drivers/pci/pci.c pci_acs_init
 */
export function pciAcsInit(sys: PciSubsystem, pdev: PciDev): void {
  pdev.acsCap = pciFindExtCapability(pdev, PciExtCapId.ACS);
  if (sys.era.acsEnableAt === "init-capabilities") pciEnableAcs(sys, pdev);
}

/**
 * `pci_acs_flags_enabled`: with an ACS capability, every requested control the capability implements (Egress
 * Control always counts) must be set in the control register; features the capability lacks count as hard-wired
 * on. No capability: false.
 *
 * @see drivers/pci/pci.c pci_acs_flags_enabled
 */
export function pciAcsFlagsEnabled(pdev: PciDev, acsFlags: number): boolean {
  const pos = pdev.acsCap;
  if (pos === 0) return false;
  const cap = pciReadConfig(pdev, pos + PciAcs.CAP, 2);
  const flags = acsFlags & (cap | PciAcs.EC);
  const ctrl = pciReadConfig(pdev, pos + PciAcs.CTRL, 2);
  return (ctrl & flags) === flags;
}

/**
 * `pci_acs_enabled(dev, flags)`: a quirk decides first; conventional PCI never isolates; PCIe-to-PCI and
 * PCI-to-PCIe bridges and RC event collectors never do; root and downstream ports must have the controls enabled;
 * endpoints, upstream ports, legacy and RC-integrated endpoints only need ACS when part of a multifunction device;
 * any other single function is isolated by topology.
 *
 * @see drivers/pci/pci.c pci_acs_enabled
 */
export function pciAcsEnabled(pdev: PciDev, acsFlags: number): boolean {
  const quirk = pdev.bus.host.subsystem.hooks.devSpecificAcsEnabled?.(pdev, acsFlags) ?? -Errno.ENOTTY;
  if (quirk >= 0) return quirk > 0;
  if (!pdev.isPcie) return false;
  switch (pdev.pcieTypeCode) {
    case PcieType.PCIE_BRIDGE:
    case PcieType.PCI_BRIDGE:
    case PcieType.RC_EC:
      return false;
    case PcieType.DOWNSTREAM:
    case PcieType.ROOT_PORT:
      return pciAcsFlagsEnabled(pdev, acsFlags);
    case PcieType.ENDPOINT:
    case PcieType.UPSTREAM:
    case PcieType.LEG_END:
    case PcieType.RC_END:
      if (pdev.multifunction) return pciAcsFlagsEnabled(pdev, acsFlags);
      break;
  }
  return true;
}

/**
 * `pci_acs_path_enabled(start, end, flags)`: ACS holds at `start` and at every bridge above it up to `end`
 * inclusive; with `end === null` the walk goes to the root bus and succeeds there.
 *
 * @see drivers/pci/pci.c pci_acs_path_enabled
 */
export function pciAcsPathEnabled(start: PciDev, end: PciDev | null, acsFlags: number): boolean {
  let parent: PciDev = start;
  let pdev: PciDev;
  do {
    pdev = parent;
    if (!pciAcsEnabled(pdev, acsFlags)) return false;
    if (pciIsRootBus(pdev.bus)) return end === null;
    const up = pdev.bus.self;
    if (up === null) return end === null; // a virtual bus without a bridge: nothing further up to check
    parent = up;
  } while (pdev !== end);
  return true;
}

/**
 * The ACS control word a function has now (0 without the capability): what the `-cfg` boots dumped.
 *
 * @see drivers/pci/pci.c pci_std_enable_acs
 */
export function pciAcsControl(pdev: PciDev): number {
  return pdev.acsCap === 0 ? 0 : pciReadConfig(pdev, pdev.acsCap + PciAcs.CTRL, 2);
}
