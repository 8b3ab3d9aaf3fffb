/**
 * The state one simulated kernel's driver core shares between its parts (dd.c's statics, made per-instance).
 * Internal: not exported from the package.
 */
import type { Device } from "./device";
import type { DriverCoreEra } from "./era";
import type { BusNotifyAction, DriverCoreEvent } from "./events";
import type { Scheduler, WorkItem } from "./scheduler";
import type { TraceSink } from "./trace";

/**
 * Hooks the kernel composition fills, each called exactly where the kernel calls the corresponding function.
 * All optional; the driver core knows nothing of IOMMUs or DMA ops.
 */
export interface DriverCoreHooks {
  /**
   * `platform_notify(dev)`, step 3 of `device_add` (ACPI: `acpi_platform_notify` → `acpi_bind_one` →
   * `arch_setup_dma_ops` in v4.7).
   *
   * @see drivers/base/core.c device_add
   */
  readonly platformNotify?: (dev: Device) => void;
  /** `platform_notify_remove(dev)` in `device_del`. @see drivers/base/core.c device_del */
  readonly platformNotifyRemove?: (dev: Device) => void;
  /**
   * v4.12: `dma_deconfigure(dev)` on really_probe's `probe_failed` path and in `__device_release_driver` after
   * `->remove`.
   *
   * @see drivers/base/dma-mapping.c dma_deconfigure (v4.12)
   */
  readonly dmaDeconfigure?: (dev: Device) => void;
  /** Modern: `arch_teardown_dma_ops(dev)` inside `device_unbind_cleanup`. @see drivers/base/dd.c device_unbind_cleanup */
  readonly archTeardownDmaOps?: (dev: Device) => void;
  /**
   * `pinctrl_bind_pins(dev)`: 0 or a negative errno (default 0). A failure happens before BIND_DRIVER, so no
   * notifier sees it.
   *
   * @see drivers/base/pinctrl.c pinctrl_bind_pins
   */
  readonly pinctrlBindPins?: (dev: Device) => number;
  /**
   * The sysfs-link half of `driver_sysfs_add` (after BIND_DRIVER): 0 or a negative errno (default 0). Lets tests
   * reach the "failed with error 0" path and `device_bind_driver`'s NOT_BOUND.
   *
   * @see drivers/base/dd.c driver_sysfs_add
   */
  readonly driverSysfsAdd?: (dev: Device) => number;
}

/** dd.c's deferred-probe statics. @see drivers/base/dd.c */
export interface DeferredState {
  readonly pending: Device[];
  readonly active: Device[];
  /** `deferred_trigger_count`. */
  triggerCount: number;
  /** `driver_deferred_probe_enable`. */
  enabled: boolean;
  /** `initcalls_done` (v4.19+). */
  initcallsDone: boolean;
  /** `driver_deferred_probe_timeout` in µs (null: none); 0 once expired. */
  timeoutUs: number | null;
  /** `deferred_probe_work`. */
  readonly work: WorkItem;
  /** `deferred_probe_timeout_work` (delayed). */
  readonly timeoutWork: WorkItem;
}

/** Everything the driver-core functions share. */
export interface CoreContext {
  readonly era: DriverCoreEra;
  readonly hooks: DriverCoreHooks;
  readonly scheduler: Scheduler;
  readonly trace: TraceSink<DriverCoreEvent>;
  readonly deferred: DeferredState;
  /** `defer_all_probes`. */
  deferAllProbes: boolean;
  /** `probe_count`. */
  probeCount: number;
}

/**
 * `blocking_notifier_call_chain(&dev->bus->p->bus_notifier, action, dev)`; the driver core ignores the result.
 *
 * @see drivers/base/core.c bus_notify (modern name of the open-coded calls)
 */
export function busNotify(dev: Device, action: BusNotifyAction): void {
  dev.bus?.notifier.callChain(action, dev);
}

/** Whether the era runs the modern dd.c paths. */
export function isModern(ctx: CoreContext): boolean {
  return ctx.era.reallyProbe === "modern";
}

/** Queues `fn` in the async domain (`async_schedule`). @see kernel/async.c async_schedule */
export function asyncSchedule(ctx: CoreContext, name: string, fn: () => void): void {
  ctx.scheduler.queueWork({ name, queue: "async", run: fn });
}
