/**
 * An exploration as the published result carries it. The kernel's explorer (`explore` of `@dmasim/kernel`, contract
 * in the kernel README) walks the scenario's choice points; for each profile this module keeps the run of the
 * scenario's own order (devices, timeline, topology), replaces its violations by the explorer's counterexamples,
 * each replayed with `bootScenario(..., { choices })` so it carries its full evidence and its choice list, and adds
 * the deterministic statistics (wall time and states per second stay on the terminal).
 */
import {
  PROFILES,
  bootScenario,
  type Counterexample,
  type ExploreOptions,
  type ExploreProgress,
  type ExploreReport,
  type ExploreStats,
  type ProfileName,
  type Scenario,
} from "@dmasim/kernel";
import { fromPlatformError, type Result } from "./errors";
import { runResult, violationTrace, type ExplorationResult, type InjectBudget, type RunResult, type ViolationResult } from "./result";
import type { AnyRecord } from "./views/describe";
import { sequenceOf } from "./views/sequence";

/** Options the CLI passes to the explorer (the kernel's `ExploreOptions`). */
export type ExplorerOptions = ExploreOptions;
/** A progress sample of the explorer. */
export type ExplorerProgress = ExploreProgress;
/** The explorer's statistics (`wallMs`, `statesPerSecond` are wall-clock figures). */
export type ExplorerStats = ExploreStats;
/** A counterexample: the shortest choice list found violating `invariant` on `device` (`""`: no device). */
export type ExplorerCounterexample = Counterexample;
/** What the explorer returns. */
export type ExplorerReport = ExploreReport;

/** The explorer as the CLI calls it (the kernel's `explore`). */
export type Explorer = (scenario: Scenario, options: ExplorerOptions) => Promise<ExplorerReport>;

/** What the user asked the explorer for (kept in the result so a counterexample can be replayed). */
export interface ExploreAsked {
  readonly seed: number | null;
  readonly maxStates: number | null;
  readonly inject?: InjectBudget | null;
}

/** A float count as a decimal string (`unknown` when it is not finite). */
export function countString(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "unknown";
  return Number.isSafeInteger(n) ? String(n) : BigInt(Math.round(n)).toString();
}

/** The deterministic part of an explorer report. */
export function explorationResult(report: ExplorerReport, asked: ExploreAsked): ExplorationResult {
  const devices = new Map<string, Set<string>>();
  for (const c of report.counterexamples) {
    const set = devices.get(c.invariant) ?? new Set<string>();
    set.add(c.device);
    devices.set(c.invariant, set);
  }
  const s = report.stats;
  return {
    mode: report.mode,
    complete: s.complete,
    seed: report.mode === "random" ? asked.seed : null,
    maxStates: asked.maxStates,
    inject: asked.inject ?? null,
    statesVisited: s.statesVisited,
    distinctStates: s.distinctStates,
    duplicateStates: s.duplicateStates,
    prunedByReduction: s.prunedByReduction,
    runs: s.runs,
    naiveOrderings: countString(s.naiveOrderings),
    violated: [...devices.keys()].sort().map((invariant) => ({ invariant, devices: devices.get(invariant)?.size ?? 0 })),
    invariantsHeld: [...report.invariantsHeld],
  };
}

/** Replays one counterexample and returns its violation with the full evidence and its choice list. */
function replay(scenario: Scenario, profile: ProfileName, cx: ExplorerCounterexample, file: string, inject: InjectBudget | null): Result<ViolationResult> {
  const p = PROFILES[profile];
  const booted = bootScenario(scenario, p, { choices: cx.choices, ...(inject === null ? {} : { inject }) });
  if (!booted.ok) return { ok: false, error: fromPlatformError(file, booted.error) };
  const run = runResult({ name: profile, label: p.label, hypothetical: p.hypothetical }, booted.value, cx.choices);
  const wanted = cx.device === "" ? null : cx.device;
  const found = run.violations.find((v) => v.invariant === cx.invariant && v.device === wanted);
  if (found !== undefined) return { ok: true, value: found };
  // The replay did not report it (the explorer's verdict is authoritative): keep the explorer's own evidence.
  const v = cx.verdict.violations.find((x) => x.device === wanted) ?? cx.verdict.violations[0];
  const records = booted.value.trace as readonly AnyRecord[];
  const trace = v === undefined ? [] : violationTrace(v, records);
  return {
    ok: true,
    value: {
      invariant: cx.invariant,
      device: wanted,
      message: v?.message ?? `${cx.invariant} violated`,
      trace,
      sequence: sequenceOf(records, wanted, trace.map((t) => t.seq), run.devices),
      choices: [...cx.choices],
    },
  };
}

/**
 * The run of one explored profile: `base` (the scenario's own order) with the counterexamples as its violations and
 * the exploration statistics.
 */
export function exploredRun(scenario: Scenario, base: RunResult, report: ExplorerReport, asked: ExploreAsked, file: string): Result<RunResult> {
  const violations: ViolationResult[] = [];
  for (const cx of report.counterexamples) {
    const v = replay(scenario, report.profile, cx, file, asked.inject ?? null);
    if (!v.ok) return v;
    violations.push(v.value);
  }
  return { ok: true, value: { ...base, violations, exploration: explorationResult(report, asked) } };
}
