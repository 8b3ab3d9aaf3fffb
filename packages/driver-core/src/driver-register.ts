/**
 * `driver_register` and `driver_unregister`.
 *
 * @see drivers/base/driver.c driver_register, driver_unregister
 * @see drivers/base/bus.c bus_add_driver, bus_remove_driver
 */
import { driverAttach } from "./attach";
import { busState, type Bus } from "./bus";
import { asyncSchedule, isModern, type CoreContext } from "./context";
import { deferredProbeExtendTimeout } from "./deferred-probe";
import { Driver, driverState, type DriverSpec } from "./driver";
import { Errno, KernelError } from "./errno";
import { driverDetach } from "./release";
import { err, ok, type Result } from "./result";

/**
 * -EINVAL for a bus this core did not register, -EBUSY for a duplicate name; then `bus_add_driver` (tail of the
 * driver list; `driver_attach` when the bus autoprobes, scheduled async for async drivers in old eras; old eras
 * fail the registration on a negative match error) and, from v5.19, `deferred_probe_extend_timeout`.
 *
 * @see drivers/base/driver.c driver_register
 */
export function driverRegister(ctx: CoreContext, buses: readonly Bus[], spec: DriverSpec): Result<Driver, number> {
  const bus = spec.bus;
  ctx.trace.emit({ type: "driver-register", driver: spec.name, bus: bus.name });
  const fail = (ret: number): Result<Driver, number> => {
    ctx.trace.emit({ type: "driver-register-end", driver: spec.name, bus: bus.name, ret });
    return err(ret);
  };
  if (!buses.includes(bus)) return fail(-Errno.EINVAL);
  if (bus.findDriver(spec.name) !== undefined) return fail(-Errno.EBUSY);
  const drv = new Driver(spec);
  driverState(drv).registered = true;
  const drivers = busState(bus).drivers;
  drivers.push(drv);
  if (bus.driversAutoprobe) {
    if (!isModern(ctx) && drv.asyncProbe) {
      asyncSchedule(ctx, `driver_attach_async ${drv.name}`, () => driverAttach(ctx, drv));
    } else {
      const ret = driverAttach(ctx, drv);
      if (ret !== 0) {
        drivers.splice(drivers.indexOf(drv), 1);
        driverState(drv).registered = false;
        return fail(ret);
      }
    }
  }
  if (ctx.era.extendTimeoutOnDriverRegister) deferredProbeExtendTimeout(ctx);
  ctx.trace.emit({ type: "driver-register-end", driver: spec.name, bus: bus.name, ret: 0 });
  return ok(drv);
}

/**
 * Takes the driver off its bus, then unbinds every device it drives (last bound first).
 *
 * @see drivers/base/bus.c bus_remove_driver
 */
export function driverUnregister(ctx: CoreContext, drv: Driver): void {
  const st = driverState(drv);
  if (!st.registered) {
    throw new KernelError("driver-not-registered", `driver_unregister(${drv.name}) on an unregistered driver`);
  }
  ctx.trace.emit({ type: "driver-unregister", driver: drv.name, bus: drv.bus.name });
  const drivers = busState(drv.bus).drivers;
  drivers.splice(drivers.indexOf(drv), 1);
  st.registered = false;
  driverDetach(ctx, drv);
}
