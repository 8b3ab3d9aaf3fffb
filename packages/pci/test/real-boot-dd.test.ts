/**
 * Replays the PCI part of the real Debian 6.1 boots booted with `dyndbg="file drivers/base/dd.c +p"`
 * (`{acpi,dt}-topo-gic3-defer.log`) on the real PCI layer: enumeration from the machine's config space, the `pci`
 * bus type, the built-in `pcieport` and `shpchp` drivers, and `pci_dma_configure` deferring while the SMMU driver is
 * unbound (what `iort_iommu_configure` / `of_iommu_configure` do with a built-in SMMU driver that has not probed).
 * The driver-core debug lines for the PCI functions must match the real ones line for line. The orderings come from
 * the layers, not from the script: ACPI scans at subsys_initcall and `driver_attach` tries each registered driver
 * on every function; DT scans inside the `pci-host-generic` probe after `pcieport` and `shpchp` registered, so
 * `device_attach` stops at `pcieport`'s deferral and `shpchp` is only reached when `pcieport` rejects 02:00.0.
 */
import { describe, expect, it } from "vitest";
import { Errno, InitcallTable, PLATFORM_DEVICE, formatKernelLog, makePlatformBus, type Device } from "@dmasim/driver-core";
import { pciDevice, pciDeviceClass, pciePortdrvInit, shpcdInit } from "@dmasim/pci";
import { fixtureText, kernelLines } from "./helpers/fixtures";
import { acpiEnumerate, dtEnumerate, fixtureOptions, makeKernel, must, type TestKernel } from "./helpers/boot";

const PCI_LINE =
  /^(bus: 'pci': .*|driver: '[^']+': driver_bound: bound to device '0000:[0-9a-f:.]+'|pci 0000:[0-9a-f:.]+: .* deferred list|\S+: probe of 0000:\S+ (rejects match|failed with error) -?\d+|\S+ 0000:\S+: Driver \S+ requests probe deferral)$/;

function boot(fw: "dt" | "acpi"): string {
  let smmu: Device | null = null;
  const k: TestKernel = makeKernel(fixtureOptions(`${fw}-topo-gic3-defer.cmd`), {
    hooks: { firmwareDmaConfigure: () => (smmu?.isBound === true ? 0 : -Errno.EPROBE_DEFER) },
  });
  const platform = must(k.core.busRegister(makePlatformBus()));
  const initcalls = new InitcallTable(k.trace);
  const smmuName = fw === "dt" ? "9050000.smmuv3" : "arm-smmu-v3.0.auto";
  const addSmmu = (): void => {
    const dev = k.core.deviceInitialize({ name: smmuName, bus: platform });
    dev.setData(PLATFORM_DEVICE, fw === "dt" ? { compatible: ["arm,smmu-v3"] } : { name: "arm-smmu-v3" });
    k.core.deviceAdd(dev);
    smmu = dev;
  };
  if (fw === "acpi") {
    initcalls.register({
      level: "subsys",
      name: "acpi_init",
      fn: () => {
        addSmmu(); // iort_init_platform_devices
        k.pci.requestAcs(); // iort_enable_acs
        return acpiEnumerate(k); // acpi_scan_init → acpi_pci_root_add
      },
    });
  } else {
    initcalls.register({ level: "arch", name: "of_platform_default_populate_init", fn: () => (addSmmu(), 0) });
  }
  initcalls.register({ level: "device", name: "pcie_portdrv_init", fn: () => (must(pciePortdrvInit(k.pci)), 0) });
  initcalls.register({ level: "device", name: "shpcd_init", fn: () => (must(shpcdInit(k.pci)), 0) });
  if (fw === "dt") initcalls.register({ level: "device", name: "gen_pci_driver_init", fn: () => (dtEnumerate(k), 0) });
  initcalls.register({
    level: "device",
    name: "arm_smmu_driver_init",
    fn: () => (must(k.core.driverRegister({ name: "arm-smmu-v3", bus: platform, matchIds: ["of:arm,smmu-v3", "platform:arm-smmu-v3"], probe: () => 0 })), 0),
  });
  initcalls.register({ level: "late", name: "deferred_probe_initcall", fn: () => k.core.deferredProbeInitcall() });
  must(initcalls.run());
  const load = (name: string, ids: Parameters<typeof pciDevice>[] | "class", asyncProbe = false): void => {
    initcalls.loadModule(name, () => {
      const idTable = ids === "class" ? [pciDeviceClass(0x010802, 0xffffff)] : ids.map(([v, d]) => pciDevice(v, d));
      must(k.pci.registerDriver({ name, idTable, asyncProbe, probe: () => 0 }));
      k.core.scheduler.runPending();
      return 0;
    });
  };
  load("virtio-pci", [[0x1af4, 0xffff_ffff]]);
  load("e1000e", [[0x8086, 0x10d3]]);
  load("nvme", "class", true);
  return formatKernelLog(k.trace.records, { time: false });
}

describe("real 6.1 boots with dd.c debug", () => {
  for (const fw of ["acpi", "dt"] as const) {
    it(`${fw}: the same drivers/base/dd.c lines for every PCI function, in the same order`, () => {
      const real = kernelLines(fixtureText(`qemu-boots/${fw}-topo-gic3-defer.log`)).filter((l) => PCI_LINE.test(l));
      const model = boot(fw).split("\n").filter((l) => PCI_LINE.test(l));
      expect(real.length).toBeGreaterThan(60);
      expect(model).toEqual(real);
    });
  }
});
