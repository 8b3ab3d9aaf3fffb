import { describe, expect, it } from "vitest";
import { DRIVER_CORE_ERAS, Errno, type Device, type DriverCoreEra, type DriverCoreEraName } from "@dmasim/driver-core";
import { must, setup, steps, walks } from "./helpers";

/** A device and a driver on the platform bus; the device is added after the driver, so device_add probes it. */
function probeOnce(era: DriverCoreEraName | DriverCoreEra, probe: (dev: Device) => number, opts: Parameters<typeof setup>[1] = {}) {
  const s = setup(era, opts);
  must(s.core.driverRegister({ name: "drv", bus: s.bus, probe }));
  const dev = must(s.core.deviceRegister({ name: "drv", bus: s.bus }));
  return { ...s, dev, probeSteps: steps(s.trace.records, "drv").filter((t) => !["bus_add_device", "ADD_DEVICE", "bus_probe_device"].includes(t)) };
}

describe("really_probe, v4.7 ordering (b.4)", () => {
  it("binds: BIND_DRIVER → probe → driver_bound → BOUND_DRIVER, returns 1, dev->driver set during probe", () => {
    let driverDuringProbe: string | null = null;
    const { probeSteps, dev } = probeOnce("v4.7", (d) => ((driverDuringProbe = d.driver?.name ?? null), 0));
    expect(probeSteps).toEqual(["really_probe", "BIND_DRIVER", "probe=0", "driver_bound", "BOUND_DRIVER", "really_probe=1"]);
    expect(driverDuringProbe).toBe("drv");
    expect(dev.isBound).toBe(true);
    expect(dev.driver?.boundDevices).toEqual([dev]);
  });

  it("on probe failure emits DRIVER_NOT_BOUND exactly once after BIND and swallows the error (returns 0)", () => {
    const { probeSteps, dev, trace } = probeOnce("v4.7", () => -Errno.ENOMEM);
    expect(probeSteps).toEqual(["really_probe", "BIND_DRIVER", "probe=-12", "DRIVER_NOT_BOUND", "log:failed", "really_probe=0"]);
    expect(walks(trace.records).filter((w) => w === "DRIVER_NOT_BOUND drv")).toHaveLength(1);
    expect(dev.driver).toBeNull();
    expect(dev.deferredList).toBeNull();
  });

  it("treats -ENODEV/-ENXIO as 'rejects match' and -EPROBE_DEFER as a deferral onto the pending list", () => {
    expect(probeOnce("v4.7", () => -Errno.ENXIO).probeSteps).toContain("log:rejects");
    const deferred = probeOnce("v4.7", () => -Errno.EPROBE_DEFER);
    expect(deferred.probeSteps).toEqual(["really_probe", "BIND_DRIVER", "probe=-517", "DRIVER_NOT_BOUND", "log:deferral", "deferred_add", "really_probe=0"]);
    expect(deferred.dev.deferredList).toBe("pending");
  });

  it("a pinctrl failure happens before BIND: no notifier at all", () => {
    const { probeSteps } = probeOnce("v4.7", () => 0, { hooks: { pinctrlBindPins: () => -Errno.EINVAL } });
    expect(probeSteps).toEqual(["really_probe", "pinctrl=-22", "log:failed", "really_probe=0"]);
  });

  it("a sysfs failure after BIND goes to probe_failed with ret still 0 ('failed with error 0')", () => {
    const { probeSteps, trace } = probeOnce("v4.7", () => 0, { hooks: { driverSysfsAdd: () => -Errno.EEXIST } });
    expect(probeSteps).toEqual(["really_probe", "BIND_DRIVER", "sysfs=-17", "DRIVER_NOT_BOUND", "log:failed", "really_probe=0"]);
    expect(trace.records.find((r) => r.type === "probe-outcome")).toMatchObject({ ret: 0 });
  });

  it("never calls dma_configure, and tears nothing down on unbind", () => {
    const dmaConfigure = () => {
      throw new Error("v4.7 has no probe-time dma_configure");
    };
    const { core, dev, trace } = probeOnce("v4.7", () => 0, { bus: { dmaConfigure } });
    const from = trace.records.length;
    core.deviceReleaseDriver(dev);
    expect(steps(trace.records.slice(from), "drv")).toEqual(["UNBIND_DRIVER", "remove", "klist_remove", "UNBOUND_DRIVER"]);
  });
});

describe("really_probe, v4.12 ordering (b.5)", () => {
  it("runs dma_configure between pinctrl and BIND_DRIVER", () => {
    const { probeSteps } = probeOnce("v4.12", () => 0, { bus: { dmaConfigure: () => 0 }, hooks: { pinctrlBindPins: () => 0 } });
    expect(probeSteps).toEqual(["really_probe", "pinctrl=0", "dma_configure=0", "BIND_DRIVER", "probe=0", "driver_bound", "BOUND_DRIVER", "really_probe=1"]);
  });

  it("a dma_configure -EPROBE_DEFER emits DRIVER_NOT_BOUND with no BIND_DRIVER, then defers", () => {
    const { probeSteps, dev } = probeOnce("v4.12", () => 0, { bus: { dmaConfigure: () => -Errno.EPROBE_DEFER } });
    expect(probeSteps).toEqual(["really_probe", "dma_configure=-517", "DRIVER_NOT_BOUND", "log:deferral", "deferred_add", "really_probe=0"]);
    expect(dev.deferredList).toBe("pending");
  });

  it("without emitNotBoundOnDmaConfigureFailure (hypothetical switch) the dma failure reaches no notifier", () => {
    const era = { ...DRIVER_CORE_ERAS["v4.12"], emitNotBoundOnDmaConfigureFailure: false };
    const { probeSteps } = probeOnce(era, () => 0, { bus: { dmaConfigure: () => -Errno.EPROBE_DEFER } });
    expect(probeSteps).toEqual(["really_probe", "dma_configure=-517", "log:deferral", "deferred_add", "really_probe=0"]);
  });

  it("a probe failure runs dma_deconfigure before DRIVER_NOT_BOUND", () => {
    const torn: string[] = [];
    const { probeSteps } = probeOnce("v4.12", () => -Errno.ENOMEM, {
      bus: { dmaConfigure: () => 0 },
      hooks: { dmaDeconfigure: (d) => void torn.push(d.name) },
    });
    expect(probeSteps).toEqual(["really_probe", "dma_configure=0", "BIND_DRIVER", "probe=-12", "dma_deconfigure", "DRIVER_NOT_BOUND", "log:failed", "really_probe=0"]);
    expect(torn).toEqual(["drv"]);
  });

  it("unbind runs dma_deconfigure after ->remove and before UNBOUND_DRIVER", () => {
    const { core, dev, trace } = probeOnce("v4.12", () => 0, { bus: { dmaConfigure: () => 0 } });
    const from = trace.records.length;
    core.deviceReleaseDriver(dev);
    expect(steps(trace.records.slice(from), "drv")).toEqual(["UNBIND_DRIVER", "remove", "dma_deconfigure", "klist_remove", "UNBOUND_DRIVER"]);
  });
});

describe("really_probe, modern ordering (b.6, torvalds/linux dd.c @5a7a9efdb193)", () => {
  it("binds with bus->dma_configure before BIND_DRIVER and returns 0", () => {
    const { probeSteps, trace } = probeOnce("v6.1", () => 0, { bus: { dmaConfigure: () => 0 } });
    expect(probeSteps).toEqual(["really_probe", "dma_configure=0", "BIND_DRIVER", "probe=0", "driver_bound", "BOUND_DRIVER", "really_probe=0"]);
    expect(trace.records.find((r) => r.type === "probe-match")).toMatchObject({ fn: "__driver_probe_device" });
  });

  it("a dma_configure failure emits neither BIND nor NOT_BOUND, runs device_unbind_cleanup, returns the negative errno", () => {
    const { probeSteps, trace } = probeOnce("v6.1", () => 0, { bus: { dmaConfigure: () => -Errno.EPROBE_DEFER, dmaCleanup: () => undefined } });
    expect(probeSteps).toEqual(["really_probe", "dma_configure=-517", "arch_teardown_dma_ops", "really_probe=-517", "deferred_add"]);
    expect(trace.records.find((r) => r.type === "device-attach-end")).toMatchObject({ device: "drv", ret: -517 });
  });

  it("a probe failure: NOT_BOUND, bus->dma_cleanup, arch_teardown_dma_ops; the errno comes back positive", () => {
    const { probeSteps } = probeOnce("v6.1", () => -Errno.ENOMEM, { bus: { dmaConfigure: () => 0, dmaCleanup: () => undefined } });
    expect(probeSteps).toEqual([
      "really_probe",
      "dma_configure=0",
      "BIND_DRIVER",
      "probe=-12",
      "log:failed",
      "DRIVER_NOT_BOUND",
      "dma_cleanup",
      "arch_teardown_dma_ops",
      "really_probe=12",
    ]);
  });

  it("a probe -EPROBE_DEFER is handled in driver_probe_device (really_probe returns +EPROBE_DEFER)", () => {
    const { probeSteps, dev } = probeOnce("v6.1", () => -Errno.EPROBE_DEFER);
    expect(probeSteps).toEqual(["really_probe", "BIND_DRIVER", "probe=-517", "log:deferral", "DRIVER_NOT_BOUND", "arch_teardown_dma_ops", "really_probe=517", "deferred_add"]);
    expect(dev.deferredList).toBe("pending");
  });

  it("a sysfs failure after BIND gives NOT_BOUND (sysfs_failed) with the real errno", () => {
    const { probeSteps } = probeOnce("v6.1", () => 0, { hooks: { driverSysfsAdd: () => -Errno.ENOMEM } });
    expect(probeSteps).toEqual(["really_probe", "BIND_DRIVER", "sysfs=-12", "DRIVER_NOT_BOUND", "arch_teardown_dma_ops", "really_probe=-12"]);
  });

  it("unbind: UNBIND, ->remove, bus->dma_cleanup, device_unbind_cleanup (arch_teardown_dma_ops), UNBOUND", () => {
    const { core, dev, trace } = probeOnce("v6.1", () => 0, { bus: { dmaCleanup: () => undefined } });
    const from = trace.records.length;
    core.deviceReleaseDriver(dev);
    expect(steps(trace.records.slice(from), "drv")).toEqual(["UNBIND_DRIVER", "remove", "dma_cleanup", "arch_teardown_dma_ops", "klist_remove", "UNBOUND_DRIVER"]);
    expect(dev.driver).toBeNull();
    expect(dev.isBound).toBe(false);
  });
});

describe("probe outcomes in every era", () => {
  it.each(["v4.7", "v4.12", "v4.19", "v6.1"] as const)("%s: the next driver gets its chance after a failure", (era) => {
    const s = setup(era);
    must(s.core.driverRegister({ name: "first", bus: s.bus, matchIds: ["platform:dev"], probe: () => -Errno.ENODEV }));
    must(s.core.driverRegister({ name: "second", bus: s.bus, matchIds: ["platform:dev"], probe: () => 0 }));
    const dev = must(s.core.deviceRegister({ name: "dev", bus: s.bus }));
    expect(dev.driver?.name).toBe("second");
    expect(walks(s.trace.records).filter((w) => w.endsWith(" dev"))).toEqual([
      "ADD_DEVICE dev",
      "BIND_DRIVER dev",
      "DRIVER_NOT_BOUND dev",
      "BIND_DRIVER dev",
      "BOUND_DRIVER dev",
    ]);
  });

  it.each(["v4.7", "v4.12", "v6.1"] as const)("%s: a preset dev->driver is bound by device_bind_driver without probing", (era) => {
    const s = setup(era);
    const drv = must(s.core.driverRegister({ name: "usb", bus: s.bus, probe: () => { throw new Error("not probed"); } }));
    const dev = s.core.deviceInitialize({ name: "1-1:1.0", bus: s.bus });
    s.core.deviceSetDriver(dev, drv);
    expect(s.core.deviceAdd(dev)).toBe(0);
    expect(dev.isBound).toBe(true);
    expect(steps(s.trace.records, "1-1:1.0")).toEqual(["bus_add_device", "ADD_DEVICE", "bus_probe_device", "BIND_DRIVER", "driver_bound", "BOUND_DRIVER"]);
  });

  it("device_bind_driver emits DRIVER_NOT_BOUND when the sysfs links fail (v4.5+)", () => {
    const s = setup("v4.7", { hooks: { driverSysfsAdd: () => -Errno.ENOMEM } });
    const drv = must(s.core.driverRegister({ name: "usb", bus: s.bus }));
    const dev = s.core.deviceInitialize({ name: "x", bus: s.bus });
    s.core.deviceSetDriver(dev, drv);
    s.core.deviceAdd(dev);
    expect(walks(s.trace.records).slice(-2)).toEqual(["BIND_DRIVER x", "DRIVER_NOT_BOUND x"]);
    expect(dev.driver).toBeNull();
  });

  it("driver_probe_device returns -ENODEV for an unregistered device", () => {
    const s = setup("v4.7");
    const drv = must(s.core.driverRegister({ name: "x", bus: s.bus }));
    const dev = s.core.deviceInitialize({ name: "x", bus: s.bus });
    expect(s.core.driverProbeDevice(drv, dev)).toBe(-Errno.ENODEV);
    const m = setup("v6.1");
    const mdrv = must(m.core.driverRegister({ name: "x", bus: m.bus }));
    expect(m.core.driverProbeDevice(mdrv, m.core.deviceInitialize({ name: "x", bus: m.bus }))).toBe(-Errno.ENODEV);
    const bound = must(m.core.deviceRegister({ name: "x", bus: m.bus }));
    expect(m.core.driverProbeDevice(mdrv, bound)).toBe(-Errno.EBUSY);
  });
});
