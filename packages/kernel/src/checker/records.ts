/**
 * Typed views of the composed trace for the checks. The checks read only plain fields of records, named by `type`;
 * each view lists the fields one check needs (structural subsets of the lower packages' event types), so the checks
 * stay pure functions of the JSON trace and can run on shrunk or re-loaded traces.
 */
import type { Violation } from "@dmasim/driver-core";

/** Any record of a composed trace. */
export interface AnyRecord {
  readonly type: string;
  readonly seq: number;
  readonly time: number;
}

/** The §(d.2) / DESIGN invariants this package checks. */
export type KernelInvariant =
  | "I-PROBE"
  | "I-STABLE"
  | "I-CLEAN"
  | "I-QUEUE-HYGIENE"
  | "I-DRIVERLESS"
  | "I-FWSPEC"
  | "I-GROUP-LIFECYCLE"
  | "I-ISOLATION"
  | "I-LEAK";

/** Builds a violation with its events sorted and de-duplicated. */
export function kernelViolation(invariant: KernelInvariant, device: string | null, message: string, events: readonly number[]): Violation {
  return { invariant, device, message, events: [...new Set(events)].sort((a, b) => a - b) };
}

/** The records of one type, narrowed to the fields a check reads. */
export function ofType<TView extends AnyRecord>(records: readonly AnyRecord[], type: string): TView[] {
  const out: TView[] = [];
  for (const r of records) if (r.type === type) out.push(r as TView);
  return out;
}

/** A bus notifier walk start (`notifier-chain-start` on a `bus:*` chain). */
export interface ChainStartView extends AnyRecord {
  readonly type: "notifier-chain-start";
  readonly chain: string;
  readonly action: string;
  readonly data: string | null;
}

/** `dma-ops-set` (dma-mapping). */
export interface OpsSetView extends AnyRecord {
  readonly type: "dma-ops-set";
  readonly device: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/** A device-named record (`driver-bound`, `release-driver`, `device-del`, ...). */
export interface DeviceView extends AnyRecord {
  readonly device: string;
  readonly driver?: string;
}

/** `really-probe-end` (driver-core). */
export interface ProbeEndView extends AnyRecord {
  readonly type: "really-probe-end";
  readonly device: string;
  readonly driver: string;
  readonly bound: boolean;
}

/**
 * Per-device timeline of the DMA ops kind, from `dma-ops-set` records: `kindAt(device, seq)` is the kind in force
 * just after record `seq`.
 */
export class OpsTimeline {
  readonly #changes = new Map<string, { seq: number; to: string }[]>();

  constructor(records: readonly AnyRecord[]) {
    for (const r of ofType<OpsSetView>(records, "dma-ops-set")) {
      const list = this.#changes.get(r.device) ?? [];
      list.push({ seq: r.seq, to: r.to });
      this.#changes.set(r.device, list);
    }
  }

  /** The kind after record `seq` ("none" before any change), and the seq of the change that set it. */
  kindAt(device: string, seq: number): { readonly kind: string; readonly since: number | null } {
    const list = this.#changes.get(device);
    if (list === undefined) return { kind: "none", since: null };
    let kind = "none";
    let since: number | null = null;
    for (const c of list) {
      if (c.seq > seq) break;
      kind = c.to;
      since = c.seq;
    }
    return { kind, since };
  }
}
