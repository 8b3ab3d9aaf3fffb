/**
 * Circular-queue pointer arithmetic shared by the command and event queues (smmuv3-model.md §3.1).
 *
 * A PROD or CONS value holds the entry index in bits [QS-1:0] and a wrap flag in bit QS, where QS is the queue's
 * LOG2SIZE. Bits above (CMDQ_CONS.ERR, EVENTQ_PROD.OVFLG) belong to the register and survive increments.
 *
 * @see hw/arm/smmuv3-internal.h smmuv3_q_empty, smmuv3_q_full, queue_prod_incr, queue_cons_incr
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c queue_has_space, queue_inc_prod_n
 */

/**
 * The programmable state of one queue (register values, plus the effective LOG2SIZE the SMMU latched).
 *
 * @see include/hw/arm/smmuv3.h SMMUQueue
 */
export interface QueueState {
  /** *_BASE, low 32 bits. */
  baseLo: number;
  /** *_BASE, high 32 bits. */
  baseHi: number;
  /** min(*_BASE.LOG2SIZE, IDR1.{CMDQS,EVENTQS}). */
  log2size: number;
  /** *_PROD register value. */
  prod: number;
  /** *_CONS register value. */
  cons: number;
}

/**
 * A fresh queue as at reset: LOG2SIZE = the implementation maximum, PROD = CONS = 0.
 *
 * @see hw/arm/smmuv3.c smmuv3_init_regs (queue base, PROD, CONS and log2size at reset)
 */
export function resetQueue(maxLog2Size: number): QueueState {
  return { baseLo: maxLog2Size, baseHi: 0, log2size: maxLog2Size, prod: 0, cons: 0 };
}

// LOG2SIZE is at most 19 (IDR1.CMDQS/EVENTQS are 5-bit fields the architecture caps at 19), so index and wrap
// masks fit in 31 bits and the arithmetic below is 32-bit integer work; the `2 **` forms remain for wider values.

/**
 * Mask of index + wrap bits: `2^(QS+1) - 1`.
 *
 * @see hw/arm/smmuv3-internal.h WRAP_INDEX_MASK
 */
export function wrapIndexMask(log2size: number): number {
  return log2size < 30 ? (2 << log2size) - 1 : 2 ** (log2size + 1) - 1;
}

/**
 * The entry index (without the wrap bit).
 *
 * @see hw/arm/smmuv3-internal.h Q_PROD, Q_CONS (INDEX_MASK)
 */
export function queueIndex(value: number, log2size: number): number {
  if (log2size < 31) return (value & ((1 << log2size) - 1)) >>> 0;
  return (value >>> 0) % 2 ** log2size;
}

/**
 * The wrap bit (0 or 1).
 *
 * @see hw/arm/smmuv3-internal.h Q_PROD_WRAP, Q_CONS_WRAP
 */
export function queueWrap(value: number, log2size: number): number {
  if (log2size < 31) return (value >>> log2size) & 1;
  return Math.floor((value >>> 0) / 2 ** log2size) & 1;
}

/**
 * Empty: index and wrap equal.
 *
 * @see hw/arm/smmuv3-internal.h smmuv3_q_empty
 */
export function queueEmpty(prod: number, cons: number, log2size: number): boolean {
  if (log2size < 30) return (((prod ^ cons) & ((2 << log2size) - 1)) === 0);
  const m = wrapIndexMask(log2size);
  return (prod >>> 0) % (m + 1) === (cons >>> 0) % (m + 1);
}

/**
 * Full: index equal, wrap different.
 *
 * @see hw/arm/smmuv3-internal.h smmuv3_q_full
 */
export function queueFull(prod: number, cons: number, log2size: number): boolean {
  return (
    queueIndex(prod, log2size) === queueIndex(cons, log2size) && queueWrap(prod, log2size) !== queueWrap(cons, log2size)
  );
}

/**
 * `v + 1` in the low QS+1 bits, keeping every higher bit (QEMU `deposit32(v, 0, QS + 1, v + 1)`).
 *
 * @see hw/arm/smmuv3-internal.h queue_cons_incr
 */
export function queueIncrement(value: number, log2size: number): number {
  if (log2size < 30) {
    const m = (2 << log2size) - 1;
    return ((value & ~m) | ((value + 1) & m)) >>> 0;
  }
  const span = 2 ** (log2size + 1);
  const v = value >>> 0;
  const low = v % span;
  return (v - low + ((low + 1) % span)) >>> 0;
}

/**
 * Entries Linux may still add: `2^QS - (prod - cons)` with equal wraps, `cons - prod` otherwise (indices only).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c queue_has_space
 */
export function queueSpace(prod: number, cons: number, log2size: number): number {
  const size = 2 ** log2size;
  const p = queueIndex(prod, log2size);
  const c = queueIndex(cons, log2size);
  return queueWrap(prod, log2size) === queueWrap(cons, log2size) ? size - (p - c) : c - p;
}

/**
 * The effective base address of a queue. QEMU masks every base with the stream-table mask, bits [51:6]
 * (`qemuMask`); the spec takes [51:5] and ignores address bits below the queue's size in bytes.
 *
 * @see hw/arm/smmuv3-internal.h Q_BASE, SMMU_BASE_ADDR_MASK
 */
export function queueBaseAddress(q: QueueState, entrySize: number, qemuMask: boolean): number {
  const hi = q.baseHi & 0xfffff; // bits [51:32]
  if (qemuMask) return hi * 0x1_0000_0000 + ((q.baseLo & ~0x3f) >>> 0);
  const raw = hi * 0x1_0000_0000 + ((q.baseLo & ~0x1f) >>> 0);
  const bytes = Math.max(32, entrySize * 2 ** q.log2size);
  return raw - (raw % bytes);
}

/**
 * Address of the entry a PROD/CONS value points at.
 *
 * @see hw/arm/smmuv3-internal.h Q_PROD_ENTRY, Q_CONS_ENTRY
 */
export function queueEntryAddress(base: number, value: number, log2size: number, entrySize: number): number {
  return base + queueIndex(value, log2size) * entrySize;
}
