/**
 * Test helpers over the shared real-kernel fixtures (`fixtures`): QEMU command lines, boot logs (CRLF
 * stripped), and the guest's `hexdump -C` of each function's config space in the `-cfg` boots.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** `fixtures/ (the repository's copy)` as seen from the repository (`fixtures`). */
export const FIXTURES = resolve(import.meta.dirname, "../../../../fixtures");

/** Whether the fixtures are present (tests that need them skip with this reason otherwise). */

/** A fixture as text, CR removed. */
export function fixtureText(rel: string): string {
  return readFileSync(resolve(FIXTURES, rel), "utf8").replace(/\r/g, "");
}

/** The log lines without their `[ time]` prefix (non-kernel lines dropped). */
export function kernelLines(log: string): string[] {
  const out: string[] = [];
  for (const line of log.split("\n")) {
    const m = /^\[\s*\d+\.\d+\] (.*)$/.exec(line);
    if (m !== null) out.push(m[1] as string);
  }
  return out;
}

/** Parses `hexdump -C` output (`*` repeats the previous line; the last offset line gives the length). */
export function parseHexdump(lines: readonly string[]): Uint8Array {
  const chunks: { off: number; bytes: number[] }[] = [];
  let total = 0;
  let last: number[] | null = null;
  let repeat = false;
  for (const line of lines) {
    if (line.trim() === "*") {
      repeat = true;
      continue;
    }
    const m = /^([0-9a-f]{8})(?:\s+((?:[0-9a-f]{2}\s+){1,16}))?/.exec(line);
    if (m === null) continue;
    const off = Number.parseInt(m[1] as string, 16);
    if (repeat && last !== null) {
      const prev = chunks[chunks.length - 1];
      for (let o = (prev?.off ?? 0) + 16; o < off; o += 16) chunks.push({ off: o, bytes: last });
      repeat = false;
    }
    if (m[2] === undefined) {
      total = off;
      continue;
    }
    last = m[2].trim().split(/\s+/).map((h) => Number.parseInt(h, 16));
    chunks.push({ off, bytes: last });
  }
  const out = new Uint8Array(total);
  for (const c of chunks) c.bytes.forEach((b, i) => {
    if (c.off + i < total) out[c.off + i] = b;
  });
  return out;
}

/** Every `PCICFG <name> begin … end` dump of a `-cfg` log, by PCI name. */
export function configDumps(log: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const m of log.matchAll(/=== INIT: PCICFG (\S+) begin\n([\s\S]*?)=== INIT: PCICFG \1 end/g)) {
    out.set(m[1] as string, parseHexdump((m[2] as string).split("\n")));
  }
  return out;
}

/** A little-endian 16-bit value of a dump. */
export function le16(bytes: Uint8Array, off: number): number {
  return (bytes[off] ?? 0) | ((bytes[off + 1] ?? 0) << 8);
}

/** A little-endian 32-bit value of a dump. */
export function le32(bytes: Uint8Array, off: number): number {
  return (le16(bytes, off) | (le16(bytes, off + 2) << 16)) >>> 0;
}
