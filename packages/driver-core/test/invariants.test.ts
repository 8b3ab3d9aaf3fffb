import { describe, expect, it } from "vitest";
import {
  DRIVER_CORE_ERAS,
  Errno,
  checkBindBracket,
  checkBoundState,
  checkChainOrder,
  checkDeferLists,
  checkDeferLiveness,
  checkDriverCoreInvariants,
  checkTriggerRace,
  checkUnbindOrder,
  type DriverCoreEvent,
  type TraceRecord,
} from "@dmasim/driver-core";
import { must, setup } from "./helpers";
import { busyBoot } from "./scenarios";

type Rec = TraceRecord<DriverCoreEvent>;

const isWalk = (r: Rec, action: string, device: string) => r.type === "notifier-chain-start" && r.action === action && r.data === device;

/** Removes the whole notifier walk whose start matches. */
function withoutWalk(records: readonly Rec[], action: string, device: string, nth = 0): Rec[] {
  const starts = records.filter((r) => isWalk(r, action, device));
  const start = starts[nth];
  if (start === undefined || start.type !== "notifier-chain-start") throw new Error(`no ${action} ${device}`);
  return records.filter(
    (r) => !("chain" in r && "walk" in r && r.chain === start.chain && r.walk === start.walk),
  );
}

describe.each(["v4.7", "v4.12", "v4.19", "v6.1"] as const)("a busy %s boot", (era) => {
  const story = busyBoot(era);
  const records = story.trace.records;

  it("holds every driver-core invariant", () => {
    expect(checkDriverCoreInvariants(records, story.era)).toEqual([]);
  });

  it("really exercised what the invariants look at", () => {
    const types = new Set(records.map((r) => r.type));
    for (const t of ["probe-defer", "deferred-retry", "deferred-flushed", "release-driver", "device-del", "deferred-reason"]) {
      expect(types.has(t as DriverCoreEvent["type"])).toBe(true);
    }
    expect(records.some((r) => isWalk(r, "DRIVER_NOT_BOUND", "broken"))).toBe(true);
    const race = records.find((r) => r.type === "probe-defer" && r.device === "consumer");
    expect(race).toMatchObject({ type: "probe-defer" });
    if (race?.type === "probe-defer") expect(race.triggerCount).toBeGreaterThan(race.triggerCountAtStart);
  });
});

describe("I-CHAIN-ORDER", () => {
  const records = busyBoot("v4.7").trace.records;

  it("fails when a lower-priority block runs first", () => {
    const start = records.findIndex((r) => isWalk(r, "ADD_DEVICE", "eth0"));
    const bad = [...records];
    // calls are [start, call 0, ret 0, call 0', ret 0', call -100, ret -100, end]: swap the first and last pairs
    const [c1, r1] = [bad[start + 1], bad[start + 2]] as [Rec, Rec];
    bad[start + 1] = bad[start + 5] as Rec;
    bad[start + 2] = bad[start + 6] as Rec;
    bad[start + 5] = c1;
    bad[start + 6] = r1;
    const v = checkChainOrder(bad);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ invariant: "I-CHAIN-ORDER", device: "eth0" });
    expect(v[0]?.message).toBe("bus:platform ADD_DEVICE: expected iommu_bus_notifier next, __iommu_attach_notifier ran");
    // Without the registrations in the trace, the priorities alone give it away.
    const unregistered = bad.filter((r) => r.type !== "notifier-register");
    expect(checkChainOrder(unregistered)[0]?.message).toBe(
      "bus:platform ADD_DEVICE: late_zero (priority 0, registered #3) ran after __iommu_attach_notifier (priority -100, registered #1)",
    );
  });

  it("fails when equal priorities leave registration order", () => {
    const start = records.findIndex((r) => isWalk(r, "ADD_DEVICE", "eth0"));
    const bad = [...records];
    [bad[start + 1], bad[start + 3]] = [bad[start + 3] as Rec, bad[start + 1] as Rec];
    [bad[start + 2], bad[start + 4]] = [bad[start + 4] as Rec, bad[start + 2] as Rec];
    expect(checkChainOrder(bad)[0]?.message).toBe("bus:platform ADD_DEVICE: expected iommu_bus_notifier next, late_zero ran");
    expect(checkChainOrder(bad.filter((r) => r.type !== "notifier-register"))[0]?.message).toBe(
      "bus:platform ADD_DEVICE: iommu_bus_notifier (priority 0, registered #2) ran after late_zero (priority 0, registered #3)",
    );
  });

  it("fails when a walk continues past a stop, or ends early without one; holds for a real chain stop", () => {
    const s = setup("v4.7");
    s.core.busRegisterNotifier(s.bus, { name: "iommu_bus_notifier", notifierCall: () => -Errno.ENODEV });
    s.core.busRegisterNotifier(s.bus, { name: "__iommu_attach_notifier", priority: -100, notifierCall: () => 0 });
    must(s.core.deviceRegister({ name: "0000:00:01.0", bus: s.bus }));
    const real = s.trace.records;
    expect(checkChainOrder(real)).toEqual([]); // the -ENODEV stop skipped the -100 block: allowed
    const forged = real.map((r) => (r.type === "notifier-return" ? { ...r, ret: 0, stop: false } : r));
    expect(checkChainOrder(forged)[0]?.message).toContain("ended after 1 of 2 blocks without a stop");
    const end = real.findIndex((r) => r.type === "notifier-chain-end");
    const call = real.find((r) => r.type === "notifier-call");
    const extra = [...real.slice(0, end), { ...(call as Rec), seq: 999 }, ...real.slice(end)];
    expect(checkChainOrder(extra)[0]?.message).toContain("called after a return value with NOTIFY_STOP_MASK set");
  });
});

describe("I-BIND-BRACKET", () => {
  it("the converse fails for a v4.12 dma_configure deferral unless the era allows it", () => {
    const records = busyBoot("v4.12").trace.records;
    expect(records.some((r) => isWalk(r, "DRIVER_NOT_BOUND", "dma-nic"))).toBe(true);
    expect(checkBindBracket(records, DRIVER_CORE_ERAS["v4.12"])).toEqual([]);
    const strict = checkBindBracket(records, DRIVER_CORE_ERAS["v4.7"]);
    expect(strict.length).toBeGreaterThan(0);
    expect(strict.every((v) => v.device === "dma-nic" && v.message.startsWith("DRIVER_NOT_BOUND without a BIND_DRIVER"))).toBe(true);
  });

  it("fails when a BIND_DRIVER gets no outcome, or two", () => {
    const records = busyBoot("v4.7").trace.records;
    const none = checkBindBracket(withoutWalk(records, "DRIVER_NOT_BOUND", "broken"), DRIVER_CORE_ERAS["v4.7"]);
    expect(none).toHaveLength(1);
    expect(none[0]?.message).toContain("followed by 0");
    const end = records.findIndex((r) => r.type === "really-probe-end" && r.device === "broken");
    const nb = records.find((r) => isWalk(r, "DRIVER_NOT_BOUND", "broken")) as Rec;
    const twice = [...records.slice(0, end), { ...nb, seq: 10_000 }, ...records.slice(end)];
    expect(checkBindBracket(twice, DRIVER_CORE_ERAS["v4.7"])[0]?.message).toContain("followed by 2");
  });
});

describe("I-BOUND-STATE", () => {
  const records = busyBoot("v6.1").trace.records;

  it("fails when really_probe returns with dev->driver set on an unbound device", () => {
    const bad = records.map((r) => (r.type === "really-probe-end" && r.device === "broken" ? { ...r, driverSet: true } : r));
    const v = checkBoundState(bad);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ invariant: "I-BOUND-STATE", device: "broken" });
  });

  it("fails when a device is reported bound but its last bind event was not BOUND_DRIVER", () => {
    const v = checkBoundState(withoutWalk(records, "BOUND_DRIVER", "reg0"));
    expect(v[0]?.message).toContain("last bind event was BIND_DRIVER");
  });
});

describe("I-DEFER-LISTS", () => {
  const records = busyBoot("v4.7").trace.records;

  it("fails on a double add and on a bound device left on a list", () => {
    const add = records.find((r) => r.type === "deferred-add" && r.device === "eth0") as Rec;
    const i = records.indexOf(add);
    const twice = [...records.slice(0, i + 1), { ...add, seq: 10_000 }, ...records.slice(i + 1)];
    expect(checkDeferLists(twice)[0]?.message).toContain("added to the pending list while on the pending list");
    const noDel = records.filter((r) => !(r.type === "deferred-retry" && r.device === "eth0"));
    const v = checkDeferLists(noDel);
    expect(v.map((x) => x.message)).toContain("bound while on the active list");
  });

  it("fails when the splice does not move the pending list", () => {
    const bad = records.map((r) => (r.type === "deferred-splice" && r.devices.length > 0 ? { ...r, devices: [] } : r));
    expect(checkDeferLists(bad)[0]?.message).toMatch(/^splice moved \[\] but the pending list was/);
  });
});

describe("I-DEFER-LIVENESS", () => {
  it("fails for a driver that keeps deferring on a supplier that has bound", () => {
    const { core, bus, trace } = setup("v6.1");
    must(core.driverRegister({ name: "reg0", bus, probe: () => 0 }));
    must(core.deviceRegister({ name: "reg0", bus }));
    must(core.driverRegister({
      name: "stubborn",
      bus,
      probe: (dev) => (core.deviceSetDeferredProbeReason(dev, "regulator reg0", "reg0"), -Errno.EPROBE_DEFER),
    }));
    must(core.deviceRegister({ name: "stubborn", bus }));
    core.deferredProbeInitcall();
    const v = checkDeferLiveness(trace.records, core.era);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ invariant: "I-DEFER-LIVENESS", device: "stubborn" });
    expect(v[0]?.message).toContain("but reg0 is bound");
  });

  it("fails for a pending device with no recorded dependency; holds when the supplier really is absent", () => {
    const { core, bus, trace } = setup("v4.7");
    must(core.driverRegister({ name: "mute", bus, probe: () => -Errno.EPROBE_DEFER }));
    must(core.deviceRegister({ name: "mute", bus }));
    must(core.driverRegister({ name: "honest", bus, probe: (d) => (core.deviceSetDeferredProbeReason(d, "iommu 9050000.smmuv3", "9050000.smmuv3"), -Errno.EPROBE_DEFER) }));
    must(core.deviceRegister({ name: "honest", bus }));
    core.deferredProbeInitcall();
    const v = checkDeferLiveness(trace.records, core.era);
    expect(v.map((x) => x.device)).toEqual(["mute"]);
  });
});

describe("I-TRIGGER-RACE", () => {
  it.each(["v4.7", "v6.1"] as const)("%s: fails when the re-trigger after a raced deferral is missing", (era) => {
    const records = busyBoot(era).trace.records;
    const defer = records.find((r) => r.type === "probe-defer" && r.device === "consumer") as Rec;
    const retrigger = records.find((r) => r.seq > defer.seq && r.type === "deferred-trigger" && r.enabled) as Rec;
    const later = records.filter((r) => r.seq > retrigger.seq && r.type === "deferred-trigger" && r.enabled);
    const bad = records.filter((r) => r !== retrigger && !later.includes(r));
    const v = checkTriggerRace(bad);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ invariant: "I-TRIGGER-RACE", device: "consumer" });
  });
});

describe("I-UNBIND-ORDER", () => {
  const records = busyBoot("v4.12").trace.records;

  it("fails when ->remove runs before UNBIND_DRIVER", () => {
    const rel = records.findIndex((r) => r.type === "release-driver" && r.device === "eth0");
    const remove = records.findIndex((r, i) => i > rel && r.type === "driver-remove");
    const bad = [...records];
    const [removed] = bad.splice(remove, 1) as [Rec];
    bad.splice(rel + 1, 0, removed);
    expect(checkUnbindOrder(bad)[0]?.message).toBe("release ran remove < UNBIND_DRIVER < UNBOUND_DRIVER; want UNBIND_DRIVER < remove < UNBOUND_DRIVER");
  });

  it("fails when device_del emits no REMOVED_DEVICE", () => {
    const v = checkUnbindOrder(withoutWalk(records, "REMOVED_DEVICE", "dma-nic"));
    expect(v).toEqual([expect.objectContaining({ device: "dma-nic", message: "device_del without REMOVED_DEVICE" })]);
  });
});
