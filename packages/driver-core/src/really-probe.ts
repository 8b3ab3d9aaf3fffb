/**
 * `really_probe` in its three orderings, `driver_bound`, `driver_sysfs_add` and `device_bind_driver`.
 * Probe errors are outcomes: old eras swallow them (return 0), modern code returns them positive.
 *
 * @see drivers/base/dd.c really_probe, driver_bound, driver_sysfs_add, device_bind_driver
 */
import { busNotify, type CoreContext } from "./context";
import { deferredProbeAdd, deferredProbeDel, deferredProbeTrigger } from "./deferred-probe";
import { deviceState, type Device } from "./device";
import { driverState, type Driver } from "./driver";
import { Errno } from "./errno";
import type { CallVia } from "./events";

/**
 * Runs one probe attempt of `dev` by `drv` in the era's ordering. `triggerCount` is the
 * `deferred_trigger_count` snapshot (taken by `really_probe` itself in old eras, by `driver_probe_device` in
 * modern ones).
 *
 * @see drivers/base/dd.c really_probe
 */
export function reallyProbe(ctx: CoreContext, dev: Device, drv: Driver, triggerCount: number): number {
  ctx.trace.emit({ type: "really-probe", device: dev.name, driver: drv.name, bus: drv.bus.name, triggerCount });
  let ret: number;
  switch (ctx.era.reallyProbe) {
    case "v4.7":
      ret = reallyProbeV47(ctx, dev, drv, triggerCount);
      break;
    case "v4.12":
      ret = reallyProbeV412(ctx, dev, drv, triggerCount);
      break;
    case "modern":
      ret = reallyProbeModern(ctx, dev, drv);
      break;
  }
  const s = deviceState(dev);
  ctx.trace.emit({
    type: "really-probe-end",
    device: dev.name,
    driver: drv.name,
    bus: drv.bus.name,
    ret,
    driverSet: s.driver !== null,
    bound: s.bound,
  });
  return ret;
}

/**
 * v4.5–v4.11: pinctrl → BIND_DRIVER → `->probe` → `driver_bound`; `probe_failed` emits DRIVER_NOT_BOUND,
 * `pinctrl_bind_failed` nothing.
 *
 * @see drivers/base/dd.c really_probe (v4.7)
 */
function reallyProbeV47(ctx: CoreContext, dev: Device, drv: Driver, localTriggerCount: number): number {
  if (ctx.deferAllProbes) {
    deferredProbeAdd(ctx, dev);
    return -Errno.EPROBE_DEFER;
  }
  const s = deviceState(dev);
  ctx.probeCount += 1;
  s.driver = drv;
  let ret = pinctrlBindPins(ctx, dev);
  let failedAt: "probe" | "pinctrl" | null = ret ? "pinctrl" : null;
  if (failedAt === null && driverSysfsAdd(ctx, dev) !== 0) failedAt = "probe"; // ret stays 0: "error 0"
  if (failedAt === null) {
    ret = callProbe(ctx, dev, drv);
    if (ret) failedAt = "probe";
  }
  if (failedAt === null) {
    driverBound(ctx, dev);
    ctx.probeCount -= 1;
    return 1;
  }
  if (failedAt === "probe") busNotify(dev, "DRIVER_NOT_BOUND");
  s.driver = null; // pinctrl_bind_failed: devres_release_all, driver_sysfs_remove, dev->driver = NULL
  swallowProbeError(ctx, dev, drv, ret, localTriggerCount);
  ctx.probeCount -= 1;
  return 0;
}

/**
 * v4.12 … v4.19: `dma_configure` between pinctrl and BIND; `probe_failed` runs `dma_deconfigure` then falls into
 * `dma_failed`, which emits DRIVER_NOT_BOUND, so a `dma_configure` failure gives NOT_BOUND with no BIND.
 *
 * @see drivers/base/dd.c really_probe (v4.12)
 */
function reallyProbeV412(ctx: CoreContext, dev: Device, drv: Driver, localTriggerCount: number): number {
  if (ctx.deferAllProbes) {
    deferredProbeAdd(ctx, dev);
    return -Errno.EPROBE_DEFER;
  }
  const s = deviceState(dev);
  ctx.probeCount += 1;
  s.driver = drv;
  let ret = pinctrlBindPins(ctx, dev);
  let failedAt: "probe" | "dma" | "pinctrl" | null = ret ? "pinctrl" : null;
  if (failedAt === null) {
    ret = dmaConfigure(ctx, dev, drv);
    if (ret) failedAt = "dma";
  }
  if (failedAt === null && driverSysfsAdd(ctx, dev) !== 0) failedAt = "probe";
  if (failedAt === null) {
    ret = callProbe(ctx, dev, drv);
    if (ret) failedAt = "probe";
  }
  if (failedAt === null) {
    driverBound(ctx, dev);
    ctx.probeCount -= 1;
    return 1;
  }
  if (failedAt === "probe") dmaDeconfigure(ctx, dev);
  if (failedAt === "probe" || (failedAt === "dma" && ctx.era.emitNotBoundOnDmaConfigureFailure)) {
    busNotify(dev, "DRIVER_NOT_BOUND");
  }
  s.driver = null;
  swallowProbeError(ctx, dev, drv, ret, localTriggerCount);
  ctx.probeCount -= 1;
  return 0;
}

/**
 * Mainline: pinctrl → `bus->dma_configure` (failure: neither BIND nor NOT_BOUND) → BIND → `call_driver_probe` →
 * `driver_bound`. `probe_failed` → `sysfs_failed` (NOT_BOUND, `bus->dma_cleanup`) → `pinctrl_bind_failed`
 * (`device_unbind_cleanup`, which runs `arch_teardown_dma_ops`). Returns 0 bound, `-ret` for a `->probe` error,
 * the negative errno of an earlier failure.
 *
 * @see drivers/base/dd.c really_probe (torvalds/linux @5a7a9efdb193)
 */
function reallyProbeModern(ctx: CoreContext, dev: Device, drv: Driver): number {
  if (ctx.deferAllProbes) return -Errno.EPROBE_DEFER;
  const s = deviceState(dev);
  s.driver = drv;
  let ret = pinctrlBindPins(ctx, dev);
  let failedAt: "probe" | "sysfs" | "pinctrl" | null = ret ? "pinctrl" : null;
  if (failedAt === null && drv.bus.spec.dmaConfigure) {
    ret = dmaConfigure(ctx, dev, drv);
    if (ret) failedAt = "pinctrl";
  }
  if (failedAt === null) {
    ret = driverSysfsAdd(ctx, dev);
    if (ret) failedAt = "sysfs";
  }
  if (failedAt === null) {
    ret = callProbe(ctx, dev, drv);
    if (ret) {
      logProbeOutcome(ctx, dev, drv, ret); // call_driver_probe's switch
      ret = -ret;
      failedAt = "probe";
    }
  }
  if (failedAt === null) {
    driverBound(ctx, dev);
    return 0;
  }
  if (failedAt === "probe" || failedAt === "sysfs") {
    busNotify(dev, "DRIVER_NOT_BOUND");
    const cleanup = dev.bus?.spec.dmaCleanup;
    if (cleanup) {
      ctx.trace.emit({ type: "dma-deconfigure", device: dev.name, fn: "dma_cleanup" });
      cleanup(dev);
    }
  }
  deviceUnbindCleanup(ctx, dev);
  return ret;
}

/**
 * Modern `device_unbind_cleanup`: devres, `arch_teardown_dma_ops`, `dev->driver = NULL`, ...
 *
 * @see drivers/base/dd.c device_unbind_cleanup
 */
export function deviceUnbindCleanup(ctx: CoreContext, dev: Device): void {
  ctx.trace.emit({ type: "dma-deconfigure", device: dev.name, fn: "arch_teardown_dma_ops" });
  ctx.hooks.archTeardownDmaOps?.(dev);
  deviceState(dev).driver = null;
}

/**
 * v4.12 `dma_deconfigure` (= `of_dma_deconfigure` + `acpi_dma_deconfigure` → `arch_teardown_dma_ops`).
 *
 * @see drivers/base/dma-mapping.c dma_deconfigure (v4.12)
 */
export function dmaDeconfigure(ctx: CoreContext, dev: Device): void {
  ctx.trace.emit({ type: "dma-deconfigure", device: dev.name, fn: "dma_deconfigure" });
  ctx.hooks.dmaDeconfigure?.(dev);
}

/** The old eras' switch on a failed probe's `ret`, then "ignore errors so the next driver can try". */
function swallowProbeError(ctx: CoreContext, dev: Device, drv: Driver, ret: number, localTriggerCount: number): void {
  logProbeOutcome(ctx, dev, drv, ret);
  if (ret !== -Errno.EPROBE_DEFER) return;
  const now = ctx.deferred.triggerCount;
  ctx.trace.emit({ type: "probe-defer", device: dev.name, driver: drv.name, triggerCountAtStart: localTriggerCount, triggerCount: now });
  deferredProbeAdd(ctx, dev);
  if (localTriggerCount !== now) deferredProbeTrigger(ctx); // did a trigger occur while probing?
}

function logProbeOutcome(ctx: CoreContext, dev: Device, drv: Driver, ret: number): void {
  const verdict =
    ret === -Errno.EPROBE_DEFER ? "deferral" : ret === -Errno.ENODEV || ret === -Errno.ENXIO ? "rejects" : "failed";
  ctx.trace.emit({ type: "probe-outcome", device: dev.name, driver: drv.name, ret, verdict, driverString: dev.driverString });
}

/** `pinctrl_bind_pins(dev)` via the hook (0 without one). @see drivers/base/pinctrl.c pinctrl_bind_pins */
function pinctrlBindPins(ctx: CoreContext, dev: Device): number {
  const hook = ctx.hooks.pinctrlBindPins;
  if (!hook) return 0;
  const ret = hook(dev) | 0;
  ctx.trace.emit({ type: "pinctrl-bind", device: dev.name, ret });
  return ret;
}

/** `dma_configure(dev)` / `bus->dma_configure(dev)`, 0 when the bus has none. */
function dmaConfigure(ctx: CoreContext, dev: Device, drv: Driver): number {
  const hook = drv.bus.spec.dmaConfigure;
  if (!hook) return 0;
  const ret = hook(dev, drv) | 0;
  ctx.trace.emit({ type: "dma-configure", device: dev.name, driver: drv.name, ret });
  return ret;
}

/**
 * BUS_NOTIFY_BIND_DRIVER first, then the sysfs links (the `driverSysfsAdd` hook; 0 without one).
 *
 * @see drivers/base/dd.c driver_sysfs_add
 */
function driverSysfsAdd(ctx: CoreContext, dev: Device): number {
  busNotify(dev, "BIND_DRIVER");
  const hook = ctx.hooks.driverSysfsAdd;
  if (!hook) return 0;
  const ret = hook(dev) | 0;
  ctx.trace.emit({ type: "driver-sysfs-add", device: dev.name, ret });
  return ret;
}

/**
 * `bus->probe(dev)` if the bus has one, else `drv->probe(dev)`.
 *
 * @see drivers/base/dd.c call_driver_probe
 */
function callProbe(ctx: CoreContext, dev: Device, drv: Driver): number {
  const busProbe = drv.bus.spec.probe;
  const via: CallVia = busProbe ? "bus" : drv.spec.probe ? "driver" : "none";
  ctx.trace.emit({ type: "driver-probe", device: dev.name, driver: drv.name, via });
  const ret = busProbe ? busProbe(dev) | 0 : drv.probe(dev);
  ctx.trace.emit({ type: "driver-probe-return", device: dev.name, driver: drv.name, via, ret });
  return ret;
}

/**
 * Marks the device bound: `knode_driver` on the driver's list, off the deferred lists, trigger, BOUND_DRIVER.
 *
 * @see drivers/base/dd.c driver_bound
 */
export function driverBound(ctx: CoreContext, dev: Device): void {
  const s = deviceState(dev);
  const drv = s.driver;
  if (s.bound || drv === null) {
    ctx.trace.emit({ type: "driver-bound-already", device: dev.name });
    return;
  }
  s.bound = true;
  driverState(drv).boundDevices.push(dev);
  ctx.trace.emit({ type: "driver-bound", device: dev.name, driver: drv.name });
  deferredProbeDel(ctx, dev);
  deferredProbeTrigger(ctx);
  busNotify(dev, "BOUND_DRIVER");
}

/**
 * Binds the driver already in `dev->driver` without probing: `driver_sysfs_add` (BIND_DRIVER) then
 * `driver_bound`; on failure DRIVER_NOT_BOUND (v4.5+). Returns 0 or the sysfs error.
 *
 * @see drivers/base/dd.c device_bind_driver
 */
export function deviceBindDriver(ctx: CoreContext, dev: Device): number {
  const drv = deviceState(dev).driver;
  ctx.trace.emit({ type: "device-bind-driver", device: dev.name, driver: drv?.name ?? "" });
  const ret = driverSysfsAdd(ctx, dev);
  if (ret === 0) driverBound(ctx, dev);
  else busNotify(dev, "DRIVER_NOT_BOUND");
  ctx.trace.emit({ type: "device-bind-driver-end", device: dev.name, ret });
  return ret;
}
