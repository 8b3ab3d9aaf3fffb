/**
 * I-BOUND-STATE (d.1.3): when `really_probe` returns, `dev->driver != NULL` ⇔ `device_is_bound(dev)` ⇔ the last
 * bind event of the device was BOUND_DRIVER (and the trace's own bound/unbound records agree).
 *
 * @see drivers/base/dd.c really_probe, driver_bound, device_is_bound
 */
import type { AnyTraceRecord } from "../format";
import { busWalk, coreRecords, violation, type Violation } from "./types";

const BIND_ACTIONS = new Set(["BIND_DRIVER", "BOUND_DRIVER", "DRIVER_NOT_BOUND", "UNBIND_DRIVER", "UNBOUND_DRIVER"]);

/** Checks I-BOUND-STATE over a trace. */
export function checkBoundState(records: readonly AnyTraceRecord[]): Violation[] {
  const out: Violation[] = [];
  const lastBindEvent = new Map<string, { readonly action: string; readonly seq: number }>();
  const bound = new Map<string, number>();
  for (const r of coreRecords(records)) {
    const walk = busWalk(r);
    if (walk !== null && BIND_ACTIONS.has(walk.action)) {
      lastBindEvent.set(walk.device, { action: walk.action, seq: r.seq });
      continue;
    }
    if (r.type === "driver-bound") bound.set(r.device, r.seq);
    else if (r.type === "driver-unbound") bound.delete(r.device);
    else if (r.type === "really-probe-end") {
      const last = lastBindEvent.get(r.device);
      const lastIsBound = last?.action === "BOUND_DRIVER";
      const traced = bound.has(r.device);
      const seqs = [r.seq, ...(last ? [last.seq] : [])];
      if (r.driverSet !== r.bound) {
        out.push(
          violation("I-BOUND-STATE", r.device, `after really_probe dev->driver is ${r.driverSet ? "set" : "NULL"} but the device is ${r.bound ? "bound" : "not bound"}`, seqs),
        );
      } else if (r.bound !== lastIsBound) {
        out.push(
          violation("I-BOUND-STATE", r.device, `after really_probe the device is ${r.bound ? "bound" : "not bound"} but its last bind event was ${last?.action ?? "none"}`, seqs),
        );
      } else if (r.bound !== traced) {
        out.push(
          violation("I-BOUND-STATE", r.device, `after really_probe the device is ${r.bound ? "bound" : "not bound"} but the trace ${traced ? "bound" : "never bound"} it`, seqs),
        );
      }
    }
  }
  return out;
}
