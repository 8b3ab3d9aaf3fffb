/**
 * Property: whatever the drivers do (bind, fail, reject, defer on a supplier, probe async), whatever the link order
 * and whichever ready work the scheduler picks, a boot of the model keeps every driver-core invariant, in every
 * era, and the same inputs give the same trace bytes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DRIVER_CORE_ERAS,
  DriverCore,
  Errno,
  InitcallTable,
  PLATFORM_DEVICE,
  Trace,
  checkDriverCoreInvariants,
  makePlatformBus,
  type Device,
  type DriverCoreEraName,
  type DriverCoreEvent,
} from "@dmasim/driver-core";

type Behaviour =
  | { readonly kind: "ok" }
  | { readonly kind: "fail" }
  | { readonly kind: "reject" }
  | { readonly kind: "defer-until"; readonly supplier: number };

interface DriverPlan {
  readonly devices: readonly number[];
  readonly behaviour: Behaviour;
  readonly async: boolean;
  readonly when: "device" | "late_sync" | "module";
}

interface Plan {
  readonly devices: number;
  readonly drivers: readonly DriverPlan[];
  readonly dmaDeferUntil: number | null; // dma_configure defers for every device until this one binds
  readonly linkOrder: readonly number[];
  readonly picks: readonly number[];
  readonly unplug: readonly number[];
}

const planArb: fc.Arbitrary<Plan> = fc.integer({ min: 1, max: 7 }).chain((devices) =>
  fc.record({
    devices: fc.constant(devices),
    drivers: fc.array(
      fc.record({
        devices: fc.uniqueArray(fc.nat({ max: devices - 1 }), { minLength: 1, maxLength: devices }),
        behaviour: fc.oneof(
          fc.constant<Behaviour>({ kind: "ok" }),
          fc.constant<Behaviour>({ kind: "fail" }),
          fc.constant<Behaviour>({ kind: "reject" }),
          fc.nat({ max: devices - 1 }).map((supplier): Behaviour => ({ kind: "defer-until", supplier })),
        ),
        async: fc.boolean(),
        when: fc.constantFrom<DriverPlan["when"]>("device", "late_sync", "module"),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    dmaDeferUntil: fc.option(fc.nat({ max: devices - 1 }), { nil: null }),
    linkOrder: fc.array(fc.nat({ max: 5 }), { maxLength: 6 }),
    picks: fc.array(fc.nat({ max: 7 }), { maxLength: 40 }),
    unplug: fc.uniqueArray(fc.nat({ max: devices - 1 }), { maxLength: 2 }),
  }),
);

function run(plan: Plan, eraName: DriverCoreEraName): { trace: Trace<DriverCoreEvent>; core: DriverCore } {
  const era = DRIVER_CORE_ERAS[eraName];
  const trace = new Trace<DriverCoreEvent>();
  const core = new DriverCore({ era, trace });
  let pick = 0;
  core.scheduler.pickNext = (ready) => (plan.picks[pick++ % Math.max(1, plan.picks.length)] ?? 0) % ready.length;
  const devs: Device[] = [];
  const name = (i: number) => `dev${i}`;
  const res = core.busRegister(
    makePlatformBus({
      dmaConfigure: (dev) => {
        if (plan.dmaDeferUntil === null || devs[plan.dmaDeferUntil]?.isBound) return 0;
        core.deviceSetDeferredProbeReason(dev, `iommu ${name(plan.dmaDeferUntil)}`, name(plan.dmaDeferUntil));
        return -Errno.EPROBE_DEFER;
      },
      dmaCleanup: () => undefined,
    }),
  );
  if (!res.ok) throw new Error("bus");
  const bus = res.value;
  core.busRegisterNotifier(bus, { name: "iommu_bus_notifier", notifierCall: () => 0 });
  core.busRegisterNotifier(bus, { name: "__iommu_attach_notifier", priority: -100, notifierCall: () => 0 });
  const probe = (b: Behaviour) => (dev: Device): number => {
    switch (b.kind) {
      case "ok":
        return 0;
      case "fail":
        return -Errno.ENOMEM;
      case "reject":
        return -Errno.ENODEV;
      case "defer-until":
        if (devs[b.supplier]?.isBound) return 0;
        core.deviceSetDeferredProbeReason(dev, `supplier ${name(b.supplier)}`, name(b.supplier));
        return -Errno.EPROBE_DEFER;
    }
  };
  const register = (d: DriverPlan, i: number) => () => {
    const r = core.driverRegister({ name: `drv${i}`, bus, asyncProbe: d.async, matchIds: d.devices.map((x) => `platform:${name(x)}`), probe: probe(d.behaviour) });
    return r.ok ? 0 : r.error;
  };
  const initcalls = new InitcallTable(trace);
  initcalls.register({
    level: "arch_sync",
    name: "populate",
    fn: () => {
      for (let i = 0; i < plan.devices; i += 1) {
        const dev = core.deviceInitialize({ name: name(i), bus });
        dev.setData(PLATFORM_DEVICE, {});
        core.deviceAdd(dev);
        devs.push(dev);
      }
      return 0;
    },
  });
  plan.drivers.forEach((d, i) => {
    if (d.when !== "module") initcalls.register({ level: d.when, name: `drv${i}_init`, fn: register(d, i) });
  });
  initcalls.register({ level: "late", name: "deferred_probe_initcall", fn: () => core.deferredProbeInitcall() });
  const deviceLevel = plan.linkOrder.map((i) => `drv${i}_init`).filter((n, k, all) => all.indexOf(n) === k);
  const present = new Set(initcalls.calls.filter((c) => c.level === "device").map((c) => c.name));
  const report = initcalls.run({
    linkOrder: { device: deviceLevel.filter((n) => present.has(n)) },
    afterEach: () => void core.scheduler.runOne(), // the boot thread yields now and then
  });
  if (!report.ok) throw new Error(report.error.message);
  plan.drivers.forEach((d, i) => {
    if (d.when === "module") initcalls.loadModule(`drv${i}`, register(d, i));
  });
  core.scheduler.runUntilIdle();
  for (const i of plan.unplug) core.deviceDel(devs[i] as Device);
  core.scheduler.runUntilIdle();
  return { trace, core };
}

describe.each(["v4.7", "v4.12", "v4.19", "v6.1"] as const)("random boots under %s", (era) => {
  it("keep every driver-core invariant", () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const { trace } = run(plan, era);
        expect(checkDriverCoreInvariants(trace.records, DRIVER_CORE_ERAS[era])).toEqual([]);
      }),
      { numRuns: 150, seed: 0x5eed },
    );
  });

  it("are deterministic: the same plan gives the same trace bytes", () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        expect(JSON.stringify(run(plan, era).trace.records)).toBe(JSON.stringify(run(plan, era).trace.records));
      }),
      { numRuns: 20, seed: 7 },
    );
  });
});
