/**
 * The invariant registry: one pure check per invariant name of docs/architecture.md, each a function of the records
 * it is given (a whole trace or any subset of one), so a violation can be re-checked on a shrunk trace.
 */
import {
  checkBindBracket,
  checkBoundState,
  checkChainOrder,
  checkDeferLists,
  checkDeferLiveness,
  checkTriggerRace,
  checkUnbindOrder,
  type DriverCoreEra,
  type DriverCoreInvariant,
  type Violation,
} from "@dmasim/driver-core";
import type { DeviceOutcome } from "../outcome";
import { checkClean, checkDriverless, checkIsolation, checkProbeOps, checkQueueHygiene, checkStableOps } from "./dma-checks";
import { checkFwspec, checkGroupLifecycle } from "./iommu-checks";
import { checkLeaks } from "./leaks";
import type { AnyRecord, KernelInvariant } from "./records";

/** Every invariant name the checker knows (architecture.md's table). */
export type InvariantName = DriverCoreInvariant | KernelInvariant;

/** What the checks need besides the trace: the driver-core era (the converse of the bind bracket, the flush phase). */
export interface CheckContext {
  readonly era: Pick<DriverCoreEra, "emitNotBoundOnDmaConfigureFailure" | "initcallsDoneSecondTrigger">;
  /** Unused by the checks since I-LEAK reads the trace; kept so callers passing a boot's outcomes still compile. */
  readonly outcomes?: readonly DeviceOutcome[];
}

/** The driver-core invariants, in the order of architecture.md. */
export const DRIVER_CORE_INVARIANTS: readonly DriverCoreInvariant[] = [
  "I-CHAIN-ORDER",
  "I-BIND-BRACKET",
  "I-BOUND-STATE",
  "I-DEFER-LISTS",
  "I-DEFER-LIVENESS",
  "I-TRIGGER-RACE",
  "I-UNBIND-ORDER",
];

/** The invariants this package adds (§d.1.8, §d.2, DESIGN, issue 7), in the order of architecture.md. */
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

/** Every invariant name, in architecture.md's order. */
export const ALL_INVARIANTS: readonly InvariantName[] = [...DRIVER_CORE_INVARIANTS, ...KERNEL_INVARIANTS];

type Check = (records: readonly AnyRecord[], ctx: CheckContext) => Violation[];

/** One check function per invariant. */
const CHECKS: Readonly<Record<InvariantName, Check>> = {
  "I-CHAIN-ORDER": (r) => checkChainOrder(r),
  "I-BIND-BRACKET": (r, c) => checkBindBracket(r, c.era),
  "I-BOUND-STATE": (r) => checkBoundState(r),
  "I-DEFER-LISTS": (r) => checkDeferLists(r),
  "I-DEFER-LIVENESS": (r, c) => checkDeferLiveness(r, c.era),
  "I-TRIGGER-RACE": (r) => checkTriggerRace(r),
  "I-UNBIND-ORDER": (r) => checkUnbindOrder(r),
  "I-GROUP-LIFECYCLE": (r) => checkGroupLifecycle(r),
  "I-PROBE": (r) => checkProbeOps(r),
  "I-STABLE": (r) => checkStableOps(r),
  "I-CLEAN": (r) => checkClean(r),
  "I-QUEUE-HYGIENE": (r) => checkQueueHygiene(r),
  "I-DRIVERLESS": (r) => checkDriverless(r),
  "I-FWSPEC": (r) => checkFwspec(r),
  "I-ISOLATION": (r) => checkIsolation(r),
  "I-LEAK": (r) => checkLeaks(r),
};

/** Whether `name` is an invariant the checker knows. */
export function isInvariantName(name: string): name is InvariantName {
  return Object.hasOwn(CHECKS, name);
}

/**
 * The violations of one invariant over a trace (or any subset of one). An unknown name is a programming error
 * (the names are a closed set) and throws.
 *
 * @example
 * ```ts
 * checkInvariant("I-PROBE", result.trace, { era: PROFILES["v4.7"].driverCore });
 * ```
 */
export function checkInvariant(invariant: string, records: readonly AnyRecord[], ctx: CheckContext): Violation[] {
  if (!isInvariantName(invariant)) throw new Error(`unknown invariant ${invariant}`);
  return CHECKS[invariant](records, ctx);
}
