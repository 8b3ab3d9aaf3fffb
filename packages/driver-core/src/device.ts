/**
 * `struct device`: the state the model needs, plus a typed data area that other layers own (IOMMU group, fwspec,
 * DMA ops, PCI info). The driver core changes its own fields through {@link deviceState}; readers see getters.
 *
 * @see include/linux/device.h struct device
 * @see drivers/base/base.h struct device_private
 */
import type { Bus } from "./bus";
import type { Driver } from "./driver";

/**
 * A firmware node handle (`dev->fwnode`/`of_node`/ACPI companion). Opaque to the driver core; upper layers may hand
 * richer objects that have at least a name.
 *
 * @see include/linux/fwnode.h struct fwnode_handle
 */
export interface Fwnode {
  readonly name: string;
}

/**
 * The key of a typed slot in a device's data area; make one per owning layer with {@link defineDeviceData}.
 *
 * @see include/linux/device.h struct device
 */
export interface DeviceDataKey<TValue> {
  readonly name: string;
  readonly id: symbol;
  /** Type-only marker; never set. */
  readonly __value?: TValue;
}

/**
 * Declares a typed slot in the device data area, e.g. `const IOMMU = defineDeviceData<IommuDevState>("iommu")`.
 * Two keys with the same name are distinct slots.
 *
 * @see include/linux/device.h struct device
 */
export function defineDeviceData<TValue>(name: string): DeviceDataKey<TValue> {
  return { name, id: Symbol(name) };
}

/** Where a device sits on the deferred-probe lists. @see drivers/base/dd.c deferred_probe_pending_list */
export type DeferredListName = "pending" | "active";

/** The driver-core-owned mutable state of a device (not exported from the package). */
export interface DeviceInternals {
  driver: Driver | null;
  registered: boolean;
  added: boolean;
  dead: boolean;
  bound: boolean;
  deferredList: DeferredListName | null;
  canMatch: boolean;
  deferredProbeReason: string | null;
  deferredProbeSupplier: string | null;
  asyncDriver: Driver | null;
}

/**
 * What `deviceInitialize` needs.
 *
 * @see drivers/base/core.c device_initialize
 */
export interface DeviceSpec {
  /** `dev_name(dev)`, e.g. `"0000:01:00.0"` or `"9050000.smmuv3"`. */
  readonly name: string;
  readonly bus?: Bus | null;
  readonly parent?: Device | null;
  readonly fwnode?: Fwnode | null;
}

let internalsOf: (dev: Device) => DeviceInternals;

/**
 * A device. Created by `DriverCore.deviceInitialize` (or `deviceRegister`), never by other layers directly.
 *
 * @see include/linux/device.h struct device
 */
export class Device {
  /** `dev_name(dev)`. */
  readonly name: string;
  /** `dev->bus`, null for bus-less devices. */
  readonly bus: Bus | null;
  /** `dev->parent`. */
  readonly parent: Device | null;
  /** `dev->fwnode` (set before `device_add` by OF, or during `platform_notify` by ACPI). */
  fwnode: Fwnode | null;
  readonly #state: DeviceInternals = {
    driver: null,
    registered: false,
    added: false,
    dead: false,
    bound: false,
    deferredList: null,
    canMatch: false,
    deferredProbeReason: null,
    deferredProbeSupplier: null,
    asyncDriver: null,
  };
  readonly #data = new Map<symbol, unknown>();

  static {
    internalsOf = (dev) => dev.#state;
  }

  /** @internal Use `DriverCore.deviceInitialize`. */
  constructor(spec: DeviceSpec) {
    this.name = spec.name;
    this.bus = spec.bus ?? null;
    this.parent = spec.parent ?? null;
    this.fwnode = spec.fwnode ?? null;
  }

  /** `dev->driver`: NULL while unbound, set during probe before BIND_DRIVER. */
  get driver(): Driver | null {
    return this.#state.driver;
  }

  /** `device_is_registered(dev)` (`kobj.state_in_sysfs`). */
  get isRegistered(): boolean {
    return this.#state.registered;
  }

  /** `device_is_bound(dev)`: `knode_driver` is on the driver's list. */
  get isBound(): boolean {
    return this.#state.bound;
  }

  /** `dev->p->dead`: set by `device_del`. */
  get isDead(): boolean {
    return this.#state.dead;
  }

  /** Which deferred-probe list holds the device, if any. */
  get deferredList(): DeferredListName | null {
    return this.#state.deferredList;
  }

  /** `dev->can_match` (modern): a driver matched it once. */
  get canMatch(): boolean {
    return this.#state.canMatch;
  }

  /** `dev->p->deferred_probe_reason` (what the last deferral waited for). */
  get deferredProbeReason(): string | null {
    return this.#state.deferredProbeReason;
  }

  /** Reads a slot of the data area. */
  getData<TValue>(key: DeviceDataKey<TValue>): TValue | undefined {
    return this.#data.get(key.id) as TValue | undefined;
  }

  /** Writes a slot of the data area. */
  setData<TValue>(key: DeviceDataKey<TValue>, value: TValue): void {
    this.#data.set(key.id, value);
  }

  /** Clears a slot; returns whether it was set. */
  deleteData<TValue>(key: DeviceDataKey<TValue>): boolean {
    return this.#data.delete(key.id);
  }

  /** Whether a slot is set. */
  hasData<TValue>(key: DeviceDataKey<TValue>): boolean {
    return this.#data.has(key.id);
  }

  /** `dev_driver_string(dev)`: the driver name if one is set, else the bus name (what `dev_dbg` prints). */
  get driverString(): string {
    return this.#state.driver?.name ?? this.bus?.name ?? "";
  }
}

/** The driver core's write access to a device (internal; not exported from the package). */
export function deviceState(dev: Device): DeviceInternals {
  return internalsOf(dev);
}
