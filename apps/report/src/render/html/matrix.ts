/**
 * The summary matrix in HTML: invariants × profiles, each non-zero cell a link to its first counterexample, with
 * `data-` attributes naming the invariant, profile and count (what the browser test reads back).
 */
import type { SummaryMatrix } from "../../summary";
import { html, type SafeHtml } from "./escape";

/**
 * The matrix table; `id` names the table element. With `onlyViolated`, invariants that hold under every profile
 * are left out (and listed in one line under the table).
 */
export function matrixTable(m: SummaryMatrix, id: string, options: { readonly onlyViolated?: boolean } = {}): SafeHtml {
  const head = m.profiles.map((p) =>
    html`<th scope="col" data-profile="${p.name}" title="${p.label}">${p.name}${p.hypothetical ? html`<br><span class="hyp">hypothetical</span>` : ""}</th>`,
  );
  const shown = m.invariants.map((inv, i) => ({ inv, i })).filter(({ i }) => options.onlyViolated !== true || (m.cells[i] ?? []).some((c) => c.devices > 0));
  const held = m.invariants.filter((inv) => !shown.some((x) => x.inv === inv));
  const note = options.onlyViolated === true && held.length > 0 ? html`<p class="muted">Hold under every profile: ${held.join(", ")}.</p>` : "";
  if (shown.length === 0) return html`<p class="o-ok" id="${id}">No invariant violated under any profile.</p>`;
  const rows = shown.map(({ inv, i }) => {
    const cells = (m.cells[i] ?? []).map((c) => {
      if (c.devices === 0) return html`<td class="n zero" data-invariant="${inv}" data-profile="${c.profile}" data-devices="0">·</td>`;
      const title = `${c.devices} device(s) in ${c.scenarios.join(", ")}`;
      return html`<td class="n bad" data-invariant="${inv}" data-profile="${c.profile}" data-devices="${c.devices}"><a href="#${c.anchor ?? ""}" title="${title}">${c.devices}</a></td>`;
    });
    return html`<tr><th scope="row">${inv}</th>${cells}</tr>`;
  });
  return html`<table class="matrix" id="${id}"><thead><tr><th>invariant</th>${head}</tr></thead><tbody>${rows}</tbody></table>${note}`;
}
