/**
 * `%pR` as lib/vsprintf.c prints PCI resources: `[bus 01-ff]` (a single number when start = end), `[io  0x1000-0x1fff]`
 * (at least 4 hex digits), `[mem 0x10000000-0x3efeffff]` (at least 8), with ` 64bit`, ` pref`, ` window` decorations.
 *
 * @see lib/vsprintf.c resource_string
 */

/**
 * The kind of a resource as `%pR` decorates it.
 *
 * @see lib/vsprintf.c resource_string
 */
export type ResourceKind = "io" | "mem" | "bus";

/**
 * Decorations printed after the range.
 *
 * @see lib/vsprintf.c resource_string
 */
export interface ResourceFlags {
  readonly mem64?: boolean;
  readonly prefetch?: boolean;
  readonly window?: boolean;
}

function num(n: number, digits: number): string {
  return `0x${n.toString(16).padStart(digits, "0")}`;
}

/**
 * `%pR` of a bus-number resource: `[bus 01-ff]`, `[bus 03]`.
 *
 * @see lib/vsprintf.c resource_string
 */
export function formatBusRange(start: number, end: number): string {
  const h = (n: number): string => n.toString(16).padStart(2, "0");
  return start === end ? `[bus ${h(start)}]` : `[bus ${h(start)}-${h(end)}]`;
}

/**
 * `%pR` of an I/O or memory resource.
 *
 * @see lib/vsprintf.c resource_string
 */
export function formatResource(kind: ResourceKind, start: number, end: number, flags: ResourceFlags = {}): string {
  if (kind === "bus") return formatBusRange(start, end);
  const digits = kind === "io" ? 4 : 8;
  const range = start === end ? num(start, digits) : `${num(start, digits)}-${num(end, digits)}`;
  const deco = `${flags.mem64 === true ? " 64bit" : ""}${flags.prefetch === true ? " pref" : ""}${flags.window === true ? " window" : ""}`;
  return `[${kind === "io" ? "io  " : "mem "}${range}${deco}]`;
}
