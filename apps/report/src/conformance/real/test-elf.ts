/**
 * Test helper: a minimal ELF64 little-endian relocatable object with a `.modinfo` section (and `.shstrtab`), laid
 * out as the ELF spec requires, to exercise the `.modinfo` reader without real modules.
 */

/** Builds an ELF64 LE object whose `.modinfo` holds `entries` (`key=value` strings). */
export function makeModuleElf(entries: readonly string[]): Uint8Array {
  const enc = new TextEncoder();
  const modinfo = enc.encode(entries.map((e) => `${e}\0`).join(""));
  const shstrtab = enc.encode("\0.modinfo\0.shstrtab\0");
  const modinfoOff = 64;
  const strOff = modinfoOff + modinfo.length;
  const shOff = (strOff + shstrtab.length + 7) & ~7;
  const out = new Uint8Array(shOff + 3 * 64);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, 183, true); // EM_AARCH64
  v.setUint32(20, 1, true);
  v.setUint32(0x28, shOff, true);
  v.setUint16(0x34, 64, true);
  v.setUint16(0x3a, 64, true);
  v.setUint16(0x3c, 3, true);
  v.setUint16(0x3e, 2, true);
  out.set(modinfo, modinfoOff);
  out.set(shstrtab, strOff);
  const section = (i: number, name: number, type: number, off: number, size: number): void => {
    const h = shOff + i * 64;
    v.setUint32(h, name, true);
    v.setUint32(h + 4, type, true);
    v.setUint32(h + 24, off, true);
    v.setUint32(h + 32, size, true);
  };
  section(1, 1, 1, modinfoOff, modinfo.length); // .modinfo, SHT_PROGBITS
  section(2, 10, 3, strOff, shstrtab.length); // .shstrtab, SHT_STRTAB
  return out;
}
