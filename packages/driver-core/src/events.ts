/**
 * What the driver core writes to the trace. Every event names devices, drivers and buses by their kernel names
 * (never object references), so a trace is plain JSON and byte-stable.
 */
import type { BusNotifyNumbering } from "./era";
import type { NotifierEvent } from "./notifier";
import type { PrintkEvent } from "./printk";
import type { SchedulerEvent } from "./scheduler";

/**
 * A bus notifier action, keyed by name because the numbers changed across eras.
 *
 * @see include/linux/device.h BUS_NOTIFY_* (v4.5–v6.2 `#define`s)
 * @see include/linux/device/bus.h enum bus_notifier_event (later, 0-based)
 */
export type BusNotifyAction =
  | "ADD_DEVICE"
  | "DEL_DEVICE"
  | "REMOVED_DEVICE"
  | "BIND_DRIVER"
  | "BOUND_DRIVER"
  | "UNBIND_DRIVER"
  | "UNBOUND_DRIVER"
  | "DRIVER_NOT_BOUND";

/**
 * The actions in value order (ADD_DEVICE = 0x1 … DRIVER_NOT_BOUND = 0x8).
 *
 * @see include/linux/device/bus.h BUS_NOTIFY_ADD_DEVICE
 */
export const BUS_NOTIFY_ACTIONS: readonly BusNotifyAction[] = [
  "ADD_DEVICE",
  "DEL_DEVICE",
  "REMOVED_DEVICE",
  "BIND_DRIVER",
  "BOUND_DRIVER",
  "UNBIND_DRIVER",
  "UNBOUND_DRIVER",
  "DRIVER_NOT_BOUND",
];

/**
 * The numeric value of an action, for display: 0x1..0x8 with the `#define`s, 0..7 with the enum.
 *
 * @see include/linux/device.h BUS_NOTIFY_ADD_DEVICE (0x00000001)
 */
export function busNotifyValue(action: BusNotifyAction, numbering: BusNotifyNumbering): number {
  const index = BUS_NOTIFY_ACTIONS.indexOf(action);
  return numbering === "define" ? index + 1 : index;
}

/**
 * Where a driver's probe or remove was called from: the bus method, the driver's own, or neither exists.
 *
 * @see drivers/base/dd.c really_probe, call_driver_probe
 */
export type CallVia = "bus" | "driver" | "none";

/**
 * The driver-core function that logs "matched device … with driver …" in an era.
 *
 * @see drivers/base/dd.c driver_probe_device, __driver_probe_device
 */
export type ProbeMatchFn = "driver_probe_device" | "__driver_probe_device";

/** Device lifecycle events (drivers/base/core.c, bus.c). */
export type DeviceEvent =
  | { readonly type: "bus-register"; readonly bus: string; readonly ret: number }
  | { readonly type: "device-add"; readonly device: string; readonly bus: string | null; readonly parent: string | null }
  | { readonly type: "platform-notify"; readonly device: string }
  | { readonly type: "bus-add-device"; readonly device: string; readonly bus: string }
  | { readonly type: "bus-probe-device"; readonly device: string; readonly autoprobe: boolean }
  | { readonly type: "device-add-end"; readonly device: string; readonly ret: number }
  | { readonly type: "device-del"; readonly device: string }
  | { readonly type: "bus-remove-device"; readonly device: string; readonly bus: string }
  | { readonly type: "platform-notify-remove"; readonly device: string }
  | { readonly type: "device-del-end"; readonly device: string }
  | { readonly type: "system-state"; readonly state: SystemState };

/** Driver registration and matching events (drivers/base/driver.c, bus.c, dd.c). */
export type DriverEvent =
  | { readonly type: "driver-register"; readonly driver: string; readonly bus: string }
  | { readonly type: "driver-register-end"; readonly driver: string; readonly bus: string; readonly ret: number }
  | { readonly type: "driver-unregister"; readonly driver: string; readonly bus: string }
  | { readonly type: "driver-attach"; readonly driver: string; readonly bus: string }
  | { readonly type: "device-attach"; readonly device: string; readonly allowAsync: boolean }
  | { readonly type: "device-attach-end"; readonly device: string; readonly ret: number }
  | { readonly type: "driver-match"; readonly device: string; readonly driver: string; readonly ret: number }
  | {
      readonly type: "probe-match";
      readonly device: string;
      readonly driver: string;
      readonly bus: string;
      readonly fn: ProbeMatchFn;
    };

/** One `really_probe` attempt and what happens inside it (drivers/base/dd.c). */
export type ProbeEvent =
  | {
      readonly type: "really-probe";
      readonly device: string;
      readonly driver: string;
      readonly bus: string;
      /** `deferred_trigger_count` snapshot taken for this attempt. */
      readonly triggerCount: number;
    }
  | { readonly type: "pinctrl-bind"; readonly device: string; readonly ret: number }
  | { readonly type: "dma-configure"; readonly device: string; readonly driver: string; readonly ret: number }
  | { readonly type: "driver-sysfs-add"; readonly device: string; readonly ret: number }
  | { readonly type: "driver-probe"; readonly device: string; readonly driver: string; readonly via: CallVia }
  | {
      readonly type: "driver-probe-return";
      readonly device: string;
      readonly driver: string;
      readonly via: CallVia;
      readonly ret: number;
    }
  | {
      /** The log line a failed probe gets: "requests probe deferral", "rejects match", "failed with error". */
      readonly type: "probe-outcome";
      readonly device: string;
      readonly driver: string;
      readonly ret: number;
      readonly verdict: "deferral" | "rejects" | "failed";
      /** `dev_driver_string(dev)` when the line is logged. */
      readonly driverString: string;
    }
  | {
      /** The -EPROBE_DEFER handling point (`driver_deferred_probe_add_trigger` or modern `driver_probe_device`). */
      readonly type: "probe-defer";
      readonly device: string;
      readonly driver: string;
      readonly triggerCountAtStart: number;
      readonly triggerCount: number;
    }
  | { readonly type: "driver-bound"; readonly device: string; readonly driver: string }
  | { readonly type: "driver-bound-already"; readonly device: string }
  | {
      readonly type: "really-probe-end";
      readonly device: string;
      readonly driver: string;
      readonly bus: string;
      readonly ret: number;
      /** `dev->driver != NULL` when really_probe returned. */
      readonly driverSet: boolean;
      /** `device_is_bound(dev)` when really_probe returned. */
      readonly bound: boolean;
    }
  | { readonly type: "device-bind-driver"; readonly device: string; readonly driver: string }
  | { readonly type: "device-bind-driver-end"; readonly device: string; readonly ret: number }
  | { readonly type: "defer-all-probes"; readonly enabled: boolean };

/** Unbind events (drivers/base/dd.c `__device_release_driver`, `driver_detach`). */
export type ReleaseEvent =
  | { readonly type: "release-driver"; readonly device: string; readonly driver: string }
  | { readonly type: "driver-remove"; readonly device: string; readonly driver: string; readonly via: CallVia }
  | {
      readonly type: "dma-deconfigure";
      readonly device: string;
      readonly fn: "dma_deconfigure" | "arch_teardown_dma_ops" | "dma_cleanup";
    }
  | { readonly type: "driver-unbound"; readonly device: string; readonly driver: string }
  | { readonly type: "release-driver-end"; readonly device: string; readonly driver: string }
  | { readonly type: "driver-detach"; readonly driver: string };

/** Deferred-probe list moves and state (drivers/base/dd.c). */
export type DeferredEvent =
  | {
      readonly type: "deferred-add";
      readonly device: string;
      /** `dev_driver_string(dev)` at that moment: the prefix `dev_dbg` prints ("pci 0000:00:03.0: ..."). */
      readonly driverString: string;
    }
  | {
      readonly type: "deferred-add-skip";
      readonly device: string;
      readonly why: "already-listed" | "cannot-match";
    }
  | {
      readonly type: "deferred-del";
      readonly device: string;
      readonly from: "pending" | "active";
      readonly driverString: string;
    }
  | { readonly type: "deferred-trigger"; readonly enabled: boolean; readonly count: number }
  | { readonly type: "deferred-splice"; readonly devices: readonly string[] }
  | { readonly type: "deferred-retry"; readonly device: string; readonly driverString: string }
  | {
      readonly type: "deferred-reason";
      readonly device: string;
      readonly reason: string | null;
      /** The device waited for, when the reason names one (the liveness check uses it). */
      readonly supplier: string | null;
    }
  | { readonly type: "deferred-enable" }
  | { readonly type: "initcalls-done" }
  | { readonly type: "deferred-flushed"; readonly phase: "initcall" | "initcall-second" | "timeout" }
  | { readonly type: "deferred-timeout-expired" }
  | { readonly type: "deferred-timeout-extended"; readonly seconds: number }
  | {
      readonly type: "deferred-probe-pending";
      readonly device: string;
      readonly reason: string | null;
      readonly driverString: string;
    }
  | { readonly type: "deferred-check-state"; readonly device: string; readonly ret: number };

/** Initcall and module events (init/main.c do_initcalls, kernel/module.c). */
export type InitcallEvent =
  | { readonly type: "initcall-start"; readonly level: string; readonly name: string }
  | { readonly type: "initcall-end"; readonly level: string; readonly name: string; readonly ret: number }
  | { readonly type: "module-load"; readonly name: string }
  | { readonly type: "module-load-end"; readonly name: string; readonly ret: number };

/**
 * `system_state` as the driver core and its users see it.
 *
 * @see include/linux/kernel.h enum system_states
 */
export type SystemState = "BOOTING" | "SCHEDULING" | "RUNNING";

/** Everything `@dmasim/driver-core` writes to a trace, discriminated by `type`. */
export type DriverCoreEvent =
  | NotifierEvent
  | SchedulerEvent
  | DeviceEvent
  | DriverEvent
  | ProbeEvent
  | ReleaseEvent
  | DeferredEvent
  | InitcallEvent
  | PrintkEvent;

/** The `type` of a driver-core event. */
export type DriverCoreEventType = DriverCoreEvent["type"];

const TYPES: Readonly<Record<DriverCoreEventType, true>> = {
  "notifier-register": true,
  "notifier-unregister": true,
  "notifier-chain-start": true,
  "notifier-call": true,
  "notifier-return": true,
  "notifier-chain-end": true,
  "work-queue": true,
  "work-cancel": true,
  "work-start": true,
  "work-end": true,
  "clock-advance": true,
  "bus-register": true,
  "device-add": true,
  "platform-notify": true,
  "bus-add-device": true,
  "bus-probe-device": true,
  "device-add-end": true,
  "device-del": true,
  "bus-remove-device": true,
  "platform-notify-remove": true,
  "device-del-end": true,
  "system-state": true,
  "driver-register": true,
  "driver-register-end": true,
  "driver-unregister": true,
  "driver-attach": true,
  "device-attach": true,
  "device-attach-end": true,
  "driver-match": true,
  "probe-match": true,
  "really-probe": true,
  "pinctrl-bind": true,
  "dma-configure": true,
  "driver-sysfs-add": true,
  "driver-probe": true,
  "driver-probe-return": true,
  "probe-outcome": true,
  "probe-defer": true,
  "driver-bound": true,
  "driver-bound-already": true,
  "really-probe-end": true,
  "device-bind-driver": true,
  "device-bind-driver-end": true,
  "defer-all-probes": true,
  "release-driver": true,
  "driver-remove": true,
  "dma-deconfigure": true,
  "driver-unbound": true,
  "release-driver-end": true,
  "driver-detach": true,
  "deferred-add": true,
  "deferred-add-skip": true,
  "deferred-del": true,
  "deferred-trigger": true,
  "deferred-splice": true,
  "deferred-retry": true,
  "deferred-reason": true,
  "deferred-enable": true,
  "initcalls-done": true,
  "deferred-flushed": true,
  "deferred-timeout-expired": true,
  "deferred-timeout-extended": true,
  "deferred-probe-pending": true,
  "deferred-check-state": true,
  "initcall-start": true,
  "initcall-end": true,
  "module-load": true,
  "module-load-end": true,
  printk: true,
};

/** Whether `event` is one of the driver core's (a composed trace carries other layers' events too). */
export function isDriverCoreEvent<TEvent extends { readonly type: string }>(
  event: TEvent,
): event is TEvent & DriverCoreEvent {
  return Object.prototype.hasOwnProperty.call(TYPES, event.type);
}
