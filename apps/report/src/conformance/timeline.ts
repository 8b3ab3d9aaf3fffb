/**
 * The predicted and the real boot side by side: the key events of each (group allocations and adds, deferrals and
 * retries, collisions, failed adds, SMMU events, driver binds, the default-domain lines), aligned by a longest
 * common subsequence of their descriptions so matching steps share a row and the missing or extra steps stand out.
 * Times are shown as each side has them (the model's simulated clock, the real kernel's timestamps).
 */
import { formatTime } from "@dmasim/driver-core";
import type { LogEvent, LogPosition } from "./log/records";

/** One row: a step of either side, or of both. */
export interface TimelineRow {
  readonly predicted: { readonly time: number | null; readonly text: string } | null;
  readonly observed: { readonly time: number | null; readonly text: string } | null;
}

/** The event description both sides are matched on, or null for events not on the timeline. */
export function timelineText(e: LogEvent): string | null {
  switch (e.type) {
    case "iommu-group-add":
      return `${e.device}: Adding to iommu group ${e.group}`;
    case "deferred-add":
      return `${e.device}: Added to deferred list`;
    case "deferred-retry":
      return `${e.device}: Retrying from deferred list`;
    case "smmu-stream-collision":
      return `${e.device}: stream ${e.streamId} already in tree`;
    case "iommu-add-failed":
      return `${e.device}: Adding to IOMMU failed: ${e.ret}`;
    case "smmu-event":
      return `SMMU event 0x${e.id.toString(16)}: ${e.dwords.join(" ")}`;
    case "driver-bound":
      return `${e.device}: bound to ${e.driver}`;
    case "iommu-default-domain":
      return `Default domain type: ${e.domain}${e.viaCmdline ? " (set via kernel command line)" : ""}`;
    case "iommu-dma-policy":
      return `TLB invalidation policy: ${e.policy}`;
    default:
      return null;
  }
}

type Step = { readonly time: number | null; readonly text: string };

function steps(events: readonly (LogEvent & Partial<LogPosition>)[]): Step[] {
  return events.flatMap((e) => {
    const text = timelineText(e);
    return text === null ? [] : [{ time: e.time ?? null, text }];
  });
}

/** Aligns the two event sequences (LCS on the descriptions; O(n·m) with n, m the numbers of key events). */
export function alignTimelines(predicted: readonly (LogEvent & Partial<LogPosition>)[], observed: readonly (LogEvent & Partial<LogPosition>)[]): TimelineRow[] {
  const a = steps(predicted);
  const b = steps(observed);
  const n = a.length;
  const m = b.length;
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] = a[i]?.text === b[j]?.text ? (lcs[(i + 1) * (m + 1) + j + 1] ?? 0) + 1 : Math.max(lcs[(i + 1) * (m + 1) + j] ?? 0, lcs[i * (m + 1) + j + 1] ?? 0);
    }
  }
  const rows: TimelineRow[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i]?.text === b[j]?.text) {
      rows.push({ predicted: a[i] ?? null, observed: b[j] ?? null });
      i++;
      j++;
    } else if (j >= m || (i < n && (lcs[(i + 1) * (m + 1) + j] ?? 0) >= (lcs[i * (m + 1) + j + 1] ?? 0))) {
      rows.push({ predicted: a[i] ?? null, observed: null });
      i++;
    } else {
      rows.push({ predicted: null, observed: b[j] ?? null });
      j++;
    }
  }
  return rows;
}

/** The aligned timelines as two text columns (`=` where both sides have the step, `<`/`>` where one lacks it). */
export function renderTimelineText(rows: readonly TimelineRow[]): string {
  const cell = (s: Step | null): string => (s === null ? "" : `${s.time === null ? "" : `[${formatTime(s.time)}] `}${s.text}`);
  const width = Math.max("predicted (dmasim v6.1)".length, ...rows.map((r) => cell(r.predicted).length));
  const lines = [`${"predicted (dmasim v6.1)".padEnd(width)}    observed (real kernel)`];
  for (const r of rows) {
    const mark = r.predicted !== null && r.observed !== null ? "=" : r.predicted === null ? ">" : "<";
    lines.push(`${cell(r.predicted).padEnd(width)}  ${mark} ${cell(r.observed)}`.trimEnd());
  }
  return lines.join("\n");
}
