/**
 * Stable, page-unique ids inside embedded SVG. Chart and graph libraries number their clip paths, gradients and
 * nodes with counters that depend on what was rendered before in the process; several SVGs in one page would also
 * collide. Every id is renamed to `PREFIX-N` in order of first appearance, with its references (`url(#id)`,
 * `href="#id"`) rewritten, so the same input gives the same bytes.
 */

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Renames every `id` in `svg` to `prefix-N` and rewrites references to it. */
export function prefixSvgIds(svg: string, prefix: string): string {
  const ids: string[] = [];
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) if (!ids.includes(m[1] as string)) ids.push(m[1] as string);
  if (ids.length === 0) return svg;
  const map = new Map(ids.map((id, i) => [id, `${prefix}-${i}`]));
  const alternation = ids.map(escapeRegExp).sort((a, b) => b.length - a.length).join("|");
  return svg
    .replace(new RegExp(`(\\sid=")(${alternation})(")`, "g"), (_m, a: string, id: string, b: string) => `${a}${map.get(id)}${b}`)
    .replace(new RegExp(`(url\\(#)(${alternation})(\\))`, "g"), (_m, a: string, id: string, b: string) => `${a}${map.get(id)}${b}`)
    .replace(new RegExp(`((?:xlink:)?href="#)(${alternation})(")`, "g"), (_m, a: string, id: string, b: string) => `${a}${map.get(id)}${b}`);
}
