/**
 * The seed story in the driver core alone (run by `pnpm start`; `pnpm start v6.1` picks another era).
 *
 * arm64's `__iommu_attach_notifier` is registered first, at arch_initcall, with priority -100; the IOMMU core's
 * `iommu_bus_notifier` comes later (bus_set_iommu) at the default priority 0, so on every ADD_DEVICE it still
 * runs first: the chain is ordered by priority, not by registration. A master whose IOMMU `add_device` fails
 * returns a raw -ENODEV, which has bit 0x8000 set, so the walk stops and arm64's notifier never sees that device
 * (v4.7). An Ethernet driver defers once waiting for its regulator; the regulator binds at device_initcall, but
 * triggers are no-ops before late_initcall, so the Ethernet device waits on the pending list until
 * `deferred_probe_initcall` retries it: BIND_DRIVER → DRIVER_NOT_BOUND the first time, BIND_DRIVER →
 * BOUND_DRIVER the second.
 */
import {
  DRIVER_CORE_ERAS,
  DriverCore,
  Errno,
  InitcallTable,
  NOTIFY_DONE,
  NOTIFY_OK,
  PLATFORM_DEVICE,
  Trace,
  checkDriverCoreInvariants,
  defineDeviceData,
  formatTrace,
  makePlatformBus,
  type BusNotifyAction,
  type Device,
  type DriverCoreEraName,
  type DriverCoreEvent,
} from "@dmasim/driver-core";

/** What the demo's firmware says about a master: the StreamIDs its `iommus` property lists. */
const IOMMUS = defineDeviceData<readonly number[]>("demo-iommus");

const requested = process.argv[2];
const eraName: DriverCoreEraName = requested !== undefined && requested in DRIVER_CORE_ERAS ? (requested as DriverCoreEraName) : "v4.7";
const era = DRIVER_CORE_ERAS[eraName];

const trace = new Trace<DriverCoreEvent>();
const core = new DriverCore({ era, trace });
const initcalls = new InitcallTable(trace);
let platform = undefined as unknown as ReturnType<typeof registerPlatform>;
function registerPlatform() {
  const res = core.busRegister(makePlatformBus());
  if (!res.ok) throw new Error(`bus_register: ${res.error}`);
  return res.value;
}

/** `iommu_bus_notifier` (v4.7): ADD_DEVICE returns `ops->add_device(dev)` as is; -ENODEV for a master it cannot find. */
function iommuBusNotifier(action: BusNotifyAction, dev: Device): number {
  if (action !== "ADD_DEVICE") return NOTIFY_DONE;
  return dev.getData(IOMMUS) === undefined ? -Errno.ENODEV : 0;
}

/** arm64 `__iommu_attach_notifier` (v4.7): on ADD_DEVICE, drain the attach queue. */
function iommuAttachNotifier(action: BusNotifyAction): number {
  return action === "ADD_DEVICE" ? NOTIFY_OK : NOTIFY_DONE;
}

let regulator: Device | undefined;
function ethProbe(dev: Device): number {
  if (regulator?.isBound) return 0;
  core.deviceSetDeferredProbeReason(dev, "regulator 10000.regulator", "10000.regulator");
  return -Errno.EPROBE_DEFER;
}

function addPlatformDevice(name: string, compatible: string, streamIds?: readonly number[]): Device {
  const dev = core.deviceInitialize({ name, bus: platform, fwnode: { name: `/${name.replace(/^[0-9a-f]+\./, "")}@${name.split(".")[0]}` } });
  dev.setData(PLATFORM_DEVICE, { compatible: [compatible] });
  if (streamIds !== undefined) dev.setData(IOMMUS, streamIds);
  const ret = core.deviceAdd(dev);
  if (ret !== 0) throw new Error(`device_add ${name}: ${ret}`);
  return dev;
}

function driver(name: string, compatible: string, probe: (dev: Device) => number): number {
  const res = core.driverRegister({ name, bus: platform, matchIds: [`of:${compatible}`], probe });
  return res.ok ? 0 : res.error;
}

initcalls.register({ level: "driver_init", name: "platform_bus_init", fn: () => ((platform = registerPlatform()), 0) });
initcalls.register({
  level: "arch",
  name: "__iommu_dma_init",
  fn: () => (core.busRegisterNotifier(platform, { name: "__iommu_attach_notifier", priority: -100, notifierCall: iommuAttachNotifier }), 0),
});
initcalls.register({
  level: "arch_sync",
  name: "arm64_device_init",
  fn: () => {
    core.busRegisterNotifier(platform, { name: "iommu_bus_notifier", notifierCall: iommuBusNotifier }); // bus_set_iommu
    addPlatformDevice("a000000.ethernet", "demo,ethernet", [0x10]);
    regulator = addPlatformDevice("10000.regulator", "regulator-fixed", [0x11]);
    addPlatformDevice("a010000.dma", "demo,dma"); // no `iommus`: add_device fails with -ENODEV
    return 0;
  },
});
initcalls.register({ level: "device", name: "demo_eth_driver_init", fn: () => driver("demo-eth", "demo,ethernet", ethProbe) });
initcalls.register({ level: "device", name: "reg_fixed_voltage_init", fn: () => driver("reg-fixed-voltage", "regulator-fixed", () => 0) });
initcalls.register({ level: "late", name: "deferred_probe_initcall", fn: () => core.deferredProbeInitcall() });

const run = initcalls.run();
if (!run.ok) throw new Error(run.error.message);
core.scheduler.runUntilIdle();

const quiet = new Set<string>(["driver-match", "work-queue", "deferred-add-skip"]);
console.log(`dmasim driver-core seed demo, era ${era.name}`);
console.log("");
console.log(formatTrace(trace.records, { include: (r) => !quiet.has(r.type) }));
console.log("");
console.log("final state:");
for (const dev of platform.devices) {
  const where = dev.deferredList === null ? "" : `, on the ${dev.deferredList} deferred list`;
  console.log(`  ${dev.name}: ${dev.isBound ? `bound to ${dev.driver?.name ?? "?"}` : "no driver"}${where}`);
}
const violations = checkDriverCoreInvariants(trace.records, era);
console.log(violations.length === 0 ? "invariants: none violated" : `invariants: ${violations.length} violated`);
for (const v of violations) console.log(`  ${v.invariant} ${v.device ?? ""}: ${v.message} (events ${v.events.join(", ")})`);
