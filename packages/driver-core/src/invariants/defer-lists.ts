/**
 * I-DEFER-LISTS (d.1.4): a device is on at most one deferred list; a device is on none when it becomes bound
 * (`driver_bound` → `driver_deferred_probe_del` before BOUND_DRIVER) and after `device_del`. The list replay also
 * checks that each splice moves exactly the pending list and that the worker pops the active list's head.
 *
 * @see drivers/base/dd.c driver_deferred_probe_add, driver_deferred_probe_del, driver_deferred_probe_trigger
 */
import type { AnyTraceRecord } from "../format";
import { busWalk, coreRecords, violation, type Violation } from "./types";

/** Replays the deferred lists from a trace; reports every inconsistency as I-DEFER-LISTS. */
export function checkDeferLists(records: readonly AnyTraceRecord[]): Violation[] {
  const out: Violation[] = [];
  const pending: string[] = [];
  const active: string[] = [];
  const where = (device: string): "pending" | "active" | null =>
    pending.includes(device) ? "pending" : active.includes(device) ? "active" : null;
  const remove = (list: string[], device: string): void => {
    const i = list.indexOf(device);
    if (i >= 0) list.splice(i, 1);
  };
  for (const r of coreRecords(records)) {
    switch (r.type) {
      case "deferred-add": {
        const on = where(r.device);
        if (on !== null) out.push(violation("I-DEFER-LISTS", r.device, `added to the pending list while on the ${on} list`, [r.seq]));
        remove(active, r.device);
        if (!pending.includes(r.device)) pending.push(r.device);
        break;
      }
      case "deferred-splice": {
        const same = r.devices.length === pending.length && r.devices.every((d, i) => pending[i] === d);
        if (!same) {
          out.push(violation("I-DEFER-LISTS", null, `splice moved [${r.devices.join(", ")}] but the pending list was [${pending.join(", ")}]`, [r.seq]));
        }
        for (const d of r.devices) {
          remove(pending, d);
          if (!active.includes(d)) active.push(d);
        }
        break;
      }
      case "deferred-del": {
        const on = where(r.device);
        if (on !== r.from) out.push(violation("I-DEFER-LISTS", r.device, `removed from the ${r.from} list but it was on ${on ?? "no list"}`, [r.seq]));
        remove(pending, r.device);
        remove(active, r.device);
        break;
      }
      case "deferred-retry": {
        if (active[0] !== r.device) {
          out.push(violation("I-DEFER-LISTS", r.device, `retried but the head of the active list was ${active[0] ?? "nothing"}`, [r.seq]));
        }
        remove(active, r.device);
        remove(pending, r.device);
        break;
      }
      case "device-del-end": {
        const on = where(r.device);
        if (on !== null) out.push(violation("I-DEFER-LISTS", r.device, `still on the ${on} list after device_del`, [r.seq]));
        break;
      }
      default: {
        const walk = busWalk(r);
        if (walk === null || walk.action !== "BOUND_DRIVER") break;
        const on = where(walk.device);
        if (on !== null) out.push(violation("I-DEFER-LISTS", walk.device, `bound while on the ${on} list`, [r.seq]));
      }
    }
  }
  return out;
}
