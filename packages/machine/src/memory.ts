/**
 * Sparse physical memory: RAM regions declared by the board, backed page by page on first write.
 * Reads of addresses outside every RAM region are bus errors the caller sees ({@link BUS_ERROR}, `false`, `null`),
 * which is how the SMMU model produces F_STE_FETCH / F_WALK_EABT and the bus-master port reports an abort.
 *
 * Addresses are plain numbers (integers below 2^53). Little-endian, as arm64 is.
 */

/** A physical address. */
export type PhysAddr = number;

/** What a narrow read returns when the address is not backed by any RAM region. */
export const BUS_ERROR = -1;

/** RAM as a bus master or the CPU sees it. Every access either completes or reports a bus error. */
export interface PhysicalMemoryPort {
  /** Unsigned byte, or {@link BUS_ERROR}. */
  read8(pa: PhysAddr): number;
  /** Unsigned 16-bit little-endian value, or {@link BUS_ERROR}. */
  read16(pa: PhysAddr): number;
  /** Unsigned 32-bit little-endian value, or {@link BUS_ERROR}. */
  read32(pa: PhysAddr): number;
  /** 64-bit little-endian value, or `null` on a bus error. Slower than two {@link read32} calls. */
  read64(pa: PhysAddr): bigint | null;
  write8(pa: PhysAddr, value: number): boolean;
  write16(pa: PhysAddr, value: number): boolean;
  write32(pa: PhysAddr, value: number): boolean;
  write64(pa: PhysAddr, value: bigint): boolean;
  /** A copy of `len` bytes, or `null` if any byte is unbacked. */
  readBytes(pa: PhysAddr, len: number): Uint8Array | null;
  /** Writes all bytes, or none (and returns `false`) if any byte is unbacked. */
  writeBytes(pa: PhysAddr, bytes: Uint8Array): boolean;
  /**
   * Optional fast path for word-sized bulk access (queue entries, descriptors): the 32-bit little-endian words of the
   * 4 KiB page holding `pa`, the same storage {@link read32}/{@link write32} use, indexed by `(pa & 0xfff) >>> 2`.
   * `null` when the page is not RAM, or, with `forWrite` false, when it has never been written (it then reads as
   * zero). With `forWrite` the page is backed from now on, as a write would make it. Callers fall back to the 32-bit
   * accessors when a port does not offer it or returns `null`.
   */
  pageWords?(pa: PhysAddr, forWrite: boolean): Uint32Array | null;
}

/** A RAM region of the board's memory map. */
export interface RamRegion {
  readonly name: string;
  readonly base: PhysAddr;
  readonly size: number;
}

const PAGE_SHIFT = 12;
const PAGE_SIZE = 1 << PAGE_SHIFT;
const TWO_32 = 0x1_0000_0000;
/** Slots of the page-lookup cache (a power of two). */
const CACHE_SLOTS = 16;

function packed<T>(n: number, value: T): T[] {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(value);
  return out;
}

/**
 * The board's RAM. Pages are allocated lazily on first write; a never-written page of a RAM region reads as zero.
 */
export class PhysicalMemory implements PhysicalMemoryPort {
  readonly #regions: RamRegion[] = [];
  /** Written pages by page frame number. Only pages inside RAM are ever created, so a hit means "backed". */
  readonly #pages = new Map<number, Page>();
  // A small direct-mapped cache of page lookups, keyed by the low bits of the frame number: a stage-1 walk touches
  // four table pages in turn, queue or stream-table scans stay on one page, and a strict unmap alternates between a
  // leaf table and the command queue. Sixteen slots: with four, those two pages collided whenever their frame
  // numbers agreed mod 4, and every access went to the Map.
  // Built by push so V8 keeps them packed (an Array(n) stays holey even after fill, and every read checks for holes).
  readonly #cachePfn: number[] = packed(CACHE_SLOTS, -1);
  readonly #cachePage: (Page | undefined)[] = packed<Page | undefined>(CACHE_SLOTS, undefined);

  /** Declares a RAM region. Regions must not overlap. */
  addRam(region: RamRegion): void {
    if (region.size <= 0 || region.base < 0 || region.base + region.size > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`bad RAM region ${region.name}`);
    }
    for (const r of this.#regions) {
      if (region.base < r.base + r.size && r.base < region.base + region.size) {
        throw new RangeError(`RAM region ${region.name} overlaps ${r.name}`);
      }
    }
    this.#regions.push({ ...region });
    this.#regions.sort((a, b) => a.base - b.base);
  }

  /** The declared RAM regions, lowest first. */
  get regions(): readonly RamRegion[] {
    return this.#regions;
  }

  /** Whether `[pa, pa + len)` lies entirely inside RAM. */
  isBacked(pa: PhysAddr, len = 1): boolean {
    for (const r of this.#regions) {
      if (pa >= r.base && pa + len <= r.base + r.size) return true;
    }
    return false;
  }

  /** Number of 4 KiB pages that hold written data (a memory-use figure for benchmarks). */
  get residentPages(): number {
    return this.#pages.size;
  }

  /** The written page with frame number `pfn`, if any (through the lookup cache). */
  #lookup(pfn: number): Page | undefined {
    const slot = pfn & (CACHE_SLOTS - 1);
    if (this.#cachePfn[slot] === pfn) return this.#cachePage[slot];
    const page = this.#pages.get(pfn);
    if (page !== undefined) {
      this.#cachePfn[slot] = pfn;
      this.#cachePage[slot] = page;
    }
    return page;
  }

  /** The page with frame number `pfn`, created (zeroed) if it is RAM and not yet written; `undefined` if not RAM. */
  #pageForWrite(pfn: number): Page | undefined {
    const page = this.#lookup(pfn);
    if (page !== undefined) return page;
    if (!this.isBacked(pfn * PAGE_SIZE)) return undefined;
    const buffer = new ArrayBuffer(PAGE_SIZE);
    const created: Page = { view: new DataView(buffer), words: new Uint32Array(buffer), bytes: new Uint8Array(buffer) };
    this.#pages.set(pfn, created);
    return created;
  }

  read8(pa: PhysAddr): number {
    const pfn = frameOf(pa);
    const off = pa - pfn * PAGE_SIZE;
    const page = this.#lookup(pfn);
    if (page !== undefined) return page.bytes[off] as number;
    return this.isBacked(pa) ? 0 : BUS_ERROR;
  }

  read16(pa: PhysAddr): number {
    const pfn = frameOf(pa);
    const off = pa - pfn * PAGE_SIZE;
    if (off <= PAGE_SIZE - 2) {
      const page = this.#lookup(pfn);
      if (page !== undefined) return page.view.getUint16(off, true);
      if (this.isBacked(pa, 2)) return 0;
    }
    return this.#readSlow(pa, 2);
  }

  read32(pa: PhysAddr): number {
    const pfn = frameOf(pa);
    const off = pa - pfn * PAGE_SIZE;
    if (off <= PAGE_SIZE - 4) {
      const page = this.#lookup(pfn);
      if (page !== undefined) {
        // Aligned reads index the word view (host little-endian, as every platform Node runs on here is).
        return (off & 3) === 0 ? (page.words[off >>> 2] as number) : page.view.getUint32(off, true);
      }
      if (this.isBacked(pa, 4)) return 0;
    }
    return this.#readSlow(pa, 4);
  }

  /** The words of the page holding `pa` (see {@link PhysicalMemoryPort.pageWords}); `forWrite` backs the page. */
  pageWords(pa: PhysAddr, forWrite: boolean): Uint32Array | null {
    const pfn = frameOf(pa);
    const page = forWrite ? this.#pageForWrite(pfn) : this.#lookup(pfn);
    return page === undefined ? null : page.words;
  }

  read64(pa: PhysAddr): bigint | null {
    const lo = this.read32(pa);
    const hi = this.read32(pa + 4);
    if (lo === BUS_ERROR || hi === BUS_ERROR) return null;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  #readSlow(pa: PhysAddr, len: number): number {
    const bytes = this.readBytes(pa, len);
    if (bytes === null) return BUS_ERROR;
    let v = 0;
    for (let i = len - 1; i >= 0; i--) v = v * 256 + (bytes[i] ?? 0);
    return v;
  }

  write8(pa: PhysAddr, value: number): boolean {
    const pfn = frameOf(pa);
    const off = pa - pfn * PAGE_SIZE;
    const page = this.#pageForWrite(pfn);
    if (page === undefined) return false;
    page.bytes[off] = value & 0xff;
    return true;
  }

  write16(pa: PhysAddr, value: number): boolean {
    return this.#writeLe(pa, value, 2);
  }

  write32(pa: PhysAddr, value: number): boolean {
    const pfn = frameOf(pa);
    const off = pa - pfn * PAGE_SIZE;
    if (off <= PAGE_SIZE - 4) {
      const page = this.#pageForWrite(pfn);
      if (page === undefined) return false;
      if ((off & 3) === 0) page.words[off >>> 2] = value >>> 0;
      else page.view.setUint32(off, value >>> 0, true);
      return true;
    }
    return this.#writeLe(pa, value >>> 0, 4);
  }

  write64(pa: PhysAddr, value: bigint): boolean {
    if (!this.isBacked(pa, 8)) return false;
    const v = BigInt.asUintN(64, value);
    return this.write32(pa, Number(v & 0xffff_ffffn)) && this.write32(pa + 4, Number(v >> 32n));
  }

  #writeLe(pa: PhysAddr, value: number, len: number): boolean {
    const bytes = new Uint8Array(len);
    let v = value;
    for (let i = 0; i < len; i++) {
      bytes[i] = v % 256;
      v = Math.floor(v / 256);
    }
    return this.writeBytes(pa, bytes);
  }

  readBytes(pa: PhysAddr, len: number): Uint8Array | null {
    if (len < 0 || !this.isBacked(pa, Math.max(len, 1))) return null;
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const addr = pa + done;
      const off = addr % PAGE_SIZE;
      const n = Math.min(len - done, PAGE_SIZE - off);
      const page = this.#lookup((addr - off) / PAGE_SIZE);
      if (page !== undefined) out.set(page.bytes.subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  writeBytes(pa: PhysAddr, bytes: Uint8Array): boolean {
    if (!this.isBacked(pa, Math.max(bytes.length, 1))) return false;
    let done = 0;
    while (done < bytes.length) {
      const addr = pa + done;
      const off = addr % PAGE_SIZE;
      const n = Math.min(bytes.length - done, PAGE_SIZE - off);
      const page = this.#pageForWrite((addr - off) / PAGE_SIZE);
      if (page === undefined) return false;
      page.bytes.set(bytes.subarray(done, done + n), off);
      done += n;
    }
    return true;
  }
}

/**
 * The page frame number of `pa`. Below 2^43 the quotient fits an int32, and `| 0` keeps the arithmetic in small
 * integers (a `%` on a double address costs an fmod call on every access).
 */
function frameOf(pa: PhysAddr): number {
  return pa < 0x800_0000_0000 ? (pa / PAGE_SIZE) | 0 : Math.floor(pa / PAGE_SIZE);
}

/** One written 4 KiB page, with the views the accessors use. */
interface Page {
  readonly view: DataView;
  readonly words: Uint32Array;
  readonly bytes: Uint8Array;
}

/** Splits a 64-bit value held as two 32-bit halves into one number, when it fits (< 2^53). */
export function join64(lo: number, hi: number): number {
  return hi * TWO_32 + (lo >>> 0);
}
