/**
 * The per-device table across profiles: one row per device that has a driver, an IOMMU, DMA, deferrals or leaks
 * under some profile (or differs between profiles), one column per profile; a cell whose outcome differs from the
 * profile to its left is highlighted.
 */
import type { DeviceResult, ScenarioResult } from "../../result";
import { deviceCellKey, deviceNamesAcross, formatGroup, formatStreamIds, interestingDevice } from "../format";
import { html, type SafeHtml } from "./escape";

function cell(d: DeviceResult | undefined, changed: boolean): SafeHtml {
  if (d === undefined) return html`<td class="absent${changed ? " changed" : ""}">absent</td>`;
  const dma = d.dma.map((x) => html`<span class="o-${x.outcome}">${x.op} ${x.outcome}${x.event === undefined ? "" : ` 0x${x.event.toString(16)}`}</span>`);
  const joined: SafeHtml[] = [];
  dma.forEach((x, i) => joined.push(i === 0 ? x : html`, ${x}`));
  return html`<td class="${changed ? "changed" : ""}" data-device="${d.name}">
<div><b>${d.driver ?? "no driver"}</b> · <span class="badge">${d.dmaOps}</span></div>
<div class="muted">group ${formatGroup(d)} · SID ${formatStreamIds(d.streamIds)}${d.deferrals > 0 ? ` · ${d.deferrals} deferral(s)` : ""}</div>
${d.dma.length > 0 ? html`<div>DMA: ${joined}</div>` : ""}${d.leaks.length > 0 ? html`<div class="o-fault">${d.leaks.length} leak(s): ${d.leaks.map((l) => l.detail).join("; ")}</div>` : ""}</td>`;
}

/** The table of a scenario's devices across its runs. */
export function devicesTable(s: ScenarioResult): SafeHtml {
  const rows: SafeHtml[] = [];
  for (const name of deviceNamesAcross(s.runs)) {
    const cells = s.runs.map((r) => r.devices.find((d) => d.name === name));
    if (!interestingDevice(cells)) continue;
    const tds = cells.map((d, i) => cell(d, i > 0 && deviceCellKey(cells[i - 1]) !== deviceCellKey(d)));
    const bus = cells.find((d) => d !== undefined)?.bus ?? "";
    rows.push(html`<tr><th scope="row"><code>${name}</code><div class="muted">${bus}</div></th>${tds}</tr>`);
  }
  if (rows.length === 0) return html`<p class="muted">No device with a driver, an IOMMU or DMA.</p>`;
  const head = s.runs.map((r) => html`<th scope="col">${r.profile}${r.hypothetical ? html` <span class="hyp">(hypothetical)</span>` : ""}</th>`);
  return html`<table class="devices"><thead><tr><th>device</th>${head}</tr></thead><tbody>${rows}</tbody></table>
<p class="muted">Highlighted: the outcome changed from the profile to its left.</p>`;
}
