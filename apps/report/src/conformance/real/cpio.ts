/**
 * The initramfs archive format: "new ASCII" cpio (`070701`), written by this code so no `cpio` binary, root or
 * `mknod` is needed (device nodes are plain archive entries). Every header field is eight hex digits; names and
 * data are padded to four bytes; the archive ends with `TRAILER!!!`. Timestamps are 0, so the bytes are
 * deterministic.
 *
 * @see Documentation/driver-api/early-userspace/buffer-format.rst
 * @see init/initramfs.c do_header
 */
import { gzipSync } from "node:zlib";

/** One archive entry. Paths are relative (`bin/busybox`), without a leading slash. */
export type CpioEntry =
  | { readonly kind: "dir"; readonly path: string; readonly mode?: number }
  | { readonly kind: "file"; readonly path: string; readonly data: Uint8Array; readonly mode?: number }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string }
  | {
      readonly kind: "char";
      readonly path: string;
      readonly major: number;
      readonly minor: number;
      readonly mode?: number;
    };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

interface Header {
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly size: number;
  readonly rdevMajor: number;
  readonly rdevMinor: number;
  readonly name: string;
}

function header(h: Header): Uint8Array {
  const name = new TextEncoder().encode(`${h.name}\0`);
  const fields = [h.ino, h.mode, 0, 0, h.nlink, 0, h.size, 0, 0, h.rdevMajor, h.rdevMinor, name.length, 0];
  const head = new TextEncoder().encode(`070701${fields.map(hex8).join("")}`);
  const out = new Uint8Array(head.length + name.length + pad4(head.length + name.length));
  out.set(head, 0);
  out.set(name, head.length);
  return out;
}

/** Writes the entries (in the order given) and the trailer as one newc archive. */
export function writeCpioNewc(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let ino = 1;
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, "");
    let data: Uint8Array = new Uint8Array(0);
    let mode: number;
    let nlink = 1;
    let rdevMajor = 0;
    let rdevMinor = 0;
    switch (e.kind) {
      case "dir":
        mode = S_IFDIR | (e.mode ?? 0o755);
        nlink = 2;
        break;
      case "file":
        mode = S_IFREG | (e.mode ?? 0o644);
        data = e.data;
        break;
      case "symlink":
        mode = S_IFLNK | 0o777;
        data = new TextEncoder().encode(e.target);
        break;
      case "char":
        mode = S_IFCHR | (e.mode ?? 0o600);
        rdevMajor = e.major;
        rdevMinor = e.minor;
        break;
    }
    parts.push(header({ ino: ino++, mode, nlink, size: data.length, rdevMajor, rdevMinor, name }));
    if (data.length > 0) {
      parts.push(data);
      parts.push(new Uint8Array(pad4(data.length)));
    }
  }
  parts.push(header({ ino: 0, mode: 0, nlink: 1, size: 0, rdevMajor: 0, rdevMinor: 0, name: "TRAILER!!!" }));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total + pad4(total) + ((512 - ((total + pad4(total)) % 512)) % 512));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A parsed archive entry (for tests and inspection). */
export interface CpioReadEntry {
  readonly name: string;
  readonly mode: number;
  readonly rdevMajor: number;
  readonly rdevMinor: number;
  readonly data: Uint8Array;
}

/** Reads a newc archive back (up to the trailer); a typed error names the offset of a bad header. */
export function readCpioNewc(bytes: Uint8Array): { ok: true; value: CpioReadEntry[] } | { ok: false; error: { offset: number; message: string } } {
  const out: CpioReadEntry[] = [];
  const dec = new TextDecoder();
  let off = 0;
  for (;;) {
    if (off + 110 > bytes.length) return { ok: false, error: { offset: off, message: "truncated header" } };
    const head = dec.decode(bytes.subarray(off, off + 110));
    if (!head.startsWith("070701")) return { ok: false, error: { offset: off, message: "bad magic" } };
    const f = (i: number): number => Number.parseInt(head.slice(6 + i * 8, 14 + i * 8), 16);
    const mode = f(1);
    const size = f(6);
    const namesize = f(11);
    if (!Number.isFinite(size) || !Number.isFinite(namesize)) return { ok: false, error: { offset: off, message: "bad hex field" } };
    const nameStart = off + 110;
    if (nameStart + namesize > bytes.length) return { ok: false, error: { offset: off, message: "name past the end" } };
    const name = dec.decode(bytes.subarray(nameStart, nameStart + namesize - 1));
    const dataStart = nameStart + namesize + pad4(110 + namesize);
    if (dataStart + size > bytes.length) return { ok: false, error: { offset: off, message: "data past the end" } };
    if (name === "TRAILER!!!") return { ok: true, value: out };
    out.push({ name, mode, rdevMajor: f(9), rdevMinor: f(10), data: bytes.subarray(dataStart, dataStart + size) });
    off = dataStart + size + pad4(size);
  }
}

/** gzip of an archive, as the kernel's initramfs unpacker accepts it. */
export function gzipCpio(archive: Uint8Array): Uint8Array {
  return gzipSync(archive, { level: 9 });
}
