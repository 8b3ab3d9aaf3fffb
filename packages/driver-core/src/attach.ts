/**
 * Matching devices with drivers: `bus_probe_device`, `__device_attach` (device-driven), `driver_attach`
 * (driver-driven), `driver_probe_device`, and the async variants, per era.
 *
 * @see drivers/base/dd.c __device_attach, __device_attach_driver, __driver_attach, driver_probe_device
 * @see drivers/base/bus.c bus_probe_device
 */
import { busState, klistForEach } from "./bus";
import { asyncSchedule, isModern, type CoreContext } from "./context";
import { deferredProbeAdd, deferredProbeTrigger } from "./deferred-probe";
import { deviceState, type Device } from "./device";
import type { Driver } from "./driver";
import { Errno } from "./errno";
import { deviceBindDriver, reallyProbe } from "./really-probe";

interface AttachData {
  readonly checkAsync: boolean;
  readonly wantAsync: boolean;
  haveAsync: boolean;
}

/**
 * Probes a newly added (or retried) device if the bus autoprobes.
 *
 * @see drivers/base/bus.c bus_probe_device
 */
export function busProbeDevice(ctx: CoreContext, dev: Device): void {
  const bus = dev.bus;
  if (bus === null) return;
  ctx.trace.emit({ type: "bus-probe-device", device: dev.name, autoprobe: bus.driversAutoprobe });
  if (bus.driversAutoprobe) deviceAttach(ctx, dev, true); // device_initial_probe
}

/**
 * Binds `dev` to a driver: a preset `dev->driver` is bound with `device_bind_driver`; otherwise each driver of
 * the bus is tried in registration order until one binds. Returns 1 bound, 0 not (modern: or the negative errno
 * of a probe that failed before BIND, e.g. -EPROBE_DEFER from `dma_configure`).
 *
 * @see drivers/base/dd.c __device_attach
 */
export function deviceAttach(ctx: CoreContext, dev: Device, allowAsync: boolean): number {
  ctx.trace.emit({ type: "device-attach", device: dev.name, allowAsync });
  const s = deviceState(dev);
  let ret = 0;
  if (isModern(ctx) && s.dead) {
    ret = 0;
  } else if (s.driver !== null) {
    if (s.bound) ret = 1;
    else if (deviceBindDriver(ctx, dev) === 0) ret = 1;
    else {
      s.driver = null;
      ret = 0;
    }
  } else if (dev.bus !== null) {
    const data: AttachData = { checkAsync: allowAsync, wantAsync: false, haveAsync: false };
    ret = klistForEach(busState(dev.bus).drivers, (drv) => deviceAttachDriver(ctx, drv, dev, data));
    if (ret === 0 && allowAsync && data.haveAsync) {
      asyncSchedule(ctx, `__device_attach_async_helper ${dev.name}`, () => deviceAttachAsyncHelper(ctx, dev));
    }
  }
  ctx.trace.emit({ type: "device-attach-end", device: dev.name, ret });
  return ret;
}

/**
 * One (driver, device) pair of `__device_attach`: match, then probe; a non-zero return stops the walk.
 *
 * @see drivers/base/dd.c __device_attach_driver
 */
function deviceAttachDriver(ctx: CoreContext, drv: Driver, dev: Device, data: AttachData): number {
  const s = deviceState(dev);
  if (!isModern(ctx) && s.driver !== null) return -Errno.EBUSY;
  const match = driverMatchDevice(ctx, drv, dev);
  if (match === 0) return 0;
  if (match === -Errno.EPROBE_DEFER) {
    s.canMatch = true;
    deferredProbeAdd(ctx, dev);
    if (!ctx.era.matchDeferFallThrough) return match;
  } else if (match < 0) {
    return match;
  }
  const asyncAllowed = drv.asyncProbe;
  if (asyncAllowed) data.haveAsync = true;
  if (data.checkAsync && asyncAllowed !== data.wantAsync) return 0;
  const ret = driverProbeDevice(ctx, drv, dev);
  if (!isModern(ctx)) return ret;
  if (ret < 0) return ret;
  return ret === 0 ? 1 : 0;
}

/** @see drivers/base/dd.c __device_attach_async_helper */
function deviceAttachAsyncHelper(ctx: CoreContext, dev: Device): void {
  const s = deviceState(dev);
  if (isModern(ctx) && (s.dead || s.driver !== null)) return;
  if (dev.bus === null) return;
  const data: AttachData = { checkAsync: true, wantAsync: true, haveAsync: false };
  klistForEach(busState(dev.bus).drivers, (drv) => deviceAttachDriver(ctx, drv, dev, data));
}

/**
 * `bus->match(dev, drv)`, traced.
 *
 * @see drivers/base/base.h driver_match_device
 */
function driverMatchDevice(ctx: CoreContext, drv: Driver, dev: Device): number {
  const ret = drv.bus.spec.match(dev, drv) | 0;
  ctx.trace.emit({ type: "driver-match", device: dev.name, driver: drv.name, ret });
  return ret;
}

/**
 * Probes `dev` with `drv`.
 * - v4.7/v4.12: -ENODEV if the device is not registered, else `really_probe` (1 bound, 0 not; probe errors are
 *   swallowed there).
 * - modern: -ENODEV (dead or unregistered), -EBUSY (`dev->driver` set), else `really_probe` (0 bound, positive
 *   errno for `->probe` errors, negative for earlier failures); on ±EPROBE_DEFER adds to the pending list and
 *   re-triggers if a trigger happened meanwhile.
 *
 * @see drivers/base/dd.c driver_probe_device, __driver_probe_device
 */
export function driverProbeDevice(ctx: CoreContext, drv: Driver, dev: Device): number {
  const s = deviceState(dev);
  if (!isModern(ctx)) {
    if (!s.registered) return -Errno.ENODEV;
    ctx.trace.emit({ type: "probe-match", device: dev.name, driver: drv.name, bus: drv.bus.name, fn: "driver_probe_device" });
    return reallyProbe(ctx, dev, drv, ctx.deferred.triggerCount);
  }
  const triggerCount = ctx.deferred.triggerCount;
  ctx.probeCount += 1;
  let ret: number;
  if (s.dead || !s.registered) ret = -Errno.ENODEV;
  else if (s.driver !== null) ret = -Errno.EBUSY;
  else {
    s.canMatch = true;
    ctx.trace.emit({ type: "probe-match", device: dev.name, driver: drv.name, bus: drv.bus.name, fn: "__driver_probe_device" });
    ret = reallyProbe(ctx, dev, drv, triggerCount);
  }
  if (ret === -Errno.EPROBE_DEFER || ret === Errno.EPROBE_DEFER) {
    const now = ctx.deferred.triggerCount;
    ctx.trace.emit({ type: "probe-defer", device: dev.name, driver: drv.name, triggerCountAtStart: triggerCount, triggerCount: now });
    deferredProbeAdd(ctx, dev);
    if (triggerCount !== now && !ctx.deferAllProbes) deferredProbeTrigger(ctx);
  }
  ctx.probeCount -= 1;
  return ret;
}

/**
 * Tries `drv` on every device of its bus, in device-list order (devices on the pending list included: they are
 * probed without waiting for a trigger). Old eras stop at a negative match error and return it.
 *
 * @see drivers/base/dd.c driver_attach, __driver_attach
 */
export function driverAttach(ctx: CoreContext, drv: Driver): number {
  ctx.trace.emit({ type: "driver-attach", driver: drv.name, bus: drv.bus.name });
  return klistForEach(busState(drv.bus).devices, (dev) => driverAttachDevice(ctx, drv, dev));
}

/** @see drivers/base/dd.c __driver_attach */
function driverAttachDevice(ctx: CoreContext, drv: Driver, dev: Device): number {
  const s = deviceState(dev);
  const match = driverMatchDevice(ctx, drv, dev);
  if (match === 0) return 0;
  if (match === -Errno.EPROBE_DEFER) {
    s.canMatch = true;
    deferredProbeAdd(ctx, dev);
    if (!ctx.era.matchDeferFallThrough) return 0;
  } else if (match < 0) {
    return isModern(ctx) ? 0 : match;
  }
  if (isModern(ctx)) {
    if (drv.asyncProbe) {
      if (s.driver === null && s.asyncDriver === null) {
        s.asyncDriver = drv;
        asyncSchedule(ctx, `__driver_attach_async_helper ${dev.name}`, () => driverAttachAsyncHelper(ctx, dev));
      }
      return 0;
    }
    driverProbeDevice(ctx, drv, dev);
    return 0;
  }
  if (s.driver === null) driverProbeDevice(ctx, drv, dev);
  return 0;
}

/** @see drivers/base/dd.c __driver_attach_async_helper */
function driverAttachAsyncHelper(ctx: CoreContext, dev: Device): void {
  const s = deviceState(dev);
  const drv = s.asyncDriver;
  s.asyncDriver = null;
  if (drv !== null) driverProbeDevice(ctx, drv, dev);
}
