/**
 * Shrinking a violation's evidence: delta debugging (ddmin, Zeller & Hildebrandt 2002) over the trace records while
 * the same invariant still reports the same violation (same device, same message) on the records kept. Every check
 * is a pure function of the records it is given (`checks.ts`), so a re-check is just a call on a subset.
 *
 * **What "dropping an event" means.** The record is left out of the list handed to the check; nothing else changes
 * (the kept records keep their sequence numbers and order). Paired records are one unit and are dropped together,
 * never one end alone: `X` with `X-end` (`really-probe`, `release-driver`, `device-add`, `device-del`,
 * `driver-register`, `device-attach`, `module-load`, `iommu-probe-device`, ...), `X-start` with `X-end`
 * (`notifier-chain-*`, `initcall-*`, `work-*`), and a `notifier-call` with its `notifier-return`. Ends are matched
 * LIFO among records of the same type whose identifying fields (device, chain, walk, block, driver, work, ...)
 * agree, the way the kernel nests them. The records between the two ends are units of their own: a check that
 * reasons about what happens inside a bracket (a BIND_DRIVER walk inside a probe attempt) keeps the bracket and the
 * inner records it needs, and nothing else. So a check never sees half a pair, and "a probe attempt with no
 * BOUND_DRIVER" in the evidence means the attempt really had none that the violation depends on.
 *
 * **Bounds and determinism.** At most `maxChecks` re-checks per violation (default 400); when the budget runs out
 * the smallest reproducing subset found so far is returned with `complete: false`. Candidates are tried in a fixed
 * order: the records the check itself cited, then every record naming the device, then the whole trace; ddmin then
 * splits in trace order. The same trace and violation always give the same evidence.
 */
import { formatTrace, type AnyTraceRecord, type Violation } from "@dmasim/driver-core";
import { checkInvariant, type CheckContext } from "./checks";
import type { AnyRecord } from "./records";

/** One event of a violation's evidence: its sequence number and a one-line description. */
export interface EvidenceEvent {
  readonly seq: number;
  readonly text: string;
}

/** How a shrink went. */
export interface ShrinkStats {
  /** Re-checks used. */
  readonly checks: number;
  /** Records of the trace it started from. */
  readonly from: number;
  /**
   * True when ddmin finished: the evidence is 1-minimal over units (dropping any one pair or record loses the
   * violation). False when the re-check budget ran out, or when the violation did not reproduce on the trace given
   * (then `events` are the check's own citations, unshrunk).
   */
  readonly complete: boolean;
}

/** A violation with its evidence shrunk: `events` are the kept sequence numbers, `trace` describes each. */
export interface ShrunkViolation extends Violation {
  readonly trace: readonly EvidenceEvent[];
  readonly shrink: ShrinkStats;
}

/** Options of {@link shrinkViolation}. */
export interface ShrinkOptions {
  /** Cap on re-checks per violation (default 400). */
  readonly maxChecks?: number;
}

/** Default cap on re-checks per violation. */
export const DEFAULT_MAX_CHECKS = 400;

const IDENTITY = ["chain", "walk", "block", "device", "driver", "name", "level", "work", "queue"] as const;

function closerOf(type: string): string | null {
  if (type === "notifier-call") return "notifier-return";
  if (type.endsWith("-end") || type === "notifier-return") return null;
  return type.endsWith("-start") ? `${type.slice(0, -"-start".length)}-end` : `${type}-end`;
}

function openerOf(type: string): string | null {
  if (type === "notifier-return") return "notifier-call";
  if (!type.endsWith("-end")) return null;
  return type.slice(0, -"-end".length);
}

function field(r: AnyRecord, k: string): unknown {
  return (r as unknown as Readonly<Record<string, unknown>>)[k];
}

function sameIdentity(a: AnyRecord, b: AnyRecord): boolean {
  return IDENTITY.every((k) => {
    const x = field(a, k);
    const y = field(b, k);
    return x === undefined || y === undefined || x === y;
  });
}

/**
 * Groups records into shrink units: each bracket's two ends form one unit, every other record is a unit of its
 * own. Units are lists of record indices, in trace order of their first record. An end with no matching opener
 * (or an opener never closed) is a unit alone.
 */
export function shrinkUnits(records: readonly AnyRecord[]): number[][] {
  const types = new Set(records.map((r) => r.type));
  const open = new Map<string, number[]>();
  const partner = new Int32Array(records.length).fill(-1);
  records.forEach((r, i) => {
    const opener = openerOf(r.type);
    const openType = opener === null ? null : types.has(opener) ? opener : types.has(`${opener}-start`) ? `${opener}-start` : null;
    if (openType !== null) {
      const stack = open.get(openType);
      for (let k = (stack?.length ?? 0) - 1; k >= 0; k--) {
        const j = (stack as number[])[k] as number;
        if (sameIdentity(records[j] as AnyRecord, r)) {
          partner[j] = i;
          partner[i] = j;
          (stack as number[]).splice(k, 1);
          break;
        }
      }
      return;
    }
    const closer = closerOf(r.type);
    if (closer !== null && types.has(closer)) {
      const stack = open.get(r.type) ?? [];
      stack.push(i);
      open.set(r.type, stack);
    }
  });
  const units: number[][] = [];
  records.forEach((_, i) => {
    const p = partner[i] as number;
    if (p < 0) units.push([i]);
    else if (p > i) units.push([i, p]);
  });
  return units;
}

/** Whether a record names `device` in one of its fields (a string or a list of strings). */
function mentions(r: AnyRecord, device: string): boolean {
  for (const v of Object.values(r as unknown as Readonly<Record<string, unknown>>)) {
    if (v === device) return true;
    if (Array.isArray(v) && v.includes(device)) return true;
  }
  return false;
}

/**
 * ddmin over a list of unit indices. `test` says whether a subset still shows the violation, or null when the
 * budget is spent (the current set is returned, incomplete).
 */
function ddmin(start: readonly number[], test: (subset: readonly number[]) => boolean | null): { kept: number[]; complete: boolean } {
  let cur = [...start];
  let n = 2;
  while (cur.length >= 2) {
    const size = Math.ceil(cur.length / n);
    const chunks: number[][] = [];
    for (let i = 0; i < cur.length; i += size) chunks.push(cur.slice(i, i + size));
    let next: number[] | null = null;
    let nextN = n;
    for (const c of chunks) {
      const r = test(c);
      if (r === null) return { kept: cur, complete: false };
      if (r) {
        next = c;
        nextN = 2;
        break;
      }
    }
    if (next === null && chunks.length > 2) {
      for (let k = 0; k < chunks.length && next === null; k++) {
        const rest = chunks.filter((_, j) => j !== k).flat();
        const r = test(rest);
        if (r === null) return { kept: cur, complete: false };
        if (r) {
          next = rest;
          nextN = Math.max(chunks.length - 1, 2);
        }
      }
    }
    if (next !== null) {
      cur = next;
      n = nextN;
      continue;
    }
    if (chunks.length >= cur.length) break;
    n = Math.min(cur.length, n * 2);
  }
  return { kept: cur, complete: true };
}

/** A one-line description of a record (driver-core's wording for its own events, `type {fields}` otherwise). */
export function describeRecord(r: AnyRecord): string {
  return formatTrace([r as AnyTraceRecord], { seq: false, time: false }).trim();
}

function sameViolation(a: Violation, b: Violation): boolean {
  return a.invariant === b.invariant && a.device === b.device && a.message === b.message;
}

/**
 * Shrinks one violation of `records` (the trace it was found on) to a minimal set of records on which the same
 * check still reports it (same invariant, device and message): the violation's `events` become the kept sequence
 * numbers and `trace` describes each.
 *
 * @example
 * ```ts
 * const v = result.verdicts.find((x) => x.invariant === "I-PROBE")?.violations[0];
 * if (v !== undefined) shrinkViolation(v, result.trace, { era: PROFILES["v4.7"].driverCore }).trace;
 * ```
 */
export function shrinkViolation(v: Violation, records: readonly AnyRecord[], ctx: CheckContext, options: ShrinkOptions = {}): ShrunkViolation {
  const maxChecks = Math.max(0, options.maxChecks ?? DEFAULT_MAX_CHECKS);
  const units = shrinkUnits(records);
  let checks = 0;
  const subsetOf = (unitIdx: readonly number[]): AnyRecord[] =>
    unitIdx
      .flatMap((u) => units[u] as number[])
      .sort((a, b) => a - b)
      .map((i) => records[i] as AnyRecord);
  const shows = (unitIdx: readonly number[]): boolean | null => {
    if (checks >= maxChecks) return null;
    checks += 1;
    return checkInvariant(v.invariant, subsetOf(unitIdx), ctx).some((x) => sameViolation(x, v));
  };
  const finish = (evidence: readonly AnyRecord[], complete: boolean): ShrunkViolation => ({
    invariant: v.invariant,
    device: v.device,
    message: v.message,
    events: evidence.map((r) => r.seq),
    trace: evidence.map((r) => ({ seq: r.seq, text: describeRecord(r) })),
    shrink: { checks, from: records.length, complete },
  });

  const cited = new Set(v.events);
  const citedUnits: number[] = [];
  const deviceUnits: number[] = [];
  units.forEach((u, k) => {
    const rs = u.map((i) => records[i] as AnyRecord);
    const isCited = rs.some((r) => cited.has(r.seq));
    if (isCited) citedUnits.push(k);
    if (isCited || (v.device !== null && rs.some((r) => mentions(r, v.device as string)))) deviceUnits.push(k);
  });
  const all = units.map((_, k) => k);
  let start: number[] | null = null;
  for (const candidate of [citedUnits, deviceUnits, all]) {
    if (candidate.length === 0) continue;
    const r = shows(candidate);
    if (r === null) break;
    if (r) {
      start = candidate;
      break;
    }
  }
  if (start === null) {
    // Not reproducible from this trace (or no budget): hand back the check's own citations.
    const own = records.filter((r) => cited.has(r.seq));
    return finish(own, false);
  }
  const { kept, complete } = ddmin(start, shows);
  return finish(subsetOf(kept), complete);
}

/** Shrinks every violation (each with its own re-check budget), in their order. */
export function shrinkViolations(violations: readonly Violation[], records: readonly AnyRecord[], ctx: CheckContext, options: ShrinkOptions = {}): ShrunkViolation[] {
  return violations.map((v) => shrinkViolation(v, records, ctx, options));
}
