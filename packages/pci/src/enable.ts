/**
 * The bits of device enabling drivers call that the model can do without resource assignment: bus mastering.
 *
 * @see drivers/pci/pci.c pci_set_master, __pci_set_master
 */
import { PciCommand, PciReg } from "@dmasim/machine";
import { pciReadConfig, pciWriteConfig } from "./config";
import type { PciDev } from "./pci-dev";

/**
 * `pci_set_master(dev)` / `pci_clear_master(dev)`: sets or clears Bus Master Enable in the command register (the
 * machine's interconnect aborts DMA from a function without it).
 *
 * @see drivers/pci/pci.c __pci_set_master
 */
export function pciSetMaster(pdev: PciDev, enable = true): void {
  const old = pciReadConfig(pdev, PciReg.COMMAND, 2);
  const cmd = enable ? old | PciCommand.MASTER : old & ~PciCommand.MASTER;
  if (cmd !== old) pciWriteConfig(pdev, PciReg.COMMAND, 2, cmd);
}

/**
 * `pci_clear_master(dev)`.
 *
 * @see drivers/pci/pci.c pci_clear_master
 */
export function pciClearMaster(pdev: PciDev): void {
  pciSetMaster(pdev, false);
}
