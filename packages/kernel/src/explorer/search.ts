/**
 * Exhaustive search of one subtree of the choice tree ("unit": the runs that start with a given prefix), depth
 * first by re-execution from the start of the boot, with canonical state hashing and sleep-set partial-order
 * reduction; and one seeded random run.
 *
 * **Sleep sets** (Godefroid 1996): after the subtree of option `a` at a node is explored, a later sibling `b`'s
 * subtree need not take `a` first again while `a` sleeps, i.e. as long as every step taken since commutes with `a`.
 * Two steps commute when the resources their events touched (devices, SMMUs, domains, groups, "global"; see
 * `state.ts`) are disjoint. A step's resources are those of the events from its choice point to the next one; a
 * sleeping step is assumed to touch what it touched when it was explored (the usual dynamic approximation). Only
 * `schedule` points take part, and only steps that end at another `schedule` point or at the end of the run (a step
 * cut by a `fault` or `race` point inside it is taken to touch everything): sleep sets are cleared at every other
 * kind of point, which is always sound.
 *
 * **Persistent sets of one**: after the unit's first complete run, the async work items whose footprint no other
 * work item and no later boot-thread step touches are known (`privateItems`); at a node where one is ready only it
 * is explored (it commutes with everything that can happen meanwhile). Nodes the first run opened are trimmed the
 * same way (keeping the option already explored).
 *
 * **State matching with sleep sets**: a state seen before is pruned only if the sleep set it was explored with is a
 * subset of the current one (otherwise it is explored again, with the intersection stored), so matching never drops
 * a transition the earlier visit slept on.
 */
import { footprints, privateItems, type StepTouch } from "./state";
import { checkRun, executeRun, mergeFound, StopRun, type FoundViolation, type PointView, type RunSetup } from "./run";

/** The result of exploring one unit (plain data: it crosses worker boundaries). */
export interface UnitResult {
  readonly keys: readonly string[];
  readonly statesVisited: number;
  readonly duplicateStates: number;
  readonly prunedByReduction: number;
  readonly runs: number;
  readonly complete: boolean;
  readonly found: readonly FoundViolation[];
  /** How the runs ended: `done`, `state seen`, `all asleep`, `budget`. */
  readonly ends: Readonly<Record<string, number>>;
}

type Touch = readonly string[] | null; // null: touches everything

interface NodeRec {
  readonly path: readonly number[];
  readonly kind: string;
  readonly labels: readonly string[];
  options: number[];
  next: number;
  readonly sleep: ReadonlyMap<string, Touch>;
  /** Explored options' labels and touches, in exploration order. */
  readonly done: { readonly label: string; readonly touch: Touch }[];
}

function independent(a: Touch, b: Touch): boolean {
  if (a === null || b === null) return false;
  for (const x of a) if (b.includes(x)) return false;
  return true;
}

/** The first option that runs a private async item (a persistent set of one), if any. */
function firstPrivate(kind: string, labels: readonly string[], options: readonly number[], alone: ReadonlySet<string>): number | undefined {
  if (kind !== "schedule") return undefined;
  return options.find((o) => {
    const l = labels[o] as string;
    return l.startsWith("async/") && !l.includes("#") && alone.has(l.slice("async/".length));
  });
}

function porLabel(kind: string, label: string): boolean {
  return kind === "schedule" && !label.includes("#");
}

/** Live counters a unit reports while it runs. */
export interface UnitProgress {
  statesVisited: number;
  distinct: number;
  frontier: number;
}

/**
 * Explores every run that starts with `prefix`, up to `budget` states; calls `tick` after every run.
 */
export function exploreUnit(setup: RunSetup, prefix: readonly number[], budget: number, tick?: (p: UnitProgress) => void, reduction = true): UnitResult {
  const visited = new Map<string, ReadonlySet<string>>();
  const found = new Map<string, FoundViolation>();
  const stack: NodeRec[] = [];
  const live: UnitProgress = { statesVisited: 0, distinct: 0, frontier: 0 };
  let duplicates = 0;
  let pruned = 0;
  let runs = 0;
  let complete = true;
  const ends: Record<string, number> = {};
  /** Async items private to themselves (from the unit's first complete run); null until then or without reduction. */
  let alone: Set<string> | null = null;
  let runPath: readonly number[] = prefix;
  const overBudget = (): boolean => live.statesVisited >= budget;

  /** A fresh state: returns whether to keep exploring it (records it). */
  const arrive = (key: string, sleep: ReadonlySet<string>): boolean => {
    live.statesVisited++;
    const seen = visited.get(key);
    if (seen === undefined) {
      visited.set(key, sleep);
      live.distinct++;
      return true;
    }
    duplicates++;
    let subset = true;
    for (const l of seen) if (!sleep.has(l)) subset = false;
    if (subset) return false;
    visited.set(key, new Set([...seen].filter((l) => sleep.has(l))));
    return true;
  };

  for (;;) {
    runs++;
    const fresh = runPath.length; // the first point of this run not replayed
    let parent: NodeRec | null = stack[stack.length - 1] ?? null;
    let parentChoice = fresh > prefix.length ? (runPath[fresh - 1] as number) : -1;
    const finishEdge = (view: PointView | null, step: StepTouch): ReadonlyMap<string, Touch> => {
      // the step from `parent` via `parentChoice` ends here: record its touch, derive the child's sleep set
      if (parent === null || parentChoice < 0 || !reduction) return new Map();
      const label = parent.labels[parentChoice] as string;
      const endsAtSchedule = view === null || view.point.kind === "schedule";
      const por = porLabel(parent.kind, label) && endsAtSchedule;
      // the option's own transition: the work item it picked (or, for "boot", the boot thread's whole step)
      const touch: Touch = por ? (label === "boot" ? step.all : (step.first ?? step.all)) : null;
      // everything executed since the choice, for what stays asleep in the child
      const executed: Touch = por ? step.all : null;
      const child = new Map<string, Touch>();
      if (view !== null && view.point.kind === "schedule" && parent.kind === "schedule") {
        for (const [l, t] of [...parent.sleep, ...parent.done.map((d) => [d.label, d.touch] as const)]) if (independent(t, executed)) child.set(l, t);
      }
      parent.done.push({ label, touch });
      return child;
    };
    const policy = (view: PointView): number => {
      const touchNow = view.observer.takeTouch();
      if (view.index < fresh) return runPath[view.index] as number;
      const sleep = finishEdge(view, touchNow);
      const key = view.observer.stateKey(view.kernel, view.point, view.extra);
      if (!arrive(key, new Set(sleep.keys()))) throw new StopRun("state seen");
      if (overBudget()) {
        complete = false;
        throw new StopRun("budget");
      }
      const options: number[] = [];
      view.point.labels.forEach((l, i) => {
        if (reduction && porLabel(view.point.kind, l) && sleep.has(l)) pruned++;
        else options.push(i);
      });
      if (options.length === 0) throw new StopRun("all asleep");
      if (alone !== null && options.length > 1) {
        const i = firstPrivate(view.point.kind, view.point.labels, options, alone);
        if (i !== undefined) {
          pruned += options.length - 1;
          options.length = 0;
          options.push(i);
        }
      }
      const path = parent === null ? runPath.slice(0, fresh) : [...parent.path, parentChoice];
      const rec: NodeRec = { path, kind: view.point.kind, labels: view.point.labels, options, next: 1, sleep, done: [] };
      stack.push(rec);
      parent = rec;
      parentChoice = options[0] as number;
      return parentChoice;
    };
    const end = executeRun(setup, policy);
    const why = end.kind === "done" ? "done" : end.reason;
    ends[why] = (ends[why] ?? 0) + 1;
    if (end.kind === "done" && alone === null && reduction) {
      // the first complete run gives the work items' footprints; trim the nodes it already opened
      alone = privateItems(footprints(end.result.kernel, end.result.trace));
      for (const n of stack) {
        const i = firstPrivate(n.kind, n.labels, n.options, alone);
        if (i === undefined) continue;
        const kept = i === n.options[0] ? [i] : [n.options[0] as number, i];
        pruned += n.options.length - kept.length;
        n.options = kept;
      }
    }
    if (end.kind === "done") {
      finishEdge(null, end.observer.takeTouch());
      const key = end.observer.stateKey(end.result.kernel, null, "");
      if (arrive(key, new Set())) mergeFound(found, checkRun(end.result, end.choices));
    }
    live.frontier = stack.reduce((a, n) => a + (n.options.length - n.next), 0);
    tick?.(live);
    if (!complete) break;
    let next: readonly number[] | null = null;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as NodeRec;
      if (top.next < top.options.length) {
        next = [...top.path, top.options[top.next++] as number];
        break;
      }
      stack.pop();
    }
    if (next === null) break;
    runPath = next;
  }
  return { keys: [...visited.keys()], statesVisited: live.statesVisited, duplicateStates: duplicates, prunedByReduction: pruned, runs, complete, found: [...found.values()], ends };
}

/** splitmix32: a small seeded PRNG (deterministic across platforms). */
export function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    t ^= t >>> 15;
    return (t >>> 0) / 4294967296;
  };
}

/** One random run (`index` of the seeded sequence): its state keys in order and what it violated. */
export interface RandomRunResult {
  readonly keys: readonly string[];
  readonly found: readonly FoundViolation[];
}

/** Runs the `index`-th random run of `seed`: each choice point takes a uniformly random option. */
export function randomRun(setup: RunSetup, seed: number, index: number): RandomRunResult {
  const rand = splitmix32((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0);
  const keys: string[] = [];
  const end = executeRun(setup, (view) => {
    keys.push(view.observer.stateKey(view.kernel, view.point, view.extra));
    return Math.min(view.point.labels.length - 1, Math.floor(rand() * view.point.labels.length));
  });
  if (end.kind !== "done") return { keys, found: [] };
  keys.push(end.observer.stateKey(end.result.kernel, null, ""));
  return { keys, found: checkRun(end.result, end.choices) };
}
