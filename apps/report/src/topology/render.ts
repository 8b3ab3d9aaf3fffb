/**
 * The topology laid out and drawn by Graphviz (`dot`, compiled to WebAssembly by @hpcc-js/wasm-graphviz) in Node at
 * report time; the page embeds the SVG. The XML prolog, DOCTYPE, comments and `<title>` elements (which carry only
 * generated ids) are dropped and ids are made page-unique and stable.
 */
import { Graphviz } from "@hpcc-js/wasm-graphviz";
import { prefixSvgIds } from "../charts/svg-ids";
import type { TopologyData } from "../views/topology";
import { topologyDot } from "./dot";

let loading: Promise<Graphviz> | null = null;

/** The Graphviz instance (loaded once per process). */
function graphviz(): Promise<Graphviz> {
  loading ??= Graphviz.load();
  return loading;
}

/**
 * Strips what a page does not need from Graphviz's SVG, and lets the browser fall back to any monospace font where
 * Courier is missing. The layout names plain `Courier` because that is the name Graphviz's text-width estimate
 * knows (0.6 em a character, as every monospace font): with a font list it would measure in Times and draw boxes
 * narrower than their labels.
 */
export function cleanGraphvizSvg(svg: string): string {
  return svg
    .replace(/font-family="Courier"/g, 'font-family="Courier,monospace"')
    .replace(/<\?xml[^>]*\?>\s*/g, "")
    .replace(/<!DOCTYPE[^>]*>\s*/g, "")
    .replace(/<!--[\s\S]*?-->\s*/g, "")
    .replace(/<title>[^<]*<\/title>\s*/g, "")
    .trim();
}

/** The topology as SVG with ids starting `idPrefix`. */
export async function renderTopologySvg(t: TopologyData, idPrefix: string): Promise<string> {
  const gv = await graphviz();
  return prefixSvgIds(cleanGraphvizSvg(gv.dot(topologyDot(t))), idPrefix);
}
