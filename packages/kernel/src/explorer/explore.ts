/**
 * `explore(scenario, options)`: every ordering the boot's choice points allow (exhaustive) or a seeded sample of
 * them (random), with the shortest counterexample per violated (invariant, device).
 *
 * **Determinism with workers.** The top of the choice tree is expanded breadth first (by the main thread, the same
 * way for any worker count) until it has at least {@link UNITS} open prefixes; each prefix is a unit explored on its
 * own (its own visited set and sleep sets), on a worker or inline, and the results are merged in unit order: state
 * sets by union, counterexamples by minimum (fewest choices, then lexicographic), so 1 and N workers give the same
 * report. A state budget is split evenly among the units. Random mode runs the seeded runs 0, 1, 2, ... and keeps
 * them in index order until the budget is reached, wherever they ran.
 */
import { boot } from "../boot/boot";
import { choiceSettingsOf } from "../boot/choice-boot";
import type { ChoiceSettings } from "../boot/choices";
import { ALL_INVARIANTS, shrinkVerdict, type InvariantVerdict } from "../checker/index";
import type { Scenario } from "../scenarios/types";
import { naiveOrderings } from "./naive";
import { makeSetup, runJob, startWorker, type ExplorerWorker, type Job, type JobMessage } from "./pool";
import { executeRun, mergeFound, StopRun, type FoundViolation, type RunSetup } from "./run";
import type { Counterexample, ExploreOptions, ExploreReport, ExploreStats } from "./types";
import type { RandomRunResult, UnitResult } from "./search";

/** The number of open prefixes the top of the tree is expanded to before units are handed out. */
export const UNITS = 4;
/** Deepest the top expansion goes. */
const MAX_EXPAND_DEPTH = 6;
/** Random mode's default state budget. */
const DEFAULT_RANDOM_STATES = 1000;

interface Expansion {
  readonly prefixes: readonly (readonly number[])[];
  readonly keys: readonly string[];
  readonly runs: number;
}

/** Expands the top of the choice tree breadth first to at least `UNITS` prefixes (or leaves). */
function expandTop(setup: RunSetup): Expansion {
  let frontier: (readonly number[])[] = [[]];
  const keys: string[] = [];
  let runs = 0;
  for (let depth = 0; depth < MAX_EXPAND_DEPTH && frontier.length < UNITS; depth++) {
    const next: (readonly number[])[] = [];
    let grew = false;
    for (const p of frontier) {
      runs++;
      let width = 0;
      executeRun(setup, (view) => {
        if (view.index < p.length) return p[view.index] as number;
        keys.push(view.observer.stateKey(view.kernel, view.point, view.extra));
        width = view.point.labels.length;
        throw new StopRun("expanded");
      });
      if (width === 0) next.push(p);
      else {
        grew = true;
        for (let i = 0; i < width; i++) next.push([...p, i]);
      }
    }
    frontier = next;
    if (!grew) break;
  }
  return { prefixes: frontier, keys, runs };
}

/** A worker count from an option (1 for anything not a finite number ≥ 1). */
function workerCount(w: number | undefined): number {
  return w !== undefined && Number.isFinite(w) ? Math.max(1, Math.trunc(w)) : 1;
}

/** Runs `jobs` on `workers` workers (inline for 1), results in job order. */
async function runJobs(setup: RunSetup, scenario: Scenario, options: ExploreOptions, settings: ChoiceSettings, jobs: readonly Job[], onProgress: (m: JobMessage) => void, stopAfter?: (results: readonly JobMessage[]) => boolean): Promise<JobMessage[]> {
  const results: JobMessage[] = [];
  const n = Math.max(1, Math.min(workerCount(options.workers), jobs.length));
  if (n <= 1) {
    for (const job of jobs) {
      const m = runJob(setup, job, onProgress);
      results[job.id] = m;
      onProgress(m);
      if (stopAfter?.(results) === true) break;
    }
    return results;
  }
  const workers: ExplorerWorker[] = [];
  for (let i = 0; i < n; i++) workers.push(startWorker(scenario, options.profile, settings));
  let next = 0;
  let stop = false;
  try {
    await Promise.all(
      workers.map(async (w) => {
        while (!stop && next < jobs.length) {
          const job = jobs[next++] as Job;
          const m = await w.run(job, onProgress);
          if (m.type === "error") throw new Error(`explorer worker: ${m.message}`);
          results[job.id] = m;
          onProgress(m);
          if (stopAfter?.(results) === true) stop = true;
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
  return results;
}

/** Re-runs a counterexample and shrinks its verdict's evidence (the checker's ddmin). */
function finishCounterexample(setup: RunSetup, f: FoundViolation): Counterexample {
  const verdict: InvariantVerdict = { invariant: f.invariant, status: "fail", violations: f.violations };
  const r = boot(setup.platform, setup.profile, { scenario: setup.scenario, choices: f.choices, choiceSettings: setup.settings, skipChecks: true });
  const shrunk = r.ok ? shrinkVerdict(r.value.trace, verdict, { era: r.value.kernel.core.era, outcomes: r.value.outcomes, maxChecks: 200 }) : verdict;
  return { invariant: f.invariant, device: f.device, choices: f.choices, verdict: shrunk };
}

/**
 * Explores the scenario's choice points under one profile.
 *
 * Rejects only when the scenario's board cannot be built (a platform error) or a worker fails.
 *
 * @example
 * ```ts
 * const report = await explore(scenario, { profile: "v4.7" });
 * for (const c of report.counterexamples) console.log(c.invariant, c.device, c.choices.join(","));
 * ```
 */
export async function explore(scenario: Scenario, options: ExploreOptions): Promise<ExploreReport> {
  const t0 = performance.now();
  const mode = options.mode ?? "exhaustive";
  const settings = choiceSettingsOf(scenario.explore, options.inject);
  const made = makeSetup(scenario, options.profile, settings);
  if (!made.ok) throw new Error(`explore: ${made.error}`);
  const setup = made.value;
  const asked = options.maxStates !== undefined && Number.isFinite(options.maxStates) ? Math.max(0, Math.trunc(options.maxStates)) : undefined;
  const maxStates = asked ?? scenario.explore?.maxStates ?? (mode === "random" ? DEFAULT_RANDOM_STATES : null);
  const workers = workerCount(options.workers);
  const distinct = new Set<string>();
  const found = new Map<string, FoundViolation>();
  let statesVisited = 0;
  let duplicateStates = 0;
  let prunedByReduction = 0;
  let runs = 0;
  let complete = true;
  const live = new Map<number, { states: number; frontier: number }>();
  let lastProgress = -Infinity;
  let openJobs = 0;
  const progress = (force: boolean): void => {
    const now = performance.now();
    if (options.onProgress === undefined || (!force && now - lastProgress < 100)) return;
    lastProgress = now;
    let states = statesVisited;
    let frontier = openJobs;
    for (const l of live.values()) {
      states += l.states;
      frontier += l.frontier;
    }
    options.onProgress({ statesVisited: states, distinctStates: distinct.size, frontier, elapsedMs: now - t0, maxStates });
  };
  const onJobProgress = (m: JobMessage): void => {
    if (m.type === "progress") live.set(m.id, { states: m.statesVisited, frontier: m.frontier });
    else if (m.type === "unit") live.set(m.id, { states: m.result.statesVisited, frontier: 0 });
    if (m.type !== "progress") openJobs = Math.max(0, openJobs - 1);
    progress(false);
  };

  if (mode === "exhaustive") {
    const top = expandTop(setup); // its probe boots are not counted as runs (they stop at the first new point)
    statesVisited += top.keys.length;
    for (const k of top.keys) {
      if (distinct.has(k)) duplicateStates++;
      distinct.add(k);
    }
    const budget = maxStates === null ? Number.POSITIVE_INFINITY : Math.max(1, Math.ceil(maxStates / top.prefixes.length));
    const jobs: Job[] = top.prefixes.map((prefix, id) => ({ type: "unit", id, prefix, budget }));
    openJobs = jobs.length;
    const results = await runJobs(setup, scenario, options, settings, jobs, onJobProgress);
    for (const m of results) {
      if (m.type !== "unit") continue;
      const r: UnitResult = m.result;
      statesVisited += r.statesVisited;
      prunedByReduction += r.prunedByReduction;
      runs += r.runs;
      complete &&= r.complete;
      duplicateStates += r.duplicateStates;
      for (const k of r.keys) {
        if (distinct.has(k)) duplicateStates++;
        distinct.add(k);
      }
      mergeFound(found, r.found);
    }
    live.clear();
  } else {
    const seed = options.seed ?? scenario.explore?.seed ?? 1;
    const budget = maxStates ?? DEFAULT_RANDOM_STATES;
    const batch = 64;
    for (let base = 0; statesVisited < budget; base += batch) {
      const jobs: Job[] = Array.from({ length: batch }, (_, i) => ({ type: "random", id: i, seed, index: base + i }));
      openJobs = batch;
      let counted = statesVisited;
      const results = await runJobs(setup, scenario, options, settings, jobs, onJobProgress, (rs) => {
        // stop dispatching once the runs so far, in index order, reach the budget
        counted = statesVisited;
        for (const m of rs) {
          if (m === undefined) return false;
          if (m.type === "random") counted += m.result.keys.length;
          if (counted >= budget) return true;
        }
        return false;
      });
      for (const m of results) {
        if (m?.type !== "random" || statesVisited >= budget) continue;
        const r: RandomRunResult = m.result;
        runs++;
        statesVisited += r.keys.length;
        for (const k of r.keys) {
          if (distinct.has(k)) duplicateStates++;
          distinct.add(k);
        }
        mergeFound(found, r.found);
      }
      progress(true);
      if (results.filter((m) => m !== undefined).length === 0) break;
    }
    complete = false;
  }

  const counterexamples = [...found.values()]
    .sort((a, b) => (a.invariant === b.invariant ? (a.device < b.device ? -1 : a.device > b.device ? 1 : 0) : a.invariant < b.invariant ? -1 : 1))
    .map((f) => finishCounterexample(setup, f));
  const failed = new Set(counterexamples.map((c) => c.invariant));
  const naive = naiveOrderings(setup);
  const wallMs = performance.now() - t0;
  const stats: ExploreStats = {
    statesVisited,
    distinctStates: distinct.size,
    duplicateStates,
    prunedByReduction,
    runs,
    naiveOrderings: naive,
    reductionRatio: naive > 0 ? runs / naive : 1,
    wallMs,
    statesPerSecond: wallMs > 0 ? (statesVisited * 1000) / wallMs : 0,
    workers,
    complete,
  };
  progress(true);
  return { profile: options.profile, mode, stats, counterexamples, invariantsHeld: ALL_INVARIANTS.filter((i) => !failed.has(i)) };
}
