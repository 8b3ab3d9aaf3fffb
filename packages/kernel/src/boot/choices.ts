/**
 * The nondeterminism of a real boot made explicit: the points where the modelled kernel could have gone more than one
 * way, each asked of a {@link Chooser}. A run is then a sequence of choice indices, and `boot(..., { choices })`
 * replays one exactly. Without a chooser and without `choices` the boot has no choice points at all (the default
 * behaviour: registration link order, FIFO work, modules before actions, no injected failures); with `choices: []`
 * every point takes index 0, which is that same default.
 *
 * The kinds of choice point:
 * - `link-order`: which of the level's orderable initcalls fills its next orderable slot (drivers/Makefile order is
 *   a build decision; `explore.orderable` names the kernel initcalls that may move, scenario built-ins always may).
 * - `schedule`: which ready work item runs next (async probes, the deferred-probe worker, interrupts), and, where the
 *   boot thread yields with only async work ready, whether the boot thread runs ahead instead (`boot`).
 * - `race`: the next module load versus the next runtime action (a module load racing a hotplug, bind or unbind).
 * - `fault`: whether this probe call fails with an injected errno (bounded per run).
 *
 * @see kernel/async.c async_schedule; kernel/workqueue.c; init/main.c do_initcalls
 */
import type { Kernel } from "./kernel";

/** What kind of nondeterminism a choice point is. */
export type ChoiceKind = "link-order" | "schedule" | "race" | "fault";

/** A point where the boot could go more than one way (always at least two options). */
export interface ChoicePoint {
  readonly kind: ChoiceKind;
  /**
   * One label per option, stable across runs: an initcall name, a work item name or `"boot"` (the boot thread runs
   * ahead), `"module:NAME"` / `"action:I"`, `"none"` or an errno name.
   */
  readonly labels: readonly string[];
  /** Where the boot thread is (`initcall:LEVEL:NAME`, `modules`, `actions`, `idle`, ...). */
  readonly at: string;
}

/**
 * Answers the boot's choice points with an option index. The kernel is passed for inspection (the explorer hashes
 * its state); a chooser must not change it.
 */
export interface Chooser {
  readonly choose: (point: ChoicePoint, kernel: Kernel) => number;
}

/** Injected probe failures the explorer may place at any probe call, at most `max` of each errno per run. */
export interface FaultBudget {
  readonly errno: number;
  readonly max: number;
}

/** The choice points a boot offers (from the scenario's `explore` block, or the explorer's options). */
export interface ChoiceSettings {
  /** Kernel initcalls per level that may move within the level (scenario built-ins always may). */
  readonly orderable?: Partial<Readonly<Record<string, readonly string[]>>>;
  /** Module loads race the runtime actions (default true). */
  readonly raceActions?: boolean;
  /** The boot thread may run ahead of pending async probes (default true). */
  readonly asyncPreemption?: boolean;
  /** Injected failures per errno (none by default). */
  readonly faults?: readonly FaultBudget[];
  /** At most this many injected failures in total per run (default: the sum of `faults`). */
  readonly maxFaults?: number;
  /** Only probes of these devices may fail (default: any device). */
  readonly faultDevices?: readonly string[];
}

/** A choice list that does not fit the scenario. */
export interface ChoiceError {
  /** The position in the list (0-based). */
  readonly position: number;
  readonly message: string;
}

/**
 * Replays a list of choice indices; points past the end take index 0. An index out of range is recorded (the first
 * one) and answered with 0 so the boot completes; `boot` then returns the error instead of the result.
 */
export class ReplayChooser implements Chooser {
  readonly #choices: readonly number[];
  #next = 0;
  #error: ChoiceError | null = null;

  constructor(choices: readonly number[]) {
    this.#choices = choices;
  }

  /** The first misfit, if any. */
  get error(): ChoiceError | null {
    return this.#error;
  }

  /** How many entries of the list were used. */
  get used(): number {
    return Math.min(this.#next, this.#choices.length);
  }

  readonly choose = (point: ChoicePoint): number => {
    const position = this.#next++;
    if (position >= this.#choices.length) return 0;
    const c = this.#choices[position] as number;
    if (!Number.isInteger(c) || c < 0 || c >= point.labels.length) {
      this.#error ??= {
        position,
        message: `choice ${c} at position ${position} is out of range: that ${point.kind} choice point (${point.at}) has ${point.labels.length} options (${point.labels.join(", ")})`,
      };
      return 0;
    }
    return c;
  };
}
