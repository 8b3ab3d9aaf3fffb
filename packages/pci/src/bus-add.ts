/**
 * Making scanned functions matchable: `pci_bus_add_device` sets `match_driver` and calls `device_attach`;
 * `pci_bus_add_devices` does a bus's functions first, then recurses into the buses behind them.
 *
 * @see drivers/pci/bus.c pci_bus_add_device, pci_bus_add_devices
 */
import { Errno } from "@dmasim/driver-core";
import type { PciBus, PciDev } from "./pci-dev";
import type { PciSubsystem } from "./subsystem";

/**
 * `pci_bus_add_device`: final fixups, `match_driver = true`, `device_attach` (a failure other than
 * -EPROBE_DEFER is logged), then the function counts as added.
 *
 * @see drivers/pci/bus.c pci_bus_add_device
 */
export function pciBusAddDevice(sys: PciSubsystem, pdev: PciDev): number {
  sys.hooks.fixupFinal?.(pdev);
  pdev.matchDriver = true;
  const ret = sys.core.deviceAttach(pdev.dev);
  if (ret < 0 && ret !== -Errno.EPROBE_DEFER) sys.warn(pdev, "drivers/pci/bus.c", `device attach failed (${ret})`);
  sys.trace.emit({ type: "pci-bus-add-device", device: pdev.name, ret });
  pdev.isAdded = true;
  return ret;
}

/**
 * `pci_bus_add_devices(bus)`: every function of `bus` not yet added, in list order; then, for each added function
 * with a subordinate bus, that bus.
 *
 * @see drivers/pci/bus.c pci_bus_add_devices
 */
export function pciBusAddDevices(sys: PciSubsystem, bus: PciBus): void {
  for (const pdev of bus.devices) {
    if (!pdev.isAdded) pciBusAddDevice(sys, pdev);
  }
  for (const pdev of bus.devices) {
    if (pdev.isAdded && pdev.subordinate !== null) pciBusAddDevices(sys, pdev.subordinate);
  }
}
