/**
 * A counterexample as a sequence chart: one lifeline per layer (driver core, bus notifier, driver, firmware, arm64
 * DMA, IOMMU core, SMMU driver, SMMU hardware, device), one row per event top to bottom, a dot on the lane that
 * acted, a line to the next step, and the event's text beside it; the evidence events in red.
 */
import type { TopLevelSpec } from "vega-lite";
import { SEQUENCE_LANES, type SequenceData } from "../views/sequence";
import { CHART_CONFIG, vegaLiteToSvg } from "./vega-svg";

const LANE_WIDTH = 62;
const ROW = 18;

/** The Vega-Lite spec of a sequence. */
export function sequenceSpec(s: SequenceData): TopLevelSpec {
  const n = Math.max(s.steps.length, 1);
  const steps = s.steps.map((st, i) => ({
    i,
    lane: st.lane,
    evidence: st.evidence,
    text: `${st.skippedBefore > 0 ? `(+${st.skippedBefore}) ` : ""}#${st.seq} ${st.text}`,
  }));
  const links = steps.slice(1).map((st, k) => ({ lane: (steps[k] as (typeof steps)[number]).lane, lane2: st.lane, i: k, i2: k + 1 }));
  const lanes = SEQUENCE_LANES.map((lane) => ({ lane, top: -0.5, bottom: n - 0.5 }));
  const width = LANE_WIDTH * SEQUENCE_LANES.length;
  const y = { type: "quantitative" as const, scale: { domain: [-0.5, n - 0.5], reverse: true, nice: false, zero: false }, axis: null };
  const x = { type: "nominal" as const, scale: { domain: [...SEQUENCE_LANES], type: "point" as const, padding: 0.5 } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    config: CHART_CONFIG,
    width,
    height: n * ROW,
    resolve: { scale: { color: "independent" } },
    layer: [
      {
        data: { values: lanes },
        mark: { type: "rule", color: "#c8ced6", strokeDash: [3, 3] },
        encoding: {
          x: { field: "lane", ...x, axis: { orient: "top", title: null, labelAngle: -35, labelAlign: "left", domain: false, ticks: false } },
          y: { field: "top", ...y },
          y2: { field: "bottom" },
        },
      },
      {
        data: { values: links },
        mark: { type: "rule", color: "#8a96a3", strokeWidth: 1 },
        encoding: { x: { field: "lane", ...x }, x2: { field: "lane2" }, y: { field: "i", ...y }, y2: { field: "i2" } },
      },
      {
        data: { values: steps },
        mark: { type: "circle", size: 55, opacity: 1 },
        encoding: {
          x: { field: "lane", ...x },
          y: { field: "i", ...y },
          color: { field: "evidence", type: "nominal", scale: { domain: [false, true], range: ["#1f77b4", "#d62728"] }, legend: null },
        },
      },
      ...[false, true].map((evidence) => ({
        data: { values: steps.filter((st) => st.evidence === evidence) },
        mark: { type: "text", align: "left", baseline: "middle", fontSize: 11, limit: 620, color: evidence ? "#c00000" : "#222", fontWeight: evidence ? "bold" : "normal" },
        encoding: { x: { value: width + 10 }, y: { field: "i", ...y }, text: { field: "text" } },
      })),
    ],
  } as TopLevelSpec;
}

/** The sequence as SVG. */
export function renderSequenceSvg(s: SequenceData, idPrefix: string): Promise<string> {
  return vegaLiteToSvg(sequenceSpec(s), idPrefix);
}
