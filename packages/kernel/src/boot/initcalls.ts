/**
 * The initcall sections of the composed kernel: what each subsystem registers at which level, in the kernel's link
 * order (drivers/Makefile: pci/ before acpi/ before amba/ before virtio/ before iommu/ before nvme/ before net/),
 * with a level's default order equal to registration order. The explorer permutes it with `linkOrder`.
 *
 * @see include/linux/init.h; kernel-behaviour.md §a.5 (placements)
 */
import { makePlatformBus, type Initcall, type InitcallLevel, type InitcallTable } from "@dmasim/driver-core";
import { PCIEPORT_DRIVER, SHPCHP_DRIVER, registerPciBus } from "@dmasim/pci";
import { printk } from "@dmasim/driver-core";
import { acpiScanPciRoots, iortInitPlatformDevices } from "../firmware-glue/acpi";
import { ofPlatformPopulate } from "../firmware-glue/of-platform";
import { DEFAULT_ENDPOINT_DRIVERS_LINK_ORDER, DEFAULT_ENDPOINT_MODULE_ORDER } from "../drivers/default-drivers";
import { registerKernelDriver, registerObservedPciDriver } from "../drivers/register";
import { hostGenericDriver } from "../drivers/host-generic";
import { scenarioDriver } from "../drivers/scenario-driver";
import type { ScenarioDriverSpec } from "../scenarios/types";
import type { Kernel } from "./kernel";
import { createIommuLayer } from "./layers";
import type { SmmuDriverGlue } from "../drivers/smmu";

/** A module to load after the initcalls: its name and `module_init`. */
export interface ModuleLoad {
  readonly name: string;
  readonly init: () => number;
}

/** What {@link registerInitcalls} produces besides the table: the modules, in load order, and spec errors. */
export interface InitcallPlan {
  readonly modules: readonly ModuleLoad[];
  readonly errors: readonly string[];
}

/** Options of {@link registerInitcalls}. */
export interface InitcallOptions {
  readonly defaultDrivers: boolean;
  readonly drivers: readonly ScenarioDriverSpec[];
  readonly smmu: SmmuDriverGlue;
}

/** The initcall name of a scenario's built-in driver `name` (`NAME_init`, non-identifier characters as `_`). */
export function scenarioInitcallName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9_]/g, "_")}_init`;
}

function reg(table: InitcallTable, level: InitcallLevel, name: string, fn: Initcall["fn"]): void {
  table.register({ level, name, fn });
}

/**
 * Registers every initcall of the composed kernel in link order and returns the modules to load afterwards.
 */
export function registerInitcalls(k: Kernel, table: InitcallTable, options: InitcallOptions): InitcallPlan {
  const errors: string[] = [];
  const modules: ModuleLoad[] = [];
  const fw = k.platform.firmware;
  const dma = k.dma;
  const arm64 = k.arm64;
  if (dma === null || arm64 === null) throw new Error("the DMA layer must exist before the initcalls are registered");

  // driver_init(): platform_bus_init.
  reg(table, "driver_init", "platform_bus_init", () => {
    const r = k.core.busRegister(
      makePlatformBus({ dmaConfigure: (dev) => k.glue?.platformDmaConfigure(dev) ?? 0, dmaCleanup: () => undefined }),
    );
    if (r.ok) k.buses.platform = r.value;
    return r.ok ? 0 : r.error;
  });
  // core_initcall(iommu_init): the iommu_groups kset; nothing the model needs.
  reg(table, "core", "iommu_init", () => 0);
  // postcore: amba_init (drivers/amba), pci_driver_init (drivers/pci) — the IOMMU core comes up with the pci bus.
  reg(table, "postcore", "amba_init", () => {
    const r = k.core.busRegister(makePlatformBus({ name: "amba", dmaConfigure: (dev) => k.glue?.platformDmaConfigure(dev) ?? 0 }));
    if (r.ok) k.buses.amba = r.value;
    return r.ok ? 0 : r.error;
  });
  reg(table, "postcore", "pci_driver_init", () => {
    const r = registerPciBus(k.core, {
      trace: k.trace,
      era: k.profile.pci,
      hooks: {
        firmwareDmaConfigure: (pdev, firmware) =>
          k.glue?.pciFirmwareDmaConfigure(pdev, firmware, k.profile.pci.dmaConfigureAt === "device-add" ? "creation" : "probe") ?? 0,
        iommuDeviceUseDefaultDomain: (dev) => k.iommu?.iommuDeviceUseDefaultDomain(dev) ?? 0,
        iommuDeviceUnuseDefaultDomain: (dev) => k.iommu?.iommuDeviceUnuseDefaultDomain(dev),
        archTeardownDmaOps: (dev) => arm64.archTeardownDmaOps(dev),
      },
    });
    if (!r.ok) return r.error;
    k.buses.pci = r.value;
    const layer = createIommuLayer(k, r.value, dma, arm64);
    k.iommu = layer.iommu;
    k.glue = layer.glue;
    return 0;
  });
  // arch_initcall(__iommu_dma_init): the v4.x arm64 attach notifiers (and v4.7's drain); gone in modern kernels.
  if (k.profile.arm64DmaSetup !== "v6.1") {
    reg(table, "arch", "__iommu_dma_init", () => {
      const buses = [k.buses.platform, k.buses.amba, k.buses.pci?.bus ?? null].filter((b) => b !== null);
      return arm64.iommuDmaInit(buses);
    });
  }
  // arch_initcall_sync: DT population (v4.7's arm64_device_init runs of_iommu_init first).
  const populate = (): number => {
    if (fw.kind !== "dt") return -19; // of_have_populated_dt() is false under ACPI
    ofPlatformPopulate(k, fw.dt, k.ofDevices, k.ofCreateHooks);
    return 0;
  };
  if (k.profile.iommu.opsLookup === "of-set-ops") {
    reg(table, "arch_sync", "arm64_device_init", () => {
      if (fw.kind === "dt") options.smmu.ofIommuInit();
      return populate();
    });
  } else {
    reg(table, "arch_sync", "of_platform_default_populate_init", populate);
  }
  // subsys: acpi_init (drivers/acpi), then drivers/iommu: iommu_subsys_init, and v4.7's arm_smmu_init.
  if (fw.kind === "acpi") {
    reg(table, "subsys", "acpi_init", () => {
      iortInitPlatformDevices(k, fw.iort, fw.smmuNodes, { smmuFound: (s) => options.smmu.iortSmmuFound(s) });
      acpiScanPciRoots(k);
      return 0;
    });
  }
  if (k.profile.iommu.subsysInitLog !== "none") reg(table, "subsys", "iommu_subsys_init", () => k.iommu?.iommuSubsysInit() ?? 0);
  if (k.profile.smmuDriver.initcall === "subsys") reg(table, "subsys", "arm_smmu_init", () => options.smmu.register());
  // device_initcall: drivers/pci (pcieport, shpchp, pci-host-generic), drivers/virtio, drivers/iommu, nvme, net.
  if (options.defaultDrivers) {
    reg(table, "device", "pcie_portdrv_init", () => registerObservedPciDriver(k, PCIEPORT_DRIVER));
    reg(table, "device", "shpcd_init", () => {
      const ret = registerObservedPciDriver(k, SHPCHP_DRIVER);
      printk(k.trace, "info", "shpchp", "drivers/pci/hotplug/shpchp_core.c", "Standard Hot Plug PCI Controller Driver version: 0.4");
      return ret;
    });
  }
  reg(table, "device", "gen_pci_driver_init", () => registerKernelDriver(k, hostGenericDriver(k)));
  const builtinEndpoints = options.defaultDrivers && !k.profile.kconfig.endpointDriversAsModules;
  const endpointAt = (i: number): void => {
    const d = DEFAULT_ENDPOINT_DRIVERS_LINK_ORDER[i];
    if (d !== undefined && builtinEndpoints) reg(table, "device", d.initcall, () => registerKernelDriver(k, d.driver(k)));
  };
  endpointAt(0); // drivers/virtio
  if (k.profile.smmuDriver.initcall === "device") reg(table, "device", "arm_smmu_driver_init", () => options.smmu.register());
  endpointAt(1); // drivers/nvme
  endpointAt(2); // drivers/net
  if (options.defaultDrivers && k.profile.kconfig.endpointDriversAsModules) {
    for (const d of DEFAULT_ENDPOINT_MODULE_ORDER) modules.push({ name: d.module, init: () => registerKernelDriver(k, d.driver(k)) });
  }
  // The scenario's drivers: built-ins at their level after the kernel's own (link order), modules after those.
  for (const spec of options.drivers) {
    const made = scenarioDriver(k, spec);
    if (!made.ok) {
      errors.push(made.error);
      continue;
    }
    const init = (): number => registerKernelDriver(k, made.value);
    if (spec.load === "module") modules.push({ name: spec.name, init });
    else reg(table, spec.initcall ?? "device", scenarioInitcallName(spec.name), init);
  }
  // late_initcall(deferred_probe_initcall).
  reg(table, "late", "deferred_probe_initcall", () => {
    k.lateDone = true;
    return k.core.deferredProbeInitcall();
  });
  return { modules, errors };
}
