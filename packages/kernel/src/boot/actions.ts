/**
 * The scenario's runtime actions after boot, each through the kernel path a user would trigger: sysfs unbind/bind
 * (`device_release_driver` / `device_driver_attach`), removal (`pci_stop_and_remove_bus_device`, or
 * `platform_device_unregister` + `of_dma_deconfigure` for a DT device), a DMA or an MSI from the device, a module
 * load, or the passage of time.
 *
 * @see drivers/base/bus.c unbind_store, bind_store; drivers/pci/remove.c; drivers/of/platform.c of_platform_device_destroy
 */
import { Errno, PLATFORM_DEVICE } from "@dmasim/driver-core";
import { pciBusAddDevices, pciScanChildBus, pciStopAndRemoveBusDevice, toPciDev } from "@dmasim/pci";
import { allocMsiVector, performDmaOp, raiseMsi } from "../dma-actions";
import type { ScenarioAction } from "../scenarios/types";
import type { ModuleLoad } from "./initcalls";
import type { Kernel } from "./kernel";

function record(k: Kernel, action: "unbind" | "bind" | "remove" | "dma" | "msi" | "load-module" | "register" | "rescan" | "advance", target: string, ret: number): void {
  k.trace.emit({ type: "runtime-action", action, target, ret });
}

/** Runs one action; unknown targets are recorded with -ENODEV. */
export function runAction(k: Kernel, action: ScenarioAction, modules: readonly ModuleLoad[]): void {
  if ("unbind" in action) {
    const dev = k.findDevice(action.unbind);
    if (dev === undefined || dev.driver === null) return record(k, "unbind", action.unbind, -Errno.ENODEV);
    k.core.deviceReleaseDriver(dev);
    return record(k, "unbind", action.unbind, 0);
  }
  if ("bind" in action) {
    const dev = k.findDevice(action.bind.device);
    const drv = dev?.bus?.findDriver(action.bind.driver);
    if (dev === undefined || drv === undefined) return record(k, "bind", action.bind.device, -Errno.ENODEV);
    if (dev.driver !== null) return record(k, "bind", action.bind.device, -Errno.EBUSY);
    return record(k, "bind", action.bind.device, k.core.driverProbeDevice(drv, dev));
  }
  if ("remove" in action) {
    const dev = k.findDevice(action.remove);
    if (dev === undefined) return record(k, "remove", action.remove, -Errno.ENODEV);
    const pdev = toPciDev(dev);
    if (pdev !== undefined && k.buses.pci !== null) pciStopAndRemoveBusDevice(k.buses.pci, pdev);
    else {
      k.core.deviceUnregister(dev);
      if (k.profile.platformDmaConfigure === "creation") k.arm64?.archTeardownDmaOps(dev);
      k.ofDevices.delete(dev);
    }
    return record(k, "remove", action.remove, 0);
  }
  if ("dma" in action) {
    const dev = k.findDevice(action.dma.device);
    if (dev === undefined || k.dma === null) return record(k, "dma", action.dma.device, -Errno.ENODEV);
    for (const op of action.dma.ops) performDmaOp(k, k.dma, dev, op, (d) => k.iommuView.domainTypeOf(d));
    return record(k, "dma", action.dma.device, 0);
  }
  if ("msi" in action) {
    const dev = k.findDevice(action.msi);
    if (dev === undefined || k.dma === null) return record(k, "msi", action.msi, -Errno.ENODEV);
    const address = allocMsiVector(k, k.dma, dev);
    if (address === null) return record(k, "msi", action.msi, -Errno.ENOSPC);
    raiseMsi(k, dev, address);
    return record(k, "msi", action.msi, 0);
  }
  if ("loadModule" in action) {
    const m = modules.find((x) => x.name === action.loadModule);
    if (m === undefined || k.initcalls === null) return record(k, "load-module", action.loadModule, -Errno.ENOENT);
    return record(k, "load-module", action.loadModule, k.initcalls.loadModule(m.name, m.init));
  }
  if ("rescan" in action) {
    const pci = k.buses.pci;
    if (pci === null) return record(k, "rescan", "pci", -Errno.ENODEV);
    for (const host of pci.hostBridges) {
      pciScanChildBus(pci, host.bus);
      pciBusAddDevices(pci, host.bus);
    }
    return record(k, "rescan", "pci", 0);
  }
  if ("registerDevice" in action) {
    const platform = k.buses.platform;
    if (platform === null) return record(k, "register", action.registerDevice, -Errno.ENODEV);
    const dev = k.core.deviceInitialize({ name: action.registerDevice, bus: platform });
    dev.setData(PLATFORM_DEVICE, { name: action.registerDevice });
    k.trace.emit({ type: "fw-device-create", device: action.registerDevice, bus: platform.name, by: "device_register" });
    const ret = k.core.deviceAdd(dev);
    if (ret === 0) k.remember(dev);
    return record(k, "register", action.registerDevice, ret);
  }
  k.core.scheduler.advanceBy(Math.max(0, Math.trunc(action.advanceUs)));
  return record(k, "advance", String(action.advanceUs), 0);
}
