/**
 * Removing functions: `pci_stop_and_remove_bus_device` first stops the whole subtree (unbinding drivers, deepest and
 * last-added functions first), then deletes it, again children before their bridge but in list order, dropping
 * the buses behind bridges (`device_del` → BUS_NOTIFY_DEL_DEVICE / REMOVED_DEVICE on the `pci` bus).
 *
 * @see drivers/pci/remove.c pci_stop_and_remove_bus_device, pci_stop_bus_device, pci_remove_bus_device,
 *   pci_stop_dev, pci_destroy_dev, pci_remove_bus
 */
import type { PciBus, PciDev } from "./pci-dev";
import type { PciSubsystem } from "./subsystem";

/** `pci_stop_dev`: releases the driver of an added function and marks it not added. */
function stopDev(sys: PciSubsystem, pdev: PciDev): void {
  if (!pdev.isAdded) return;
  sys.core.deviceReleaseDriver(pdev.dev);
  pdev.isAdded = false;
}

/** `pci_stop_bus_device`: the functions behind a bridge first, in reverse list order, then the function. */
function stopBusDevice(sys: PciSubsystem, pdev: PciDev): void {
  const bus = pdev.subordinate;
  if (bus !== null) for (const child of [...bus.devices].reverse()) stopBusDevice(sys, child);
  stopDev(sys, pdev);
}

/** `pci_remove_bus`: takes the bus off its parent's child list. */
function removeBus(bus: PciBus): void {
  const parent = bus.parent;
  if (parent === null) return;
  const i = parent.children.indexOf(bus);
  if (i >= 0) parent.children.splice(i, 1);
}

/** `pci_remove_bus_device`: the subtree behind a bridge (in list order), its bus, then `pci_destroy_dev`. */
function removeBusDevice(sys: PciSubsystem, pdev: PciDev): void {
  const bus = pdev.subordinate;
  if (bus !== null) {
    for (const child of [...bus.devices]) removeBusDevice(sys, child);
    removeBus(bus);
    pdev.subordinate = null;
  }
  if (!pdev.dev.isRegistered || pdev.dev.isDead) return;
  sys.core.deviceDel(pdev.dev);
  const list = pdev.bus.devices;
  const i = list.indexOf(pdev);
  if (i >= 0) list.splice(i, 1);
}

/**
 * `pci_stop_and_remove_bus_device(dev)`: unbind the subtree below and including `pdev`, then delete it.
 *
 * @see drivers/pci/remove.c pci_stop_and_remove_bus_device
 */
export function pciStopAndRemoveBusDevice(sys: PciSubsystem, pdev: PciDev): void {
  stopBusDevice(sys, pdev);
  removeBusDevice(sys, pdev);
}
