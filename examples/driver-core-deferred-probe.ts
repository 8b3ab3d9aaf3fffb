/**
 * Register a bus, a driver whose first probe returns -EPROBE_DEFER and a device, then run the late_initcall that
 * flushes the deferred-probe list, and read the trace (bus notifier actions, probe attempts, deferral, binding).
 * Run: `npx tsx examples/driver-core-deferred-probe.ts`.
 */
import { DRIVER_CORE_ERAS, DriverCore, Errno, Trace, formatTrace, makePlatformBus, type DriverCoreEvent } from "@dmasim/driver-core";

const trace = new Trace<DriverCoreEvent>();
const core = new DriverCore({ era: DRIVER_CORE_ERAS["v4.7"], trace });
const platform = core.busRegister(makePlatformBus());
if (!platform.ok) throw new Error(`bus_register: ${platform.error}`);

let tries = 0;
core.driverRegister({ name: "eth", bus: platform.value, probe: () => (tries++ === 0 ? -Errno.EPROBE_DEFER : 0) });
const dev = core.deviceRegister({ name: "eth", bus: platform.value }); // platform_match by name; BIND_DRIVER, probe defers, DRIVER_NOT_BOUND
core.deferredProbeInitcall(); // deferred_probe_initcall: trigger, the worker retries, BIND_DRIVER, BOUND_DRIVER

console.log(formatTrace(trace.records));
// The bus notifier actions the device went through, as an IOMMU or DMA layer listening on the bus would see them.
const actions = trace.records.flatMap((r) => (r.type === "notifier-chain-start" && r.data === "eth" ? [r.action] : []));
console.log(`notifier actions: ${actions.join(" ")}`);
if (!dev.ok) throw new Error(`device_register: ${dev.error}`);
console.log(`probe calls: ${tries}, bound to: ${dev.value.driver?.name ?? "none"}`);
