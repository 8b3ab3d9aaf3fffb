/**
 * The verdicts of a boot: driver-core's §(d.1) invariants plus the §(d.2) DMA-configuration ones, isolation and leak
 * accounting, each a pure function of the trace (I-LEAK also of the final per-device outcome), so the next issue
 * can re-run them on shrunk traces.
 */
import { checkDriverCoreInvariants, type DriverCoreEra, type Violation } from "@dmasim/driver-core";
import type { DeviceOutcome } from "../outcome";
import { checkClean, checkDriverless, checkIsolation, checkProbeOps, checkQueueHygiene, checkStableOps } from "./dma-checks";
import { checkFwspec, checkGroupLifecycle, checkLeaks } from "./iommu-checks";
import type { AnyRecord, KernelInvariant } from "./records";

/** One invariant's verdict with the violations that show it. */
export interface InvariantVerdict {
  readonly invariant: string;
  readonly status: "pass" | "fail";
  readonly violations: readonly Violation[];
}

/** What the checks need besides the trace. */
export interface CheckContext {
  readonly era: Pick<DriverCoreEra, "emitNotBoundOnDmaConfigureFailure" | "initcallsDoneSecondTrigger">;
  readonly outcomes: readonly DeviceOutcome[];
}

/** The driver-core invariants, in the order of architecture.md. */
export const DRIVER_CORE_INVARIANTS = [
  "I-CHAIN-ORDER",
  "I-BIND-BRACKET",
  "I-BOUND-STATE",
  "I-DEFER-LISTS",
  "I-DEFER-LIVENESS",
  "I-TRIGGER-RACE",
  "I-UNBIND-ORDER",
] as const;

/** The invariants this package adds, in the order of architecture.md. */
export const KERNEL_INVARIANTS: readonly KernelInvariant[] = [
  "I-GROUP-LIFECYCLE",
  "I-PROBE",
  "I-STABLE",
  "I-CLEAN",
  "I-QUEUE-HYGIENE",
  "I-DRIVERLESS",
  "I-FWSPEC",
  "I-ISOLATION",
  "I-LEAK",
];

/** The §(d.2) + DESIGN checks over a composed trace (no driver-core ones). */
export function checkKernelInvariants(records: readonly AnyRecord[], outcomes: readonly DeviceOutcome[]): Violation[] {
  return [
    ...checkGroupLifecycle(records),
    ...checkProbeOps(records),
    ...checkStableOps(records),
    ...checkClean(records),
    ...checkQueueHygiene(records),
    ...checkDriverless(records),
    ...checkFwspec(records),
    ...checkIsolation(records),
    ...checkLeaks(records, outcomes),
  ];
}

/** Every invariant with its status, in architecture.md's order. */
export function checkAll(records: readonly AnyRecord[], ctx: CheckContext): InvariantVerdict[] {
  const all = [...checkDriverCoreInvariants(records, ctx.era), ...checkKernelInvariants(records, ctx.outcomes)];
  const names: string[] = [...DRIVER_CORE_INVARIANTS, ...KERNEL_INVARIANTS];
  return names.map((invariant) => {
    const violations = all.filter((v) => v.invariant === invariant);
    return { invariant, status: violations.length === 0 ? "pass" : "fail", violations };
  });
}
