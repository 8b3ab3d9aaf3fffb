import { describe, expect, it } from "vitest";
import { Errno, InitcallTable, type Device, type DriverCoreEraName } from "@dmasim/driver-core";
import { must, setup, steps } from "./helpers";

const ERAS = ["v4.7", "v4.12", "v4.19", "v6.1"] as const satisfies readonly DriverCoreEraName[];

describe("deferred probe before and at late_initcall (b.9)", () => {
  it.each(ERAS)("%s: a probe deferring before late_initcall stays pending until the late_initcall trigger", (era) => {
    const { core, bus, trace } = setup(era);
    const initcalls = new InitcallTable(trace);
    let regulator: Device | undefined;
    const ethProbe = (dev: Device): number => {
      if (regulator?.isBound) return 0;
      core.deviceSetDeferredProbeReason(dev, "regulator reg0", "reg0");
      return -Errno.EPROBE_DEFER;
    };
    initcalls.register({
      level: "arch_sync",
      name: "of_platform_populate",
      fn: () => {
        must(core.deviceRegister({ name: "eth0", bus }));
        regulator = must(core.deviceRegister({ name: "reg0", bus }));
        return 0;
      },
    });
    initcalls.register({ level: "device", name: "eth_init", fn: () => (must(core.driverRegister({ name: "eth0", bus, probe: ethProbe })), 0) });
    initcalls.register({ level: "device", name: "reg_init", fn: () => (must(core.driverRegister({ name: "reg0", bus, probe: () => 0 })), 0) });
    let pendingBeforeLate: readonly string[] = [];
    initcalls.register({ level: "device_sync", name: "snapshot", fn: () => ((pendingBeforeLate = core.deferredPending.map((d) => d.name)), 0) });
    initcalls.register({ level: "late", name: "deferred_probe_initcall", fn: () => core.deferredProbeInitcall() });
    must(initcalls.run());

    expect(pendingBeforeLate).toEqual(["eth0"]);
    const eth = bus.findDevice("eth0") as Device;
    expect(eth.isBound).toBe(true);
    // The regulator's bind triggered before late_initcall: a no-op (count stays 0, nothing spliced).
    const triggers = trace.records.filter((r) => r.type === "deferred-trigger");
    expect(triggers[0]).toMatchObject({ enabled: false, count: 0 });
    const enable = trace.records.findIndex((r) => r.type === "deferred-enable");
    const retry = trace.records.findIndex((r) => r.type === "deferred-retry");
    expect(enable).toBeGreaterThan(0);
    expect(retry).toBeGreaterThan(enable);
    expect(trace.records.filter((r) => r.type === "deferred-retry").map((r) => ("device" in r ? r.device : ""))).toEqual(["eth0"]);
  });

  it("driver_attach probes a device sitting on the pending list without waiting for a trigger", () => {
    const { core, bus, trace } = setup("v4.7");
    must(core.driverRegister({ name: "a", bus, matchIds: ["platform:dev"], probe: () => -Errno.EPROBE_DEFER }));
    const dev = must(core.deviceRegister({ name: "dev", bus }));
    expect(dev.deferredList).toBe("pending");
    must(core.driverRegister({ name: "b", bus, matchIds: ["platform:dev"], probe: () => 0 }));
    expect(dev.driver?.name).toBe("b");
    expect(dev.deferredList).toBeNull();
    expect(steps(trace.records, "dev").slice(-7)).toEqual([
      "really_probe",
      "BIND_DRIVER",
      "probe=0",
      "driver_bound",
      "deferred_del(pending)",
      "BOUND_DRIVER",
      "really_probe=1",
    ]);
  });

  it("retries in deferral order: the worker pops the active list's head and calls bus_probe_device", () => {
    const { core, bus, trace } = setup("v6.1");
    let ready = false;
    must(core.driverRegister({ name: "d", bus, matchIds: ["platform:x", "platform:y", "platform:z"], probe: () => (ready ? 0 : -Errno.EPROBE_DEFER) }));
    for (const n of ["x", "y", "z"]) must(core.deviceRegister({ name: n, bus }));
    expect(core.deferredPending.map((d) => d.name)).toEqual(["x", "y", "z"]);
    ready = true;
    core.deferredProbeInitcall();
    const seq = trace.records.filter((r) => r.type === "deferred-retry" || r.type === "driver-bound").map((r) => `${r.type}:${"device" in r ? r.device : ""}`);
    expect(seq).toEqual(["deferred-retry:x", "driver-bound:x", "deferred-retry:y", "driver-bound:y", "deferred-retry:z", "driver-bound:z"]);
  });
});

describe("the trigger race rule (b.4 step 'local_trigger_count', b.6)", () => {
  it.each(ERAS)("%s: a supplier binding during a probe that then defers triggers a retry", (era) => {
    const { core, bus, trace } = setup(era);
    core.deferredProbeInitcall(); // after late_initcall: triggers are live
    const base = core.deferredTriggerCount;
    const supplierDev = must(core.deviceRegister({ name: "supplier", bus }));
    const consumerProbe = (): number => {
      const ready = supplierDev.isBound; // checked before the supplier binds...
      if (!ready) must(core.driverRegister({ name: "supplier", bus, probe: () => 0 })); // ...which happens mid-probe
      return ready ? 0 : -Errno.EPROBE_DEFER;
    };
    must(core.driverRegister({ name: "consumer", bus, probe: consumerProbe }));
    const consumer = must(core.deviceRegister({ name: "consumer", bus }));
    const defer = trace.records.find((r) => r.type === "probe-defer");
    expect(defer).toMatchObject({ device: "consumer", triggerCountAtStart: base, triggerCount: base + 1 });
    // The re-trigger moved the consumer to the active list; the worker retries it.
    expect(consumer.deferredList).toBe("active");
    expect(core.deferredTriggerCount).toBe(base + 2);
    core.scheduler.runPending();
    expect(consumer.isBound).toBe(true);
  });

  it.each(ERAS)("%s: without a trigger during the probe there is no re-trigger", (era) => {
    const { core, bus } = setup(era);
    core.deferredProbeInitcall();
    const base = core.deferredTriggerCount;
    must(core.driverRegister({ name: "c", bus, probe: () => -Errno.EPROBE_DEFER }));
    const dev = must(core.deviceRegister({ name: "c", bus }));
    expect(core.deferredTriggerCount).toBe(base);
    expect(dev.deferredList).toBe("pending");
  });
});

describe("match-level -EPROBE_DEFER (b.2, b.3)", () => {
  const deferMatch = { match: (_d: Device, drv: { name: string }) => (drv.name === "x" ? -Errno.EPROBE_DEFER : 0) };

  it("v4.7 adds the device to the deferred list and still probes (fall-through quirk)", () => {
    const { core, bus, trace } = setup("v4.7", { bus: deferMatch });
    must(core.driverRegister({ name: "x", bus, probe: () => 0 }));
    const dev = must(core.deviceRegister({ name: "dev", bus }));
    expect(steps(trace.records, "dev")).toContain("deferred_add");
    expect(dev.isBound).toBe(true);
    expect(dev.deferredList).toBeNull();
  });

  it("modern code adds it (can_match set) and does not probe", () => {
    const { core, bus, trace } = setup("v6.1", { bus: deferMatch });
    must(core.driverRegister({ name: "x", bus, probe: () => 0 }));
    const dev = must(core.deviceRegister({ name: "dev", bus }));
    expect(dev.canMatch).toBe(true);
    expect(dev.deferredList).toBe("pending");
    expect(steps(trace.records, "dev")).not.toContain("really_probe");
  });
});

describe("after the initcalls: v4.19 second pass, modern timeout and check_state", () => {
  it("v4.19: check_state defers during boot, then -ENODEV once initcalls_done; the second trigger lets an optional dependency go", () => {
    const { core, bus, trace } = setup("v4.19");
    const results: number[] = [];
    must(core.driverRegister({
      name: "dev",
      bus,
      probe: (d) => {
        const r = core.driverDeferredProbeCheckState(d);
        results.push(r);
        return r === -Errno.EPROBE_DEFER ? r : 0; // optional supplier: go on without it
      },
    }));
    const dev = must(core.deviceRegister({ name: "dev", bus }));
    core.deferredProbeInitcall();
    expect(results).toEqual([-Errno.EPROBE_DEFER, -Errno.EPROBE_DEFER, -Errno.ENODEV]);
    expect(dev.isBound).toBe(true);
    expect(trace.records.filter((r) => r.type === "deferred-flushed").map((r) => (r.type === "deferred-flushed" ? r.phase : ""))).toEqual(["initcall", "initcall-second"]);
    expect(core.scheduler.delayed).toEqual([]); // deferred_probe_timeout=-1 by default: no timeout work
  });

  it("v6.1 with modules: the device waits for the 10 s timeout, which module loads extend", () => {
    const { core, bus, trace } = setup("v6.1");
    must(core.driverRegister({ name: "dev", bus, probe: (d) => { const r = core.driverDeferredProbeCheckState(d); return r === -Errno.EPROBE_DEFER ? r : 0; } }));
    const dev = must(core.deviceRegister({ name: "dev", bus }));
    core.deferredProbeInitcall();
    expect(dev.deferredList).toBe("pending"); // modules may still provide the supplier
    core.scheduler.advanceBy(4_000_000);
    must(core.driverRegister({ name: "some_module_driver", bus })); // "Extended deferred probe timeout by 10 secs"
    expect(trace.records.find((r) => r.type === "deferred-timeout-extended")).toMatchObject({ seconds: 10 });
    core.scheduler.runUntilIdle();
    expect(core.clock.now()).toBe(14_000_000);
    expect(core.deferredProbeTimeoutUs).toBe(0);
    expect(dev.isBound).toBe(true);
  });

  it("v6.1 timeout logs 'deferred probe pending' for devices still stuck", () => {
    const { core, bus, trace } = setup("v6.1");
    must(core.driverRegister({ name: "dev", bus, probe: () => -Errno.EPROBE_DEFER }));
    must(core.deviceRegister({ name: "dev", bus }));
    core.deferredProbeInitcall();
    core.scheduler.runUntilIdle();
    expect(trace.records.filter((r) => r.type === "deferred-probe-pending").map((r) => ("device" in r ? r.device : ""))).toEqual(["dev"]);
  });

  it("v6.1 without CONFIG_MODULES: -ENODEV as soon as initcalls are done, no timeout work", () => {
    const { core, bus } = setup({ ...setup("v6.1").core.era, configModules: false, deferredProbeTimeoutUs: 0 });
    const dev = must(core.deviceRegister({ name: "dev", bus }));
    expect(core.driverDeferredProbeCheckState(dev)).toBe(-Errno.EPROBE_DEFER);
    core.deferredProbeInitcall();
    expect(core.driverDeferredProbeCheckState(dev)).toBe(-Errno.ENODEV);
    expect(core.scheduler.delayed).toEqual([]);
  });

  it("before v4.19 check_state does not exist: callers keep deferring", () => {
    const { core, bus } = setup("v4.12");
    const dev = must(core.deviceRegister({ name: "dev", bus }));
    core.deferredProbeInitcall();
    expect(core.driverDeferredProbeCheckState(dev)).toBe(-Errno.EPROBE_DEFER);
  });

  it("device_block_probing defers every probe until device_unblock_probing triggers", () => {
    const { core, bus } = setup("v4.7");
    core.deferredProbeInitcall();
    core.deviceBlockProbing();
    must(core.driverRegister({ name: "d", bus, probe: () => 0 }));
    const dev = must(core.deviceRegister({ name: "d", bus }));
    expect(dev.deferredList).toBe("pending");
    core.deviceUnblockProbing();
    core.scheduler.runPending();
    expect(dev.isBound).toBe(true);
  });
});
