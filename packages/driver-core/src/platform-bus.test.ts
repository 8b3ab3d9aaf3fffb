import { describe, expect, it } from "vitest";
import { DriverCore } from "./core";
import { DRIVER_CORE_ERAS } from "./era";
import { Errno } from "./errno";
import type { DriverCoreEvent } from "./events";
import { makePlatformBus, PLATFORM_DEVICE, type PlatformDeviceInfo } from "./platform-bus";
import { Trace } from "./trace";

function bench() {
  const trace = new Trace<DriverCoreEvent>();
  const core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace });
  const res = core.busRegister(makePlatformBus());
  if (!res.ok) throw new Error("bus");
  const bus = res.value;
  const device = (name: string, info: PlatformDeviceInfo) => {
    const dev = core.deviceInitialize({ name, bus });
    dev.setData(PLATFORM_DEVICE, info);
    return dev;
  };
  const driver = (name: string, matchIds?: string[]) => {
    const r = core.driverRegister({ name, bus, ...(matchIds ? { matchIds } : {}) });
    if (!r.ok) throw new Error("drv");
    return r.value;
  };
  return { core, bus, device, driver };
}

describe("platform_match (drivers/base/platform.c)", () => {
  it("matches OF compatible, ACPI IDs, the id table, or the driver name, in that order", () => {
    const { bus, device, driver } = bench();
    const smmu = driver("arm-smmu-v3", ["of:arm,smmu-v3", "acpi:ARMHD0003", "platform:arm-smmu-v3"]);
    const match = bus.spec.match;
    expect(match(device("9050000.smmuv3", { compatible: ["arm,smmu-v3"] }), smmu)).toBe(1);
    expect(match(device("x", { acpiIds: ["ARMHD0003"] }), smmu)).toBe(1);
    expect(match(device("arm-smmu-v3.0.auto", { name: "arm-smmu-v3" }), smmu)).toBe(1);
    expect(match(device("arm-smmu-v3", {}), smmu)).toBe(1); // id table entry, not the name fallback
    expect(match(device("9050000.smmu", { compatible: ["arm,mmu-500"] }), smmu)).toBe(0);
    const byName = driver("serial8250");
    expect(match(device("serial8250", {}), byName)).toBe(1);
    const tabled = driver("psci-cpuidle", ["platform:other"]);
    expect(match(device("psci-cpuidle", {}), tabled)).toBe(0); // an id table disables the name fallback
  });

  it("driver_override binds only the named driver", () => {
    const { bus, device, driver } = bench();
    const a = driver("vfio-platform");
    const b = driver("eth", ["of:demo,eth"]);
    const dev = device("a000000.ethernet", { compatible: ["demo,eth"], driverOverride: "vfio-platform" });
    expect(bus.spec.match(dev, a)).toBe(1);
    expect(bus.spec.match(dev, b)).toBe(0);
  });
});

describe("platform_drv_probe", () => {
  it("turns -EPROBE_DEFER into -ENXIO for prevent_deferred_probe drivers (no deferral, 'rejects match')", () => {
    const { core, bus, device } = bench();
    const r = core.driverRegister({ name: "early", bus, preventDeferredProbe: true, probe: () => -Errno.EPROBE_DEFER });
    expect(r.ok).toBe(true);
    const dev = device("early", {});
    core.deviceAdd(dev);
    expect(dev.deferredList).toBeNull();
    expect(dev.isBound).toBe(false);
  });

  it("defers normally without the flag", () => {
    const { core, bus, device } = bench();
    core.driverRegister({ name: "late", bus, probe: () => -Errno.EPROBE_DEFER });
    const dev = device("late", {});
    core.deviceAdd(dev);
    expect(dev.deferredList).toBe("pending");
  });
});
