/**
 * Vega-Lite specifications rendered to SVG in Node at report time (`vega.View.toSVG()` needs no canvas or DOM);
 * the page embeds the SVG and loads no chart library. Data are passed inline, never loaded, so nothing is fetched.
 */
import { logger, None, parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { prefixSvgIds } from "./svg-ids";

/** The look shared by every chart (system font stack, no background frame). */
export const CHART_CONFIG = {
  aria: false,
  font: "sans-serif",
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 11, labelColor: "#333", titleColor: "#333", gridColor: "#eee" },
  legend: { labelFontSize: 11, titleFontSize: 11 },
} as const;

/** Renders a Vega-Lite spec to an SVG string whose ids start with `idPrefix`. */
export async function vegaLiteToSvg(spec: TopLevelSpec, idPrefix: string): Promise<string> {
  const vg = compile(spec, { logger: logger(None) }).spec;
  const view = new View(parse(vg), { renderer: "none", logLevel: None });
  try {
    const svg = await view.toSVG();
    return prefixSvgIds(svg, idPrefix);
  } finally {
    view.finalize();
  }
}
