/**
 * Markdown escaping for text that comes from input (device, driver, scenario names, messages): inline markup,
 * HTML and table pipes become literal text.
 */

/** Escapes `s` for use in Markdown running text or a table cell. */
export function mdEscape(s: string): string {
  return s
    .replace(/[\r\n]+/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_{}[\]()#+!|~])/g, "\\$1");
}

/** A fenced code block that input cannot close early. */
export function mdCode(lines: readonly string[]): string {
  const body = lines.map((l) => l.replace(/`{3,}/g, (m) => m.split("").join("\u200b"))).join("\n");
  return `\`\`\`\n${body}\n\`\`\``;
}

/** A Markdown table. */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ("l" | "r")[]): string {
  const rule = header.map((_, i) => (align?.[i] === "r" ? "---:" : "---"));
  return [header, rule, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}
