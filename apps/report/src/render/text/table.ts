/**
 * Plain-text tables and the few colours the terminal output uses. Colour codes are added only when the caller's
 * {@link CliIo} allows them (a terminal, no `NO_COLOR`), and widths are measured without them.
 */

/** A colouring function (identity when colour is off). */
export type Paint = (s: string) => string;

/** The palette. */
export interface Palette {
  readonly red: Paint;
  readonly green: Paint;
  readonly yellow: Paint;
  readonly dim: Paint;
  readonly bold: Paint;
}

const sgr = (open: number, close: number): Paint => (s) => `\u001b[${open}m${s}\u001b[${close}m`;
const plain: Paint = (s) => s;

/** The palette for `color`. */
export function palette(color: boolean): Palette {
  return color
    ? { red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) }
    : { red: plain, green: plain, yellow: plain, dim: plain, bold: plain };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Display width (ANSI codes removed). */
export function visibleLength(s: string): number {
  return s.replace(ANSI, "").length;
}

/** Control characters from input are shown escaped, never sent to the terminal. */
export function sanitizeTerminal(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/**
 * A table: header row, a rule, then rows; columns padded to their widest cell. `align` per column (`r` right,
 * else left). Cells are sanitised; colour is applied by `paint` after padding so widths stay right.
 */
export function textTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: { readonly align?: readonly ("l" | "r")[]; readonly paint?: (row: number, col: number, cell: string) => string } = {},
): string {
  const clean = rows.map((r) => r.map(sanitizeTerminal));
  const head = header.map(sanitizeTerminal);
  const widths = head.map((h, i) => Math.max(visibleLength(h), ...clean.map((r) => visibleLength(r[i] ?? ""))));
  const pad = (s: string, i: number): string => {
    const w = widths[i] ?? 0;
    const fill = " ".repeat(Math.max(0, w - visibleLength(s)));
    return options.align?.[i] === "r" ? fill + s : s + fill;
  };
  const lines = [head.map(pad).join("  ").trimEnd(), widths.map((w) => "-".repeat(w)).join("  ")];
  clean.forEach((r, ri) => {
    lines.push(
      r
        .map((c, ci) => {
          const padded = pad(c, ci);
          return options.paint === undefined ? padded : options.paint(ri, ci, padded);
        })
        .join("  ")
        .trimEnd(),
    );
  });
  return `${lines.join("\n")}\n`;
}
