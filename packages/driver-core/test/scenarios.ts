/**
 * Boot stories used by the invariant tests (and the benchmark): each runs a small kernel through initcalls and
 * returns its trace.
 */
import {
  DRIVER_CORE_ERAS,
  DriverCore,
  Errno,
  InitcallTable,
  Trace,
  makePlatformBus,
  type Device,
  type DriverCoreEra,
  type DriverCoreEraName,
  type DriverCoreEvent,
} from "@dmasim/driver-core";
import { must } from "./helpers";

export interface Story {
  readonly era: DriverCoreEra;
  readonly trace: Trace<DriverCoreEvent>;
  readonly core: DriverCore;
}

/**
 * A busy boot: three notifiers (0, -100, and another 0), a consumer deferring on a regulator until late_initcall,
 * a device whose dma_configure defers until its "IOMMU" binds (v4.12/modern), a probe that fails, a race
 * (a supplier binding inside a deferring probe), then an unbind and a hot-unplug.
 */
export function busyBoot(eraName: DriverCoreEraName): Story {
  const era = DRIVER_CORE_ERAS[eraName];
  const trace = new Trace<DriverCoreEvent>();
  const core = new DriverCore({ era, trace });
  const initcalls = new InitcallTable(trace);
  let iommu: Device | undefined;
  const platform = must(
    core.busRegister(
      makePlatformBus({
        dmaConfigure: (dev) => (dev.name.startsWith("dma-") && !iommu?.isBound ? -Errno.EPROBE_DEFER : 0),
        dmaCleanup: () => undefined,
      }),
    ),
  );
  core.busRegisterNotifier(platform, { name: "__iommu_attach_notifier", priority: -100, notifierCall: () => 0 });
  core.busRegisterNotifier(platform, { name: "iommu_bus_notifier", notifierCall: () => 1 });
  core.busRegisterNotifier(platform, { name: "late_zero", notifierCall: () => 0 });
  let reg: Device | undefined;
  let supplier: Device | undefined;
  initcalls.register({
    level: "arch_sync",
    name: "of_platform_populate",
    fn: () => {
      for (const name of ["eth0", "reg0", "dma-nic", "smmu", "broken", "consumer", "supplier"]) {
        const dev = must(core.deviceRegister({ name, bus: platform }));
        if (name === "reg0") reg = dev;
        if (name === "smmu") iommu = dev;
        if (name === "supplier") supplier = dev;
      }
      return 0;
    },
  });
  initcalls.register({
    level: "device",
    name: "eth_init",
    fn: () => {
      must(core.driverRegister({
        name: "eth0",
        bus: platform,
        probe: (dev) => {
          if (reg?.isBound) return 0;
          core.deviceSetDeferredProbeReason(dev, "regulator reg0", "reg0");
          return -Errno.EPROBE_DEFER;
        },
      }));
      must(core.driverRegister({ name: "dma-nic", bus: platform, probe: () => 0 }));
      must(core.driverRegister({ name: "broken", bus: platform, probe: () => -Errno.ENOMEM }));
      return 0;
    },
  });
  initcalls.register({ level: "device", name: "reg_init", fn: () => (must(core.driverRegister({ name: "reg0", bus: platform, probe: () => 0 })), 0) });
  initcalls.register({ level: "device", name: "smmu_init", fn: () => (must(core.driverRegister({ name: "smmu", bus: platform, probe: () => 0 })), 0) });
  initcalls.register({ level: "late", name: "deferred_probe_initcall", fn: () => core.deferredProbeInitcall() });
  initcalls.register({
    level: "late_sync",
    name: "race",
    fn: () => {
      must(core.driverRegister({
        name: "consumer",
        bus: platform,
        probe: (dev) => {
          if (supplier?.isBound) return 0;
          core.deviceSetDeferredProbeReason(dev, "supplier", "supplier");
          if (core.busFind("platform")?.findDriver("supplier") === undefined) {
            must(core.driverRegister({ name: "supplier", bus: platform, probe: () => 0 }));
          }
          return -Errno.EPROBE_DEFER;
        },
      }));
      core.scheduler.runPending();
      return 0;
    },
  });
  must(initcalls.run());
  core.scheduler.runUntilIdle();
  const eth = platform.findDevice("eth0") as Device;
  core.deviceReleaseDriver(eth);
  core.deviceDel(platform.findDevice("dma-nic") as Device);
  core.deviceDel(platform.findDevice("broken") as Device);
  return { era, trace, core };
}
