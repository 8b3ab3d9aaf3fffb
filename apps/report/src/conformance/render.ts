/**
 * The comparison as a table: plain text for the terminal, Markdown for reports and notes, JSON for tools. Also the
 * observed facts alone, for a boot the model cannot predict.
 */
import type { ConformanceDiff, DiffRow } from "./compare";
import type { BootFacts } from "./facts";

/** Options of the renderers. */
export interface RenderOptions {
  /** Only rows that disagree (skipped fields and the summary are still listed). */
  readonly onlyDifferences?: boolean;
}

function pickRows(diff: ConformanceDiff, options: RenderOptions): readonly DiffRow[] {
  return options.onlyDifferences === true ? diff.rows.filter((r) => !r.agree) : diff.rows;
}

function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [fmt(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(fmt)].join("\n");
}

function summaryLine(diff: ConformanceDiff): string {
  const bad = diff.rows.filter((r) => !r.agree).length;
  return diff.agree ? `${diff.name}: AGREE (${diff.rows.length} rows)` : `${diff.name}: DISAGREE (${bad} of ${diff.rows.length} rows differ)`;
}

/** The diff as a plain-text table, then the skipped fields and a verdict line. */
export function renderDiffText(diff: ConformanceDiff, options: RenderOptions = {}): string {
  const rows = pickRows(diff, options).map((r) => [r.agree ? "ok" : "DIFF", r.field, r.subject, r.predicted, r.observed]);
  const skipped = diff.fields.filter((f) => !f.compared).map((f) => `  not compared: ${f.field} (${f.why ?? ""})`);
  const table = rows.length === 0 && options.onlyDifferences === true ? [] : [textTable(["", "field", "subject", "predicted (dmasim v6.1)", "observed (real kernel)"], rows)];
  return [...table, ...skipped, summaryLine(diff)].join("\n");
}

function mdCell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The diff as a Markdown table with the skipped fields and the verdict. */
export function renderDiffMarkdown(diff: ConformanceDiff, options: RenderOptions = {}): string {
  const picked = pickRows(diff, options);
  const lines = [`### ${diff.name}`, ""];
  if (picked.length > 0 || options.onlyDifferences !== true) lines.push("| | field | subject | predicted (dmasim v6.1) | observed (real kernel) |", "|---|---|---|---|---|");
  for (const r of picked) {
    lines.push(`| ${r.agree ? "✓" : "✗"} | ${r.field} | ${mdCell(r.subject)} | ${mdCell(r.predicted)} | ${mdCell(r.observed)} |`);
  }
  const skipped = diff.fields.filter((f) => !f.compared);
  if (skipped.length > 0) lines.push("", `Not compared: ${skipped.map((f) => `${f.field} (${f.why ?? ""})`).join("; ")}.`);
  lines.push("", `**${summaryLine(diff)}**`);
  return lines.join("\n");
}

/** The diff as JSON (stable key order). */
export function renderDiffJson(diff: ConformanceDiff): string {
  return JSON.stringify(diff, null, 2);
}

/** The facts of one side as text (used when a boot has no prediction to compare with). */
export function renderFactsText(title: string, f: BootFacts): string {
  const out = [`${title} (from ${f.source})`];
  for (const g of f.groups) out.push(`  group ${g.id}${g.type === null ? "" : ` ${g.type}`}: ${g.devices.join(" ")}`);
  for (const d of f.drivers) out.push(`  ${d.device} driver=${d.driver ?? "(none)"}`);
  for (const u of f.ungrouped) out.push(`  ${u.device} no group: ${u.reasons.join("; ") || "(no reason logged)"}`);
  if (f.streamIds.ok) for (const s of f.streamIds.value) out.push(`  ${s.device} stream IDs ${s.ids.map((i) => `0x${i.toString(16)}`).join(" ")}`);
  if (f.deferrals.ok) {
    out.push(`  deferred: ${f.deferrals.value.added.join(" ") || "(none)"}`);
    out.push(`  retried: ${f.deferrals.value.retried.join(" ") || "(none)"}`);
  }
  if (f.defaultDomain.ok) out.push(`  default domain: ${f.defaultDomain.value ?? "(not printed)"}`);
  if (f.tlbPolicy.ok) out.push(`  TLB policy: ${f.tlbPolicy.value ?? "(not printed)"}`);
  if (f.smmuEvents.ok) for (const e of f.smmuEvents.value) out.push(`  SMMU event 0x${e.id.toString(16)} sid 0x${e.sid.toString(16)} addr 0x${e.addr}`);
  if (f.doorbellMaps.ok) for (const m of f.doorbellMaps.value) out.push(`  MSI doorbell map iova 0x${m.iova.toString(16)} pa 0x${m.pa.toString(16)} size 0x${m.size.toString(16)}`);
  return out.join("\n");
}
