import { describe, expect, it } from "vitest";
import { Errno } from "@dmasim/driver-core";
import { must, setup, steps } from "./helpers";

describe("device_add (kernel-behaviour.md b.1)", () => {
  it("runs platform_notify, bus_add_device, BUS_NOTIFY_ADD_DEVICE, then bus_probe_device", () => {
    const { core, trace, bus } = setup("v4.7", { hooks: { platformNotify: () => undefined } });
    must(core.driverRegister({ name: "eth", bus, probe: () => 0 }));
    must(core.deviceRegister({ name: "eth", bus }));
    expect(steps(trace.records, "eth")).toEqual([
      "platform_notify",
      "bus_add_device",
      "ADD_DEVICE",
      "bus_probe_device",
      "really_probe",
      "BIND_DRIVER",
      "probe=0",
      "driver_bound",
      "BOUND_DRIVER",
      "really_probe=1",
    ]);
  });

  it("sees dev->fwnode set by platform_notify before ADD_DEVICE (ACPI binds the companion there)", () => {
    let seen: string | null = "unset";
    const { core, bus } = setup("v4.7", { hooks: { platformNotify: (dev) => void (dev.fwnode = { name: "\\_SB.PCI0" }) } });
    core.busRegisterNotifier(bus, { name: "watch", notifierCall: (_a, dev) => ((seen = dev.fwnode?.name ?? null), 0) });
    must(core.deviceRegister({ name: "d", bus }));
    expect(seen).toBe("\\_SB.PCI0");
  });

  it("does not probe when drivers_autoprobe is off, and fails with -EINVAL/-EEXIST", () => {
    const { core, bus, trace } = setup("v6.1");
    bus.driversAutoprobe = false;
    must(core.driverRegister({ name: "d", bus }));
    const dev = must(core.deviceRegister({ name: "d", bus }));
    expect(dev.isBound).toBe(false);
    expect(steps(trace.records, "d")).toEqual(["bus_add_device", "ADD_DEVICE", "bus_probe_device"]);
    expect(core.deviceRegister({ name: "", bus })).toEqual({ ok: false, error: -Errno.EINVAL });
    expect(core.deviceRegister({ name: "d", bus })).toEqual({ ok: false, error: -Errno.EEXIST });
    expect(core.deviceAdd(dev)).toBe(-Errno.EEXIST);
  });
});

describe("device_del (b.8)", () => {
  it("DEL_DEVICE, bus_remove_device → release (UNBIND, remove, UNBOUND), deferred del, platform_notify_remove, REMOVED_DEVICE", () => {
    const { core, trace, bus } = setup("v4.7", { hooks: { platformNotifyRemove: () => undefined } });
    must(core.driverRegister({ name: "eth", bus, probe: () => 0 }));
    const dev = must(core.deviceRegister({ name: "eth", bus }));
    const from = trace.records.length;
    core.deviceDel(dev);
    expect(steps(trace.records.slice(from), "eth")).toEqual([
      "DEL_DEVICE",
      "bus_remove_device",
      "UNBIND_DRIVER",
      "remove",
      "klist_remove",
      "UNBOUND_DRIVER",
      "platform_notify_remove",
      "REMOVED_DEVICE",
    ]);
    expect(dev.isRegistered).toBe(false);
    expect(dev.driver).toBeNull();
    expect(bus.devices).toEqual([]);
    expect(() => core.deviceDel(dev)).toThrow(/not added/);
  });

  it("takes a deferred device off the pending list", () => {
    const { core, bus, trace } = setup("v4.7");
    must(core.driverRegister({ name: "eth", bus, probe: () => -Errno.EPROBE_DEFER }));
    const dev = must(core.deviceRegister({ name: "eth", bus }));
    expect(dev.deferredList).toBe("pending");
    core.deviceDel(dev);
    expect(dev.deferredList).toBeNull();
    expect(core.deferredPending).toEqual([]);
    expect(steps(trace.records, "eth").slice(-3)).toEqual(["bus_remove_device", "deferred_del(pending)", "REMOVED_DEVICE"]);
  });
});
