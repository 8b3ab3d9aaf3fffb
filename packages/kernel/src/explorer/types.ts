/**
 * The explorer's public shapes (the contract the CLI codes against).
 */
import type { InvariantVerdict } from "../checker/index";
import type { ProfileName } from "../profiles";

/** Options of `explore`. */
export interface ExploreOptions {
  readonly profile: ProfileName;
  /** Default exhaustive. */
  readonly mode?: "exhaustive" | "random";
  /** State budget (random mode needs it, default 1,000; exhaustive stops with `complete: false`). */
  readonly maxStates?: number;
  /** Random mode PRNG seed (default 1, or the scenario's `explore.seed`). */
  readonly seed?: number;
  /** `node:worker_threads` workers; results identical to 1 worker. */
  readonly workers?: number;
  /** Bounded injected probe failures per run (over the scenario's `explore.faults`). */
  readonly inject?: { readonly enomem?: number; readonly defer?: number };
  /** Called at most ~10 times a second. */
  readonly onProgress?: (p: ExploreProgress) => void;
}

/** Progress of a running exploration. */
export interface ExploreProgress {
  readonly statesVisited: number;
  readonly distinctStates: number;
  /** Work not yet explored: open choice-tree nodes (exhaustive) or runs left to dispatch (random), approximately. */
  readonly frontier: number;
  readonly elapsedMs: number;
  readonly maxStates: number | null;
}

/** What an exploration did. `wallMs` and `statesPerSecond` are the only nondeterministic fields. */
export interface ExploreStats {
  /** Choice points reached plus run ends (replayed prefixes not counted). */
  readonly statesVisited: number;
  /** Distinct canonical states among them. */
  readonly distinctStates: number;
  /** Visits of a state already seen. */
  readonly duplicateStates: number;
  /** Transitions not taken because a sleep set showed them commuting with one already explored. */
  readonly prunedByReduction: number;
  /**
   * Boots the search executed (each re-executes from the start, to the end or to a state already explored); the
   * probe boots that split the top of the tree among workers are not counted.
   */
  readonly runs: number;
  /** Analytic count of orderings without reduction (a float; may be large). */
  readonly naiveOrderings: number;
  /** `runs / naiveOrderings`. */
  readonly reductionRatio: number;
  readonly wallMs: number;
  readonly statesPerSecond: number;
  readonly workers: number;
  /** The whole space was explored (exhaustive within budget). */
  readonly complete: boolean;
}

/** The shortest choice list found that violates `invariant` on `device`; replay it with `boot(..., { choices })`. */
export interface Counterexample {
  readonly invariant: string;
  /** The device the violation names (`""` for a violation about no device). */
  readonly device: string;
  readonly choices: readonly number[];
  /** The invariant's verdict in that run, restricted to this device. */
  readonly verdict: InvariantVerdict;
}

/** The result of `explore`. */
export interface ExploreReport {
  readonly profile: ProfileName;
  readonly mode: "exhaustive" | "random";
  readonly stats: ExploreStats;
  /** Sorted by (invariant, device). */
  readonly counterexamples: readonly Counterexample[];
  /** Invariants no explored run violated. */
  readonly invariantsHeld: readonly string[];
}
