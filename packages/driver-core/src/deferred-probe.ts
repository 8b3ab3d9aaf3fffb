/**
 * Deferred probe: the pending and active lists, the trigger and its race counter, the worker, the late_initcall
 * that enables it all, the v4.19+ second pass and timeout, and `driver_deferred_probe_check_state`.
 *
 * @see drivers/base/dd.c (the "Deferred Probe infrastructure" block)
 */
import { busProbeDevice } from "./attach";
import type { CoreContext } from "./context";
import { deviceState, type Device } from "./device";
import { Errno } from "./errno";

/**
 * Puts `dev` at the tail of the pending list unless it is on a list already (modern: unless `dev->can_match`).
 *
 * @see drivers/base/dd.c driver_deferred_probe_add
 */
export function deferredProbeAdd(ctx: CoreContext, dev: Device): void {
  const s = deviceState(dev);
  if (ctx.era.deferredAddRequiresCanMatch && !s.canMatch) {
    ctx.trace.emit({ type: "deferred-add-skip", device: dev.name, why: "cannot-match" });
    return;
  }
  if (s.deferredList !== null) {
    ctx.trace.emit({ type: "deferred-add-skip", device: dev.name, why: "already-listed" });
    return;
  }
  ctx.deferred.pending.push(dev);
  s.deferredList = "pending";
  ctx.trace.emit({ type: "deferred-add", device: dev.name, driverString: dev.driverString });
}

/**
 * Unlinks `dev` from whichever deferred list holds it, and forgets its deferral reason.
 *
 * @see drivers/base/dd.c driver_deferred_probe_del
 */
export function deferredProbeDel(ctx: CoreContext, dev: Device): void {
  const s = deviceState(dev);
  const from = s.deferredList;
  if (from === null) return;
  const list = from === "pending" ? ctx.deferred.pending : ctx.deferred.active;
  list.splice(list.indexOf(dev), 1);
  s.deferredList = null;
  ctx.trace.emit({ type: "deferred-del", device: dev.name, from, driverString: dev.driverString });
  clearReason(ctx, dev);
}

/**
 * A no-op until late_initcall enables deferred probing; then bumps `deferred_trigger_count`, splices the pending
 * list onto the tail of the active list and queues the worker.
 *
 * @see drivers/base/dd.c driver_deferred_probe_trigger
 */
export function deferredProbeTrigger(ctx: CoreContext): void {
  const d = ctx.deferred;
  if (!d.enabled) {
    ctx.trace.emit({ type: "deferred-trigger", enabled: false, count: d.triggerCount });
    return;
  }
  d.triggerCount += 1;
  ctx.trace.emit({ type: "deferred-trigger", enabled: true, count: d.triggerCount });
  const moved = d.pending.splice(0);
  for (const dev of moved) {
    deviceState(dev).deferredList = "active";
    d.active.push(dev);
  }
  ctx.trace.emit({ type: "deferred-splice", devices: moved.map((dev) => dev.name) });
  ctx.scheduler.queueWork(d.work);
}

/**
 * The worker: pops the head of the active list and calls `bus_probe_device` on it, until the list is empty.
 *
 * @see drivers/base/dd.c deferred_probe_work_func
 */
export function deferredProbeWorkFunc(ctx: CoreContext): void {
  const d = ctx.deferred;
  for (let dev = d.active.shift(); dev !== undefined; dev = d.active.shift()) {
    deviceState(dev).deferredList = null;
    clearReason(ctx, dev);
    ctx.trace.emit({ type: "deferred-retry", device: dev.name, driverString: dev.driverString });
    busProbeDevice(ctx, dev);
  }
}

/**
 * The late_initcall: enable, trigger, flush. v4.19+ then sets `initcalls_done`, triggers and flushes again, and
 * arms the timeout work when `driver_deferred_probe_timeout > 0`.
 *
 * @see drivers/base/dd.c deferred_probe_initcall
 */
export function deferredProbeInitcall(ctx: CoreContext): number {
  const d = ctx.deferred;
  d.enabled = true;
  ctx.trace.emit({ type: "deferred-enable" });
  deferredProbeTrigger(ctx);
  ctx.scheduler.flushWork(d.work);
  ctx.trace.emit({ type: "deferred-flushed", phase: "initcall" });
  if (!ctx.era.initcallsDoneSecondTrigger) return 0;
  d.initcallsDone = true;
  ctx.trace.emit({ type: "initcalls-done" });
  deferredProbeTrigger(ctx);
  ctx.scheduler.flushWork(d.work);
  ctx.trace.emit({ type: "deferred-flushed", phase: "initcall-second" });
  if (d.timeoutUs !== null && d.timeoutUs > 0) ctx.scheduler.queueDelayedWork(d.timeoutWork, d.timeoutUs);
  return 0;
}

/**
 * The timeout work: the timeout becomes 0 (so `driver_deferred_probe_check_state` stops deferring), trigger,
 * flush, then log "deferred probe pending" for each device still pending.
 *
 * @see drivers/base/dd.c deferred_probe_timeout_work_func
 */
export function deferredProbeTimeoutWorkFunc(ctx: CoreContext): void {
  const d = ctx.deferred;
  d.timeoutUs = 0;
  ctx.trace.emit({ type: "deferred-timeout-expired" });
  deferredProbeTrigger(ctx);
  ctx.scheduler.flushWork(d.work);
  ctx.trace.emit({ type: "deferred-flushed", phase: "timeout" });
  for (const dev of d.pending) {
    const reason = deviceState(dev).deferredProbeReason;
    ctx.trace.emit({ type: "deferred-probe-pending", device: dev.name, reason, driverString: dev.driverString });
  }
}

/**
 * Re-arms the timeout if it is still pending (called from `driver_register` in v5.19+):
 * "Extended deferred probe timeout by %d secs".
 *
 * @see drivers/base/dd.c deferred_probe_extend_timeout
 */
export function deferredProbeExtendTimeout(ctx: CoreContext): void {
  const d = ctx.deferred;
  if (!ctx.scheduler.isPending(d.timeoutWork)) return;
  ctx.scheduler.cancelWork(d.timeoutWork);
  const timeoutUs = d.timeoutUs ?? 0;
  ctx.scheduler.queueDelayedWork(d.timeoutWork, timeoutUs);
  ctx.trace.emit({ type: "deferred-timeout-extended", seconds: Math.trunc(timeoutUs / 1_000_000) });
}

/**
 * What a subsystem returns instead of a bare -EPROBE_DEFER for an optional dependency:
 * - v4.19: after initcalls, -ETIMEDOUT if the timeout expired, else -ENODEV; before, -EPROBE_DEFER;
 * - modern: -ENODEV after initcalls without CONFIG_MODULES, -ETIMEDOUT after initcalls once the timeout is 0,
 *   else -EPROBE_DEFER;
 * - before v4.19 the function does not exist: callers deferred, so this returns -EPROBE_DEFER.
 *
 * @see drivers/base/dd.c driver_deferred_probe_check_state
 */
export function deferredProbeCheckState(ctx: CoreContext, dev: Device): number {
  const d = ctx.deferred;
  let ret = -Errno.EPROBE_DEFER;
  switch (ctx.era.deferredProbeCheckState) {
    case "none":
      break;
    case "v4.19":
      if (d.initcallsDone) ret = d.timeoutUs === 0 ? -Errno.ETIMEDOUT : -Errno.ENODEV;
      break;
    case "modern":
      if (!ctx.era.configModules && d.initcallsDone) ret = -Errno.ENODEV;
      else if (d.timeoutUs === 0 && d.initcallsDone) ret = -Errno.ETIMEDOUT;
      break;
  }
  ctx.trace.emit({ type: "deferred-check-state", device: dev.name, ret });
  return ret;
}

/**
 * Records what the device waits for (the modern `dev_err_probe` → `device_set_deferred_probe_reason`); `supplier`
 * names the device waited for, when there is one (the deferral-liveness check uses it).
 *
 * @see drivers/base/dd.c device_set_deferred_probe_reason
 */
export function setDeferredProbeReason(
  ctx: CoreContext,
  dev: Device,
  reason: string | null,
  supplier: string | null,
): void {
  const s = deviceState(dev);
  s.deferredProbeReason = reason;
  s.deferredProbeSupplier = reason === null ? null : supplier;
  ctx.trace.emit({ type: "deferred-reason", device: dev.name, reason, supplier: s.deferredProbeSupplier });
}

function clearReason(ctx: CoreContext, dev: Device): void {
  if (deviceState(dev).deferredProbeReason !== null) setDeferredProbeReason(ctx, dev, null, null);
}
