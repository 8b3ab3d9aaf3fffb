/**
 * The boot timeline as a Vega-Lite chart: initcall levels and boot phases as shaded bands along the trace
 * (x = trace position), one row per device, a mark per step (device_add, probe attempt, deferral, bind, the SMMU's
 * probe, DMA, fault) with a fixed shape and colour per kind.
 */
import type { TopLevelSpec } from "vega-lite";
import { MARK_KINDS, type TimelineData } from "../views/timeline";
import { CHART_CONFIG, vegaLiteToSvg } from "./vega-svg";

const KIND_COLORS: Readonly<Record<(typeof MARK_KINDS)[number], string>> = {
  add: "#9aa5b1",
  probe: "#1f77b4",
  "smmu-probe": "#9467bd",
  defer: "#ff7f0e",
  bind: "#2ca02c",
  unbind: "#8c564b",
  remove: "#7f7f7f",
  dma: "#17becf",
  fault: "#d62728",
};

const KIND_SHAPES: Readonly<Record<(typeof MARK_KINDS)[number], string>> = {
  add: "circle",
  probe: "triangle-right",
  "smmu-probe": "diamond",
  defer: "triangle-down",
  bind: "square",
  unbind: "square",
  remove: "cross",
  dma: "circle",
  fault: "cross",
};

/** The chart's width in pixels. */
export const TIMELINE_WIDTH = 860;

/** The Vega-Lite spec of a timeline. */
export function timelineSpec(t: TimelineData): TopLevelSpec {
  const devices: string[] = [];
  for (const m of t.marks) if (!devices.includes(m.device)) devices.push(m.device);
  const end = Math.max(t.end, 1);
  let lastLabelPx = -Infinity;
  const bands = t.bands.map((b, i) => {
    const mid = (b.from + b.to + 1) / 2;
    const px = (mid / (end + 1)) * TIMELINE_WIDTH;
    const labelled = px - lastLabelPx >= 13;
    if (labelled) lastLabelPx = px;
    return { ...b, to1: b.to + 1, mid, shade: i % 2, labelled };
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    config: CHART_CONFIG,
    width: TIMELINE_WIDTH,
    height: Math.max(40, devices.length * 16),
    resolve: { scale: { color: "independent", shape: "independent" } },
    layer: [
      {
        data: { values: bands },
        mark: { type: "rect", opacity: 0.5 },
        encoding: {
          x: { field: "from", type: "quantitative", scale: { domain: [0, end + 1], nice: false, zero: true }, title: "trace position (event #)" },
          x2: { field: "to1" },
          color: { field: "shade", type: "nominal", scale: { domain: [0, 1], range: ["#f1f3f5", "#e3e8ee"] }, legend: null },
        },
      },
      {
        data: { values: bands },
        transform: [{ filter: "datum.labelled" }],
        mark: { type: "text", align: "left", baseline: "middle", dx: 0, dy: -4, fontSize: 10, color: "#555", angle: 325 },
        encoding: { x: { field: "mid", type: "quantitative" }, y: { value: 0 }, text: { field: "label" } },
      },
      {
        data: { values: t.marks.map((m) => ({ ...m })) },
        mark: { type: "point", filled: true, size: 60, opacity: 0.9, aria: true },
        encoding: {
          x: { field: "seq", type: "quantitative" },
          y: { field: "device", type: "nominal", sort: devices, title: null, axis: { labelLimit: 220 } },
          color: { field: "kind", type: "nominal", scale: { domain: [...MARK_KINDS], range: MARK_KINDS.map((k) => KIND_COLORS[k]) }, title: null, legend: { orient: "bottom", direction: "horizontal", columns: MARK_KINDS.length } },
          shape: { field: "kind", type: "nominal", scale: { domain: [...MARK_KINDS], range: MARK_KINDS.map((k) => KIND_SHAPES[k]) }, title: null, legend: { orient: "bottom", direction: "horizontal", columns: MARK_KINDS.length } },
          description: { field: "label" },
        },
      },
    ],
  } as TopLevelSpec;
}

/** The timeline as SVG. */
export function renderTimelineSvg(t: TimelineData, idPrefix: string): Promise<string> {
  return vegaLiteToSvg(timelineSpec(t), idPrefix);
}
