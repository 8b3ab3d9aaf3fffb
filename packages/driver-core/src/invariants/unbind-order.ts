/**
 * I-UNBIND-ORDER (d.1.7): UNBIND_DRIVER < `->remove` < UNBOUND_DRIVER, once each per release; and
 * DEL_DEVICE < (unbind events) < REMOVED_DEVICE within `device_del`.
 *
 * @see drivers/base/dd.c __device_release_driver
 * @see drivers/base/core.c device_del
 */
import type { AnyTraceRecord } from "../format";
import { busWalk, coreRecords, violation, type Violation } from "./types";

interface Release {
  readonly start: number;
  readonly steps: { readonly what: "UNBIND_DRIVER" | "remove" | "UNBOUND_DRIVER"; readonly seq: number }[];
}

interface Deletion {
  readonly start: number;
  del: number | null;
  removed: number | null;
  readonly unbinds: number[];
}

const RELEASE_ORDER = ["UNBIND_DRIVER", "remove", "UNBOUND_DRIVER"] as const;

/** Checks I-UNBIND-ORDER over a trace. */
export function checkUnbindOrder(records: readonly AnyTraceRecord[]): Violation[] {
  const out: Violation[] = [];
  const releases = new Map<string, Release>();
  const deletions = new Map<string, Deletion>();
  for (const r of coreRecords(records)) {
    switch (r.type) {
      case "release-driver":
        releases.set(r.device, { start: r.seq, steps: [] });
        continue;
      case "driver-remove":
        releases.get(r.device)?.steps.push({ what: "remove", seq: r.seq });
        continue;
      case "release-driver-end": {
        const rel = releases.get(r.device);
        releases.delete(r.device);
        if (rel === undefined) continue;
        const order = rel.steps.map((s) => s.what).join(" < ");
        if (order !== RELEASE_ORDER.join(" < ")) {
          out.push(violation("I-UNBIND-ORDER", r.device, `release ran ${order || "nothing"}; want ${RELEASE_ORDER.join(" < ")}`, [rel.start, ...rel.steps.map((s) => s.seq), r.seq]));
        }
        continue;
      }
      case "device-del":
        deletions.set(r.device, { start: r.seq, del: null, removed: null, unbinds: [] });
        continue;
      case "device-del-end": {
        const d = deletions.get(r.device);
        deletions.delete(r.device);
        if (d === undefined) continue;
        const seqs = [d.start, ...(d.del === null ? [] : [d.del]), ...d.unbinds, ...(d.removed === null ? [] : [d.removed]), r.seq];
        if (d.del === null || d.removed === null) {
          out.push(violation("I-UNBIND-ORDER", r.device, `device_del without ${d.del === null ? "DEL_DEVICE" : "REMOVED_DEVICE"}`, seqs));
        } else if (d.unbinds.some((s) => s < (d.del as number) || s > (d.removed as number))) {
          out.push(violation("I-UNBIND-ORDER", r.device, "an unbind event fell outside DEL_DEVICE … REMOVED_DEVICE", seqs));
        }
        continue;
      }
      default:
        break;
    }
    const walk = busWalk(r);
    if (walk === null) continue;
    const { action, device } = walk;
    const d = deletions.get(device);
    if (d !== undefined) {
      if (action === "DEL_DEVICE" && d.del === null) d.del = r.seq;
      else if (action === "REMOVED_DEVICE" && d.removed === null) d.removed = r.seq;
      else if (action === "UNBIND_DRIVER" || action === "UNBOUND_DRIVER") d.unbinds.push(r.seq);
    }
    if (action !== "UNBIND_DRIVER" && action !== "UNBOUND_DRIVER") continue;
    const rel = releases.get(device);
    if (rel === undefined) {
      out.push(violation("I-UNBIND-ORDER", device, `${action} outside __device_release_driver`, [r.seq]));
    } else {
      rel.steps.push({ what: action, seq: r.seq });
    }
  }
  return out;
}
