/**
 * I-BIND-BRACKET (d.1.2): every BIND_DRIVER(dev) is followed, before the probe attempt returns, by exactly one
 * BOUND_DRIVER(dev) or DRIVER_NOT_BOUND(dev). The converse (NOT_BOUND implies an earlier BIND in the same attempt)
 * holds for v4.5–v4.11 and modern code, and may fail under `emitNotBoundOnDmaConfigureFailure` (v4.12 … v4.19).
 *
 * @see drivers/base/dd.c really_probe, device_bind_driver
 */
import type { DriverCoreEra } from "../era";
import type { AnyTraceRecord } from "../format";
import { busWalk, coreRecords, violation, type Violation } from "./types";

interface Attempt {
  readonly start: number;
  binds: number[];
  outcomes: number[];
}

/** Checks I-BIND-BRACKET over a trace, with the converse as the era allows. */
export function checkBindBracket(
  records: readonly AnyTraceRecord[],
  era: Pick<DriverCoreEra, "emitNotBoundOnDmaConfigureFailure">,
): Violation[] {
  const out: Violation[] = [];
  const attempts = new Map<string, Attempt[]>();
  const current = (device: string): Attempt | undefined => attempts.get(device)?.at(-1);
  for (const r of coreRecords(records)) {
    if (r.type === "really-probe" || r.type === "device-bind-driver") {
      const stack = attempts.get(r.device) ?? [];
      stack.push({ start: r.seq, binds: [], outcomes: [] });
      attempts.set(r.device, stack);
      continue;
    }
    if (r.type === "really-probe-end" || r.type === "device-bind-driver-end") {
      const a = attempts.get(r.device)?.pop();
      if (a === undefined) continue;
      const firstBind = a.binds[0];
      if (a.binds.length > 1) {
        out.push(violation("I-BIND-BRACKET", r.device, `${a.binds.length} BIND_DRIVER events in one probe attempt`, [a.start, ...a.binds]));
      }
      if (firstBind !== undefined) {
        const after = a.outcomes.filter((s) => s > firstBind);
        if (after.length !== 1) {
          out.push(
            violation(
              "I-BIND-BRACKET",
              r.device,
              `BIND_DRIVER followed by ${after.length} BOUND_DRIVER/DRIVER_NOT_BOUND before the attempt returned (want 1)`,
              [a.start, firstBind, ...after, r.seq],
            ),
          );
        }
      }
      continue;
    }
    const walk = busWalk(r);
    if (walk === null) continue;
    const { action, device } = walk;
    if (action !== "BIND_DRIVER" && action !== "BOUND_DRIVER" && action !== "DRIVER_NOT_BOUND") continue;
    const a = current(device);
    if (a === undefined) {
      out.push(violation("I-BIND-BRACKET", device, `${action} outside any probe attempt of the device`, [r.seq]));
      continue;
    }
    if (action === "BIND_DRIVER") {
      a.binds.push(r.seq);
      continue;
    }
    a.outcomes.push(r.seq);
    const hasBind = a.binds.some((s) => s < r.seq);
    if (hasBind) continue;
    if (action === "BOUND_DRIVER") {
      out.push(violation("I-BIND-BRACKET", device, "BOUND_DRIVER without a BIND_DRIVER in the same attempt", [a.start, r.seq]));
    } else if (!era.emitNotBoundOnDmaConfigureFailure) {
      out.push(violation("I-BIND-BRACKET", device, "DRIVER_NOT_BOUND without a BIND_DRIVER in the same attempt", [a.start, r.seq]));
    }
  }
  return out;
}
