/**
 * The terminal summary: invariants × profiles with the number of devices affected (`.` for none), the hypothetical
 * profile marked, and per scenario one line of verdicts.
 */
import type { ScenarioResult } from "../../result";
import { summaryOf } from "../../summary";
import { palette, sanitizeTerminal, textTable } from "./table";

/** The summary table of `results`. */
export function renderSummaryText(results: readonly ScenarioResult[], color: boolean): string {
  const m = summaryOf(results);
  const p = palette(color);
  const header = ["invariant", ...m.profiles.map((x) => (x.hypothetical ? `${x.name}*` : x.name))];
  const rows = m.invariants.map((inv, i) => [inv, ...(m.cells[i] ?? []).map((c) => (c.devices === 0 ? "." : String(c.devices)))]);
  const table = textTable(header, rows, {
    align: header.map((_, i) => (i === 0 ? "l" : "r")),
    paint: (_r, c, cell) => (c === 0 ? cell : cell.trim() === "." ? p.dim(cell) : p.red(cell)),
  });
  const notes: string[] = [];
  if (m.profiles.some((x) => x.hypothetical)) notes.push(`* ${m.profiles.filter((x) => x.hypothetical).map((x) => x.label).join(", ")}`);
  notes.push("cells: devices violating the invariant (. = none)");
  return `${table}${notes.join("\n")}\n`;
}

/** One line per scenario: how many violations under each profile. */
export function renderScenarioLines(results: readonly ScenarioResult[], color: boolean): string {
  const p = palette(color);
  const width = Math.max(...results.map((s) => s.scenario.length), 8);
  return results
    .map((s) => {
      const cells = s.runs.map((r) => {
        const n = r.violations.length;
        return `${r.profile} ${n === 0 ? p.green("ok") : p.red(`${n} violation${n === 1 ? "" : "s"}`)}`;
      });
      return `${sanitizeTerminal(s.scenario).padEnd(width)}  ${cells.join(", ")}`;
    })
    .join("\n")
    .concat("\n");
}
