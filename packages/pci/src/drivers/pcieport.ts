/**
 * The PCI Express port bus driver, built into Debian's 6.1 kernel: it claims every PCI-to-PCI bridge class
 * function and keeps only real PCIe ports (root ports, switch ports, RC event collectors), rejecting the rest with
 * -ENODEV — which is how the QEMU `pcie-pci-bridge` (a PCIe-to-PCI bridge) falls through to `shpchp`. A port it keeps
 * gets its services (PME, AER, hot-plug, DPC, bandwidth notification) and their interrupt vectors: MSI-X/MSI
 * through the port's MSI domain, which is where the ITS doorbell is mapped into the port's IOMMU domain
 * (`iommu: map: iova 0xfffff000 pa 0x...8090000` right after the port's "enabling device" line in the 6.1 logs).
 * The port service devices on the `pci_express` bus (and their drivers' log lines) are not modelled.
 *
 * @see drivers/pci/pcie/portdrv_pci.c pcie_portdrv_probe, port_pci_ids, pcie_portdriver, pcie_portdrv_init
 * @see drivers/pci/pcie/portdrv_core.c pcie_port_device_register, get_port_device_capability,
 *      pcie_init_service_irqs, pcie_port_enable_irq_vec, pcie_message_numbers
 */
import { Errno, type Driver, type Result } from "@dmasim/driver-core";
import { PcieCapReg, PciExtCapId, PcieType } from "@dmasim/machine";
import { pciFindExtCapability, pciReadConfig } from "../config";
import { PciClass } from "../constants";
import { pciSetMaster } from "../enable";
import { definePciDriver, pciDeviceClass, type PciDriverSpec } from "../pci-driver";
import type { PciDev } from "../pci-dev";
import type { PciSubsystem } from "../subsystem";
import { PciIrq, pciAllocIrqVectors, pciFreeIrqVectors } from "./irq-vectors";

/** `port_pci_ids`: PCI-to-PCI bridges (normal and subtractive decode) and Root Complex Event Collectors. */
export const PCIEPORT_ID_TABLE = [
  pciDeviceClass(PciClass.BRIDGE_PCI_NORMAL, 0xffff_ffff),
  pciDeviceClass(PciClass.BRIDGE_PCI_SUBTRACTIVE, 0xffff_ffff),
  pciDeviceClass(PciClass.SYSTEM_RCEC << 8, 0xffff_ffff),
] as const;

/** The port services (`PCIE_PORT_SERVICE_*`), in `PCIE_PORT_DEVICE_MAXSERVICES` order. */
export const PciePortService = { PME: 1 << 0, AER: 1 << 1, HP: 1 << 2, DPC: 1 << 3, BWNOTIF: 1 << 4 } as const;

/** `PCIE_PORT_MAX_MSI_ENTRIES`: the most vectors a port asks for before trimming to what it uses. */
const PCIE_PORT_MAX_MSI_ENTRIES = 32;
const PCI_EXT_CAP_ID_DPC = 0x1d;
const PCI_EXP_FLAGS_SLOT = 0x0100;
const PCI_EXP_FLAGS_IRQ_SHIFT = 9;
const PCI_EXP_SLTCAP_HPC = 0x0040;
const PCI_EXP_LNKCAP_LBNC = 0x0020_0000;
/** `PCI_ERR_ROOT_STATUS` and its Advanced Error Interrupt Message Number field (bits 31:27). */
const PCI_ERR_ROOT_STATUS = 0x30;
const PCI_ERR_ROOT_AER_IRQ_SHIFT = 27;
/** `PCI_EXP_DPC_CAP` and its Interrupt Message Number field (bits 4:0). */
const PCI_EXP_DPC_CAP = 0x04;

function isPort(pdev: PciDev): boolean {
  const t = pdev.pcieTypeCode;
  return pdev.isPcie && (t === PcieType.ROOT_PORT || t === PcieType.UPSTREAM || t === PcieType.DOWNSTREAM || t === PcieType.RC_EC);
}

/**
 * `get_port_device_capability(dev)`: the services a port offers. The host bridge is taken to grant the OS native
 * control of hot-plug, AER and PME (DT host bridges always do; QEMU's `_OSC` grants them, and the 6.1 ACPI logs show
 * `pcie_pme`, `aer` and `pciehp` binding).
 *
 * @see drivers/pci/pcie/portdrv_core.c get_port_device_capability
 */
export function getPortDeviceCapability(pdev: PciDev): number {
  const t = pdev.pcieTypeCode;
  const exp = pdev.pcieCap;
  let services = 0;
  const hotplugSlot = (pdev.pcieFlagsReg & PCI_EXP_FLAGS_SLOT) !== 0 && (pciReadConfig(pdev, exp + PcieCapReg.SLTCAP, 4) & PCI_EXP_SLTCAP_HPC) !== 0;
  if ((pdev.isHotplugBridge || hotplugSlot) && (t === PcieType.ROOT_PORT || t === PcieType.DOWNSTREAM)) services |= PciePortService.HP;
  const rootOrRcec = t === PcieType.ROOT_PORT || t === PcieType.RC_EC;
  if (rootOrRcec && pciFindExtCapability(pdev, PciExtCapId.ERR) !== 0) services |= PciePortService.AER;
  if (rootOrRcec) services |= PciePortService.PME;
  if (pciFindExtCapability(pdev, PCI_EXT_CAP_ID_DPC) !== 0 && (services & PciePortService.AER) !== 0) services |= PciePortService.DPC;
  if ((t === PcieType.DOWNSTREAM || t === PcieType.ROOT_PORT) && (pciReadConfig(pdev, exp + PcieCapReg.LNKCAP, 4) & PCI_EXP_LNKCAP_LBNC) !== 0) {
    services |= PciePortService.BWNOTIF;
  }
  return services;
}

/**
 * `pcie_message_numbers(dev, mask)`: how many vectors the services use — one more than the highest Interrupt
 * Message Number among PME/hot-plug (PCIe capability flags), AER (Root Error Status) and DPC (DPC capability).
 *
 * @see drivers/pci/pcie/portdrv_core.c pcie_message_numbers
 */
function pcieMessageNumbers(pdev: PciDev, mask: number): number {
  let nvec = 0;
  if ((mask & (PciePortService.PME | PciePortService.HP | PciePortService.BWNOTIF)) !== 0) {
    nvec = Math.max(nvec, ((pdev.pcieFlagsReg >>> PCI_EXP_FLAGS_IRQ_SHIFT) & 0x1f) + 1);
  }
  const aer = pciFindExtCapability(pdev, PciExtCapId.ERR);
  if ((mask & PciePortService.AER) !== 0 && aer !== 0) nvec = Math.max(nvec, ((pciReadConfig(pdev, aer + PCI_ERR_ROOT_STATUS, 4) >>> PCI_ERR_ROOT_AER_IRQ_SHIFT) & 0x1f) + 1);
  const dpc = pciFindExtCapability(pdev, PCI_EXT_CAP_ID_DPC);
  if ((mask & PciePortService.DPC) !== 0 && dpc !== 0) nvec = Math.max(nvec, (pciReadConfig(pdev, dpc + PCI_EXP_DPC_CAP, 2) & 0x1f) + 1);
  return nvec;
}

/**
 * `pcie_port_enable_irq_vec`: allocate up to 32 MSI-X/MSI vectors, see which the services use, and reallocate
 * exactly that many when it differs. 0 or a negative errno.
 *
 * @see drivers/pci/pcie/portdrv_core.c pcie_port_enable_irq_vec
 */
function pciePortEnableIrqVec(pdev: PciDev, mask: number): number {
  let nrEntries = pciAllocIrqVectors(pdev, 1, PCIE_PORT_MAX_MSI_ENTRIES, PciIrq.MSIX | PciIrq.MSI);
  if (nrEntries < 0) return nrEntries;
  const nvec = pcieMessageNumbers(pdev, mask);
  if (nvec > nrEntries) {
    pciFreeIrqVectors(pdev);
    return -Errno.EIO;
  }
  if (nvec !== nrEntries) {
    pciFreeIrqVectors(pdev);
    nrEntries = pciAllocIrqVectors(pdev, nvec, nvec, PciIrq.MSIX | PciIrq.MSI);
    if (nrEntries < 0) return nrEntries;
  }
  return 0;
}

/**
 * `pcie_init_service_irqs`: MSI-X/MSI vectors for the services, else the INTx line; -ENODEV when there is neither.
 * (`pcie_pme_no_msi()` is false on these boards.)
 *
 * @see drivers/pci/pcie/portdrv_core.c pcie_init_service_irqs
 */
export function pcieInitServiceIrqs(pdev: PciDev, mask: number): number {
  if (pciePortEnableIrqVec(pdev, mask) === 0) return 0;
  return pciAllocIrqVectors(pdev, 1, 1, PciIrq.LEGACY) < 0 ? -Errno.ENODEV : 0;
}

/**
 * `pcie_port_device_register`: the port's services and their interrupts. `pci_enable_device` (and its "enabling
 * device" line) is not modelled: the model assigns no BARs or windows. Each service would then get its port service
 * device (`pcie_device_init`), which is not modelled either; every service counts as initialised.
 *
 * @see drivers/pci/pcie/portdrv_core.c pcie_port_device_register
 */
export function pciePortDeviceRegister(pdev: PciDev): number {
  let capabilities = getPortDeviceCapability(pdev);
  if (capabilities === 0) return 0;
  pciSetMaster(pdev);
  if (pcieInitServiceIrqs(pdev, capabilities) !== 0) {
    capabilities &= PciePortService.HP;
    if (capabilities === 0) {
      pciSetMaster(pdev, false);
      return -Errno.ENODEV;
    }
  }
  return 0;
}

/**
 * `pcie_portdrv_probe`: -ENODEV unless the function is PCIe and a root port, upstream or downstream switch port,
 * or RC event collector; then `pcie_port_device_register`.
 *
 * @see drivers/pci/pcie/portdrv_pci.c pcie_portdrv_probe
 */
export function pciePortdrvProbe(pdev: PciDev): number {
  if (!isPort(pdev)) return -Errno.ENODEV;
  return pciePortDeviceRegister(pdev);
}

/**
 * `pcie_portdriver`: named `pcieport`, `driver_managed_dma` since v5.19 ("PCI: portdrv: Set
 * driver_managed_dma"), so `pci_dma_configure` does not claim the default domain for it.
 */
export const PCIEPORT_DRIVER: PciDriverSpec = definePciDriver({
  name: "pcieport",
  idTable: PCIEPORT_ID_TABLE,
  probe: (pdev) => pciePortdrvProbe(pdev),
  remove: (pdev) => pciFreeIrqVectors(pdev),
  driverManagedDma: true,
});

/** `pcie_portdrv_init` (device_initcall): registers the driver. */
export function pciePortdrvInit(sys: PciSubsystem): Result<Driver, number> {
  return sys.registerDriver(PCIEPORT_DRIVER);
}
