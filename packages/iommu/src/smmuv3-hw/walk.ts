/**
 * The stage-1 VMSAv8-64 table walk (smmuv3-model.md §5.1–§5.4) for 4K, 16K and 64K granules, reading descriptors
 * from simulated memory as two 32-bit halves.
 *
 * @see hw/arm/smmu-common.c smmu_ptw_64_s1, select_tt
 * @see hw/arm/smmu-internal.h VMSA_*, PTE_*, is_permission_fault
 */
import { BUS_ERROR, type PhysicalMemoryPort } from "@dmasim/machine";
import type { IotlbEntry } from "./iotlb";

const TWO_32 = 0x1_0000_0000;

/**
 * One TTBx half, with what the walk and the IOTLB lookup derive from it (computed once per CD decode).
 *
 * @see include/hw/arm/smmu-common.h SMMUTransTableInfo
 */
export interface WalkTable {
  readonly disabled: boolean;
  /** TxSZ; 0 for a disabled half. */
  readonly tsz: number;
  readonly granuleShift: number;
  readonly ttb: number;
  readonly had: boolean;
  /** `4 - (inputsize - 4) / stride`. */
  readonly startLevel: number;
}

/**
 * What the walk needs of the CD beyond the table.
 *
 * @see include/hw/arm/smmu-common.h SMMUTransCfg
 */
export interface WalkContext {
  /** Effective IPS in bits. */
  readonly oas: number;
  readonly affd: boolean;
}

/** Which QEMU leniencies apply (from the compat switches). */
export interface WalkRules {
  readonly blockAtAnyLevel: boolean;
  readonly addrSizeFinalOnly: boolean;
  readonly tlbIgnoresApTable: boolean;
}

/**
 * A walk fault. `fetchAddr` is the descriptor address for a walk external abort.
 *
 * @see include/hw/arm/smmu-common.h SMMUPTWEventInfo
 */
export interface WalkFault {
  readonly fault: "translation" | "addr-size" | "access" | "permission" | "walk-eabt";
  readonly level: number;
  readonly fetchAddr: number | null;
}

/**
 * The start level for a TxSZ and granule (`4 - (inputsize - 4) / stride`).
 *
 * @see hw/arm/smmu-common.c smmu_ptw_64_s1 (level = 4 - (inputsize - 4) / stride)
 */
export function startLevel(tsz: number, granuleShift: number): number {
  return 4 - Math.floor((64 - tsz - 4) / (granuleShift - 3));
}

/**
 * Which half translates `iova` (QEMU `select_tt`): TTB0 if it has a size and the top bits are zero; TTB1 if it has a
 * size and they are all one; otherwise the half without a size; otherwise none (a translation fault). TBI (per half
 * chosen by bit 55) drops the top byte from the check.
 *
 * @remarks Input addresses are numbers below 2^53, so the TTB1 range (top bits all one) cannot actually be presented;
 * the rule is kept so that an EPD1 half is selected, and faults, for addresses beyond TTB0's range. QEMU's `TBI1`
 * macro reads bit 0 instead of bit 1 of CD.TBI; that cannot matter here for the same reason.
 */
export function selectTable<T extends WalkTable>(tt0: T, tt1: T, tbi: number, iova: number): T | null {
  const top55 = Math.floor(iova / 2 ** 55) % 2 === 1;
  const tbiOn = ((top55 ? tbi >> 1 : tbi) & 1) === 1;
  const a = tbiOn ? iova % 2 ** 56 : iova;
  const span = tbiOn ? 2 ** 56 : 2 ** 64;
  if (tt0.tsz !== 0 && a < 2 ** (64 - tt0.tsz)) return tt0;
  if (tt1.tsz !== 0 && a >= span - 2 ** (64 - tt1.tsz)) return tt1;
  if (tt0.tsz === 0) return tt0;
  if (tt1.tsz === 0) return tt1;
  return null;
}

/** Whether a block descriptor is architecturally allowed at `level` for the granule (no LPA2 / 52-bit PA). */
function blockAllowed(granuleShift: number, level: number): boolean {
  return granuleShift === 12 ? level === 1 || level === 2 : level === 2;
}

/** 2^n for n in 0..64, so the walk never calls Math.pow. */
const POW2: readonly number[] = Array.from({ length: 65 }, (_, n) => 2 ** n);

/**
 * Walks `tt` for `iova` (already aligned to the granule, as QEMU's translate does). Returns a new IOTLB entry, or the
 * fault. Checks follow QEMU's order: invalid/reserved descriptor → F_TRANSLATION; APTable[1] on a write (unless
 * HADx) → F_PERMISSION; at the leaf, AF = 0 without AFFD → F_ACCESS (before permission); a write to AP[2] = 1 →
 * F_PERMISSION (all transactions treated as privileged, XN ignored); output ≥ 2^IPS → F_ADDR_SIZE.
 *
 * @remarks Hot path: the input address and descriptors are handled as 32-bit halves with integer operations.
 *
 * @see hw/arm/smmu-common.c smmu_ptw_64_s1
 */
export function walkStage1(
  memory: PhysicalMemoryPort,
  tt: WalkTable,
  ctx: WalkContext,
  iova: number,
  write: boolean,
  rules: WalkRules,
): IotlbEntry | WalkFault {
  const g = tt.granuleShift;
  const stride = g - 3;
  const indexMask = (1 << stride) - 1;
  const granuleLoMask = ~((1 << g) - 1);
  let level = tt.startLevel;
  const oasLimit = POW2[ctx.oas] ?? TWO_32 * TWO_32;
  // Start table base: TTB aligned to the start table's size (VMSA_IDXMSK); that size is below 2^32.
  const startBits = 64 - tt.tsz - stride * (4 - level);
  let base = tt.ttb - ((tt.ttb >>> 0) & ((1 << startBits) - 1));
  const inLo = iova >>> 0;
  const inHi = (iova - inLo) / TWO_32;
  let tableNoWrite = false;
  const words = memory.pageWords !== undefined;
  while (level <= 3) {
    const shift = g + (3 - level) * stride;
    // Index bits [shift + stride - 1 : shift] of the input address (select_tt keeps it below 2^inputsize).
    const index =
      shift >= 32
        ? (inHi >>> (shift - 32)) & indexMask
        : shift + stride <= 32
          ? (inLo >>> shift) & indexMask
          : ((inLo >>> shift) | (inHi << (32 - shift))) & indexMask;
    const pteAddr = base + index * 8;
    // The descriptor's two halves from the page's words when the memory offers them (one page lookup, not two).
    const page = words && (pteAddr & 7) === 0 ? (memory.pageWords?.(pteAddr, false) ?? null) : null;
    let lo: number;
    let hi: number;
    if (page !== null) {
      const w = (pteAddr & 0xfff) >>> 2;
      lo = page[w] as number;
      hi = page[w + 1] as number;
    } else {
      lo = memory.read32(pteAddr);
      if (lo === BUS_ERROR) return { fault: "walk-eabt", level, fetchAddr: pteAddr };
      hi = memory.read32(pteAddr + 4);
      if (hi === BUS_ERROR) return { fault: "walk-eabt", level, fetchAddr: pteAddr };
    }
    const type = lo & 3;
    if ((type & 1) === 0 || (level === 3 && type === 1)) break;
    if (level < 3 && type === 3) {
      // Table descriptor: APTable[1] (bit 62) forbids writes below it unless HADx.
      if ((hi & 0x40000000) !== 0 && !tt.had) {
        if (write) return { fault: "permission", level, fetchAddr: null };
        tableNoWrite = true;
      }
      base = (hi & 0xffff) * TWO_32 + ((lo & granuleLoMask) >>> 0);
      if (!rules.addrSizeFinalOnly && base >= oasLimit) return { fault: "addr-size", level, fetchAddr: null };
      level++;
      continue;
    }
    if (level < 3 && !rules.blockAtAnyLevel && !blockAllowed(g, level)) break;
    // Page (L3) or block: the output address is pte[47:shift]; the entry covers the input aligned to 2^shift.
    let pa: number;
    let alignedIova: number;
    if (shift < 32) {
      const loMask = ~((1 << shift) - 1);
      pa = (hi & 0xffff) * TWO_32 + ((lo & loMask) >>> 0);
      alignedIova = inHi * TWO_32 + ((inLo & loMask) >>> 0);
    } else {
      const hiMask = ~((1 << (shift - 32)) - 1);
      pa = (hi & 0xffff & hiMask) * TWO_32;
      alignedIova = ((inHi & hiMask) >>> 0) * TWO_32;
    }
    if ((lo & 0x400) === 0 && !ctx.affd) return { fault: "access", level, fetchAddr: null };
    const readOnly = (lo & 0x80) !== 0;
    if (write && readOnly) return { fault: "permission", level, fetchAddr: null };
    if (pa >= oasLimit) return { fault: "addr-size", level, fetchAddr: null };
    return {
      iova: alignedIova,
      size: POW2[shift] ?? 0,
      pa,
      writable: !readOnly && (rules.tlbIgnoresApTable || !tableNoWrite),
      level,
      granuleShift: g,
      lastIova: -1,
      lastOutcome: null,
    };
  }
  return { fault: "translation", level: Math.min(level, 3), fetchAddr: null };
}
