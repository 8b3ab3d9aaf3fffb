/**
 * Era switches: how drivers/base behaved in each kernel generation dmasim composes. A profile is a set of switches,
 * not a copy of the code per version (kernel-behaviour.md §c).
 */

/** Which `really_probe` ordering runs (kernel-behaviour.md b.4, b.5, b.6). */
export type ReallyProbeOrdering = "v4.7" | "v4.12" | "modern";

/** How `driver_deferred_probe_check_state` decides (absent before v4.19). */
export type DeferredProbeCheckState = "none" | "v4.19" | "modern";

/**
 * Numbering of the `BUS_NOTIFY_*` values: the 0x1..0x8 `#define`s (v4.5–v6.2) or the later 0-based enum.
 *
 * @see include/linux/device/bus.h BUS_NOTIFY_ADD_DEVICE
 */
export type BusNotifyNumbering = "define" | "enum";

/**
 * The driver-core switches of one kernel generation.
 *
 * @see drivers/base/dd.c really_probe
 */
export interface DriverCoreEra {
  /** Preset name, for traces and reports. */
  readonly name: string;
  /**
   * `really_probe` ordering and failure labels.
   * - `"v4.7"`: pinctrl → BIND → probe → BOUND | NOT_BOUND (v4.5–v4.11; v4.7-rc3 dd.c).
   * - `"v4.12"`: `dma_configure` between pinctrl and BIND, `dma_deconfigure` on `probe_failed`, `dma_failed`
   *   label (v4.12.3 and v4.19 dd.c, both read).
   * - `"modern"`: `bus->dma_configure` before BIND (failure emits neither BIND nor NOT_BOUND), `sysfs_failed` →
   *   NOT_BOUND then `bus->dma_cleanup`, `device_unbind_cleanup` (`arch_teardown_dma_ops`); -EPROBE_DEFER handled
   *   in `driver_probe_device`; probe errors returned positive (torvalds/linux dd.c @5a7a9efdb193).
   * It also selects the era's `__device_attach_driver`/`__driver_attach` and async-probe code.
   */
  readonly reallyProbe: ReallyProbeOrdering;
  /**
   * v4.12 ordering only: a `dma_configure` failure jumps to `dma_failed`, which emits DRIVER_NOT_BOUND with no
   * BIND_DRIVER before it (true for v4.12 … at least v4.19; read in both). False makes it skip to
   * `pinctrl_bind_failed` (hypothetical).
   */
  readonly emitNotBoundOnDmaConfigureFailure: boolean;
  /**
   * A `bus->match` returning -EPROBE_DEFER adds the device to the deferred list and still probes
   * (`__device_attach_driver`/`__driver_attach` in v4.7 … v4.19, read). Modern code sets `can_match`, adds to the
   * list and does not probe (mainline dd.c).
   */
  readonly matchDeferFallThrough: boolean;
  /**
   * `driver_deferred_probe_timeout` at boot in µs; null = no timeout work (v4.19 default -1; absent before).
   * Modern: 10 s with CONFIG_MODULES, else 0 (mainline dd.c).
   */
  readonly deferredProbeTimeoutUs: number | null;
  /**
   * `deferred_probe_initcall` sets `initcalls_done` after the first flush, then triggers and flushes again
   * ("this time we won't defer anything that is optional"); v4.19+ (read in v4.19 and mainline).
   */
  readonly initcallsDoneSecondTrigger: boolean;
  /** `driver_deferred_probe_check_state`: none before v4.19; the v4.19 form; the modern form (mainline). */
  readonly deferredProbeCheckState: DeferredProbeCheckState;
  /** CONFIG_MODULES (the modern check-state and timeout default depend on it). */
  readonly configModules: boolean;
  /**
   * `driver_register` calls `deferred_probe_extend_timeout` ("Extended deferred probe timeout by %d secs"):
   * added in 2022 (v5.19/v6.0); seen in the Debian 6.1 boot logs.
   */
  readonly extendTimeoutOnDriverRegister: boolean;
  /** `driver_deferred_probe_add` returns early unless `dev->can_match` (mainline dd.c; ~v5.19, version [U]). */
  readonly deferredAddRequiresCanMatch: boolean;
  /** Which `BUS_NOTIFY_*` numbering to display. */
  readonly busNotifyNumbering: BusNotifyNumbering;
  /**
   * The workqueue running `deferred_probe_work_func`: `"deferwq"` (v4.7 `create_singlethread_workqueue`),
   * `"events"` (v4.19 `schedule_work`), `"system_unbound_wq"` (mainline). Only names the queue in the trace.
   */
  readonly deferredWorkqueue: string;
}

/**
 * The presets of the kernel generations dmasim composes.
 *
 * @see kernel-behaviour.md (e) for the trees read
 */
export const DRIVER_CORE_ERAS = {
  "v4.7": {
    name: "v4.7",
    reallyProbe: "v4.7",
    emitNotBoundOnDmaConfigureFailure: false,
    matchDeferFallThrough: true,
    deferredProbeTimeoutUs: null,
    initcallsDoneSecondTrigger: false,
    deferredProbeCheckState: "none",
    configModules: true,
    extendTimeoutOnDriverRegister: false,
    deferredAddRequiresCanMatch: false,
    busNotifyNumbering: "define",
    deferredWorkqueue: "deferwq",
  },
  "v4.12": {
    name: "v4.12",
    reallyProbe: "v4.12",
    emitNotBoundOnDmaConfigureFailure: true,
    matchDeferFallThrough: true,
    deferredProbeTimeoutUs: null,
    initcallsDoneSecondTrigger: false,
    deferredProbeCheckState: "none",
    configModules: true,
    extendTimeoutOnDriverRegister: false,
    deferredAddRequiresCanMatch: false,
    busNotifyNumbering: "define",
    deferredWorkqueue: "deferwq",
  },
  "v4.19": {
    name: "v4.19",
    reallyProbe: "v4.12",
    emitNotBoundOnDmaConfigureFailure: true,
    matchDeferFallThrough: true,
    deferredProbeTimeoutUs: null,
    initcallsDoneSecondTrigger: true,
    deferredProbeCheckState: "v4.19",
    configModules: true,
    extendTimeoutOnDriverRegister: false,
    deferredAddRequiresCanMatch: false,
    busNotifyNumbering: "define",
    deferredWorkqueue: "events",
  },
  "v6.1": {
    name: "v6.1",
    reallyProbe: "modern",
    emitNotBoundOnDmaConfigureFailure: false,
    matchDeferFallThrough: false,
    deferredProbeTimeoutUs: 10_000_000,
    initcallsDoneSecondTrigger: true,
    deferredProbeCheckState: "modern",
    configModules: true,
    extendTimeoutOnDriverRegister: true,
    deferredAddRequiresCanMatch: true,
    busNotifyNumbering: "define",
    deferredWorkqueue: "system_unbound_wq",
  },
} as const satisfies Readonly<Record<string, DriverCoreEra>>;

/** The preset names: `"v4.7" | "v4.12" | "v4.19" | "v6.1"`. */
export type DriverCoreEraName = keyof typeof DRIVER_CORE_ERAS;
