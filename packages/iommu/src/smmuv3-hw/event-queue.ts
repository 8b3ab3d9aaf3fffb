/**
 * Event recording (smmuv3-model.md §4.3): write a 32-byte record at EVENTQ_PROD, advance PROD, pulse the event IRQ;
 * with QEMU's or the spec's behaviour when the queue is full.
 *
 * @see hw/arm/smmuv3.c smmuv3_record_event, smmuv3_write_eventq
 */
import { encodeEventRecord, EVENT_ID, eventName, type SmmuEventRecord } from "./events";
import { queueBaseAddress, queueEmpty, queueEntryAddress, queueFull, queueIncrement } from "./queues";
import { CR0, GERROR, IRQ_CTRL, Q_OVERFLOW_FLAG } from "./registers";
import type { SmmuV3State } from "./state";
import type { SmmuEventDisposition } from "./trace";

/**
 * Bytes per event record.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h EVTQ_ENT_DWORDS
 */
export const EVENT_ENTRY_SIZE = 32;

/** What the trace reports besides the record. */
export interface EventContext {
  readonly access: "read" | "write" | null;
  readonly fetchAddr: number | null;
  readonly message: string;
}

/**
 * Records an event:
 * 1. CR0.EVENTQEN = 0 → dropped silently (no overflow either, SPEC §7.4).
 * 2. Queue full → QEMU: GERROR.EVENTQ_ABT_ERR; spec: discard, and toggle EVENTQ_PROD.OVFLG unless an overflow is
 *    already pending (OVFLG != EVENTQ_CONS.OVACKFLG).
 * 3. Write the record at PROD; a bus error → GERROR.EVENTQ_ABT_ERR.
 * 4. PROD++, and pulse the event IRQ if IRQ_CTRL.EVENTQ_IRQEN.
 */
export function recordEvent(s: SmmuV3State, record: SmmuEventRecord, ctx: EventContext): SmmuEventDisposition {
  const disposition = writeRecord(s, record);
  if (disposition === "queued") s.counters.eventsRecorded++;
  else s.counters.eventsLost++;
  traceEvent(s, record, ctx, disposition);
  return disposition;
}

/** Traces an event the SMMU raised but chose not to record (CD.R = 0, RECINVSID = 0). */
export function traceUnrecorded(s: SmmuV3State, record: SmmuEventRecord, ctx: EventContext): void {
  traceEvent(s, record, ctx, "not-recorded");
}

function traceEvent(s: SmmuV3State, r: SmmuEventRecord, ctx: EventContext, disposition: SmmuEventDisposition): void {
  if (s.trace === null) return;
  s.emit({
    type: "smmu-event",
    smmu: s.name,
    id: r.id,
    name: eventName(r.id),
    sid: r.sid,
    ssid: r.ssv === true || r.id === EVENT_ID.C_BAD_SUBSTREAMID ? (r.ssid ?? 0) : null,
    inputAddr: r.inputAddr ?? null,
    fetchAddr: ctx.fetchAddr,
    access: ctx.access,
    disposition,
    message: ctx.message,
  });
}

function writeRecord(s: SmmuV3State, record: SmmuEventRecord): SmmuEventDisposition {
  if ((s.cr0 & CR0.EVENTQEN) === 0) return "eventq-disabled";
  const q = s.eventq;
  if (queueFull(q.prod, q.cons, q.log2size)) {
    if (s.config.compat.eventqFullRaisesGerror) {
      s.raiseGerror(GERROR.EVTQ_ABT_ERR);
      return "queue-full-gerror";
    }
    const pending = ((q.prod ^ q.cons) & Q_OVERFLOW_FLAG) !== 0;
    if (!pending) q.prod = (q.prod ^ Q_OVERFLOW_FLAG) >>> 0;
    return "overflow";
  }
  const base = queueBaseAddress(q, EVENT_ENTRY_SIZE, s.config.compat.queueBaseMask64);
  const addr = queueEntryAddress(base, q.prod, q.log2size, EVENT_ENTRY_SIZE);
  const words = encodeEventRecord(record);
  const bytes = new Uint8Array(EVENT_ENTRY_SIZE);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 8; i++) view.setUint32(4 * i, words[i] ?? 0, true);
  if (!s.memory.writeBytes(addr, bytes)) {
    s.raiseGerror(GERROR.EVTQ_ABT_ERR);
    return "write-abort";
  }
  q.prod = queueIncrement(q.prod, q.log2size);
  if (!queueEmpty(q.prod, q.cons, q.log2size) && (s.irqCtrl & IRQ_CTRL.EVENTQ_IRQEN) !== 0) s.pulse("eventq");
  return "queued";
}
