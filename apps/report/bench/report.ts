/**
 * `pnpm --filter @dmasim/report bench:report`: where the default run's time goes. Baseline: booting the built-in
 * scenarios under every profile (the model's work); the figures are building the published result from those boots
 * (trace views: timeline, sequences, topology), and rendering the JSON, Markdown and HTML (vega-lite and Graphviz
 * SVG), each with its ratio to the baseline. Median of 3 rounds after one warm-up.
 */
import { PROFILES, PROFILE_NAMES, bootScenario } from "@dmasim/kernel";
import { DEFAULT_RENDERERS } from "../src/commands/report-files";
import { runResult, type RunResult, type ScenarioResult } from "../src/result";
import { defaultRunScenarios } from "../src/scenarios";

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function round(): Promise<{ boot: number; result: number; json: number; md: number; html: number; bytes: number }> {
  const t0 = performance.now();
  const boots = defaultRunScenarios().map((s) =>
    PROFILE_NAMES.map((name) => {
      const b = bootScenario(s, PROFILES[name], {});
      if (!b.ok) throw new Error(`${s.name} ${name}: ${b.error.message}`);
      return { name, boot: b.value };
    }),
  );
  const t1 = performance.now();
  const results: ScenarioResult[] = defaultRunScenarios().map((s, i) => ({
    scenario: s.name,
    description: s.description ?? null,
    firmware: s.firmware,
    runs: (boots[i] ?? []).map(({ name, boot }): RunResult => runResult({ name, label: PROFILES[name].label, hypothetical: PROFILES[name].hypothetical }, boot)),
  }));
  const t2 = performance.now();
  const json = DEFAULT_RENDERERS.json(results);
  const t3 = performance.now();
  const md = DEFAULT_RENDERERS.md(results);
  const t4 = performance.now();
  const html = await DEFAULT_RENDERERS.html(results);
  const t5 = performance.now();
  return { boot: t1 - t0, result: t2 - t1, json: t3 - t2, md: t4 - t3, html: t5 - t4, bytes: json.length + md.length + html.length };
}

await round();
const rounds = [await round(), await round(), await round()];
const pick = (k: "boot" | "result" | "json" | "md" | "html"): number => median(rounds.map((r) => r[k]));
const base = pick("boot");
const runs = defaultRunScenarios().length * PROFILE_NAMES.length;
process.stdout.write(`default run: ${defaultRunScenarios().length} scenarios x ${PROFILE_NAMES.length} profiles = ${runs} boots, ${((rounds[0]?.bytes ?? 0) / 1e6).toFixed(1)} MB of report\n`);
process.stdout.write(`baseline  boot all          ${base.toFixed(0).padStart(6)} ms  1.00x\n`);
for (const k of ["result", "json", "md", "html"] as const) {
  const v = pick(k);
    const what = k === "result" ? "views from traces" : `render ${k}`;
  process.stdout.write(`${k.padEnd(9)} ${what.padEnd(17)} ${v.toFixed(0).padStart(6)} ms  ${(v / base).toFixed(2)}x\n`);
}
