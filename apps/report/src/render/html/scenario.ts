/**
 * One scenario's section: its invariant matrix, the devices across profiles, the topology per profile (profiles with
 * the same topology share one drawing), the boot timeline per profile, the counterexamples with their sequence view,
 * and the exploration statistics when an exploration ran.
 */
import { renderExplorerSvg } from "../../charts/explorer-chart";
import { renderSequenceSvg } from "../../charts/sequence-chart";
import { renderTimelineSvg } from "../../charts/timeline-chart";
import type { RunResult, ScenarioResult, ViolationResult } from "../../result";
import { counterexampleAnchor, summaryOf } from "../../summary";
import { topologyDot } from "../../topology/dot";
import { renderTopologySvg } from "../../topology/render";
import { replayCommand } from "../format";
import { devicesTable } from "./devices";
import { html, trusted, type SafeHtml } from "./escape";
import { matrixTable } from "./matrix";

/** The section id of scenario `index`. */
export function scenarioId(index: number): string {
  return `scenario-${index}`;
}

async function topologies(s: ScenarioResult, si: number): Promise<SafeHtml> {
  const groups: { dot: string; runs: RunResult[] }[] = [];
  for (const r of s.runs) {
    const dot = topologyDot(r.topology);
    const g = groups.find((x) => x.dot === dot);
    if (g === undefined) groups.push({ dot, runs: [r] });
    else g.runs.push(r);
  }
  const figs: SafeHtml[] = [];
  for (const [gi, g] of groups.entries()) {
    const first = g.runs[0] as RunResult;
    const svg = await renderTopologySvg(first.topology, `s${si}-topo${gi}`);
    figs.push(html`<figure class="topology" data-profiles="${g.runs.map((r) => r.profile).join(" ")}">${trusted(svg)}<figcaption>Topology under ${g.runs.map((r) => r.profile).join(", ")}: IOMMU groups as dashed boxes, StreamIDs on the edges to the SMMU.</figcaption></figure>`);
  }
  return html`${figs}`;
}

async function timelines(s: ScenarioResult, si: number): Promise<SafeHtml> {
  const parts: SafeHtml[] = [];
  for (const [ri, r] of s.runs.entries()) {
    const svg = await renderTimelineSvg(r.timeline, `s${si}-r${ri}-tl`);
    const quiet = r.timeline.quietDevices > 0 ? ` ${r.timeline.quietDevices} other device(s) were only added.` : "";
    const fig = html`<figure class="timeline" data-profile="${r.profile}">${trusted(svg)}<figcaption>Boot under ${r.label}: initcall levels and boot phases as bands, one row per device.${quiet}</figcaption></figure>`;
    parts.push(html`<details${ri === 0 ? trusted(" open") : ""}><summary>Timeline: ${r.label}</summary>${fig}</details>`);
  }
  return html`${parts}`;
}

async function counterexample(v: ViolationResult, anchor: string, r: RunResult, idPrefix: string, scenario: string): Promise<SafeHtml> {
  const svg = v.sequence.steps.length === 0 ? "" : await renderSequenceSvg(v.sequence, idPrefix);
  const evidence = v.trace.map((t) => html`<li value="${t.seq}"><code>#${t.seq}</code> ${t.event}</li>`);
  return html`<article class="cx" id="${anchor}" data-invariant="${v.invariant}" data-profile="${r.profile}">
<h4>${v.invariant} under ${r.label} on <code>${v.device ?? "-"}</code></h4>
<p>${v.message}</p>
<ol class="evidence">${evidence}</ol>
${v.choices === null ? "" : html`<p class="mono">replay: ${replayCommand(scenario, r.profile, v.choices, r.exploration?.inject ?? null)}</p>`}
${svg === "" ? "" : html`<figure class="sequence">${trusted(svg)}<figcaption>The counterexample in order: each step on the layer that acted; evidence in red.</figcaption></figure>`}
</article>`;
}

async function counterexamples(s: ScenarioResult, si: number): Promise<SafeHtml> {
  const parts: SafeHtml[] = [];
  for (const [ri, r] of s.runs.entries()) {
    const seen = new Map<string, number>();
    for (const [vi, v] of r.violations.entries()) {
      const k = (seen.get(v.invariant) ?? 0) + 1;
      seen.set(v.invariant, k);
      const base = counterexampleAnchor(si, ri, v.invariant);
      parts.push(await counterexample(v, k === 1 ? base : `${base}-${k}`, r, `s${si}-r${ri}-v${vi}`, s.scenario));
    }
  }
  return parts.length === 0 ? html`<p class="o-ok">No invariant violated under any profile.</p>` : html`${parts}`;
}

async function exploration(s: ScenarioResult, si: number): Promise<SafeHtml> {
  const rows = s.runs.flatMap((r) => (r.exploration === null ? [] : [{ profile: r.profile, exploration: r.exploration }]));
  if (rows.length === 0) return html``;
  const svg = await renderExplorerSvg(rows, `s${si}-explore`);
  const trs = rows.map(({ profile, exploration: e }) => html`<tr><th scope="row">${profile}</th><td>${e.mode}${e.complete ? "" : " (budget reached)"}</td><td class="n">${e.statesVisited}</td><td class="n">${e.distinctStates}</td><td class="n">${e.duplicateStates}</td><td class="n">${e.prunedByReduction}</td><td class="n">${e.runs}</td><td class="n">${e.naiveOrderings}</td><td>${e.violated.length === 0 ? "none" : e.violated.map((v) => `${v.invariant} (${v.devices})`).join(", ")}</td></tr>`);
  return html`<h3>Exploration</h3>
<table class="explore"><thead><tr><th>profile</th><th>mode</th><th>states visited</th><th>distinct</th><th>duplicates</th><th>pruned (POR)</th><th>runs</th><th>naive orderings</th><th>violated (devices)</th></tr></thead><tbody>${trs}</tbody></table>
<figure class="explorer">${trusted(svg)}<figcaption>Explorer statistics per profile (symmetric log scale).</figcaption></figure>`;
}

/** The section of scenario `si`. */
export async function scenarioSection(s: ScenarioResult, si: number): Promise<SafeHtml> {
  const warnings = s.runs.flatMap((r) => r.warnings.map((w) => html`<li class="warn">${r.profile}: ${w}</li>`));
  return html`<section class="scenario" id="${scenarioId(si)}" data-scenario="${s.scenario}">
<h2>${s.scenario}</h2>
${s.description === null ? "" : html`<p>${s.description}</p>`}
<p class="muted">Firmware: ${s.firmware}. Profiles: ${s.runs.map((r) => r.label).join(", ")}.</p>
${warnings.length > 0 ? html`<ul>${warnings}</ul>` : ""}
<h3>Invariants</h3>
${matrixTable(summaryOf([s], si), `matrix-${si}`, { onlyViolated: true })}
<h3>Devices across profiles</h3>
${devicesTable(s)}
<h3>Topology</h3>
${await topologies(s, si)}
<h3>Boot timeline</h3>
${await timelines(s, si)}
${await exploration(s, si)}
<h3>Counterexamples</h3>
${await counterexamples(s, si)}
</section>`;
}
