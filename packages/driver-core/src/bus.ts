/**
 * `struct bus_type` and its private part (`subsys_private`: notifier chain, device and driver lists).
 *
 * @see include/linux/device/bus.h struct bus_type
 * @see drivers/base/base.h struct subsys_private
 */
import type { Device } from "./device";
import type { Driver } from "./driver";
import type { BusNotifyAction } from "./events";
import { NotifierChain, type NotifierEvent } from "./notifier";
import type { TraceSink } from "./trace";

/**
 * The methods a bus provides. The PCI package gates matching with its own `match_driver` flag inside `match`.
 *
 * @see include/linux/device/bus.h struct bus_type
 */
export interface BusSpec {
  readonly name: string;
  /** `bus->match`: > 0 match, 0 no match, < 0 errno (-EPROBE_DEFER defers the device). */
  readonly match: (dev: Device, drv: Driver) => number;
  /** `bus->probe`, called instead of `drv->probe` (it calls the driver itself). */
  readonly probe?: (dev: Device) => number;
  /** `bus->remove`, called instead of `drv->remove`. */
  readonly remove?: (dev: Device) => void;
  /**
   * `bus->dma_configure` (modern) or `dma_configure(dev)` (v4.12, drivers/base/dma-mapping.c, which dispatches per
   * bus anyway): 0, or a negative errno (-EPROBE_DEFER while the IOMMU is missing).
   */
  readonly dmaConfigure?: (dev: Device, drv: Driver) => number;
  /** `bus->dma_cleanup` (modern). */
  readonly dmaCleanup?: (dev: Device) => void;
}

/** The driver-core-owned mutable state of a bus (internal). */
export interface BusInternals {
  /** `p->klist_devices`, insertion order. */
  readonly devices: Device[];
  /** `p->klist_drivers`, insertion order. */
  readonly drivers: Driver[];
  /** Index of `devices` by name (`bus_find_device_by_name` without a scan: boots add tens of thousands). */
  readonly deviceByName: Map<string, Device>;
}

let internalsOf: (bus: Bus) => BusInternals;

/**
 * A registered bus. Created by `DriverCore.busRegister`.
 *
 * @see drivers/base/bus.c bus_register
 */
export class Bus {
  readonly name: string;
  readonly spec: BusSpec;
  /** `p->bus_notifier`, named `bus:<name>` in the trace; register with `DriverCore.busRegisterNotifier`. */
  readonly notifier: NotifierChain<BusNotifyAction, Device>;
  /** `p->drivers_autoprobe` (default true). */
  driversAutoprobe = true;
  readonly #state: BusInternals = { devices: [], drivers: [], deviceByName: new Map() };

  static {
    internalsOf = (bus) => bus.#state;
  }

  /** @internal Use `DriverCore.busRegister`. */
  constructor(spec: BusSpec, trace: TraceSink<NotifierEvent>) {
    this.name = spec.name;
    this.spec = spec;
    this.notifier = new NotifierChain<BusNotifyAction, Device>({
      name: `bus:${spec.name}`,
      trace,
      describeData: (dev) => dev.name,
    });
  }

  /** The devices on the bus, in the order they were added. */
  get devices(): readonly Device[] {
    return this.#state.devices;
  }

  /** The drivers on the bus, in the order they were registered. */
  get drivers(): readonly Driver[] {
    return this.#state.drivers;
  }

  /** `bus_find_device_by_name`. */
  findDevice(name: string): Device | undefined {
    return this.#state.deviceByName.get(name);
  }

  /** `driver_find(name, bus)`. */
  findDriver(name: string): Driver | undefined {
    return this.#state.drivers.find((d) => d.name === name);
  }
}

/** The driver core's write access to a bus (internal). */
export function busState(bus: Bus): BusInternals {
  return internalsOf(bus);
}

/**
 * Iterates a klist the way `bus_for_each_dev`/`bus_for_each_drv` do: nodes added at the tail during the walk are
 * visited, a node removed during the walk does not derail it; stops at the first non-zero return and returns it.
 *
 * @see lib/klist.c klist_next
 */
export function klistForEach<T>(list: readonly T[], fn: (item: T) => number): number {
  let index = 0;
  while (index < list.length) {
    const item = list[index] as T;
    const ret = fn(item);
    if (ret !== 0) return ret;
    if (list[index] === item) index += 1; // the common case: the list did not move under us
    else {
      const now = list.indexOf(item);
      index = now >= 0 ? now + 1 : index;
    }
  }
  return 0;
}
