/**
 * Reads busybox `hexdump -C` output back into bytes (the PCI config spaces and ACPI tables `/init` prints): lines of
 * `OFFSET  xx xx ... |ascii|`, a `*` for repeats of the previous line, and a final line with the total length.
 */

/** The bytes, or a typed error naming the line (relative to the dump). */
export function parseHexdump(lines: readonly string[]): { ok: true; value: Uint8Array } | { ok: false; error: { index: number; message: string } } {
  const MAX = 1 << 20;
  let out = new Uint8Array(0);
  let end = 0;
  let prev: number[] | null = null;
  let repeatFrom: number | null = null;
  const ensure = (n: number): void => {
    if (n <= out.length) return;
    const grown = new Uint8Array(Math.max(n, out.length * 2));
    grown.set(out);
    out = grown;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trimEnd();
    if (line === "") continue;
    if (line === "*") {
      repeatFrom = end;
      continue;
    }
    const m = /^([0-9a-f]{8})(?:\s+((?:[0-9a-f]{2}\s{1,2}){0,16}))?(?:\s*\|.*\|)?$/.exec(line);
    if (m === null) return { ok: false, error: { index: i, message: `not a hexdump line: ${line.slice(0, 40)}` } };
    const offset = Number.parseInt(m[1] as string, 16);
    if (offset > MAX) return { ok: false, error: { index: i, message: `offset 0x${offset.toString(16)} too large` } };
    if (repeatFrom !== null && prev !== null) {
      ensure(offset);
      for (let o = repeatFrom; o + prev.length <= offset; o += prev.length) out.set(prev, o);
      repeatFrom = null;
    }
    const bytes = (m[2] ?? "").trim() === "" ? [] : (m[2] as string).trim().split(/\s+/).map((b) => Number.parseInt(b, 16));
    if (offset < end && bytes.length > 0) return { ok: false, error: { index: i, message: "offsets go backwards" } };
    ensure(offset + bytes.length);
    out.set(bytes, offset);
    end = offset + bytes.length;
    if (bytes.length === 0) end = offset;
    else prev = bytes;
  }
  return { ok: true, value: out.slice(0, end) };
}
