/**
 * `device_add` and `device_del`.
 *
 * @see drivers/base/core.c device_add, device_del
 * @see drivers/base/bus.c bus_add_device, bus_remove_device
 */
import { busProbeDevice } from "./attach";
import { busState } from "./bus";
import { busNotify, type CoreContext } from "./context";
import { deferredProbeDel } from "./deferred-probe";
import { deviceState, type Device } from "./device";
import { Errno, KernelError } from "./errno";
import { deviceReleaseDriverInternal } from "./release";

/**
 * `platform_notify`, `bus_add_device` (tail of the bus's device list), BUS_NOTIFY_ADD_DEVICE, `bus_probe_device`.
 * Returns 0, -EINVAL (no name) or -EEXIST (name taken on the bus, or already added).
 *
 * @see drivers/base/core.c device_add
 */
export function deviceAdd(ctx: CoreContext, dev: Device): number {
  const s = deviceState(dev);
  ctx.trace.emit({ type: "device-add", device: dev.name, bus: dev.bus?.name ?? null, parent: dev.parent?.name ?? null });
  let ret = 0;
  if (dev.name.length === 0) ret = -Errno.EINVAL;
  else if (s.added || (dev.bus !== null && dev.bus.findDevice(dev.name) !== undefined)) ret = -Errno.EEXIST;
  if (ret !== 0) {
    ctx.trace.emit({ type: "device-add-end", device: dev.name, ret });
    return ret;
  }
  s.added = true;
  s.registered = true; // kobject_add
  if (ctx.hooks.platformNotify) {
    ctx.trace.emit({ type: "platform-notify", device: dev.name });
    ctx.hooks.platformNotify(dev);
  }
  if (dev.bus !== null) {
    const bus = busState(dev.bus);
    bus.devices.push(dev);
    bus.deviceByName.set(dev.name, dev);
    ctx.trace.emit({ type: "bus-add-device", device: dev.name, bus: dev.bus.name });
  }
  busNotify(dev, "ADD_DEVICE");
  busProbeDevice(ctx, dev);
  ctx.trace.emit({ type: "device-add-end", device: dev.name, ret: 0 });
  return 0;
}

/**
 * DEL_DEVICE, `bus_remove_device` (off the bus list, then `device_release_driver`), `driver_deferred_probe_del`,
 * `platform_notify_remove`, REMOVED_DEVICE. Deleting a device that is not added is a model bug.
 *
 * @see drivers/base/core.c device_del
 */
export function deviceDel(ctx: CoreContext, dev: Device): void {
  const s = deviceState(dev);
  if (!s.added || s.dead) {
    throw new KernelError("device-not-added", `device_del(${dev.name}) on a device that is not added`, { device: dev.name });
  }
  ctx.trace.emit({ type: "device-del", device: dev.name });
  s.dead = true; // kill_device
  busNotify(dev, "DEL_DEVICE");
  if (dev.bus !== null) {
    ctx.trace.emit({ type: "bus-remove-device", device: dev.name, bus: dev.bus.name });
    const bus = busState(dev.bus);
    bus.devices.splice(bus.devices.indexOf(dev), 1);
    bus.deviceByName.delete(dev.name);
    deviceReleaseDriverInternal(ctx, dev, null);
  }
  deferredProbeDel(ctx, dev);
  if (ctx.hooks.platformNotifyRemove) {
    ctx.trace.emit({ type: "platform-notify-remove", device: dev.name });
    ctx.hooks.platformNotifyRemove(dev);
  }
  busNotify(dev, "REMOVED_DEVICE");
  s.registered = false; // kobject_del
  ctx.trace.emit({ type: "device-del-end", device: dev.name });
}
