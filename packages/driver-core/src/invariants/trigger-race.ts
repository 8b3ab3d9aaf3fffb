/**
 * I-TRIGGER-RACE (d.1.6): if a trigger happened while a probe was running and that probe then deferred, another
 * trigger must follow, or the device could sleep on the pending list through the trigger that would have
 * satisfied it.
 *
 * @see drivers/base/dd.c driver_deferred_probe_trigger (the race comment), driver_deferred_probe_add_trigger
 */
import type { AnyTraceRecord } from "../format";
import { coreRecords, violation, type Violation } from "./types";

/** Checks I-TRIGGER-RACE over a trace. */
export function checkTriggerRace(records: readonly AnyTraceRecord[]): Violation[] {
  const out: Violation[] = [];
  const recs = coreRecords(records);
  const attemptStart = new Map<string, number>();
  const triggers: number[] = []; // seqs of enabled triggers
  let deferAll = false;
  const waiting: { readonly device: string; readonly seqs: readonly number[] }[] = [];
  for (const r of recs) {
    switch (r.type) {
      case "really-probe":
        attemptStart.set(r.device, r.seq);
        break;
      case "defer-all-probes":
        deferAll = r.enabled;
        break;
      case "deferred-trigger":
        if (!r.enabled) break;
        triggers.push(r.seq);
        waiting.splice(0);
        break;
      case "probe-defer": {
        const start = attemptStart.get(r.device);
        if (start === undefined || deferAll) break;
        const during = triggers.filter((s) => s > start && s < r.seq);
        if (during.length > 0) waiting.push({ device: r.device, seqs: [start, ...during, r.seq] });
        break;
      }
      default:
        break;
    }
  }
  for (const w of waiting) {
    out.push(violation("I-TRIGGER-RACE", w.device, "a trigger ran during a probe that then deferred, and no trigger followed", w.seqs));
  }
  return out;
}
