/**
 * The explorer's statistics as a grouped bar chart: per profile, states visited, distinct states, duplicates hit,
 * transitions pruned by partial-order reduction and complete runs, on a symmetric-log scale: the counts span orders
 * of magnitude and include zeros, which a log scale cannot place (its bars then have no height at all).
 */
import type { TopLevelSpec } from "vega-lite";
import type { ExplorationResult } from "../result";
import { CHART_CONFIG, vegaLiteToSvg } from "./vega-svg";

const METRICS = ["states visited", "distinct states", "duplicates", "pruned (POR)", "runs"] as const;

/** The Vega-Lite spec of the exploration chart. */
export function explorerSpec(rows: readonly { readonly profile: string; readonly exploration: ExplorationResult }[]): TopLevelSpec {
  const values = rows.flatMap(({ profile, exploration: e }) => {
    const v = [e.statesVisited, e.distinctStates, e.duplicateStates, e.prunedByReduction, e.runs];
    return METRICS.map((metric, i) => ({ profile, metric, count: v[i] ?? 0 }));
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    config: CHART_CONFIG,
    width: { step: 14 },
    height: 220,
    data: { values },
    mark: { type: "bar" },
    encoding: {
      x: { field: "profile", type: "nominal", sort: rows.map((r) => r.profile), title: null, axis: { labelAngle: 0 } },
      xOffset: { field: "metric", type: "nominal", sort: [...METRICS] },
      y: { field: "count", type: "quantitative", scale: { type: "symlog" }, title: "count (symlog scale)" },
      color: { field: "metric", type: "nominal", sort: [...METRICS], scale: { scheme: "tableau10" }, title: null },
      description: { field: "count" },
    },
  } as TopLevelSpec;
}

/** The exploration chart as SVG. */
export function renderExplorerSvg(rows: readonly { readonly profile: string; readonly exploration: ExplorationResult }[], idPrefix: string): Promise<string> {
  return vegaLiteToSvg(explorerSpec(rows), idPrefix);
}
