/**
 * `struct device_driver`.
 *
 * @see include/linux/device/driver.h struct device_driver
 * @see drivers/base/base.h struct driver_private
 */
import type { Bus } from "./bus";
import type { Device } from "./device";

/** What a driver provides. @see include/linux/device/driver.h struct device_driver */
export interface DriverSpec {
  /** `drv->name`; unique per bus. */
  readonly name: string;
  /** The (registered) bus it is for. */
  readonly bus: Bus;
  /**
   * `drv->probe`: 0 on success or a negative errno (`-EPROBE_DEFER` to retry later, `-ENODEV`/`-ENXIO` to reject
   * the match quietly). Not called when the bus has its own `probe` (the bus calls it).
   */
  readonly probe?: (dev: Device) => number;
  /** `drv->remove`. */
  readonly remove?: (dev: Device) => void;
  /**
   * Bus-interpreted match IDs in modalias style, e.g. `"of:arm,smmu-v3"`, `"platform:arm-smmu-v3"`,
   * `"pci:8086:10d3"`; each bus's `match` decides what they mean.
   */
  readonly matchIds?: readonly string[];
  /**
   * `prevent_deferred_probe` (platform drivers): the platform bus turns -EPROBE_DEFER into -ENXIO.
   *
   * @see drivers/base/platform.c platform_drv_probe
   */
  readonly preventDeferredProbe?: boolean;
  /**
   * `probe_type == PROBE_PREFER_ASYNCHRONOUS`: initial probes run from the async domain.
   *
   * @see drivers/base/dd.c driver_allows_async_probing
   */
  readonly asyncProbe?: boolean;
}

/** The driver-core-owned mutable state of a driver (internal). */
export interface DriverInternals {
  registered: boolean;
  /** `drv->p->klist_devices`, in bind order. */
  readonly boundDevices: Device[];
}

let internalsOf: (drv: Driver) => DriverInternals;

/**
 * A registered driver. Created by `DriverCore.driverRegister`.
 *
 * @see include/linux/device/driver.h struct device_driver
 */
export class Driver {
  readonly name: string;
  readonly bus: Bus;
  readonly spec: DriverSpec;
  readonly #state: DriverInternals = { registered: false, boundDevices: [] };

  static {
    internalsOf = (drv) => drv.#state;
  }

  /** @internal Use `DriverCore.driverRegister`. */
  constructor(spec: DriverSpec) {
    this.name = spec.name;
    this.bus = spec.bus;
    this.spec = spec;
  }

  /** Whether it is on its bus's driver list. */
  get isRegistered(): boolean {
    return this.#state.registered;
  }

  /** The devices bound to it, in bind order (`drv->p->klist_devices`). */
  get boundDevices(): readonly Device[] {
    return this.#state.boundDevices;
  }

  /** `prevent_deferred_probe`. */
  get preventDeferredProbe(): boolean {
    return this.spec.preventDeferredProbe ?? false;
  }

  /** `driver_allows_async_probing(drv)`. */
  get asyncProbe(): boolean {
    return this.spec.asyncProbe ?? false;
  }

  /** Calls `drv->probe` (0 if the driver has none), for bus `probe` methods that wrap it. */
  probe(dev: Device): number {
    return this.spec.probe ? this.spec.probe(dev) | 0 : 0;
  }

  /** Calls `drv->remove` if present, for bus `remove` methods that wrap it. */
  remove(dev: Device): void {
    this.spec.remove?.(dev);
  }
}

/** The driver core's write access to a driver (internal). */
export function driverState(drv: Driver): DriverInternals {
  return internalsOf(drv);
}
