/**
 * HTML built with a tagged template that escapes every interpolated value unless it is a {@link SafeHtml} made by
 * this module. Names from input (DT node names, compatible strings, scenario and device names, messages) therefore
 * reach the page as text: `<img src=x onerror=alert(1)>` renders as those characters.
 */

/** HTML that is already escaped or built by {@link html}. */
export interface SafeHtml {
  readonly __html: string;
}

/** Escapes text for element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** Marks trusted markup (rendered SVG from our chart and graph renderers, the inlined stylesheet). */
export function trusted(markup: string): SafeHtml {
  return { __html: markup };
}

function isSafe(v: unknown): v is SafeHtml {
  return typeof v === "object" && v !== null && "__html" in v && typeof (v as SafeHtml).__html === "string";
}

/** A value an {@link html} template accepts. */
export type HtmlValue = string | number | boolean | null | undefined | SafeHtml | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return "";
  if (Array.isArray(v)) return (v as readonly HtmlValue[]).map(render).join("");
  if (isSafe(v)) return v.__html;
  return escapeHtml(String(v));
}

/** The tagged template: static parts as written, values escaped (arrays joined, SafeHtml inserted as is). */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? "");
  });
  return { __html: out };
}

/** An id fragment safe in `id` and `href="#..."`: lower-case letters, digits and dashes. */
export function idSafe(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
