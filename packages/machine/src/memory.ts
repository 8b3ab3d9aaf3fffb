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
}

/** A RAM region of the board's memory map. */
export interface RamRegion {
  readonly name: string;
  readonly base: PhysAddr;
  readonly size: number;
}

const PAGE_SHIFT = 12;
const PAGE_SIZE = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_SIZE - 1;
const TWO_32 = 0x1_0000_0000;

/**
 * The board's RAM. Pages are allocated lazily on first write; a never-written page of a RAM region reads as zero.
 */
export class PhysicalMemory implements PhysicalMemoryPort {
  readonly #regions: RamRegion[] = [];
  readonly #pages = new Map<number, DataView>();
  // One-entry lookup cache: walks and queue scans touch the same page repeatedly.
  #lastPfn = -1;
  #lastPage: DataView | undefined;

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

  #page(pfn: number, create: boolean): DataView | undefined {
    if (pfn === this.#lastPfn) return this.#lastPage;
    let page = this.#pages.get(pfn);
    if (page === undefined) {
      if (!this.isBacked(pfn * PAGE_SIZE, PAGE_SIZE) && !this.isBacked(pfn * PAGE_SIZE)) return undefined;
      if (!create) return ZERO_PAGE;
      page = new DataView(new ArrayBuffer(PAGE_SIZE));
      this.#pages.set(pfn, page);
    }
    this.#lastPfn = pfn;
    this.#lastPage = page;
    return page;
  }

  read8(pa: PhysAddr): number {
    if (!this.isBacked(pa)) return BUS_ERROR;
    const page = this.#page(Math.floor(pa / PAGE_SIZE), false);
    return page === undefined ? BUS_ERROR : page.getUint8(pa & PAGE_MASK);
  }

  read16(pa: PhysAddr): number {
    const off = pa % PAGE_SIZE;
    if (off <= PAGE_SIZE - 2 && this.isBacked(pa, 2)) {
      const page = this.#page((pa - off) / PAGE_SIZE, false);
      if (page !== undefined) return page.getUint16(off, true);
    }
    return this.#readSlow(pa, 2);
  }

  read32(pa: PhysAddr): number {
    const off = pa % PAGE_SIZE;
    if (off <= PAGE_SIZE - 4) {
      if (pa === this.#lastPfn * PAGE_SIZE + off && this.#lastPage !== undefined && this.#lastPage !== ZERO_PAGE) {
        return this.#lastPage.getUint32(off, true);
      }
      if (this.isBacked(pa, 4)) {
        const page = this.#page((pa - off) / PAGE_SIZE, false);
        if (page !== undefined) return page.getUint32(off, true);
      }
    }
    return this.#readSlow(pa, 4);
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
    if (!this.isBacked(pa)) return false;
    const page = this.#page(Math.floor(pa / PAGE_SIZE), true);
    if (page === undefined) return false;
    page.setUint8(pa & PAGE_MASK, value & 0xff);
    return true;
  }

  write16(pa: PhysAddr, value: number): boolean {
    return this.#writeLe(pa, value, 2);
  }

  write32(pa: PhysAddr, value: number): boolean {
    const off = pa % PAGE_SIZE;
    if (off <= PAGE_SIZE - 4 && this.isBacked(pa, 4)) {
      const page = this.#page((pa - off) / PAGE_SIZE, true);
      if (page === undefined) return false;
      page.setUint32(off, value >>> 0, true);
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
      const page = this.#pages.get((addr - off) / PAGE_SIZE);
      if (page !== undefined) out.set(new Uint8Array(page.buffer, off, n), done);
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
      const page = this.#page((addr - off) / PAGE_SIZE, true);
      if (page === undefined) return false;
      new Uint8Array(page.buffer, off, n).set(bytes.subarray(done, done + n));
      done += n;
    }
    return true;
  }
}

const ZERO_PAGE = new DataView(new ArrayBuffer(PAGE_SIZE));

/** Splits a 64-bit value held as two 32-bit halves into one number, when it fits (< 2^53). */
export function join64(lo: number, hi: number): number {
  return hi * TWO_32 + (lo >>> 0);
}
