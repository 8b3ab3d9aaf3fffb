/**
 * Test scaffolding: a driver core on a platform bus, and compact renderings of the trace for order assertions.
 */
import {
  DRIVER_CORE_ERAS,
  DriverCore,
  makePlatformBus,
  Trace,
  type Bus,
  type BusSpec,
  type DriverCoreEra,
  type DriverCoreEraName,
  type DriverCoreEvent,
  type DriverCoreHooks,
  type TraceRecord,
} from "@dmasim/driver-core";

export interface Setup {
  readonly core: DriverCore;
  readonly trace: Trace<DriverCoreEvent>;
  readonly bus: Bus;
}

export function setup(era: DriverCoreEraName | DriverCoreEra, options: { hooks?: DriverCoreHooks; bus?: Partial<BusSpec> } = {}): Setup {
  const trace = new Trace<DriverCoreEvent>();
  const core = new DriverCore({ era: typeof era === "string" ? DRIVER_CORE_ERAS[era] : era, trace, ...(options.hooks ? { hooks: options.hooks } : {}) });
  const res = core.busRegister({ ...makePlatformBus(), ...options.bus });
  if (!res.ok) throw new Error("bus");
  return { core, trace, bus: res.value };
}

/** Unwraps a Result in tests. */
export function must<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`unexpected error ${String(r.error)}`);
  return r.value;
}

/**
 * One short token per step that matters for ordering, optionally for one device only:
 * bus notifier actions by name, and the driver-core steps between them.
 */
export function steps(records: readonly TraceRecord<DriverCoreEvent>[], device?: string): string[] {
  const out: string[] = [];
  for (const r of records) {
    const tok = token(r);
    if (tok === null) continue;
    const dev = "device" in r ? r.device : r.type === "notifier-chain-start" ? r.data : null;
    if (device !== undefined && dev !== device) continue;
    out.push(tok);
  }
  return out;
}

function token(r: DriverCoreEvent): string | null {
  switch (r.type) {
    case "notifier-chain-start":
      return r.chain.startsWith("bus:") ? r.action : null;
    case "platform-notify":
      return "platform_notify";
    case "platform-notify-remove":
      return "platform_notify_remove";
    case "bus-add-device":
      return "bus_add_device";
    case "bus-remove-device":
      return "bus_remove_device";
    case "bus-probe-device":
      return "bus_probe_device";
    case "really-probe":
      return "really_probe";
    case "really-probe-end":
      return `really_probe=${r.ret}`;
    case "pinctrl-bind":
      return `pinctrl=${r.ret}`;
    case "dma-configure":
      return `dma_configure=${r.ret}`;
    case "driver-sysfs-add":
      return `sysfs=${r.ret}`;
    case "driver-probe-return":
      return `probe=${r.ret}`;
    case "driver-bound":
      return "driver_bound";
    case "driver-unbound":
      return "klist_remove";
    case "deferred-add":
      return "deferred_add";
    case "deferred-del":
      return `deferred_del(${r.from})`;
    case "deferred-retry":
      return "retry";
    case "dma-deconfigure":
      return r.fn;
    case "driver-remove":
      return "remove";
    case "probe-outcome":
      return `log:${r.verdict}`;
    default:
      return null;
  }
}

/** The bus notifier walks as "ACTION device" strings. */
export function walks(records: readonly TraceRecord<DriverCoreEvent>[]): string[] {
  return records.flatMap((r) =>
    r.type === "notifier-chain-start" && r.chain.startsWith("bus:") ? [`${r.action} ${r.data ?? ""}`] : [],
  );
}
