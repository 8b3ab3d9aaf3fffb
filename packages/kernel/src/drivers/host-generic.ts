/**
 * `pci-host-generic`: the DT ECAM host bridge platform driver (built in, `builtin_platform_driver` =
 * device_initcall). Its probe scans the root bus behind the `pcie@...` node (`pci_host_common_probe`), which under DT
 * is where PCI enumeration happens (ACPI scans at subsys_initcall instead).
 *
 * @see drivers/pci/controller/pci-host-generic.c gen_pci_driver; drivers/pci/controller/pci-host-common.c
 */
import { Errno } from "@dmasim/driver-core";
import { pciHostGenericProbe } from "@dmasim/pci";
import type { Kernel } from "../boot/kernel";
import { ofFirstRegion } from "../firmware-glue/of-address";
import type { KernelDriver } from "./register";

/** The `pci-host-generic` driver of a kernel. */
export function hostGenericDriver(k: Kernel): KernelDriver {
  return {
    name: "pci-host-generic",
    match: { kind: "platform", matchIds: ["of:pci-host-ecam-generic", "of:pci-host-cam-generic"] },
    probe: (dev) => {
      const fw = k.platform.firmware;
      const node = k.ofDevices.nodeOf(dev);
      const pci = k.buses.pci;
      if (fw.kind !== "dt" || node === undefined || pci === null) return -Errno.ENODEV;
      const reg = ofFirstRegion(fw.dt, node);
      const hb = k.platform.board.pciHostBridges.find((h) => h.ecam.base === reg?.base);
      if (hb === undefined) return -Errno.ENODEV;
      return pciHostGenericProbe(pci, dev, {
        ecam: hb.ecam,
        busRange: hb.busRange,
        windows: hb.windows,
        config: k.machine.pci,
        domain: hb.segment,
      });
    },
  };
}
