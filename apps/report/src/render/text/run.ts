/**
 * `--format text`: per profile, the device table and the violations with their evidence, then the summary.
 */
import type { RunResult, ScenarioResult } from "../../result";
import { formatDma, formatGroup, formatStreamIds, worstDma } from "../format";
import { renderSummaryText } from "./summary";
import { palette, sanitizeTerminal, textTable } from "./table";

function runText(r: RunResult, color: boolean): string {
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
  if (r.violations.length === 0) out.push(p.green("no violations"));
  for (const v of r.violations) {
    out.push(p.red(`${v.invariant} ${sanitizeTerminal(v.device ?? "-")}: ${sanitizeTerminal(v.message)}`));
    for (const t of v.trace) out.push(`    #${t.seq} ${sanitizeTerminal(t.event)}`);
    if (v.choices !== null) out.push(`    replay: --choices ${v.choices.join(",")}`);
  }
  return out.join("\n");
}

/** The text rendering of a scenario result. */
export function renderResultText(result: ScenarioResult, color: boolean): string {
  const head = `scenario ${sanitizeTerminal(result.scenario)} (${result.firmware})${result.description === null ? "" : `: ${sanitizeTerminal(result.description)}`}`;
  return `${[head, ...result.runs.map((r) => runText(r, color))].join("\n\n")}\n\n${renderSummaryText([result], color)}`;
}
