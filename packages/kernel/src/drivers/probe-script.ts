/**
 * The probe script of a scenario driver: attempts in order, each repeating while its `until` conditions do not hold;
 * an attempt without `until` is used once; the last attempt repeats for ever. State is per device.
 */
import { parseErrno } from "@dmasim/driver-core";
import type { ProbeAttemptSpec, UntilCondition } from "../scenarios/types";

/** Whether a condition holds now (the kernel composition answers from live state). */
export type ConditionOracle = (condition: UntilCondition) => boolean;

/** The attempt a probe call runs. */
export interface ScriptStep {
  readonly attempt: ProbeAttemptSpec;
  /** Index of the attempt in the script. */
  readonly step: number;
  /** How many times `drv->probe` was called for this device, this one included. */
  readonly call: number;
  /** The errno (0 or negative). */
  readonly result: number;
}

/** A problem in a script (an unknown errno name). */
export interface ProbeScriptError {
  readonly step: number;
  readonly message: string;
}

/** Resolves an attempt's `result` to a number: 0, a negative errno, or an errno name such as `-EPROBE_DEFER`. */
export function attemptResult(result: number | string): number | null {
  if (typeof result === "number") return Number.isInteger(result) && result <= 0 ? result : null;
  const r = parseErrno(result);
  return r.ok ? r.value : null;
}

/** Checks that every attempt's result resolves. */
export function validateProbeScript(steps: readonly ProbeAttemptSpec[]): ProbeScriptError[] {
  const errors: ProbeScriptError[] = [];
  steps.forEach((s, step) => {
    if (attemptResult(s.result) === null) errors.push({ step, message: `result ${JSON.stringify(s.result)} is neither 0 nor an errno` });
  });
  return errors;
}

/**
 * Per-device script state.
 *
 * @example
 * ```ts
 * const script = new ProbeScript([{ result: "-EPROBE_DEFER", until: ["after-late"] }, { result: 0 }], oracle);
 * script.next("0000:01:00.0"); // -517 until late_initcall, then 0
 * ```
 */
export class ProbeScript {
  readonly #steps: readonly ProbeAttemptSpec[];
  readonly #oracle: ConditionOracle;
  readonly #state = new Map<string, { index: number; calls: number }>();

  constructor(steps: readonly ProbeAttemptSpec[], oracle: ConditionOracle) {
    this.#steps = steps.length > 0 ? steps : [{ result: 0 }];
    this.#oracle = oracle;
  }

  /** The attempt the next `drv->probe` of `device` runs (and advances the state). */
  next(device: string): ScriptStep {
    const last = this.#steps.length - 1;
    const s = this.#state.get(device) ?? { index: 0, calls: 0 };
    let i = s.index;
    for (;;) {
      const cur = this.#steps[i] as ProbeAttemptSpec;
      if (i >= last || cur.until === undefined || !cur.until.every((c) => this.#oracle(c))) break;
      i += 1;
    }
    const attempt = this.#steps[i] as ProbeAttemptSpec;
    s.calls += 1;
    s.index = attempt.until === undefined && i < last ? i + 1 : i;
    this.#state.set(device, s);
    return { attempt, step: i, call: s.calls, result: attemptResult(attempt.result) ?? 0 };
  }

  /** How many probe calls `device` has had. */
  calls(device: string): number {
    return this.#state.get(device)?.calls ?? 0;
  }
}
