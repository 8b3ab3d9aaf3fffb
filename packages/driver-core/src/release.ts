/**
 * Unbinding: `__device_release_driver` per era and `driver_detach`.
 *
 * @see drivers/base/dd.c __device_release_driver, device_release_driver_internal, driver_detach
 */
import { busNotify, isModern, type CoreContext } from "./context";
import { deviceState, type Device } from "./device";
import { driverState, type Driver } from "./driver";
import { KernelError } from "./errno";
import type { CallVia } from "./events";
import { deviceUnbindCleanup, dmaDeconfigure } from "./really-probe";

/**
 * Releases `dev`'s driver if it is `drv` (or any driver when `drv` is null).
 *
 * @see drivers/base/dd.c device_release_driver_internal
 */
export function deviceReleaseDriverInternal(ctx: CoreContext, dev: Device, drv: Driver | null): void {
  const current = deviceState(dev).driver;
  if (drv === null || drv === current) releaseDriver(ctx, dev);
}

/**
 * UNBIND_DRIVER → `->remove` → (v4.12: `dma_deconfigure`; modern: `bus->dma_cleanup`, `device_unbind_cleanup`)
 * → `dev->driver = NULL` → `klist_remove(knode_driver)` → UNBOUND_DRIVER. v4.7 tears no DMA state down.
 *
 * @see drivers/base/dd.c __device_release_driver
 */
function releaseDriver(ctx: CoreContext, dev: Device): void {
  const s = deviceState(dev);
  const drv = s.driver;
  if (drv === null) return;
  ctx.trace.emit({ type: "release-driver", device: dev.name, driver: drv.name });
  if (!isModern(ctx) && drv.asyncProbe) ctx.scheduler.flushQueue("async"); // async_synchronize_full
  busNotify(dev, "UNBIND_DRIVER"); // after driver_sysfs_remove
  const busRemove = dev.bus?.spec.remove;
  const via: CallVia = busRemove ? "bus" : drv.spec.remove ? "driver" : "none";
  ctx.trace.emit({ type: "driver-remove", device: dev.name, driver: drv.name, via });
  if (busRemove) busRemove(dev);
  else drv.remove(dev);
  switch (ctx.era.reallyProbe) {
    case "v4.7":
      s.driver = null; // devres_release_all; dev->driver = NULL
      break;
    case "v4.12":
      dmaDeconfigure(ctx, dev); // after device_links_driver_cleanup, before devres_release_all
      s.driver = null;
      break;
    case "modern": {
      const cleanup = dev.bus?.spec.dmaCleanup;
      if (cleanup) {
        ctx.trace.emit({ type: "dma-deconfigure", device: dev.name, fn: "dma_cleanup" });
        cleanup(dev);
      }
      deviceUnbindCleanup(ctx, dev);
      break;
    }
  }
  s.bound = false;
  const list = driverState(drv).boundDevices;
  const i = list.indexOf(dev);
  if (i >= 0) list.splice(i, 1);
  ctx.trace.emit({ type: "driver-unbound", device: dev.name, driver: drv.name });
  busNotify(dev, "UNBOUND_DRIVER");
  ctx.trace.emit({ type: "release-driver-end", device: dev.name, driver: drv.name });
}

/**
 * Releases every device bound to `drv`, last-bound first.
 *
 * @see drivers/base/dd.c driver_detach
 */
export function driverDetach(ctx: CoreContext, drv: Driver): void {
  ctx.trace.emit({ type: "driver-detach", driver: drv.name });
  if (isModern(ctx) && drv.asyncProbe) ctx.scheduler.flushQueue("async");
  const list = driverState(drv).boundDevices;
  for (let dev = list.at(-1); dev !== undefined; dev = list.at(-1)) {
    deviceReleaseDriverInternal(ctx, dev, drv);
    if (list.at(-1) === dev) {
      throw new KernelError("detach-stuck", `driver_detach: ${dev.name} stayed bound to ${drv.name}`, {
        device: dev.name,
        driver: drv.name,
      });
    }
  }
}
