/**
 * The shared real-kernel fixtures (`fixtures`): the Debian 6.1 boot logs and QEMU command lines, CR
 * stripped. Tests that need them skip with a visible reason when they are absent.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** `fixtures/ (the repository's copy)` as seen from this package. */
export const FIXTURES = resolve(import.meta.dirname, "../../../fixtures");

/** Whether the fixtures are present. */

/** A fixture file as text, CR removed. */
export function fixtureText(rel: string): string {
  return readFileSync(resolve(FIXTURES, rel), "utf8").replace(/\r/g, "");
}

/** A fixture file as bytes. */
export function fixtureBytes(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(resolve(FIXTURES, rel)));
}

/** The kernel lines of a log without their `[ time]` prefix. */
export function kernelLines(log: string): string[] {
  const out: string[] = [];
  for (const line of log.split("\n")) {
    const m = /^\[\s*\d+\.\d+\] (.*)$/.exec(line);
    if (m !== null) out.push(m[1] as string);
  }
  return out;
}

/** One group of the /init listing: `group N type=T devices: A B` + `resv:` lines. */
export interface LoggedGroup {
  readonly id: number;
  readonly type: string;
  readonly devices: readonly string[];
  readonly reservedRegions: readonly string[];
}

/** The `=== INIT: iommu groups` listing of a boot log. */
export function loggedGroups(log: string): LoggedGroup[] {
  const out: { id: number; type: string; devices: string[]; reservedRegions: string[] }[] = [];
  const start = log.indexOf("=== INIT: iommu groups");
  if (start < 0) return out;
  for (const line of log.slice(start).split("\n").slice(1)) {
    if (line.startsWith("===")) break;
    const g = /^group (\d+) type=(\S+) devices: (.*)$/.exec(line);
    if (g !== null) {
      out.push({ id: Number(g[1]), type: g[2] as string, devices: (g[3] as string).trim().split(/\s+/).sort(), reservedRegions: [] });
      continue;
    }
    const r = /^\s+resv: (.*)$/.exec(line);
    if (r !== null) out[out.length - 1]?.reservedRegions.push((r[1] as string).trim());
  }
  return out;
}

/** The `=== INIT: pci devices` listing: device → { driver, group } ("" when none). */
export function loggedPciDevices(log: string): Map<string, { readonly driver: string; readonly group: string }> {
  const out = new Map<string, { driver: string; group: string }>();
  const start = log.indexOf("=== INIT: pci devices");
  if (start < 0) return out;
  for (const line of log.slice(start).split("\n").slice(1)) {
    if (line.startsWith("===")) break;
    const m = /^(\S+) .* driver=(\S*) iommu_group=(\S*)$/.exec(line);
    if (m !== null) out.set(m[1] as string, { driver: m[2] as string, group: m[3] as string });
  }
  return out;
}
