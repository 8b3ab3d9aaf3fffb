/**
 * One simulated kernel's driver core: buses, devices, drivers, probing, deferred probe. No module-level state:
 * every kernel the explorer boots gets its own instance.
 *
 * @see drivers/base/core.c, bus.c, driver.c, dd.c
 */
import { deviceAttach, driverAttach, driverProbeDevice, busProbeDevice } from "./attach";
import { Bus, type BusSpec } from "./bus";
import { SimClock } from "./clock";
import type { CoreContext, DriverCoreHooks } from "./context";
import {
  deferredProbeCheckState,
  deferredProbeInitcall,
  deferredProbeTimeoutWorkFunc,
  deferredProbeTrigger,
  deferredProbeWorkFunc,
  setDeferredProbeReason,
} from "./deferred-probe";
import { Device, deviceState, type DeviceSpec } from "./device";
import { deviceAdd, deviceDel } from "./device-lifecycle";
import type { Driver, DriverSpec } from "./driver";
import { driverRegister, driverUnregister } from "./driver-register";
import type { DriverCoreEra } from "./era";
import { Errno, KernelError } from "./errno";
import type { DriverCoreEvent, SystemState } from "./events";
import { deviceBindDriver } from "./really-probe";
import { deviceReleaseDriverInternal, driverDetach } from "./release";
import { err, ok, type Result } from "./result";
import { Scheduler } from "./scheduler";
import { Trace, type TraceSink } from "./trace";

/** What a {@link DriverCore} is built from. */
export interface DriverCoreOptions {
  readonly era: DriverCoreEra;
  readonly trace: TraceSink<DriverCoreEvent>;
  /** Default: the trace's clock when it is a {@link Trace} over a {@link SimClock}, else a new clock. */
  readonly clock?: SimClock;
  /** Default: a FIFO scheduler on the same clock and trace. */
  readonly scheduler?: Scheduler;
  readonly hooks?: DriverCoreHooks;
}

/**
 * The driver core of one simulated kernel. Operations are named after the kernel functions they model.
 *
 * @example
 * ```ts
 * const trace = new Trace<DriverCoreEvent>();
 * const core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace });
 * const platform = core.busRegister(makePlatformBus());
 * ```
 *
 * @see drivers/base/core.c device_add
 * @see drivers/base/dd.c really_probe
 * @see drivers/base/bus.c bus_register
 */
export class DriverCore {
  readonly era: DriverCoreEra;
  readonly trace: TraceSink<DriverCoreEvent>;
  readonly clock: SimClock;
  readonly scheduler: Scheduler;
  readonly hooks: DriverCoreHooks;
  readonly #ctx: CoreContext;
  readonly #buses: Bus[] = [];
  #systemState: SystemState = "BOOTING";

  constructor(options: DriverCoreOptions) {
    this.era = options.era;
    this.trace = options.trace;
    const traceClock = options.trace instanceof Trace ? options.trace.clock : undefined;
    this.clock = options.clock ?? (traceClock instanceof SimClock ? traceClock : new SimClock());
    this.scheduler = options.scheduler ?? new Scheduler({ clock: this.clock, trace: options.trace });
    this.hooks = options.hooks ?? {};
    const ctx: CoreContext = {
      era: this.era,
      hooks: this.hooks,
      scheduler: this.scheduler,
      trace: this.trace,
      deferAllProbes: false,
      probeCount: 0,
      deferred: {
        pending: [],
        active: [],
        triggerCount: 0,
        enabled: false,
        initcallsDone: false,
        timeoutUs: options.era.deferredProbeTimeoutUs,
        work: { name: "deferred_probe_work_func", queue: options.era.deferredWorkqueue, run: () => deferredProbeWorkFunc(ctx) },
        timeoutWork: { name: "deferred_probe_timeout_work_func", queue: "events", run: () => deferredProbeTimeoutWorkFunc(ctx) },
      },
    };
    this.#ctx = ctx;
  }

  // ---- buses -------------------------------------------------------------------------------------------------

  /**
   * Registers a bus type; -EEXIST if the name is taken.
   *
   * @see drivers/base/bus.c bus_register
   */
  busRegister(spec: BusSpec): Result<Bus, number> {
    if (this.#buses.some((b) => b.name === spec.name)) {
      this.trace.emit({ type: "bus-register", bus: spec.name, ret: -Errno.EEXIST });
      return err(-Errno.EEXIST);
    }
    const bus = new Bus(spec, this.trace);
    this.#buses.push(bus);
    this.trace.emit({ type: "bus-register", bus: spec.name, ret: 0 });
    return ok(bus);
  }

  /** The registered buses, in registration order. */
  get buses(): readonly Bus[] {
    return this.#buses;
  }

  /** `bus_find_by_name` equivalent. */
  busFind(name: string): Bus | undefined {
    return this.#buses.find((b) => b.name === name);
  }

  /**
   * Adds a block to the bus notifier chain; returns the unregister function (`bus_unregister_notifier`).
   *
   * @see drivers/base/bus.c bus_register_notifier
   */
  busRegisterNotifier(bus: Bus, block: Parameters<Bus["notifier"]["register"]>[0]): () => number {
    this.#checkBus(bus);
    return bus.notifier.register(block);
  }

  // ---- devices -----------------------------------------------------------------------------------------------

  /**
   * `device_initialize` + `dev_set_name`: a device object, not yet visible to anyone.
   *
   * @see drivers/base/core.c device_initialize
   */
  deviceInitialize(spec: DeviceSpec): Device {
    if (spec.bus) this.#checkBus(spec.bus);
    return new Device(spec);
  }

  /**
   * Adds a device: `platform_notify`, `bus_add_device`, BUS_NOTIFY_ADD_DEVICE, then `bus_probe_device`.
   * Returns 0, -EINVAL (no name) or -EEXIST (name taken on the bus, or already added).
   *
   * @see drivers/base/core.c device_add
   */
  deviceAdd(dev: Device): number {
    return deviceAdd(this.#ctx, dev);
  }

  /**
   * `device_initialize` + `device_add`.
   *
   * @see drivers/base/core.c device_register
   */
  deviceRegister(spec: DeviceSpec): Result<Device, number> {
    const dev = this.deviceInitialize(spec);
    const ret = this.deviceAdd(dev);
    return ret === 0 ? ok(dev) : err(ret);
  }

  /**
   * Removes a device: DEL_DEVICE, `bus_remove_device` (unbinds the driver), `driver_deferred_probe_del`,
   * `platform_notify_remove`, REMOVED_DEVICE.
   *
   * @see drivers/base/core.c device_del
   */
  deviceDel(dev: Device): void {
    deviceDel(this.#ctx, dev);
  }

  /** `device_del` (+ the final put). @see drivers/base/core.c device_unregister */
  deviceUnregister(dev: Device): void {
    this.deviceDel(dev);
  }

  /**
   * Presets `dev->driver` the way bus code does before `device_add`/`device_attach` (which then calls
   * `device_bind_driver` instead of probing).
   */
  deviceSetDriver(dev: Device, drv: Driver | null): void {
    deviceState(dev).driver = drv;
  }

  // ---- drivers -----------------------------------------------------------------------------------------------

  /**
   * Registers a driver: -EINVAL for an unregistered bus, -EBUSY for a duplicate name; then `bus_add_driver`
   * (tail of the driver list, `driver_attach` when the bus autoprobes; old eras schedule it async for async
   * drivers) and, from v5.19, `deferred_probe_extend_timeout`.
   *
   * @see drivers/base/driver.c driver_register
   * @see drivers/base/bus.c bus_add_driver
   */
  driverRegister(spec: DriverSpec): Result<Driver, number> {
    return driverRegister(this.#ctx, this.#buses, spec);
  }

  /**
   * Takes the driver off its bus, then unbinds every device it drives (last bound first).
   *
   * @see drivers/base/bus.c bus_remove_driver
   */
  driverUnregister(drv: Driver): void {
    driverUnregister(this.#ctx, drv);
  }

  // ---- matching and probing ----------------------------------------------------------------------------------

  /**
   * Synchronous device-driven attach: 1 bound, 0 no driver (modern: or a negative errno from before BIND).
   *
   * @see drivers/base/dd.c device_attach
   */
  deviceAttach(dev: Device): number {
    return deviceAttach(this.#ctx, dev, false);
  }

  /** `device_initial_probe` (async drivers allowed). @see drivers/base/dd.c device_initial_probe */
  deviceInitialProbe(dev: Device): void {
    deviceAttach(this.#ctx, dev, true);
  }

  /** @see drivers/base/bus.c bus_probe_device */
  busProbeDevice(dev: Device): void {
    busProbeDevice(this.#ctx, dev);
  }

  /** Tries `drv` on every device of its bus. @see drivers/base/dd.c driver_attach */
  driverAttach(drv: Driver): number {
    return driverAttach(this.#ctx, drv);
  }

  /** One probe attempt (era return convention). @see drivers/base/dd.c driver_probe_device */
  driverProbeDevice(drv: Driver, dev: Device): number {
    return driverProbeDevice(this.#ctx, drv, dev);
  }

  /** Binds the preset `dev->driver` without probing. @see drivers/base/dd.c device_bind_driver */
  deviceBindDriver(dev: Device): number {
    return deviceBindDriver(this.#ctx, dev);
  }

  /** Unbinds `dev`'s driver. @see drivers/base/dd.c device_release_driver */
  deviceReleaseDriver(dev: Device): void {
    deviceReleaseDriverInternal(this.#ctx, dev, null);
  }

  /** Unbinds every device of `drv`, last bound first. @see drivers/base/dd.c driver_detach */
  driverDetach(drv: Driver): void {
    driverDetach(this.#ctx, drv);
  }

  // ---- deferred probe ----------------------------------------------------------------------------------------

  /** @see drivers/base/dd.c driver_deferred_probe_trigger */
  driverDeferredProbeTrigger(): void {
    deferredProbeTrigger(this.#ctx);
  }

  /** @see drivers/base/dd.c driver_deferred_probe_check_state */
  driverDeferredProbeCheckState(dev: Device): number {
    return deferredProbeCheckState(this.#ctx, dev);
  }

  /**
   * Records what `dev` waits for (`dev_err_probe`'s deferred reason), e.g. `("iommu 9050000.smmuv3",
   * "9050000.smmuv3")`. The deferral-liveness invariant checks that a pending device's supplier is not bound.
   *
   * @see drivers/base/dd.c device_set_deferred_probe_reason
   */
  deviceSetDeferredProbeReason(dev: Device, reason: string | null, supplier: string | null = null): void {
    setDeferredProbeReason(this.#ctx, dev, reason, supplier);
  }

  /**
   * The late_initcall that enables deferred probing (the kernel composition registers it at level `late`).
   *
   * @see drivers/base/dd.c deferred_probe_initcall
   */
  deferredProbeInitcall(): number {
    return deferredProbeInitcall(this.#ctx);
  }

  /** `device_block_probing`: every probe defers. @see drivers/base/dd.c device_block_probing */
  deviceBlockProbing(): void {
    this.#ctx.deferAllProbes = true;
    this.trace.emit({ type: "defer-all-probes", enabled: true });
    this.waitForDeviceProbe();
  }

  /** `device_unblock_probing`: normal probing, then a trigger. @see drivers/base/dd.c device_unblock_probing */
  deviceUnblockProbing(): void {
    this.#ctx.deferAllProbes = false;
    this.trace.emit({ type: "defer-all-probes", enabled: false });
    deferredProbeTrigger(this.#ctx);
  }

  /**
   * Runs the deferred worker and the async domain until idle (`flush_work` + `async_synchronize_full`).
   *
   * @see drivers/base/dd.c wait_for_device_probe
   */
  waitForDeviceProbe(): void {
    this.scheduler.flushWork(this.#ctx.deferred.work);
    this.scheduler.flushQueue("async");
  }

  /** The pending list, in order. */
  get deferredPending(): readonly Device[] {
    return this.#ctx.deferred.pending;
  }

  /** The active list, in order. */
  get deferredActive(): readonly Device[] {
    return this.#ctx.deferred.active;
  }

  /** `deferred_trigger_count`. */
  get deferredTriggerCount(): number {
    return this.#ctx.deferred.triggerCount;
  }

  /** `driver_deferred_probe_enable`. */
  get deferredProbeEnabled(): boolean {
    return this.#ctx.deferred.enabled;
  }

  /** `initcalls_done` (v4.19+). */
  get initcallsDone(): boolean {
    return this.#ctx.deferred.initcallsDone;
  }

  /** `driver_deferred_probe_timeout` in µs (null: none; 0: expired). */
  get deferredProbeTimeoutUs(): number | null {
    return this.#ctx.deferred.timeoutUs;
  }

  /** `probe_count` (probes in progress). */
  get probeCount(): number {
    return this.#ctx.probeCount;
  }

  /** `system_state`, set by the boot code; changes are traced. */
  get systemState(): SystemState {
    return this.#systemState;
  }

  set systemState(state: SystemState) {
    this.#systemState = state;
    this.trace.emit({ type: "system-state", state });
  }

  #checkBus(bus: Bus): void {
    if (!this.#buses.includes(bus)) {
      throw new KernelError("foreign-bus", `bus ${bus.name} is not registered with this driver core`, { bus: bus.name });
    }
  }
}
