/**
 * Reads a kernel module's `.modinfo` section straight from the ELF file, so module dependencies can be resolved
 * without `kmod` (`modinfo`, `depmod`). The section is a run of NUL-terminated `key=value` strings
 * (`MODULE_INFO`): `name=`, `depends=` (comma-separated module names), `softdep=` (`pre: a b post: c`), `alias=`.
 *
 * @see include/linux/moduleparam.h __MODULE_INFO
 * @see scripts/mod/modpost.c add_depends
 */

/** A parse failure, naming the offset or field. */
export interface ModinfoError {
  readonly offset: number;
  readonly message: string;
}

/** The parsed `.modinfo`: every key with its values in file order. */
export type Modinfo = ReadonlyMap<string, readonly string[]>;

const SHT_NOBITS = 8;

/** Parses an ELF64 little-endian relocatable object's `.modinfo`. Never throws; bounds-checks every read. */
export function parseModinfo(bytes: Uint8Array): { ok: true; value: Modinfo } | { ok: false; error: ModinfoError } {
  const fail = (offset: number, message: string) => ({ ok: false as const, error: { offset, message } });
  if (bytes.length < 64) return fail(0, "shorter than an ELF64 header");
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) return fail(0, "not an ELF file");
  if (bytes[4] !== 2) return fail(4, "not ELF64 (EI_CLASS)");
  if (bytes[5] !== 1) return fail(5, "not little-endian (EI_DATA)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (off: number): number => {
    const lo = view.getUint32(off, true);
    const hi = view.getUint32(off + 4, true);
    return hi * 2 ** 32 + lo;
  };
  const shoff = u64(0x28);
  const shentsize = view.getUint16(0x3a, true);
  const shnum = view.getUint16(0x3c, true);
  const shstrndx = view.getUint16(0x3e, true);
  if (shentsize < 64) return fail(0x3a, `e_shentsize ${shentsize} < 64`);
  if (shoff + shnum * shentsize > bytes.length) return fail(0x28, "section header table past the end of the file");
  if (shstrndx >= shnum) return fail(0x3e, `e_shstrndx ${shstrndx} >= e_shnum ${shnum}`);
  const section = (i: number) => {
    const h = shoff + i * shentsize;
    return { name: view.getUint32(h, true), type: view.getUint32(h + 4, true), offset: u64(h + 24), size: u64(h + 32), header: h };
  };
  const strtab = section(shstrndx);
  if (strtab.offset + strtab.size > bytes.length) return fail(strtab.header, "section-name table past the end of the file");
  const nameAt = (off: number): string | null => {
    if (off >= strtab.size) return null;
    let end = strtab.offset + off;
    const limit = strtab.offset + strtab.size;
    while (end < limit && bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(strtab.offset + off, end));
  };
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (nameAt(s.name) !== ".modinfo") continue;
    if (s.type === SHT_NOBITS) return fail(s.header, ".modinfo has no contents (SHT_NOBITS)");
    if (s.offset + s.size > bytes.length) return fail(s.header, ".modinfo past the end of the file");
    return { ok: true, value: splitModinfo(bytes.subarray(s.offset, s.offset + s.size)) };
  }
  return fail(shoff, "no .modinfo section");
}

/** Splits `.modinfo` contents into key → values. */
export function splitModinfo(data: Uint8Array): Modinfo {
  const out = new Map<string, string[]>();
  const text = new TextDecoder().decode(data);
  for (const entry of text.split("\0")) {
    if (entry === "") continue;
    const eq = entry.indexOf("=");
    if (eq <= 0) continue;
    const key = entry.slice(0, eq);
    const list = out.get(key) ?? [];
    list.push(entry.slice(eq + 1));
    out.set(key, list);
  }
  return out;
}

/** `depends=` as a list of module names (empty entries dropped). */
export function modinfoDepends(info: Modinfo): string[] {
  return (info.get("depends") ?? []).flatMap((d) => d.split(",")).filter((d) => d !== "");
}

/** The `pre:` names of every `softdep=` entry, in order. */
export function modinfoSoftdepPre(info: Modinfo): string[] {
  const out: string[] = [];
  for (const s of info.get("softdep") ?? []) {
    let pre = false;
    for (const word of s.split(/\s+/)) {
      if (word === "pre:") pre = true;
      else if (word === "post:") pre = false;
      else if (word !== "" && pre) out.push(word);
    }
  }
  return out;
}
