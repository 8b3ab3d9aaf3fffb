/**
 * Stream table lookup, linear and 2-level (smmuv3-model.md §2.1, §2.2): from a StreamID to the 64-byte STE image in
 * simulated memory, or to the event the lookup raises.
 *
 * @see hw/arm/smmuv3.c smmu_find_ste, smmu_get_ste
 */
import { BUS_ERROR, type PhysicalMemoryPort } from "@dmasim/machine";
import { EVENT_ID } from "./events";

/** What the lookup needs from the register file. */
export interface StreamTableRegs {
  readonly strtabBaseLo: number;
  readonly strtabBaseHi: number;
  /** STRTAB_BASE_CFG.LOG2SIZE. */
  readonly log2size: number;
  /** The latched (QEMU) or current FMT = 2-level. */
  readonly twoLevel: boolean;
  /** The latched SPLIT. */
  readonly split: number;
  /** IDR1.SIDSIZE. */
  readonly sidBits: number;
  /** compat.l2BoundQemu. */
  readonly l2BoundQemu: boolean;
}

/** A fetched STE. */
export interface SteFetch {
  readonly ok: true;
  /** Physical address of the STE. */
  readonly addr: number;
  /** Its sixteen 32-bit words. */
  readonly words: Uint32Array;
}

/**
 * A failed lookup: the event to raise and why.
 *
 * @see hw/arm/smmuv3.c smmu_find_ste
 */
export interface SteLookupFault {
  readonly ok: false;
  /** C_BAD_STREAMID, F_STE_FETCH or C_BAD_STE. */
  readonly eventId: number;
  /** FetchAddr for F_STE_FETCH. */
  readonly fetchAddr: number | null;
  readonly message: string;
}

/**
 * Result of {@link findSte}.
 *
 * @see hw/arm/smmuv3.c smmu_find_ste
 */
export type SteLookup = SteFetch | SteLookupFault;

const TWO_32 = 0x1_0000_0000;

/** STRTAB_BASE bits [51:6] as a number. */
function strtabBase(regs: StreamTableRegs): number {
  return (regs.strtabBaseHi & 0xfffff) * TWO_32 + ((regs.strtabBaseLo & ~0x3f) >>> 0);
}

function alignDown(v: number, shift: number): number {
  const size = 2 ** shift;
  return v - (v % size);
}

/** Reads 64 bytes as sixteen words; `null` on a bus error. */
export function readWords(memory: PhysicalMemoryPort, addr: number, count: number): Uint32Array | null {
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const v = memory.read32(addr + 4 * i);
    if (v === BUS_ERROR) return null;
    out[i] = v;
  }
  return out;
}

const fault = (eventId: number, message: string, fetchAddr: number | null = null): SteLookupFault => ({
  ok: false,
  eventId,
  fetchAddr,
  message,
});

/**
 * Finds and fetches the STE of `sid`, as QEMU's `smmu_find_ste` does:
 *
 * 1. `sid >= 2^min(LOG2SIZE, SIDSIZE)` → C_BAD_STREAMID.
 * 2. Linear: STE at `(base & ~(2^(LOG2SIZE+5) - 1)) + sid × 64`.
 * 3. 2-level: L1STD at `(base aligned to the L1 table) + (sid >> SPLIT) × 8`; a bus error → F_STE_FETCH; Span = 0 →
 *    C_BAD_STREAMID; the L2 index `sid & (2^SPLIT - 1)` bounded by `2^Span - 1` → C_BAD_STE (QEMU) or by
 *    `2^(Span-1) - 1`, with Span > SPLIT + 1 also invalid → C_BAD_STREAMID (spec); STE at `L2Ptr + index × 64`.
 * 4. Reading the 64-byte STE fails → F_STE_FETCH.
 */
export function findSte(memory: PhysicalMemoryPort, regs: StreamTableRegs, sid: number): SteLookup {
  const log2size = regs.log2size;
  if (sid >= 2 ** Math.min(log2size, regs.sidBits)) {
    return fault(EVENT_ID.C_BAD_STREAMID, `StreamID 0x${sid.toString(16)} beyond the ${log2size}-bit stream table`);
  }
  let addr: number;
  if (regs.twoLevel) {
    const split = regs.split;
    const shift = Math.max(5, log2size - split - 1 + 3);
    const base = alignDown(strtabBase(regs), shift);
    const l1Addr = base + Math.floor(sid / 2 ** split) * 8;
    const lo = memory.read32(l1Addr);
    const hi = memory.read32(l1Addr + 4);
    if (lo === BUS_ERROR || hi === BUS_ERROR) {
      return fault(EVENT_ID.F_STE_FETCH, `L1STD fetch at 0x${l1Addr.toString(16)} aborted`, l1Addr);
    }
    const span = lo & 0x1f;
    if (span === 0) return fault(EVENT_ID.C_BAD_STREAMID, `L1STD for StreamID 0x${sid.toString(16)} has Span 0`);
    const l2Index = sid % 2 ** split;
    if (regs.l2BoundQemu) {
      // QEMU keeps L1STD bits [63:5] as the pointer and bounds the index by 2^Span - 1.
      if (l2Index > 2 ** span - 1) {
        return fault(EVENT_ID.C_BAD_STE, `L2 index ${l2Index} > 2^Span - 1 (Span ${span})`);
      }
      addr = hi * TWO_32 + ((lo & ~0x1f) >>> 0);
    } else {
      if (span > split + 1 || span > 12 || l2Index >= 2 ** (span - 1)) {
        return fault(EVENT_ID.C_BAD_STREAMID, `L2 index ${l2Index} outside Span ${span} (SPLIT ${split})`);
      }
      // L2Ptr[51:6], aligned to the L2 table size (2^(Span-1) STEs of 64 bytes).
      addr = alignDown((hi & 0xfffff) * TWO_32 + ((lo & ~0x3f) >>> 0), span - 1 + 6);
    }
    addr += l2Index * 64;
  } else {
    addr = alignDown(strtabBase(regs), log2size + 5) + sid * 64;
  }
  const words = readWords(memory, addr, 16);
  if (words === null) return fault(EVENT_ID.F_STE_FETCH, `STE fetch at 0x${addr.toString(16)} aborted`, addr);
  return { ok: true, addr, words };
}
