/**
 * Driver-core throughput, for the explorer's budget (it boots the same small kernel thousands of times).
 *
 *   pnpm --filter @dmasim/driver-core bench
 *
 * Figures:
 * - boots/s of a v6.1 boot with 200 platform devices, 50 drivers and 50 deferrals released at late_initcall,
 *   traced into a `Trace`; baseline: the same boot into `NULL_TRACE_SINK` (so the ratio is the tracing cost);
 * - bus-notifier walks/s over a 4-block chain (traced); baseline: calling the same 4 callbacks in a plain loop.
 */
import { performance } from "node:perf_hooks";
import {
  DRIVER_CORE_ERAS,
  DriverCore,
  Errno,
  InitcallTable,
  NULL_TRACE_SINK,
  NotifierChain,
  PLATFORM_DEVICE,
  Trace,
  makePlatformBus,
  type Device,
  type DriverCoreEvent,
  type TraceSink,
} from "@dmasim/driver-core";

function boot(trace: TraceSink<DriverCoreEvent>): number {
  const core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace });
  const initcalls = new InitcallTable(trace);
  const res = core.busRegister(makePlatformBus());
  if (!res.ok) throw new Error("bus");
  const bus = res.value;
  let iommu: Device | undefined;
  core.busRegisterNotifier(bus, { name: "iommu_bus_notifier", notifierCall: () => 0 });
  core.busRegisterNotifier(bus, { name: "__iommu_attach_notifier", priority: -100, notifierCall: () => 0 });
  initcalls.register({
    level: "arch_sync",
    name: "of_platform_populate",
    fn: () => {
      for (let i = 0; i < 200; i += 1) {
        const dev = core.deviceInitialize({ name: `${(0x1000 * i).toString(16)}.dev${i}`, bus });
        dev.setData(PLATFORM_DEVICE, { compatible: [`vendor,ip${i % 50}`] });
        core.deviceAdd(dev);
      }
      iommu = core.deviceInitialize({ name: "9050000.smmuv3", bus });
      iommu.setData(PLATFORM_DEVICE, { compatible: ["arm,smmu-v3"] });
      core.deviceAdd(iommu);
      return 0;
    },
  });
  initcalls.register({
    level: "device",
    name: "drivers",
    fn: () => {
      for (let d = 0; d < 50; d += 1) {
        const defers = d % 4 === 0;
        core.driverRegister({ name: `ip${d}`, bus, matchIds: [`of:vendor,ip${d}`], probe: () => (defers && !iommu?.isBound ? -Errno.EPROBE_DEFER : 0) });
      }
      core.driverRegister({ name: "arm-smmu-v3", bus, matchIds: ["of:arm,smmu-v3"], probe: () => 0 });
      return 0;
    },
  });
  initcalls.register({ level: "late", name: "deferred_probe_initcall", fn: () => core.deferredProbeInitcall() });
  initcalls.run();
  core.scheduler.runUntilIdle();
  return bus.devices.filter((dev) => dev.isBound).length;
}

function rate(label: string, fn: () => void, minMs = 1500): number {
  for (let i = 0; i < 5; i += 1) fn(); // warm up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    fn();
    n += 1;
    t = performance.now();
  }
  const perSec = (n * 1000) / (t - t0);
  console.log(`${label.padEnd(46)} ${perSec.toFixed(1).padStart(12)} /s`);
  return perSec;
}

let events = 0;
const traced = rate("v6.1 boot, 201 devices, traced", () => {
  const trace = new Trace<DriverCoreEvent>();
  if (boot(trace) !== 201) throw new Error("not all bound");
  events = trace.records.length;
});
const untraced = rate("baseline: same boot, NULL_TRACE_SINK", () => void boot(NULL_TRACE_SINK));
console.log(`  ${events} trace records per boot, ${((traced * events) / 1e6).toFixed(2)} M records/s`);
console.log(`  ratio traced / untraced: ${(traced / untraced).toFixed(2)}`);

const chainTrace = new Trace<{ readonly type: string }>();
const chain = new NotifierChain<string, string>({ name: "bus:bench", trace: chainTrace });
const callbacks = [3, 0, 0, -100].map((priority, i) => ({ name: `nb${i}`, priority, notifierCall: () => 0 }));
for (const cb of callbacks) chain.register(cb);
const walks = rate("notifier walks, 4 blocks, traced (x1000)", () => {
  for (let i = 0; i < 1000; i += 1) chain.callChain("ADD_DEVICE", "dev");
  (chainTrace.records as unknown[]).length = 0;
});
let sink = 0;
const bare = rate("baseline: 4 callbacks in a plain loop (x1000)", () => {
  for (let i = 0; i < 1000; i += 1) for (const cb of callbacks) sink += cb.notifierCall();
});
console.log(`  ratio chain / plain loop: ${(walks / bare).toFixed(3)}${sink === 0 ? "" : " "}`);
