/**
 * The PCI Express port bus driver, built into Debian's 6.1 kernel: it claims every PCI-to-PCI bridge class
 * function and keeps only real PCIe ports (root ports, switch ports, RC event collectors), rejecting the rest with
 * -ENODEV — which is how the QEMU `pcie-pci-bridge` (a PCIe-to-PCI bridge) falls through to `shpchp`. Port
 * service devices (AER, PME, pciehp) are not modelled.
 *
 * @see drivers/pci/pcie/portdrv_pci.c pcie_portdrv_probe, port_pci_ids, pcie_portdriver, pcie_portdrv_init
 */
import { Errno, type Driver, type Result } from "@dmasim/driver-core";
import { PcieType } from "@dmasim/machine";
import { PciClass } from "../constants";
import { pciSetMaster } from "../enable";
import { definePciDriver, pciDeviceClass, type PciDriverSpec } from "../pci-driver";
import type { PciDev } from "../pci-dev";
import type { PciSubsystem } from "../subsystem";

/** `port_pci_ids`: PCI-to-PCI bridges (normal and subtractive decode) and Root Complex Event Collectors. */
export const PCIEPORT_ID_TABLE = [
  pciDeviceClass(PciClass.BRIDGE_PCI_NORMAL, 0xffff_ffff),
  pciDeviceClass(PciClass.BRIDGE_PCI_SUBTRACTIVE, 0xffff_ffff),
  pciDeviceClass(PciClass.SYSTEM_RCEC << 8, 0xffff_ffff),
] as const;

/**
 * `pcie_portdrv_probe`: -ENODEV unless the function is PCIe and a root port, upstream or downstream switch port,
 * or RC event collector. Then `pcie_port_device_register`, of which the model keeps the bus-master enable (BARs
 * and windows are not assigned by the model, so `pci_enable_device` and its "enabling device" line are not).
 *
 * @see drivers/pci/pcie/portdrv_pci.c pcie_portdrv_probe
 * @see drivers/pci/pcie/portdrv_core.c pcie_port_device_register
 */
export function pciePortdrvProbe(pdev: PciDev): number {
  const type = pdev.pcieTypeCode;
  if (!pdev.isPcie || (type !== PcieType.ROOT_PORT && type !== PcieType.UPSTREAM && type !== PcieType.DOWNSTREAM && type !== PcieType.RC_EC)) {
    return -Errno.ENODEV;
  }
  pciSetMaster(pdev);
  return 0;
}

/**
 * `pcie_portdriver`: named `pcieport`, `driver_managed_dma` since v5.19 ("PCI: portdrv: Set
 * driver_managed_dma"), so `pci_dma_configure` does not claim the default domain for it.
 */
export const PCIEPORT_DRIVER: PciDriverSpec = definePciDriver({
  name: "pcieport",
  idTable: PCIEPORT_ID_TABLE,
  probe: (pdev) => pciePortdrvProbe(pdev),
  driverManagedDma: true,
});

/** `pcie_portdrv_init` (device_initcall): registers the driver. */
export function pciePortdrvInit(sys: PciSubsystem): Result<Driver, number> {
  return sys.registerDriver(PCIEPORT_DRIVER);
}
