/**
 * Scenario drivers: a declarative spec (matches, built-in or module, initcall, probe script, remove) turned into a
 * driver of the composition. Each probe call runs the script's current attempt (children, DMA, MSI), records a
 * deferral reason with the driver core when the attempt defers waiting for a device, and returns the attempt's
 * result; `->remove` releases the DMA that successful probes left, unless the spec says it leaks.
 */
import { Errno, type Device } from "@dmasim/driver-core";
import type { Kernel } from "../boot/kernel";
import type { ScenarioDriverSpec, UntilCondition } from "../scenarios/types";
import { runEndpointWork } from "./endpoint";
import { ProbeScript, validateProbeScript } from "./probe-script";
import { parseDriverMatches, type KernelDriver } from "./register";

/** Whether a probe-script condition holds in the running kernel. */
export function conditionHolds(k: Kernel, condition: UntilCondition): boolean {
  if (condition === "after-late") return k.lateDone;
  if (condition.startsWith("bound:")) return k.findDevice(condition.slice(6))?.isBound === true;
  if (condition.startsWith("registered:")) return k.findDevice(condition.slice(11)) !== undefined;
  return false;
}

/** The device a condition waits for (for `device_set_deferred_probe_reason`), if it names one. */
function waitedFor(condition: UntilCondition): string | null {
  if (condition.startsWith("bound:")) return condition.slice(6);
  if (condition.startsWith("registered:")) return condition.slice(11);
  return null;
}

/** Builds the driver of a scenario spec, or says what is wrong with the spec. */
export function scenarioDriver(k: Kernel, spec: ScenarioDriverSpec): { ok: true; value: KernelDriver } | { ok: false; error: string } {
  const match = parseDriverMatches(spec.matches);
  if (!match.ok) return { ok: false, error: `driver ${spec.name}: ${match.error}` };
  const steps = spec.probe ?? [{ result: 0 }];
  const bad = validateProbeScript(steps);
  if (bad.length > 0) return { ok: false, error: `driver ${spec.name}: probe[${bad[0]?.step}]: ${bad[0]?.message}` };
  const script = new ProbeScript(steps, (c) => conditionHolds(k, c));
  const releases = new Map<string, (() => void)[]>();
  const probe = (dev: Device, attempt: number): number => {
    const step = script.next(dev.name);
    k.trace.emit({ type: "probe-script", device: dev.name, driver: spec.name, attempt, step: step.step, result: step.result });
    const made = runEndpointWork(k, dev, step.attempt);
    if (step.result === 0) {
      releases.set(dev.name, [...(releases.get(dev.name) ?? []), ...made]);
    } else if (step.result === -Errno.EPROBE_DEFER) {
      const pending = (step.attempt.until ?? []).filter((c) => !conditionHolds(k, c));
      const supplier = pending.map(waitedFor).find((s) => s !== null) ?? null;
      k.core.deviceSetDeferredProbeReason(dev, pending.length > 0 ? `waiting for ${pending.join(", ")}` : "scripted deferral", supplier);
    }
    return step.result;
  };
  const leaks = spec.removeReleasesDma === false;
  const remove = (dev: Device): void => {
    if (!leaks) for (const r of (releases.get(dev.name) ?? []).reverse()) r();
    releases.delete(dev.name);
  };
  return { ok: true, value: { name: spec.name, match: match.value, probe, remove, ...(spec.asyncProbe === true ? { asyncProbe: true } : {}) } };
}
