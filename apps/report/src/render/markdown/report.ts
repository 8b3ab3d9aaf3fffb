/**
 * The Markdown report: the same tables as the HTML report (summary matrix, per-device outcomes across profiles,
 * violations with their evidence), for pasting into a mailing-list reply or a pull request. Everything from input
 * is escaped.
 */
import type { ExplorationResult, ScenarioResult } from "../../result";
import { summaryOf, type SummaryMatrix } from "../../summary";
import { deviceCellKey, deviceNamesAcross, formatDma, formatGroup, formatStreamIds, interestingDevice, replayCommand } from "../format";
import { mdCode, mdEscape, mdTable } from "./escape";

function summaryTable(m: SummaryMatrix): string {
  const header = ["invariant", ...m.profiles.map((p) => mdEscape(p.hypothetical ? `${p.name} (hypothetical)` : p.name))];
  const rows = m.invariants.map((inv, i) => [mdEscape(inv), ...(m.cells[i] ?? []).map((c) => (c.devices === 0 ? "·" : `**${c.devices}**`))]);
  return mdTable(header, rows, header.map((_, i) => (i === 0 ? "l" : "r")));
}

function devicesTable(s: ScenarioResult): string {
  const names = deviceNamesAcross(s.runs);
  const header = ["device", ...s.runs.map((r) => mdEscape(r.profile))];
  const rows: string[][] = [];
  for (const name of names) {
    const cells = s.runs.map((r) => r.devices.find((d) => d.name === name));
    if (!interestingDevice(cells)) continue;
    rows.push([
      mdEscape(name),
      ...cells.map((d, i) => {
        if (d === undefined) return "—";
        const text = [d.driver ?? "no driver", d.dmaOps, d.iommuGroup === null ? "no group" : `group ${formatGroup(d)}`, `SID ${formatStreamIds(d.streamIds)}`, d.deferrals > 0 ? `${d.deferrals} deferral(s)` : "", `DMA ${formatDma(d.dma)}`, d.leaks.length > 0 ? `${d.leaks.length} leak(s)` : ""]
          .filter((x) => x !== "")
          .map(mdEscape)
          .join(" · ");
        const prev = i > 0 ? cells[i - 1] : undefined;
        return i > 0 && deviceCellKey(prev) !== deviceCellKey(d) ? `**${text}**` : text;
      }),
    ]);
  }
  return rows.length === 0 ? "_No device with a driver, an IOMMU or DMA._" : `${mdTable(header, rows)}\n\nBold: changed from the profile to its left.`;
}

function explorationLines(profile: string, e: ExplorationResult): string[] {
  return [
    `- ${mdEscape(profile)}: ${e.mode}${e.complete ? "" : " (budget reached)"}, ${e.statesVisited} states visited, ${e.distinctStates} distinct, ${e.duplicateStates} duplicates, ${e.prunedByReduction} pruned by reduction, ${e.runs} runs of ${mdEscape(e.naiveOrderings)} naive orderings` +
      (e.violated.length === 0 ? "; no invariant violated" : `; violated: ${e.violated.map((v) => `${mdEscape(v.invariant)} (${v.devices} device${v.devices === 1 ? "" : "s"})`).join(", ")}`),
  ];
}

function scenarioSection(s: ScenarioResult, index: number): string {
  const out: string[] = [`## ${mdEscape(s.scenario)}`, ""];
  if (s.description !== null) out.push(mdEscape(s.description), "");
  out.push(`Firmware: ${s.firmware}. Profiles: ${s.runs.map((r) => mdEscape(r.label)).join(", ")}.`, "");
  out.push("### Invariants", "", summaryTable(summaryOf([s], index)), "");
  out.push("### Devices across profiles", "", devicesTable(s), "");
  const explored = s.runs.filter((r) => r.exploration !== null);
  if (explored.length > 0) {
    out.push("### Exploration", "");
    for (const r of explored) if (r.exploration !== null) out.push(...explorationLines(r.profile, r.exploration));
    out.push("");
  }
  const violations = s.runs.flatMap((r) => r.violations.map((v) => ({ r, v })));
  if (violations.length > 0) {
    out.push("### Counterexamples", "");
    for (const { r, v } of violations) {
      out.push(`**${mdEscape(v.invariant)}** under ${mdEscape(r.profile)} on \`${(v.device ?? "-").replace(/`/g, "'")}\`: ${mdEscape(v.message)}`, "");
      const lines = v.trace.map((t) => `#${t.seq} ${t.event}`);
      if (v.choices !== null) lines.push(`replay: ${replayCommand(s.scenario, r.profile, v.choices, r.exploration?.inject ?? null)}`);
      out.push(mdCode(lines), "");
    }
  }
  return out.join("\n");
}

/** The Markdown report of one or more scenario results. */
export function renderMarkdown(results: readonly ScenarioResult[]): string {
  const profiles = summaryOf(results).profiles;
  const out: string[] = ["# dmasim report", ""];
  out.push(`${results.length} scenario(s) under ${profiles.map((p) => mdEscape(p.label)).join(", ")}.`, "");
  out.push("## Summary", "", "Devices violating each invariant, per profile (· = none).", "", summaryTable(summaryOf(results)), "");
  results.forEach((s, i) => out.push(scenarioSection(s, i)));
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}
