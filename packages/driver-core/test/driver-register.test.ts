import { describe, expect, it } from "vitest";
import { DRIVER_CORE_ERAS, DriverCore, Errno, makePlatformBus, Trace, type DriverCoreEvent } from "@dmasim/driver-core";
import { must, setup, steps, walks } from "./helpers";

describe("driver_register (b.3)", () => {
  it("rejects a duplicate name with -EBUSY and an unregistered bus with -EINVAL", () => {
    const { core, bus } = setup("v4.7");
    must(core.driverRegister({ name: "e1000e", bus }));
    expect(core.driverRegister({ name: "e1000e", bus })).toEqual({ ok: false, error: -Errno.EBUSY });
    const other = new DriverCore({ era: DRIVER_CORE_ERAS["v4.7"], trace: new Trace<DriverCoreEvent>() });
    const foreign = must(other.busRegister(makePlatformBus()));
    expect(core.driverRegister({ name: "x", bus: foreign })).toEqual({ ok: false, error: -Errno.EINVAL });
  });

  it("driver_attach walks the devices in the order they were added", () => {
    const { core, bus, trace } = setup("v4.7");
    for (const n of ["c", "a", "b"]) must(core.deviceRegister({ name: n, bus }));
    must(core.driverRegister({ name: "d", bus, matchIds: ["platform:a", "platform:b", "platform:c"], probe: () => 0 }));
    expect(walks(trace.records).filter((w) => w.startsWith("BOUND"))).toEqual(["BOUND_DRIVER c", "BOUND_DRIVER a", "BOUND_DRIVER b"]);
  });

  it("v4.7: a negative match error other than -EPROBE_DEFER stops driver_attach and fails the registration", () => {
    const { core, bus } = setup("v4.7", { bus: { match: () => -Errno.EINVAL } });
    must(core.deviceRegister({ name: "dev", bus }));
    expect(core.driverRegister({ name: "d", bus })).toEqual({ ok: false, error: -Errno.EINVAL });
    expect(bus.drivers).toEqual([]);
    const modern = setup("v6.1", { bus: { match: () => -Errno.EINVAL } });
    must(modern.core.deviceRegister({ name: "dev", bus: modern.bus }));
    expect(modern.core.driverRegister({ name: "d", bus: modern.bus }).ok).toBe(true);
  });

  it("driver_unregister unbinds the last-bound device first", () => {
    const { core, bus, trace } = setup("v6.1");
    const drv = must(core.driverRegister({ name: "d", bus, matchIds: ["platform:a", "platform:b", "platform:c"], probe: () => 0 }));
    for (const n of ["a", "b", "c"]) must(core.deviceRegister({ name: n, bus }));
    expect(drv.boundDevices.map((d) => d.name)).toEqual(["a", "b", "c"]);
    const from = trace.records.length;
    core.driverUnregister(drv);
    expect(walks(trace.records.slice(from)).filter((w) => w.startsWith("UNBIND_"))).toEqual(["UNBIND_DRIVER c", "UNBIND_DRIVER b", "UNBIND_DRIVER a"]);
    expect(bus.drivers).toEqual([]);
    expect(drv.boundDevices).toEqual([]);
  });
});

describe("async probing", () => {
  it("v4.7: an async driver's driver_attach runs from the async domain", () => {
    const { core, bus } = setup("v4.7");
    const dev = must(core.deviceRegister({ name: "d", bus }));
    must(core.driverRegister({ name: "d", bus, asyncProbe: true, probe: () => 0 }));
    expect(dev.isBound).toBe(false);
    expect(core.scheduler.ready.map((w) => `${w.queue}:${w.name}`)).toEqual(["async:driver_attach_async d"]);
    core.scheduler.runPending();
    expect(dev.isBound).toBe(true);
  });

  it("v6.1: __driver_attach schedules one async helper per device", () => {
    const { core, bus } = setup("v6.1");
    for (const n of ["a", "b"]) must(core.deviceRegister({ name: n, bus }));
    must(core.driverRegister({ name: "d", bus, asyncProbe: true, matchIds: ["platform:a", "platform:b"], probe: () => 0 }));
    expect(core.scheduler.ready.map((w) => w.name)).toEqual(["__driver_attach_async_helper a", "__driver_attach_async_helper b"]);
    core.scheduler.runPending();
    expect(bus.devices.every((d) => d.isBound)).toBe(true);
  });

  it.each(["v4.7", "v6.1"] as const)("%s: device_add with only an async driver schedules __device_attach_async_helper", (era) => {
    const { core, bus, trace } = setup(era);
    must(core.driverRegister({ name: "d", bus, asyncProbe: true, probe: () => 0 }));
    core.scheduler.runPending();
    const dev = must(core.deviceRegister({ name: "d", bus }));
    expect(dev.isBound).toBe(false);
    core.scheduler.runPending();
    expect(dev.isBound).toBe(true);
    expect(steps(trace.records, "d")).toContain("really_probe");
  });

  it("the explorer's policy decides which async probe runs first", () => {
    const { core, bus, trace } = setup("v6.1");
    for (const n of ["a", "b"]) must(core.deviceRegister({ name: n, bus }));
    must(core.driverRegister({ name: "d", bus, asyncProbe: true, matchIds: ["platform:a", "platform:b"], probe: () => 0 }));
    core.scheduler.pickNext = (ready) => ready.length - 1;
    core.scheduler.runPending();
    expect(walks(trace.records).filter((w) => w.startsWith("BOUND"))).toEqual(["BOUND_DRIVER b", "BOUND_DRIVER a"]);
  });
});
