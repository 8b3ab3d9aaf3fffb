/**
 * The naive count of orderings: how many runs a search without state hashing or reduction would face, computed
 * analytically from the choice structure of the default run (every point at option 0):
 *
 *   (∏ over levels of k! for k orderable initcalls) × C(m + a, m) for m module loads racing a actions
 *   × n! × C(Y + n, n) for n async work items ordered among themselves and interleaved with the boot thread's Y
 *     yields (only when the boot thread may run ahead; else n!), ignoring when each item was queued
 *   × Σ_{j ≤ F} C(P, j)·e^j for P probe calls that may fail with one of e errnos, at most F per run
 *   × the option counts of the default run's other scheduling points (deferred-probe work, interrupts).
 *
 * It is an upper bound of the tree's leaves (the model's real dependencies cut many), which is what the ratio
 * `runs / naive` is meant to show.
 */
import { executeRun, type RunSetup } from "./run";

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) r = (r * (n - Math.min(k, n - k) + i)) / i;
  return Math.round(r);
}

/** The analytic naive count for a setup (one default run). */
export function naiveOrderings(setup: RunSetup): number {
  let linkOrders = 1;
  let probes = 0;
  let errnos = 0;
  let otherWork = 1;
  const end = executeRun(setup, (view) => {
    if (view.point.kind === "link-order") linkOrders *= view.point.labels.length;
    if (view.point.kind === "schedule" && !view.point.labels.some((l) => l.startsWith("async/") || l === "boot")) otherWork *= view.point.labels.length;
    if (view.point.kind === "fault") {
      probes++;
      errnos = Math.max(errnos, view.point.labels.length - 1);
    }
    return 0;
  });
  if (end.kind !== "done") return 1;
  const trace = end.result.trace;
  const asyncItems = trace.filter((r) => r.type === "work-start" && r.queue === "async").length;
  const yields = trace.filter((r) => r.type === "initcall-end" || r.type === "module-load-end" || r.type === "runtime-action").length;
  const modules = trace.filter((r) => r.type === "module-load").length;
  const actions = setup.scenario.actions?.length ?? 0;
  const race = setup.settings.raceActions === false ? 1 : binomial(modules + actions, modules);
  const ahead = setup.settings.asyncPreemption === false ? 1 : binomial(yields + asyncItems, asyncItems);
  const maxFaults = setup.settings.maxFaults ?? (setup.settings.faults ?? []).reduce((a, f) => a + f.max, 0);
  let faults = 0;
  for (let j = 0; j <= Math.min(maxFaults, probes); j++) faults += binomial(probes, j) * errnos ** j;
  return linkOrders * otherWork * race * factorial(asyncItems) * ahead * Math.max(1, faults);
}
