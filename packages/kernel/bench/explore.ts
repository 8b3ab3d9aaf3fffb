/**
 * The explorer benchmark: `scenarios/explore-8ep-2smmu.yaml` (8 PCI endpoints behind 2 SMMUv3s, 3 asynchronous
 * drivers, v6.1), explored exhaustively with 1 and 2 workers, and once without reduction under a state budget to
 * show what the reduction saves. Prints states, distinct states, pruned transitions, runs, the naive count of
 * orderings, the ratio, states/s, wall time and peak RSS. Baseline: the target, the whole space in 10 s.
 *
 * Run: `pnpm --filter @dmasim/kernel bench:explore`
 */
import { explore, loadScenario, type ExploreReport } from "@dmasim/kernel";
import { choiceSettingsOf } from "../src/boot/choice-boot";
import { makeSetup } from "../src/explorer/pool";
import { exploreUnit } from "../src/explorer/search";

const TARGET_MS = 10_000;
const path = new URL("../scenarios/explore-8ep-2smmu.yaml", import.meta.url).pathname;
const loaded = loadScenario(path);
if (!loaded.ok) {
  console.error(loaded.error);
  process.exit(2);
}
const scenario = loaded.value;

function line(label: string, r: ExploreReport): void {
  const s = r.stats;
  console.log(
    `${label.padEnd(10)} states ${s.statesVisited}, distinct ${s.distinctStates}, duplicates ${s.duplicateStates}, pruned ${s.prunedByReduction}, runs ${s.runs}, ` +
      `naive ${s.naiveOrderings.toExponential(3)}, ratio ${s.reductionRatio.toExponential(3)}, ${s.statesPerSecond.toFixed(0)} states/s, ` +
      `wall ${s.wallMs.toFixed(0)} ms (${(s.wallMs / TARGET_MS).toFixed(3)} of the 10 s target), complete ${s.complete}, ` +
      `counterexamples ${r.counterexamples.length}`,
  );
}

console.log(`explorer benchmark: ${scenario.name} under v6.1, exhaustive`);
const one = await explore(scenario, { profile: "v6.1", workers: 1 });
line("1 worker", one);
const two = await explore(scenario, { profile: "v6.1", workers: 2 });
line("2 workers", two);
const same = JSON.stringify({ ...one, stats: { ...one.stats, wallMs: 0, statesPerSecond: 0, workers: 0 } }) === JSON.stringify({ ...two, stats: { ...two.stats, wallMs: 0, statesPerSecond: 0, workers: 0 } });
console.log(`1 vs 2 workers identical: ${same}`);

// Without reduction (state hashing only), one link order (the first unit), under a budget: the cost per state.
const setup = makeSetup(scenario, "v6.1", choiceSettingsOf(scenario.explore));
if (setup.ok) {
  const budget = 300;
  const t0 = performance.now();
  const raw = exploreUnit(setup.value, [0, 0], budget, undefined, false);
  const ms = performance.now() - t0;
  console.log(
    `no reduction, link order e1000e/nvme/virtio only, budget ${budget}: states ${raw.statesVisited}, distinct ${raw.keys.length}, runs ${raw.runs}, ` +
      `complete ${raw.complete}, ${((raw.statesVisited * 1000) / ms).toFixed(0)} states/s, ${ms.toFixed(0)} ms`,
  );
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
