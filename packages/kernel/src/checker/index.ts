/**
 * The verdicts of a boot: driver-core's §(d.1) invariants plus the §(d.2) DMA-configuration ones, isolation and leak
 * accounting, each a pure function of the trace (`checks.ts`), so a violation can be re-checked on any subset of the
 * trace and its evidence shrunk (`shrink.ts`).
 */
import type { Violation } from "@dmasim/driver-core";
import type { DeviceOutcome } from "../outcome";
import { ALL_INVARIANTS, checkInvariant, KERNEL_INVARIANTS, type CheckContext } from "./checks";
import type { AnyRecord } from "./records";
import { shrinkViolation, type ShrinkOptions, type ShrunkViolation } from "./shrink";

export { ALL_INVARIANTS, DRIVER_CORE_INVARIANTS, KERNEL_INVARIANTS, checkInvariant, isInvariantName } from "./checks";
export type { CheckContext, InvariantName } from "./checks";
export { DEFAULT_MAX_CHECKS, describeRecord, shrinkUnits, shrinkViolation, shrinkViolations } from "./shrink";
export type { EvidenceEvent, ShrinkOptions, ShrinkStats, ShrunkViolation } from "./shrink";

/** One invariant's verdict with the violations that show it. */
export interface InvariantVerdict {
  readonly invariant: string;
  readonly status: "pass" | "fail";
  readonly violations: readonly Violation[];
}

/** A verdict whose violations carry shrunk evidence. */
export interface ShrunkVerdict extends InvariantVerdict {
  readonly violations: readonly ShrunkViolation[];
}

/** Options of {@link checkAll}. */
export interface CheckAllOptions {
  /** Shrink every violation's evidence (`true`: default budget). Off by default: a boot reports the check's citations. */
  readonly shrink?: boolean | ShrinkOptions;
}

/** Options of {@link shrinkVerdict}: the check context and the re-check budget per violation. */
export interface ShrinkVerdictOptions extends CheckContext, ShrinkOptions {}

/** The §(d.2) + DESIGN checks over a composed trace (no driver-core ones). */
export function checkKernelInvariants(records: readonly AnyRecord[], _outcomes?: readonly DeviceOutcome[]): Violation[] {
  const ctx: CheckContext = { era: { emitNotBoundOnDmaConfigureFailure: false, initcallsDoneSecondTrigger: false } };
  return KERNEL_INVARIANTS.flatMap((i) => checkInvariant(i, records, ctx));
}

/**
 * Shrinks the evidence of every violation in one verdict (each with its own budget of `maxChecks` re-checks); a
 * passing verdict comes back as it was. What the explorer calls on the counterexamples it keeps.
 *
 * @example
 * ```ts
 * const v = result.verdicts.find((x) => x.status === "fail");
 * if (v !== undefined) shrinkVerdict(result.trace, v, { era: PROFILES["v4.7"].driverCore, maxChecks: 200 });
 * ```
 */
export function shrinkVerdict(records: readonly AnyRecord[], verdict: InvariantVerdict, options: ShrinkVerdictOptions): ShrunkVerdict {
  const budget: ShrinkOptions = options.maxChecks === undefined ? {} : { maxChecks: options.maxChecks };
  return {
    invariant: verdict.invariant,
    status: verdict.status,
    violations: verdict.violations.map((v) => shrinkViolation(v, records, options, budget)),
  };
}

/** Every invariant with its status, in architecture.md's order; with `shrink`, each violation's evidence shrunk. */
export function checkAll(records: readonly AnyRecord[], ctx: CheckContext, options: CheckAllOptions & { readonly shrink: true | ShrinkOptions }): ShrunkVerdict[];
export function checkAll(records: readonly AnyRecord[], ctx: CheckContext, options?: CheckAllOptions): InvariantVerdict[];
export function checkAll(records: readonly AnyRecord[], ctx: CheckContext, options: CheckAllOptions = {}): InvariantVerdict[] {
  const shrink = options.shrink === undefined || options.shrink === false ? null : options.shrink === true ? {} : options.shrink;
  return ALL_INVARIANTS.map((invariant) => {
    const found = checkInvariant(invariant, records, ctx);
    const verdict: InvariantVerdict = { invariant, status: found.length === 0 ? "pass" : "fail", violations: found };
    return shrink === null || found.length === 0 ? verdict : shrinkVerdict(records, verdict, { ...ctx, ...shrink });
  });
}
