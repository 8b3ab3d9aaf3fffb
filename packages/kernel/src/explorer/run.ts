/**
 * One run of the explorer: a boot of the scenario whose choice points are answered by a policy, observed at each
 * point (state key, touched resources), stoppable midway (a state already explored), and checked at its end.
 */
import type { Violation } from "@dmasim/driver-core";
import { boot, type BootResult } from "../boot/boot";
import type { ChoicePoint, ChoiceSettings } from "../boot/choices";
import type { Kernel } from "../boot/kernel";
import { checkAll } from "../checker/index";
import type { Platform } from "../platform/types";
import type { KernelProfile } from "../profiles";
import type { Scenario } from "../scenarios/types";
import { RunObserver } from "./state";

/** What the explorer needs to boot the scenario again and again. */
export interface RunSetup {
  readonly scenario: Scenario;
  readonly platform: Platform;
  readonly profile: KernelProfile;
  readonly settings: ChoiceSettings;
}

/** Thrown by a policy to abandon a run (the rest of the subtree is known); caught by {@link executeRun} only. */
export class StopRun {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

/** A policy's view of one choice point: its index in the run, the point, and the observer (state and touch). */
export interface PointView {
  readonly index: number;
  readonly point: ChoicePoint;
  readonly kernel: Kernel;
  readonly observer: RunObserver;
  /** The faults injected so far (the budget left), for the state key. */
  readonly extra: string;
}

/** The policy of a run: an option index, or a thrown {@link StopRun}. */
export type RunPolicy = (view: PointView) => number;

/** How a run ended. */
export type RunEnd =
  | { readonly kind: "stopped"; readonly reason: string; readonly choices: readonly number[] }
  | { readonly kind: "done"; readonly choices: readonly number[]; readonly result: BootResult; readonly observer: RunObserver };

/**
 * Boots once with `policy` at every choice point (checks skipped: the caller checks the end states it keeps).
 */
export function executeRun(setup: RunSetup, policy: RunPolicy): RunEnd {
  const observer = new RunObserver();
  const choices: number[] = [];
  const faults: string[] = [];
  const chooser = {
    choose: (point: ChoicePoint, kernel: Kernel): number => {
      observer.advance(kernel, kernel.trace.records);
      const c = policy({ index: choices.length, point, kernel, observer, extra: `faults:${faults.join(",")}` });
      choices.push(c);
      if (point.kind === "fault" && c > 0) faults.push(point.labels[c] ?? "?");
      return c;
    },
  };
  try {
    const r = boot(setup.platform, setup.profile, { scenario: setup.scenario, chooser, choiceSettings: setup.settings, skipChecks: true });
    if (!r.ok) return { kind: "stopped", reason: `${r.error.field}: ${r.error.message}`, choices };
    observer.advance(r.value.kernel, r.value.trace);
    return { kind: "done", choices, result: r.value, observer };
  } catch (e) {
    if (e instanceof StopRun) return { kind: "stopped", reason: e.reason, choices };
    throw e;
  }
}

/** A violation found at the end of a run, with the run's choices (trailing zeros dropped: replay pads with 0). */
export interface FoundViolation {
  readonly invariant: string;
  readonly device: string;
  readonly choices: readonly number[];
  readonly violations: readonly Violation[];
}

/** Drops trailing zeros (points past the end of a replayed list take option 0). */
export function trimChoices(choices: readonly number[]): number[] {
  let n = choices.length;
  while (n > 0 && choices[n - 1] === 0) n--;
  return choices.slice(0, n);
}

/** Checks a finished run: one entry per (invariant, device) violated. */
export function checkRun(result: BootResult, choices: readonly number[]): FoundViolation[] {
  const verdicts = checkAll(result.trace, { era: result.kernel.core.era, outcomes: result.outcomes });
  const out: FoundViolation[] = [];
  const trimmed = trimChoices(choices);
  for (const v of verdicts) {
    if (v.status !== "fail") continue;
    const byDevice = new Map<string, Violation[]>();
    for (const x of v.violations) byDevice.set(x.device ?? "", [...(byDevice.get(x.device ?? "") ?? []), x]);
    for (const [device, violations] of byDevice) out.push({ invariant: v.invariant, device, choices: trimmed, violations });
  }
  return out;
}

/** Whether `a` is a better counterexample than `b`: fewer choices, then lexicographically smaller. */
export function shorter(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return a.length < b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number);
  return false;
}

/** Keeps, per (invariant, device), the shortest choice list (order independent). */
export function mergeFound(into: Map<string, FoundViolation>, found: readonly FoundViolation[]): void {
  for (const f of found) {
    const key = `${f.invariant}\u0000${f.device}`;
    const cur = into.get(key);
    if (cur === undefined || shorter(f.choices, cur.choices)) into.set(key, f);
  }
}
