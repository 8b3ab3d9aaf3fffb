/**
 * A PCI function's configuration space as QEMU models it: the bytes the guest reads, a write mask (which bits a
 * config write may change), a write-1-to-clear mask, and the bookkeeping QEMU uses to place capabilities. Writes to
 * read-only bits are dropped, W1C bits clear when written with 1, everything else sticks — which is what the PCI
 * layer relies on when it enables ACS by writing the ACS control register or programs bridge bus numbers.
 *
 * @see hw/pci/pci.c pci_default_write_config, pci_default_read_config (QEMU)
 */
import {
  PCI_CONFIG_HEADER_SIZE,
  PCI_CONFIG_SPACE_SIZE,
  PCIE_CONFIG_SPACE_SIZE,
  PciBarType,
  PciHeaderType,
  PciReg,
  PciStatus,
} from "./pci-regs";

/** Plain-data snapshot of a configuration space: what a board description carries. */
export interface PciConfigImage {
  /** 256 for conventional PCI functions, 4096 for PCI Express ones. */
  readonly size: number;
  readonly bytes: Uint8Array;
  readonly wmask: Uint8Array;
  readonly w1cmask: Uint8Array;
}

/** One entry of the capability list. */
export interface PciCapabilityInfo {
  readonly id: number;
  readonly offset: number;
  /** `true` for extended (PCIe, offset ≥ 0x100) capabilities. */
  readonly extended: boolean;
}

/** Called before a guest read so dynamic registers can refresh their bytes. */
export type PciConfigReadHook = (offset: number, width: number) => void;
/** Called after a guest write has been applied through the masks (`value` is what the guest wrote). */
export type PciConfigWriteHook = (offset: number, width: number, value: number) => void;

/** Access widths of configuration reads and writes. */
export type PciConfigWidth = 1 | 2 | 4;

const ALL_ONES: Record<PciConfigWidth, number> = { 1: 0xff, 2: 0xffff, 4: 0xffff_ffff };

/** Whether `[a, a + la)` and `[b, b + lb)` overlap (`ranges_overlap`). */
export function rangesOverlap(a: number, la: number, b: number, lb: number): boolean {
  return a < b + lb && b < a + la;
}

/**
 * The configuration space of one PCI function.
 *
 * Setup-time helpers (`set*`, `orMask*`, `addCapability`, `registerBar`) mirror QEMU's `pci_set_*`,
 * `pci_*_test_and_set_mask` and `pci_add_capability`; guest-facing accesses are {@link read} and {@link write}.
 */
export class PciConfigSpace {
  readonly size: number;
  readonly bytes: Uint8Array;
  readonly wmask: Uint8Array;
  readonly w1cmask: Uint8Array;
  /** Bytes already taken by a standard capability (QEMU's `used`, kept 4-byte aligned). */
  readonly #used = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  readonly #readHooks: PciConfigReadHook[] = [];
  readonly #writeHooks: PciConfigWriteHook[] = [];

  constructor(size: number) {
    if (size !== PCI_CONFIG_SPACE_SIZE && size !== PCIE_CONFIG_SPACE_SIZE) {
      throw new RangeError(`config space size must be 256 or 4096, not ${size}`);
    }
    this.size = size;
    this.bytes = new Uint8Array(size);
    this.wmask = new Uint8Array(size);
    this.w1cmask = new Uint8Array(size);
  }

  /** A live config space from a snapshot (the capability allocator restarts from the present list). */
  static fromImage(image: PciConfigImage): PciConfigSpace {
    const c = new PciConfigSpace(image.size);
    c.bytes.set(image.bytes.subarray(0, image.size));
    c.wmask.set(image.wmask.subarray(0, image.size));
    c.w1cmask.set(image.w1cmask.subarray(0, image.size));
    return c;
  }

  /** A copy of the current bytes and masks. */
  toImage(): PciConfigImage {
    return { size: this.size, bytes: this.bytes.slice(), wmask: this.wmask.slice(), w1cmask: this.w1cmask.slice() };
  }

  // ---- raw little-endian helpers (no masks, no hooks) ------------------------------------------------------

  get8(off: number, arr: Uint8Array = this.bytes): number {
    return arr[off] ?? 0;
  }

  get16(off: number, arr: Uint8Array = this.bytes): number {
    return (arr[off] ?? 0) | ((arr[off + 1] ?? 0) << 8);
  }

  get32(off: number, arr: Uint8Array = this.bytes): number {
    return (this.get16(off, arr) | (this.get16(off + 2, arr) << 16)) >>> 0;
  }

  set8(off: number, v: number, arr: Uint8Array = this.bytes): void {
    arr[off] = v & 0xff;
  }

  set16(off: number, v: number, arr: Uint8Array = this.bytes): void {
    arr[off] = v & 0xff;
    arr[off + 1] = (v >>> 8) & 0xff;
  }

  set32(off: number, v: number, arr: Uint8Array = this.bytes): void {
    this.set16(off, v & 0xffff, arr);
    this.set16(off + 2, (v >>> 16) & 0xffff, arr);
  }

  /** `pci_*_test_and_set_mask` over `width` bytes. */
  orMask(off: number, width: PciConfigWidth, bits: number, arr: Uint8Array = this.bytes): void {
    for (let i = 0; i < width; i++) arr[off + i] = (arr[off + i] ?? 0) | ((bits >>> (8 * i)) & 0xff);
  }

  /** `pci_*_test_and_clear_mask` over `width` bytes. */
  clearMask(off: number, width: PciConfigWidth, bits: number, arr: Uint8Array = this.bytes): void {
    for (let i = 0; i < width; i++) arr[off + i] = (arr[off + i] ?? 0) & ~((bits >>> (8 * i)) & 0xff);
  }

  // ---- guest-facing accesses ------------------------------------------------------------------------------

  /**
   * A configuration read as the guest performs it. Offsets beyond the function's config size (e.g. ≥ 0x100 on a
   * conventional function) read as all ones, as QEMU's `pci_host_config_read_common` returns.
   */
  read(offset: number, width: PciConfigWidth): number {
    if (!Number.isInteger(offset) || offset < 0 || offset + width > this.size) return ALL_ONES[width];
    for (const hook of this.#readHooks) hook(offset, width);
    if (width === 1) return this.get8(offset);
    if (width === 2) return this.get16(offset);
    return this.get32(offset);
  }

  /**
   * A configuration write as the guest performs it: each byte changes only under its write mask; bits under the
   * W1C mask clear when written with 1. Writes beyond the config size are dropped.
   * @see hw/pci/pci.c pci_default_write_config
   */
  write(offset: number, width: PciConfigWidth, value: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + width > this.size) return;
    let v = value >>> 0;
    for (let i = 0; i < width; i++, v >>>= 8) {
      const a = offset + i;
      const wm = this.wmask[a] ?? 0;
      const w1c = this.w1cmask[a] ?? 0;
      const cur = this.bytes[a] ?? 0;
      this.bytes[a] = ((cur & ~wm) | (v & wm)) & ~(v & w1c) & 0xff;
    }
    for (const hook of this.#writeHooks) hook(offset, width, value >>> 0);
  }

  /** Registers a hook run before every guest read (dynamic registers such as a downstream port's link status). */
  onRead(hook: PciConfigReadHook): void {
    this.#readHooks.push(hook);
  }

  /** Registers a hook run after every guest write (side effects such as SHPC's dword data window). */
  onWrite(hook: PciConfigWriteHook): void {
    this.#writeHooks.push(hook);
  }

  // ---- capabilities ---------------------------------------------------------------------------------------

  /**
   * Adds a standard capability, at `offset` or (when 0) in the first free, 4-byte aligned gap after the header,
   * linking it at the HEAD of the list, read-only by default. Returns its offset.
   * @see hw/pci/pci.c pci_add_capability, pci_find_space
   */
  addCapability(id: number, offset: number, size: number): number {
    let pos = offset;
    if (pos === 0) {
      pos = this.#findSpace(size);
      if (pos === 0) throw new RangeError(`no room for capability 0x${id.toString(16)} of ${size} bytes`);
    } else {
      for (let i = pos; i < pos + size; i++) {
        if (this.#used[i]) throw new RangeError(`capability 0x${id.toString(16)} at 0x${pos.toString(16)} overlaps`);
      }
    }
    this.bytes[pos] = id;
    this.bytes[pos + 1] = this.bytes[PciReg.CAPABILITY_LIST] ?? 0;
    this.bytes[PciReg.CAPABILITY_LIST] = pos;
    this.orMask(PciReg.STATUS, 1, PciStatus.CAP_LIST);
    this.#used.fill(0xff, pos, Math.min(PCI_CONFIG_SPACE_SIZE, pos + Math.ceil(size / 4) * 4));
    this.wmask.fill(0, pos, pos + size);
    return pos;
  }

  #findSpace(size: number): number {
    let start = PCI_CONFIG_HEADER_SIZE;
    for (let i = PCI_CONFIG_HEADER_SIZE; i < PCI_CONFIG_SPACE_SIZE; i++) {
      if (this.#used[i]) start = i + 1;
      else if (i - start + 1 === size) return start;
    }
    return 0;
  }

  /**
   * Adds an extended capability at `offset`, appended at the END of the extended list, read-only by default.
   * @see hw/pci/pcie.c pcie_add_capability
   */
  addExtCapability(id: number, version: number, offset: number, size: number): void {
    if (this.size !== PCIE_CONFIG_SPACE_SIZE || offset < PCI_CONFIG_SPACE_SIZE || offset + size > this.size) {
      throw new RangeError(`extended capability 0x${id.toString(16)} at 0x${offset.toString(16)} does not fit`);
    }
    if (offset !== PCI_CONFIG_SPACE_SIZE) {
      let prev = PCI_CONFIG_SPACE_SIZE;
      for (let guard = 0; guard < 1024; guard++) {
        const next = this.get32(prev) >>> 20;
        if (next === 0) break;
        prev = next;
      }
      const header = this.get32(prev);
      this.set32(prev, ((header & 0x000f_ffff) | (offset << 20)) >>> 0);
    }
    this.set32(offset, ((id & 0xffff) | ((version & 0xf) << 16)) >>> 0);
    this.wmask.fill(0, offset, offset + size);
    this.w1cmask.fill(0, offset, offset + size);
  }

  /** The standard capability list, in list order (`pci_find_capability`). */
  capabilities(): PciCapabilityInfo[] {
    const out: PciCapabilityInfo[] = [];
    if ((this.get16(PciReg.STATUS) & PciStatus.CAP_LIST) !== 0) {
      let pos = this.get8(PciReg.CAPABILITY_LIST) & 0xfc;
      for (let guard = 0; pos !== 0 && guard < 48; guard++) {
        out.push({ id: this.get8(pos), offset: pos, extended: false });
        pos = this.get8(pos + 1) & 0xfc;
      }
    }
    if (this.size === PCIE_CONFIG_SPACE_SIZE) {
      let pos = PCI_CONFIG_SPACE_SIZE;
      for (let guard = 0; guard < 1024; guard++) {
        const header = this.get32(pos);
        if (header === 0 || header === 0xffff_ffff) break;
        out.push({ id: header & 0xffff, offset: pos, extended: true });
        pos = (header >>> 20) & 0xffc;
        if (pos < PCI_CONFIG_SPACE_SIZE) break;
      }
    }
    return out;
  }

  /** Offset of the first standard capability with `id`, or 0. */
  findCapability(id: number): number {
    return this.capabilities().find((c) => !c.extended && c.id === id)?.offset ?? 0;
  }

  /** Offset of the first extended capability with `id`, or 0. */
  findExtCapability(id: number): number {
    return this.capabilities().find((c) => c.extended && c.id === id)?.offset ?? 0;
  }

  // ---- BARs ------------------------------------------------------------------------------------------------

  /**
   * Declares BAR `index` (0–5, or 6 for the expansion ROM) of `size` bytes (a power of two): the type bits go into
   * the register, the size into its write mask, so sizing by writing all ones reads back `~(size - 1) | type`.
   * @see hw/pci/pci.c pci_register_bar
   */
  registerBar(index: number, type: number, size: number): void {
    if (!isPowerOfTwo(size)) throw new RangeError(`BAR size ${size} is not a power of two`);
    const bridge = (this.get8(PciReg.HEADER_TYPE) & ~PciHeaderType.MULTI_FUNCTION) === PciHeaderType.BRIDGE;
    const addr = index === 6 ? (bridge ? PciReg.ROM_ADDRESS1 : PciReg.ROM_ADDRESS) : PciReg.BASE_ADDRESS_0 + 4 * index;
    this.set32(addr, type);
    // ~(size - 1) over 64 bits, as two 32-bit halves.
    const lo = size >= 2 ** 32 ? 0 : (~(size - 1) >>> 0) | (index === 6 ? 1 : 0);
    const hi = size > 2 ** 32 ? (~(size / 2 ** 32 - 1) >>> 0) : 0xffff_ffff;
    const is64 = (type & PciBarType.IO) === 0 && (type & PciBarType.MEM_TYPE_64) !== 0;
    this.set32(addr, lo >>> 0, this.wmask);
    if (is64) this.set32(addr + 4, hi, this.wmask);
  }
}

/**
 * Whether `n` is a positive integer power of two (works above 2^31).
 *
 * @see include/qemu/host-utils.h is_power_of_2
 */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/**
 * The smallest power of two ≥ `n` (`pow2ceil`).
 *
 * @see include/qemu/host-utils.h pow2ceil
 */
export function pow2ceil(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
