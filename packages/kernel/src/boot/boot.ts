/**
 * `boot(platform, profile, options)`: instantiate the hardware (RAM, MMIO, interconnect, one SMMUv3 model per SMMU at
 * its base as the interconnect's translate hook, the ITS/GICv2m doorbell), build the kernel (trace, driver core of the
 * profile's era, DMA layer), run the initcalls level by level in link order, load the modules, run the scenario's
 * actions, then let the scheduler run until idle (delayed work such as the deferred-probe timeout fires by advancing
 * the simulated clock), and compute per-device outcomes and the §(d) verdicts.
 *
 * The boot thread yields to the scheduler after every initcall and every module load (`runPending`): work queued by
 * an initcall (the deferred-probe worker, async probes, interrupts) runs before the next one starts, as it would on
 * the other CPUs of an SMP boot or when the boot thread sleeps. A `pickNext` policy chooses among ready work.
 *
 * @see init/main.c kernel_init_freeable, do_basic_setup, do_initcalls
 */
import {
  InitcallTable,
  SimClock,
  Trace,
  type LinkOrder,
  type PickNextPolicy,
  type TraceRecord,
  type WorkItem,
} from "@dmasim/driver-core";
import { createSmmuV3, SMMU_MMIO_SIZE, type SmmuV3 } from "@dmasim/iommu/smmuv3-hw";
import { FrameAllocator, instantiateBoard, type MachineInstance } from "@dmasim/machine";
import type { Violation } from "@dmasim/driver-core";
import { checkAll, type InvariantVerdict } from "../checker/index";
import type { DeviceOutcome } from "../outcome";
import { computeOutcomes } from "../outcome";
import type { Platform } from "../platform/types";
import type { KernelProfile } from "../profiles";
import type { Scenario } from "../scenarios/types";
import { createSmmuDriverGlue } from "../drivers/smmu-glue";
import { parseCmdline } from "./cmdline";
import { registerInitcalls, scenarioInitcallName } from "./initcalls";
import { Kernel, type DmasimEvent } from "./kernel";
import { createDmaLayer } from "./layers";
import { runAction } from "./actions";
import { ChoiceContext, choiceSettingsOf } from "./choice-boot";
import { ReplayChooser, type ChoiceError, type ChoiceSettings, type Chooser } from "./choices";

/** A probe failure injected by the caller (the explorer): `times` calls of `driver` on `device` fail with `errno`. */
export interface ProbeFailureInjection {
  readonly device: string;
  /** Any driver when absent. */
  readonly driver?: string;
  /** A negative errno (-ENOMEM, -EPROBE_DEFER). */
  readonly errno: number;
  /** How many calls fail (default 1). */
  readonly times?: number;
}

/** Options of {@link boot}. */
export interface BootOptions {
  /** The kernel command line (`iommu.passthrough=`, `iommu.strict=`, `arm-smmu-v3.disable_bypass=`, `deferred_probe_timeout=`). */
  readonly cmdline?: string;
  /** Link order overrides per initcall level (merged over the scenario's). */
  readonly linkOrder?: LinkOrder;
  /** The scheduler's choice among ready work items. */
  readonly pickNext?: PickNextPolicy;
  readonly probeFailures?: readonly ProbeFailureInjection[];
  /** Drivers, actions, command line and link order of a scenario. */
  readonly scenario?: Pick<Scenario, "drivers" | "actions" | "cmdline" | "defaultDrivers" | "linkOrder" | "probeFailures" | "explore">;
  /** Include the default driver set (default: the scenario's `defaultDrivers`, else true without a scenario). */
  readonly defaultDrivers?: boolean;
  /** Load the modules after the initcalls (default true; false is a boot without an initramfs, as `dt-noinitrd`). */
  readonly loadModules?: boolean;
  /** Skip the §(d) checks (benchmarks). */
  readonly skipChecks?: boolean;
  /**
   * Replays a run of the explorer: one option index per choice point, in the order the boot meets them (points
   * past the end take 0). A list that does not fit (an index out of range) is a `BootError` naming the position.
   */
  readonly choices?: readonly number[];
  /** Asks this chooser at every choice point (the explorer); takes precedence over `choices`. */
  readonly chooser?: Chooser;
  /** Which choice points exist (default: the scenario's `explore` block). Only with `choices` or `chooser`. */
  readonly choiceSettings?: ChoiceSettings;
  /** Injected-failure budgets for the `fault` choice points (as the explorer's `inject`), over the scenario's. */
  readonly inject?: { readonly enomem?: number; readonly defer?: number };
}

/** What a boot produced. */
export interface BootResult {
  readonly profile: KernelProfile;
  readonly platform: string;
  /** Every event of every layer, in order. */
  readonly trace: readonly TraceRecord<DmasimEvent>[];
  /** One entry per device, bus by bus in registration order. */
  readonly outcomes: readonly DeviceOutcome[];
  /** Every invariant with its status and violations (empty with `skipChecks`). */
  readonly verdicts: readonly InvariantVerdict[];
  /** The violations of all invariants, flattened. */
  readonly violations: readonly Violation[];
  /** Problems with the scenario's driver specs (the driver is left out). */
  readonly warnings: readonly string[];
  /** The kernel after boot, for inspection (not part of the JSON result). */
  readonly kernel: Kernel;
}

/** Why a boot could not start (or, for `choices`, why the list does not fit: field `choices[POSITION]`). */
export interface BootError {
  readonly field: string;
  readonly message: string;
}

/** The choice settings of a boot: explicit ones, else the scenario's `explore` block, with `inject` on top. */
function choiceSettings(options: BootOptions): ChoiceSettings {
  return options.choiceSettings ?? choiceSettingsOf(options.scenario?.explore, options.inject);
}

/** The initcall names of the scenario's built-in drivers, per level (always orderable). */
function builtinInitcalls(options: BootOptions): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const d of options.scenario?.drivers ?? []) {
    if (d.load === "module") continue;
    const level = d.initcall ?? "device";
    out.set(level, [...(out.get(level) ?? []), scenarioInitcallName(d.name)]);
  }
  return out;
}

function choiceError(e: ChoiceError): BootError {
  return { field: `choices[${e.position}]`, message: e.message };
}

/** One SMMU hardware model per board SMMU, at its base, as the translate hook of the masters behind it. */
function instantiateSmmus(platform: Platform, machine: MachineInstance, trace: Trace<DmasimEvent>, irq: (smmu: string, line: "eventq" | "gerror") => void): Map<string, SmmuV3> {
  const out = new Map<string, SmmuV3>();
  for (const s of platform.board.smmus) {
    const hw = createSmmuV3({
      name: s.name,
      memory: machine.memory,
      config: { sidBits: s.sidBits },
      irq: { eventq: () => irq(s.name, "eventq"), gerror: () => irq(s.name, "gerror") },
      trace,
    });
    machine.mmio.register(`${s.name} regs`, s.base, SMMU_MMIO_SIZE, hw);
    machine.attachIommu(s.name, hw);
    out.set(s.name, hw);
  }
  return out;
}

/**
 * Boots `platform` under `profile`.
 *
 * @example
 * ```ts
 * const p = platformFromQemu({ firmware: "acpi", devices: ["pcie-root-port,id=rp1,chassis=1", "e1000e,romfile=,bus=rp1"] });
 * const r = boot(p.value, PROFILES["v6.1"]);
 * if (r.ok) console.log(r.value.outcomes);
 * ```
 *
 * @see init/main.c kernel_init_freeable, do_basic_setup (the initcall-driven boot this composes)
 */
export function boot(platform: Platform, profile: KernelProfile, options: BootOptions = {}): { ok: true; value: BootResult } | { ok: false; error: BootError } {
  const scenario = options.scenario;
  const cmdline = parseCmdline(options.cmdline ?? scenario?.cmdline ?? "");
  const trace = new Trace<DmasimEvent>(new SimClock());
  const machine = instantiateBoard(platform.board, { trace });
  if (!machine.ok) return { ok: false, error: { field: machine.error[0]?.field ?? "board", message: machine.error.map((e) => `${e.field}: ${e.message}`).join("; ") } };
  const ram = platform.board.memory[0];
  if (ram === undefined) return { ok: false, error: { field: "board.memory", message: "the board has no RAM" } };
  const frames = new FrameAllocator(machine.value.memory, { base: ram.base, size: ram.size });
  const irqWork = new Map<string, WorkItem>();
  let kernel: Kernel | null = null;
  const smmus = instantiateSmmus(platform, machine.value, trace, (smmu, line) => {
    const key = `${smmu}:${line}`;
    const item = irqWork.get(key);
    if (item !== undefined && kernel !== null) kernel.core.scheduler.queueWork(item);
  });
  const replay = options.chooser === undefined && options.choices !== undefined ? new ReplayChooser(options.choices) : null;
  const chooser = options.chooser ?? replay;
  const cx = chooser === null ? null : new ChoiceContext(chooser, choiceSettings(options));
  const pickNext = cx?.pickNext ?? options.pickNext;
  const k = new Kernel({ platform, profile, cmdline, machine: machine.value, frames, smmus, trace, ...(pickNext === undefined ? {} : { pickNext }) });
  kernel = k;
  if (cx !== null) {
    cx.kernel = k;
    k.probeFaultChoice = (device) => cx.probeFault(device);
    trace.subscribe((r) => {
      if (r.type === "initcall-start") cx.cursor.at = `initcall:${r.level}:${r.name}`;
      else if (r.type === "module-load") cx.cursor.at = `module:${r.name}`;
      else if (r.type === "runtime-action") cx.cursor.at = `action:${r.action}:${r.target}`;
      else if (r.type === "boot-phase") cx.cursor.at = r.phase;
    });
  }
  for (const f of [...(scenario?.probeFailures ?? []), ...(options.probeFailures ?? [])]) k.injectProbeFailure(f.device, f.driver ?? null, f.errno, f.times ?? 1);
  const layer = createDmaLayer(k);
  k.dma = layer.dma;
  k.arm64 = layer.arm64;
  k.coreHooks.dmaDeconfigure = (dev) => layer.arm64.archTeardownDmaOps(dev);
  k.coreHooks.archTeardownDmaOps = (dev) => layer.arm64.archTeardownDmaOps(dev);
  if (profile.platformDmaConfigure === "creation") {
    k.ofCreateHooks = {
      dmaConfigureAtCreation: (dev, node) => void k.glue?.ofDmaConfigure(dev, node, "creation"),
      dmaDeconfigure: (dev) => layer.arm64.archTeardownDmaOps(dev),
    };
  }
  const smmuGlue = createSmmuDriverGlue(k);
  for (const s of platform.board.smmus) {
    for (const line of ["eventq", "gerror"] as const) {
      irqWork.set(`${s.name}:${line}`, { name: line === "eventq" ? "arm_smmu_evtq_thread" : "arm_smmu_gerror_handler", queue: "irq", run: () => smmuGlue.irq(s.name, line) });
    }
  }
  const table = new InitcallTable(trace);
  k.initcalls = table;
  const plan = registerInitcalls(k, table, {
    defaultDrivers: options.defaultDrivers ?? scenario?.defaultDrivers ?? scenario === undefined,
    drivers: scenario?.drivers ?? [],
    smmu: smmuGlue,
  });
  if (profile.driverCore.reallyProbe === "modern") k.core.systemState = "SCHEDULING";
  let linkOrder: LinkOrder = { ...(scenario?.linkOrder ?? {}), ...(options.linkOrder ?? {}) };
  if (cx !== null) {
    const chosen = cx.linkOrder(table, linkOrder, builtinInitcalls(options));
    if (!chosen.ok) return { ok: false, error: { field: `linkOrder.${chosen.error.level}`, message: chosen.error.message } };
    linkOrder = chosen.value;
  }
  const afterEach = cx === null ? () => void k.core.scheduler.runPending() : () => cx.yieldToWork(k, true);
  const ran = table.run({ linkOrder, afterEach });
  if (!ran.ok) return { ok: false, error: { field: `linkOrder.${ran.error.level}`, message: ran.error.message } };
  // kernel_init: async_synchronize_full() before userspace (only work the boot thread ran ahead of is left here).
  cx?.yieldToWork(k, false);
  k.core.systemState = "RUNNING";
  trace.emit({ type: "boot-phase", phase: "initcalls" });
  const explicitLoads = new Set((scenario?.actions ?? []).flatMap((a) => ("loadModule" in a ? [a.loadModule] : [])));
  const loads = (options.loadModules === false ? [] : plan.modules).filter((m) => !explicitLoads.has(m.name));
  const actions = scenario?.actions ?? [];
  const yieldNow = cx === null ? () => void k.core.scheduler.runPending() : () => cx.yieldToWork(k, true);
  const loadNext = (m: (typeof loads)[number]): void => {
    table.loadModule(m.name, m.init);
    yieldNow();
  };
  const actNext = (a: (typeof actions)[number]): void => {
    runAction(k, a, plan.modules);
    yieldNow();
  };
  let mi = 0;
  let ai = 0;
  // Module loads (udev/modprobe) race the runtime actions when the explorer lets them; else modules come first.
  if (cx !== null && cx.settings.raceActions !== false) {
    while (mi < loads.length && ai < actions.length) {
      const m = loads[mi] as (typeof loads)[number];
      const a = actions[ai] as (typeof actions)[number];
      const c = cx.ask({ kind: "race", labels: [`module:${m.name}`, `action:${ai}`], at: cx.cursor.at });
      if (c === 0) {
        loadNext(m);
        mi++;
      } else {
        actNext(a);
        ai++;
      }
    }
  }
  for (; mi < loads.length; mi++) loadNext(loads[mi] as (typeof loads)[number]);
  trace.emit({ type: "boot-phase", phase: "modules" });
  for (; ai < actions.length; ai++) actNext(actions[ai] as (typeof actions)[number]);
  trace.emit({ type: "boot-phase", phase: "actions" });
  k.core.scheduler.runUntilIdle();
  if (replay?.error != null) return { ok: false, error: choiceError(replay.error) };
  if (replay !== null && options.choices !== undefined && replay.used < options.choices.length) {
    return { ok: false, error: choiceError({ position: replay.used, message: `the boot has only ${replay.used} choice points; choices from position ${replay.used} on are unused` }) };
  }
  trace.emit({ type: "attach-queue-final", queue: layer.arm64.queue.map((e) => e.dev.name) });
  trace.emit({ type: "boot-phase", phase: "idle" });
  const outcomes = computeOutcomes(k);
  const verdicts = options.skipChecks === true ? [] : checkAll(trace.records, { era: k.core.era, outcomes });
  return {
    ok: true,
    value: {
      profile,
      platform: platform.name,
      trace: trace.records,
      outcomes,
      verdicts,
      violations: verdicts.flatMap((v) => v.violations),
      warnings: plan.errors,
      kernel: k,
    },
  };
}
