/**
 * I-DEFER-LIVENESS (d.1.5): after the late_initcall flush (and after the timeout flush), every device still on the
 * pending list has a recorded unmet dependency: a deferral reason, and if the reason names a supplier device,
 * that supplier is not bound. A device whose supplier (e.g. its IOMMU) has bound must not remain pending.
 *
 * @see drivers/base/dd.c deferred_probe_initcall, deferred_devs_show, device_set_deferred_probe_reason
 */
import type { DriverCoreEra } from "../era";
import type { AnyTraceRecord } from "../format";
import { coreRecords, violation, type Violation } from "./types";

/** Checks I-DEFER-LIVENESS at each post-initcall and post-timeout flush of a trace. */
export function checkDeferLiveness(
  records: readonly AnyTraceRecord[],
  era: Pick<DriverCoreEra, "initcallsDoneSecondTrigger">,
): Violation[] {
  const out: Violation[] = [];
  const pending = new Map<string, number>();
  const reasons = new Map<string, { readonly reason: string; readonly supplier: string | null; readonly seq: number }>();
  const bound = new Map<string, number>();
  const checkpoint = era.initcallsDoneSecondTrigger ? "initcall-second" : "initcall";
  for (const r of coreRecords(records)) {
    switch (r.type) {
      case "deferred-add":
        pending.set(r.device, r.seq);
        break;
      case "deferred-splice":
        for (const d of r.devices) pending.delete(d);
        break;
      case "deferred-del":
        pending.delete(r.device);
        reasons.delete(r.device);
        break;
      case "deferred-retry":
        pending.delete(r.device);
        reasons.delete(r.device);
        break;
      case "deferred-reason":
        if (r.reason === null) reasons.delete(r.device);
        else reasons.set(r.device, { reason: r.reason, supplier: r.supplier, seq: r.seq });
        break;
      case "driver-bound":
        bound.set(r.device, r.seq);
        break;
      case "driver-unbound":
        bound.delete(r.device);
        break;
      case "deferred-flushed": {
        if (r.phase !== checkpoint && r.phase !== "timeout") break;
        for (const [device, addedAt] of pending) {
          const why = reasons.get(device);
          if (why === undefined) {
            out.push(violation("I-DEFER-LIVENESS", device, "pending after the deferred-probe flush with no recorded dependency", [addedAt, r.seq]));
          } else if (why.supplier !== null && bound.has(why.supplier)) {
            out.push(
              violation(
                "I-DEFER-LIVENESS",
                device,
                `pending after the deferred-probe flush waiting for ${why.reason}, but ${why.supplier} is bound`,
                [addedAt, why.seq, bound.get(why.supplier) as number, r.seq],
              ),
            );
          }
        }
        break;
      }
      default:
        break;
    }
  }
  return out;
}
