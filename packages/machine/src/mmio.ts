/**
 * The MMIO address space: device models register their register blocks here, and the modelled CPU (the Linux side
 * of dmasim) reaches them only through these accessors, as real drivers do with readl/writel/readq/writeq.
 */
import { BUS_ERROR, type PhysAddr } from "./memory";

/** A device's register block. Offsets are relative to the block's base. */
export interface MmioHandler {
  read32(offset: number): number;
  write32(offset: number, value: number): void;
  read64(offset: number): bigint;
  write64(offset: number, value: bigint): void;
}

/** One registered register block. */
export interface MmioRegion {
  readonly name: string;
  readonly base: PhysAddr;
  readonly size: number;
  readonly handler: MmioHandler;
}

/** Every MMIO region of a board. Accesses outside all regions are bus errors. */
export class MmioSpace {
  readonly #regions: MmioRegion[] = [];
  /** The region the last access hit: a driver talks to one register block at a time. */
  #last: MmioRegion | undefined = undefined;

  /** Maps a register block at `[base, base + size)`. Regions must not overlap. */
  register(name: string, base: PhysAddr, size: number, handler: MmioHandler): MmioRegion {
    for (const r of this.#regions) {
      if (base < r.base + r.size && r.base < base + size) {
        throw new RangeError(`MMIO region ${name} overlaps ${r.name}`);
      }
    }
    const region: MmioRegion = { name, base, size, handler };
    this.#regions.push(region);
    this.#regions.sort((a, b) => a.base - b.base);
    this.#last = undefined;
    return region;
  }

  /** The region containing `[pa, pa + len)`, if any. */
  find(pa: PhysAddr, len = 1): MmioRegion | undefined {
    const last = this.#last;
    if (last !== undefined && pa >= last.base && pa + len <= last.base + last.size) return last;
    const regions = this.#regions;
    for (let i = 0; i < regions.length; i++) {
      const r = regions[i] as MmioRegion;
      if (pa >= r.base && pa + len <= r.base + r.size) {
        this.#last = r;
        return r;
      }
    }
    return undefined;
  }

  get regions(): readonly MmioRegion[] {
    return this.#regions;
  }

  /** A 32-bit read, or {@link BUS_ERROR} when nothing is mapped there. */
  read32(pa: PhysAddr): number {
    const r = this.find(pa, 4);
    return r === undefined ? BUS_ERROR : r.handler.read32(pa - r.base) >>> 0;
  }

  /** A 32-bit write; `false` when nothing is mapped there. */
  write32(pa: PhysAddr, value: number): boolean {
    const r = this.find(pa, 4);
    if (r === undefined) return false;
    r.handler.write32(pa - r.base, value >>> 0);
    return true;
  }

  /** A 64-bit read, or `null` when nothing is mapped there. */
  read64(pa: PhysAddr): bigint | null {
    const r = this.find(pa, 8);
    return r === undefined ? null : BigInt.asUintN(64, r.handler.read64(pa - r.base));
  }

  /** A 64-bit write; `false` when nothing is mapped there. */
  write64(pa: PhysAddr, value: bigint): boolean {
    const r = this.find(pa, 8);
    if (r === undefined) return false;
    r.handler.write64(pa - r.base, BigInt.asUintN(64, value));
    return true;
  }
}
