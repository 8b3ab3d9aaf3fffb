/**
 * Shared shapes and helpers of the driver-core invariant checks (kernel-behaviour.md §d.1; names from
 * docs/architecture.md). Every check is a pure function of the trace.
 */
import type { DriverCoreEvent } from "../events";
import { isDriverCoreEvent } from "../events";
import type { AnyTraceRecord } from "../format";
import type { TraceRecord } from "../trace";

/** The invariants this package checks. */
export type DriverCoreInvariant =
  | "I-CHAIN-ORDER"
  | "I-BIND-BRACKET"
  | "I-BOUND-STATE"
  | "I-DEFER-LISTS"
  | "I-DEFER-LIVENESS"
  | "I-TRIGGER-RACE"
  | "I-UNBIND-ORDER";

/**
 * One broken invariant: which, for which device (null when not device-specific), why, and the sequence numbers of
 * the records that show it.
 */
export interface Violation {
  readonly invariant: string;
  readonly device: string | null;
  readonly message: string;
  readonly events: readonly number[];
}

/** A driver-core record. */
export type CoreRecord = TraceRecord<DriverCoreEvent>;

/** The driver-core records of a (possibly composed) trace, in order. */
export function coreRecords(records: readonly AnyTraceRecord[]): CoreRecord[] {
  const out: CoreRecord[] = [];
  for (const r of records) if (isDriverCoreEvent(r)) out.push(r as CoreRecord);
  return out;
}

/** The bus-notifier action and device of a bus chain walk start, or null for any other record. */
export function busWalk(r: CoreRecord): { readonly action: string; readonly device: string } | null {
  if (r.type !== "notifier-chain-start" || !r.chain.startsWith("bus:") || r.data === null) return null;
  return { action: r.action, device: r.data };
}

/** Builds a violation. */
export function violation(
  invariant: DriverCoreInvariant,
  device: string | null,
  message: string,
  events: readonly number[],
): Violation {
  return { invariant, device, message, events: [...events].sort((a, b) => a - b) };
}
