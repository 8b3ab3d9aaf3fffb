/**
 * Frames of simulated RAM for the modelled kernel (stream tables, queues, page tables, DMA buffers): a stand-in for
 * mm/page_alloc.c that is deterministic and counts what is outstanding, so leaks can be reported per owner.
 */
import type { PhysAddr, PhysicalMemory } from "./memory";

/** One live allocation. */
export interface FrameAllocation {
  readonly pa: PhysAddr;
  readonly size: number;
  readonly owner: string;
}

/** The range of simulated RAM a {@link FrameAllocator} carves its frames from. */
export interface FrameAllocatorOptions {
  /** First byte the allocator may hand out. */
  readonly base: PhysAddr;
  /** Bytes available from `base`. */
  readonly size: number;
}

/**
 * Hands out zeroed, naturally aligned blocks whose size is a multiple of 4 KiB. Freed blocks are reused for the
 * same size, most recently freed first; otherwise allocation bumps upward. Same calls, same addresses.
 *
 * @see mm/page_alloc.c __alloc_pages
 */
export class FrameAllocator {
  readonly #memory: PhysicalMemory;
  readonly #end: number;
  #next: number;
  readonly #free = new Map<number, PhysAddr[]>();
  readonly #live = new Map<PhysAddr, FrameAllocation>();

  constructor(memory: PhysicalMemory, options: FrameAllocatorOptions) {
    if (!memory.isBacked(options.base, options.size)) {
      throw new RangeError("frame allocator range is not RAM");
    }
    this.#memory = memory;
    this.#next = options.base;
    this.#end = options.base + options.size;
  }

  /**
   * A zeroed block of `size` bytes (rounded up to 4 KiB) aligned to `align` (default: the size rounded up to a power
   * of two, at most 64 KiB), or `null` when memory is exhausted.
   */
  alloc(size: number, owner: string, align?: number): PhysAddr | null {
    const bytes = Math.ceil(Math.max(size, 1) / 4096) * 4096;
    const alignment = align ?? Math.min(nextPow2(bytes), 0x10000);
    const reuse = this.#free.get(bytes);
    let pa: PhysAddr | undefined;
    if (reuse !== undefined) {
      const i = findLastIndex(reuse, (p) => p % alignment === 0);
      if (i >= 0) pa = reuse.splice(i, 1)[0];
    }
    if (pa === undefined) {
      const start = Math.ceil(this.#next / alignment) * alignment;
      if (start + bytes > this.#end) return null;
      pa = start;
      this.#next = start + bytes;
    }
    this.#memory.writeBytes(pa, new Uint8Array(bytes));
    this.#live.set(pa, { pa, size: bytes, owner });
    return pa;
  }

  /** Returns a block. Freeing an address that is not live is a bug in the caller and throws. */
  free(pa: PhysAddr): void {
    const a = this.#live.get(pa);
    if (a === undefined) throw new Error(`free of 0x${pa.toString(16)}, which is not allocated`);
    this.#live.delete(pa);
    const list = this.#free.get(a.size) ?? [];
    list.push(pa);
    this.#free.set(a.size, list);
  }

  /** Live allocations in address order (for leak accounting). */
  outstanding(owner?: string): FrameAllocation[] {
    return [...this.#live.values()]
      .filter((a) => owner === undefined || a.owner === owner)
      .sort((x, y) => x.pa - y.pa);
  }

  /** Bytes currently allocated. */
  get allocatedBytes(): number {
    let n = 0;
    for (const a of this.#live.values()) n += a.size;
    return n;
  }
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function findLastIndex<T>(xs: T[], pred: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i] as T)) return i;
  return -1;
}
