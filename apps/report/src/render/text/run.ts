/**
 * `--format text`: per profile, the device table and the violations with their evidence, then the summary.
 */
import type { ExplorationResult, RunResult, ScenarioResult } from "../../result";
import { formatDma, formatGroup, formatStreamIds, replayCommand, worstDma } from "../format";
import { renderSummaryText } from "./summary";
import { palette, sanitizeTerminal, textTable } from "./table";

/** One line of exploration statistics (deterministic figures only). */
export function explorationText(e: ExplorationResult): string {
  const budget = e.maxStates === null ? "" : ` of ${e.maxStates}`;
  const how = `${e.mode}${e.seed === null ? "" : ` (seed ${e.seed})`}, ${e.complete ? "complete" : "budget reached"}`;
  return `explored: ${how}: ${e.statesVisited}${budget} states visited (${e.distinctStates} distinct, ${e.duplicateStates} duplicates, ${e.prunedByReduction} pruned by reduction), ${e.runs} runs of ${e.naiveOrderings} naive orderings`;
}

function runText(r: RunResult, color: boolean, scenario: string): string {
  const p = palette(color);
  const out: string[] = [p.bold(`== ${sanitizeTerminal(r.label)}`)];
  const rows = r.devices.map((d) => [d.name, d.bus, d.driver ?? "-", d.dmaOps, d.iommu ?? "-", formatGroup(d), formatStreamIds(d.streamIds), String(d.deferrals), formatDma(d.dma)]);
  const worst = r.devices.map((d) => worstDma(d.dma));
  out.push(
    textTable(["device", "bus", "driver", "dma ops", "iommu", "group", "stream IDs", "defer", "dma"], rows, {
      paint: (ri, ci, cell) => (ci !== 8 ? cell : worst[ri] === "ok" ? p.green(cell) : worst[ri] === null ? cell : p.red(cell)),
    }).trimEnd(),
  );
  for (const w of r.warnings) out.push(p.yellow(`warning: ${sanitizeTerminal(w)}`));
  if (r.exploration !== null) out.push(explorationText(r.exploration));
  if (r.violations.length === 0) out.push(p.green("no violations"));
  for (const v of r.violations) {
    out.push(p.red(`${v.invariant} ${sanitizeTerminal(v.device ?? "-")}: ${sanitizeTerminal(v.message)}`));
    for (const t of v.trace) out.push(`    #${t.seq} ${sanitizeTerminal(t.event)}`);
    if (v.choices !== null) out.push(`    replay: ${sanitizeTerminal(replayCommand(scenario, r.profile, v.choices, r.exploration?.inject ?? null))}`);
  }
  return out.join("\n");
}

/** The text rendering of a scenario result. */
export function renderResultText(result: ScenarioResult, color: boolean): string {
  const head = `scenario ${sanitizeTerminal(result.scenario)} (${result.firmware})${result.description === null ? "" : `: ${sanitizeTerminal(result.description)}`}`;
  return `${[head, ...result.runs.map((r) => runText(r, color, result.scenario))].join("\n\n")}\n\n${renderSummaryText([result], color)}`;
}
