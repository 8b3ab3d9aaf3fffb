/**
 * The software IO TLB: a pool of bounce slots in low RAM. When a device cannot reach a buffer (its DMA mask, or
 * `dma-ranges`), the data goes through a slot it can reach, copied in before the device reads and out after it
 * writes, according to the direction. Slots are 2 KiB (`IO_TLB_SHIFT` 11), grouped in segments of 128 that an
 * allocation never crosses; each slot keeps its original address and the allocation size, as swiotlb.c does.
 *
 * @see kernel/dma/swiotlb.c swiotlb_tbl_map_single, swiotlb_tbl_unmap_single, swiotlb_bounce
 * @see lib/swiotlb.c (v4.x)
 */
import type { FrameAllocator, PhysicalMemoryPort } from "@dmasim/machine";
import type { DmaDirection } from "../types";

/** `IO_TLB_SHIFT`: slots are 2 KiB. */
export const IO_TLB_SHIFT = 11;
/** `IO_TLB_SIZE`. */
export const IO_TLB_SIZE = 1 << IO_TLB_SHIFT;
/** `IO_TLB_SEGSIZE`: slots per segment (an allocation stays inside one). */
export const IO_TLB_SEGSIZE = 128;
/** v4.x `io_tlb_overflow` default: 32 KiB returned (as a DMA address) when the pool is full. */
export const IO_TLB_OVERFLOW_SIZE = 32 * 1024;

interface Slot {
  /** Free contiguous slots from here to the next used slot or the segment end (`slots[i].list`). */
  list: number;
  /** `orig_addr` of the byte this slot holds, -1 when free. */
  origAddr: number;
  /** `alloc_size` on the first slot of an allocation. */
  allocSize: number;
}

/**
 * Options of a {@link SwiotlbPool}.
 *
 * @see kernel/dma/swiotlb.c swiotlb_init
 */
export interface SwiotlbPoolOptions {
  /** Pool size in bytes (a multiple of 2 KiB; default 1 MiB = 512 slots, 4 segments). */
  readonly size?: number;
  /** Whether to allocate the v4.x overflow buffer. */
  readonly overflowBuffer?: boolean;
}

/**
 * `struct io_tlb_mem` over simulated RAM.
 *
 * @see include/linux/swiotlb.h struct io_tlb_mem
 */
export class SwiotlbPool {
  /** `mem->start`. */
  readonly start: number;
  /** `mem->end` (exclusive). */
  readonly end: number;
  /** `io_tlb_overflow_buffer` (v4.x), or -1. */
  readonly overflowBuffer: number;
  readonly nslabs: number;
  readonly #slots: Slot[];
  readonly #memory: PhysicalMemoryPort;
  /** `mem->index`: where the next search starts. */
  #index = 0;
  #used = 0;

  /**
   * `swiotlb_init`: the pool comes from the frame allocator early in boot, so it sits at the bottom of RAM.
   * Returns null when the memory is not available.
   */
  static create(memory: PhysicalMemoryPort, frames: FrameAllocator, options: SwiotlbPoolOptions = {}): SwiotlbPool | null {
    const size = options.size ?? 0x100000;
    if (size <= 0 || size % IO_TLB_SIZE !== 0) throw new RangeError(`swiotlb pool size ${size} is not a multiple of 2 KiB`);
    const start = frames.alloc(size, "swiotlb", 4096);
    if (start === null) return null;
    let overflow = -1;
    if (options.overflowBuffer === true) {
      const o = frames.alloc(IO_TLB_OVERFLOW_SIZE, "swiotlb-overflow", 4096);
      if (o === null) return null;
      overflow = o;
    }
    return new SwiotlbPool(memory, start, size, overflow);
  }

  private constructor(memory: PhysicalMemoryPort, start: number, size: number, overflowBuffer: number) {
    this.#memory = memory;
    this.start = start;
    this.end = start + size;
    this.overflowBuffer = overflowBuffer;
    this.nslabs = size / IO_TLB_SIZE;
    this.#slots = [];
    for (let i = 0; i < this.nslabs; i++) {
      this.#slots.push({ list: IO_TLB_SEGSIZE - (i % IO_TLB_SEGSIZE), origAddr: -1, allocSize: 0 });
    }
    // A final partial segment ends at the pool end.
    this.#relist(this.nslabs - 1);
  }

  /** Slots in use. */
  get usedSlots(): number {
    return this.#used;
  }

  /** `is_swiotlb_buffer(dev, paddr)`. */
  contains(pa: number): boolean {
    return pa >= this.start && pa < this.end;
  }

  /** Recomputes `list` for the segment holding slot `i` (what the kernel updates incrementally). */
  #relist(i: number): void {
    const segStart = i - (i % IO_TLB_SEGSIZE);
    const segEnd = Math.min(segStart + IO_TLB_SEGSIZE, this.nslabs);
    let run = 0;
    for (let j = segEnd - 1; j >= segStart; j--) {
      const s = this.#slots[j] as Slot;
      run = s.origAddr === -1 ? run + 1 : 0;
      s.list = run;
    }
  }

  /**
   * `swiotlb_tbl_map_single`: finds `ceil(size / 2K)` free slots in one segment (page-aligned for allocations of a
   * page or more), records the original address, and copies the CPU data in when `copyIn`. Returns the slot's
   * physical address, or -1 when the pool is full.
   *
   * @see kernel/dma/swiotlb.c swiotlb_find_slots
   */
  map(origAddr: number, size: number, copyIn: boolean): number {
    const nslots = Math.ceil(size / IO_TLB_SIZE);
    if (nslots === 0 || nslots > IO_TLB_SEGSIZE) return -1;
    const stride = size >= 4096 ? 4096 / IO_TLB_SIZE : 1;
    let index = Math.ceil(this.#index / stride) * stride;
    if (index >= this.nslabs) index = 0;
    const wrap = index;
    do {
      const s = this.#slots[index] as Slot;
      if (s.list >= nslots) {
        for (let j = 0; j < nslots; j++) {
          const slot = this.#slots[index + j] as Slot;
          slot.origAddr = origAddr + j * IO_TLB_SIZE;
          slot.allocSize = j === 0 ? size : 0;
        }
        this.#relist(index);
        this.#used += nslots;
        this.#index = (index + nslots) % this.nslabs;
        const tlbAddr = this.start + index * IO_TLB_SIZE;
        if (copyIn) this.#copy(origAddr, tlbAddr, size);
        return tlbAddr;
      }
      index += stride;
      if (index >= this.nslabs) index = 0;
    } while (index !== wrap);
    return -1;
  }

  /** The original address recorded for the slot holding `tlbAddr` (-1 when free or outside the pool). */
  origAddr(tlbAddr: number): number {
    if (!this.contains(tlbAddr)) return -1;
    const i = Math.floor((tlbAddr - this.start) / IO_TLB_SIZE);
    const o = (this.#slots[i] as Slot).origAddr;
    return o === -1 ? -1 : o + ((tlbAddr - this.start) % IO_TLB_SIZE);
  }

  /**
   * `swiotlb_tbl_unmap_single`: copies back when `copyOut`, then frees the allocation's slots. Returns the size
   * that was mapped (0 when `tlbAddr` held nothing).
   *
   * @see kernel/dma/swiotlb.c swiotlb_release_slots
   */
  unmap(tlbAddr: number, copyOut: boolean): number {
    if (!this.contains(tlbAddr)) return 0;
    const index = Math.floor((tlbAddr - this.start) / IO_TLB_SIZE);
    const first = this.#slots[index] as Slot;
    if (first.origAddr === -1) return 0;
    const size = first.allocSize;
    if (copyOut) this.#copy(tlbAddr, first.origAddr, size);
    const nslots = Math.ceil(size / IO_TLB_SIZE);
    for (let j = 0; j < nslots; j++) {
      const slot = this.#slots[index + j] as Slot;
      slot.origAddr = -1;
      slot.allocSize = 0;
    }
    this.#used -= nslots;
    this.#relist(index);
    return size;
  }

  /** `swiotlb_bounce`: copy between the CPU buffer and the slot. */
  bounce(tlbAddr: number, size: number, to: "tlb" | "cpu"): void {
    const orig = this.origAddr(tlbAddr);
    if (orig === -1) return;
    if (to === "tlb") this.#copy(orig, tlbAddr, size);
    else this.#copy(tlbAddr, orig, size);
  }

  #copy(from: number, to: number, size: number): void {
    const bytes = this.#memory.readBytes(from, size);
    if (bytes !== null) this.#memory.writeBytes(to, bytes);
  }
}

/** Whether a map in direction `dir` copies the CPU data into the slot (v4.x rule). */
export function bouncesToDevice(dir: DmaDirection): boolean {
  return dir === "to-device" || dir === "bidirectional";
}

/** Whether an unmap / sync-for-cpu in direction `dir` copies the slot back to the CPU buffer. */
export function bouncesFromDevice(dir: DmaDirection): boolean {
  return dir === "from-device" || dir === "bidirectional";
}
