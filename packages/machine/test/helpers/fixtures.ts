/**
 * Test helpers over the shared real-kernel fixtures: the QEMU command lines, the guest's `hexdump -C` of every PCI
 * function's config space (the `-cfg` boot logs), and the `pci BBBB:BB:DD.F: [vvvv:dddd] type NN class 0xCCCCCC`
 * enumeration lines.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** `fixtures/ (the repository's copy)` as seen from the repo (`fixtures`). */
export const FIXTURES = resolve(import.meta.dirname, "../../../../fixtures");

/** A fixture file as text with CR stripped (the logs have CRLF line endings). */
export function fixtureText(rel: string): string {
  return readFileSync(resolve(FIXTURES, rel), "utf8").replace(/\r/g, "");
}

/** A fixture file as bytes. */
export function fixtureBytes(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(resolve(FIXTURES, rel)));
}

/**
 * Parses `hexdump -C` output (16 bytes per line, `*` for repeats of the previous line, a final offset line giving
 * the length) into bytes.
 */
export function parseHexdump(lines: readonly string[]): Uint8Array {
  const chunks: { off: number; bytes: number[] }[] = [];
  let total = 0;
  let repeatFrom: number[] | null = null;
  let pendingRepeat = false;
  for (const line of lines) {
    if (line.trim() === "*") {
      pendingRepeat = true;
      continue;
    }
    const m = /^([0-9a-f]{8})(?:\s+((?:[0-9a-f]{2}\s+){1,16}))?/.exec(line);
    if (m === null) continue;
    const off = Number.parseInt(m[1] as string, 16);
    if (pendingRepeat && repeatFrom !== null) {
      const last = chunks[chunks.length - 1];
      for (let o = (last?.off ?? 0) + 16; o < off; o += 16) chunks.push({ off: o, bytes: repeatFrom });
      pendingRepeat = false;
    }
    if (m[2] === undefined) {
      total = off;
      continue;
    }
    const bytes = m[2].trim().split(/\s+/).map((h) => Number.parseInt(h, 16));
    chunks.push({ off, bytes });
    repeatFrom = bytes;
  }
  const out = new Uint8Array(total);
  for (const c of chunks) c.bytes.forEach((b, i) => {
    if (c.off + i < total) out[c.off + i] = b;
  });
  return out;
}

/** Every `PCICFG <name> begin … end` block of a `-cfg` log, by PCI name. */
export function configDumps(log: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const re = /=== INIT: PCICFG (\S+) begin\n([\s\S]*?)=== INIT: PCICFG \1 end/g;
  for (const m of log.matchAll(re)) out.set(m[1] as string, parseHexdump((m[2] as string).split("\n")));
  return out;
}

/** The kernel's enumeration lines: name → vendor, device, header type, class. */
export function enumerationLines(log: string): Map<string, { vendor: number; device: number; type: number; classCode: number }> {
  const out = new Map<string, { vendor: number; device: number; type: number; classCode: number }>();
  for (const m of log.matchAll(/pci (\w{4}:\w{2}:\w{2}\.\w): \[(\w{4}):(\w{4})\] type (\d\d) class 0x(\w{6})/g)) {
    out.set(m[1] as string, {
      vendor: Number.parseInt(m[2] as string, 16),
      device: Number.parseInt(m[3] as string, 16),
      type: Number.parseInt(m[4] as string, 16),
      classCode: Number.parseInt(m[5] as string, 16),
    });
  }
  return out;
}
