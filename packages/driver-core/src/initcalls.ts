/**
 * Initcall levels and link order, and module loading after the late level.
 *
 * @see include/linux/init.h (the `*_initcall` macros)
 * @see include/asm-generic/vmlinux.lds.h INIT_CALLS
 * @see init/main.c do_pre_smp_initcalls, do_basic_setup, do_initcalls
 */
import { KernelError } from "./errno";
import type { InitcallEvent } from "./events";
import { err, ok, type Result } from "./result";
import type { TraceSink } from "./trace";

/**
 * The boot order: `early` (before SMP), the `driver_init()` step, then levels 0–7 with their `_sync` levels;
 * `rootfs` sits between `fs_sync` and `device`.
 *
 * @see include/asm-generic/vmlinux.lds.h INIT_CALLS
 */
export const INITCALL_LEVELS = [
  "early",
  "driver_init",
  "pure",
  "core",
  "core_sync",
  "postcore",
  "postcore_sync",
  "arch",
  "arch_sync",
  "subsys",
  "subsys_sync",
  "fs",
  "fs_sync",
  "rootfs",
  "device",
  "device_sync",
  "late",
  "late_sync",
] as const;

/** One initcall level (or the `driver_init` step). */
export type InitcallLevel = (typeof INITCALL_LEVELS)[number];

/** An initcall: `fn` returns 0 or a negative errno (logged, otherwise ignored, as `do_one_initcall` does). */
export interface Initcall {
  readonly level: InitcallLevel;
  /** The C function name; unique within its level (link order is given by names). */
  readonly name: string;
  readonly fn: () => number;
}

/**
 * Link order per level: the listed names run first, in that order; the rest keep registration order.
 *
 * @see drivers/Makefile
 */
export type LinkOrder = Partial<Readonly<Record<InitcallLevel, readonly string[]>>>;

/** Options of {@link InitcallTable.run}. */
export interface InitcallRunOptions {
  readonly linkOrder?: LinkOrder;
  /** Called after each initcall returns (the kernel composition may let workqueues run here). */
  readonly afterEach?: (call: Initcall) => void;
  /** Called before each level starts. */
  readonly beforeLevel?: (level: InitcallLevel) => void;
}

/** A link order naming an initcall that is not registered at that level. */
export interface LinkOrderError {
  readonly level: InitcallLevel;
  readonly name: string;
  readonly message: string;
}

/**
 * What {@link InitcallTable.run} did: each call and its return value, in the order they ran.
 *
 * @see init/main.c do_initcall_level, do_one_initcall
 */
export interface InitcallRunReport {
  readonly calls: readonly { readonly level: InitcallLevel; readonly name: string; readonly ret: number }[];
}

/**
 * The initcall sections of one kernel image. Registration order is the default link order.
 *
 * @example
 * ```ts
 * const initcalls = new InitcallTable(trace);
 * initcalls.register({ level: "late", name: "deferred_probe_initcall", fn: () => core.deferredProbeInitcall() });
 * initcalls.run({ linkOrder: { device: ["arm_smmu_driver_init", "e1000e_init_module"] } });
 * ```
 *
 * @see init/main.c do_initcalls
 */
export class InitcallTable {
  readonly #trace: TraceSink<InitcallEvent> | undefined;
  readonly #calls: Initcall[] = [];
  #state: "registering" | "running" | "done" = "registering";

  constructor(trace?: TraceSink<InitcallEvent>) {
    this.#trace = trace;
  }

  /** Whether `run` has completed (modules may load). */
  get done(): boolean {
    return this.#state === "done";
  }

  /** The registered calls, in registration order. */
  get calls(): readonly Initcall[] {
    return this.#calls;
  }

  /** Adds an initcall; a duplicate name within a level, or registering after `run` started, is a model bug. */
  register(call: Initcall): void {
    if (this.#state !== "registering") {
      throw new KernelError("initcall-late", `initcall ${call.name} registered after the initcalls ran`);
    }
    if (this.#calls.some((c) => c.level === call.level && c.name === call.name)) {
      throw new KernelError("initcall-duplicate", `initcall ${call.name} registered twice at level ${call.level}`);
    }
    this.#calls.push(call);
  }

  /** The calls of `level` in the order `linkOrder` gives (validated). */
  orderOf(level: InitcallLevel, linkOrder: LinkOrder = {}): Result<readonly Initcall[], LinkOrderError> {
    const inLevel = this.#calls.filter((c) => c.level === level);
    const names = linkOrder[level] ?? [];
    const first: Initcall[] = [];
    for (const name of names) {
      const call = inLevel.find((c) => c.name === name);
      if (call === undefined) return err({ level, name, message: `no initcall "${name}" at level ${level}` });
      if (first.includes(call)) return err({ level, name, message: `initcall "${name}" listed twice` });
      first.push(call);
    }
    return ok([...first, ...inLevel.filter((c) => !first.includes(c))]);
  }

  /**
   * Runs every level in boot order, each in link order; traces each call with its return value. Fails (running
   * nothing) when `linkOrder` names an unknown initcall.
   *
   * @see init/main.c do_initcalls, do_one_initcall
   */
  run(options: InitcallRunOptions = {}): Result<InitcallRunReport, LinkOrderError> {
    if (this.#state !== "registering") throw new KernelError("initcall-rerun", "the initcalls already ran");
    const plan: Initcall[][] = [];
    for (const level of INITCALL_LEVELS) {
      const order = this.orderOf(level, options.linkOrder);
      if (!order.ok) return order;
      plan.push([...order.value]);
    }
    this.#state = "running";
    const calls: { level: InitcallLevel; name: string; ret: number }[] = [];
    INITCALL_LEVELS.forEach((level, i) => {
      options.beforeLevel?.(level);
      for (const call of plan[i] ?? []) {
        this.#trace?.emit({ type: "initcall-start", level, name: call.name });
        const ret = call.fn() | 0;
        this.#trace?.emit({ type: "initcall-end", level, name: call.name, ret });
        calls.push({ level, name: call.name, ret });
        options.afterEach?.(call);
      }
    });
    this.#state = "done";
    return ok({ calls });
  }

  /**
   * Loads a module after the initcalls: runs its `module_init` function and traces it. Loading before `run`
   * finished is a model bug (there is no userspace yet).
   *
   * @see kernel/module.c do_init_module
   */
  loadModule(name: string, init: () => number): number {
    if (this.#state !== "done") {
      throw new KernelError("module-too-early", `module ${name} loaded before the initcalls finished`);
    }
    this.#trace?.emit({ type: "module-load", name });
    const ret = init() | 0;
    this.#trace?.emit({ type: "module-load-end", name, ret });
    return ret;
  }
}
