/**
 * The published result: what `dmasim run --format json` prints, what `out/report.json` holds, and the only input the
 * HTML and Markdown renderers read (so `dmasim report RESULT.json` re-renders a saved run byte for byte). Built from
 * the kernel's per-device outcomes and verdicts; every object is created with its keys in the documented order, so
 * `JSON.stringify` is stable. The shape is documented in the README ("JSON format").
 */
import type { BootResult, DeviceOutcome } from "@dmasim/kernel";
import type { Violation } from "@dmasim/driver-core";
import { describeRecord, type AnyRecord } from "./views/describe";
import { sequenceOf, type SequenceData } from "./views/sequence";
import { timelineOf, type TimelineData } from "./views/timeline";
import { topologyOf, type TopologyData } from "./views/topology";

/** The value of the `format` field of a multi-scenario document. */
export const REPORT_FORMAT = "dmasim-report/1";

/** One DMA (or MSI) a device did and what it reached. */
export interface DmaResult {
  readonly op: "alloc-coherent" | "map-single" | "map-sg" | "msi";
  readonly outcome: "ok" | "fault" | "untranslated" | "failed";
  /** The SMMU event id of a fault (16 = F_TRANSLATION). */
  readonly event?: number;
}

/** Something left behind after an unbind or a failed probe. */
export interface LeakResult {
  readonly kind: "dma-mapping" | "queue-entry";
  readonly owner: string;
  readonly detail: string;
}

/** One device after the boot, as the kernel names it. */
export interface DeviceResult {
  readonly name: string;
  readonly bus: string;
  readonly driver: string | null;
  readonly dmaOps: "iommu" | "direct" | "swiotlb" | "dummy" | "none";
  readonly iommu: string | null;
  readonly iommuGroup: number | null;
  readonly domainType: "DMA" | "DMA-FQ" | "identity" | "blocked" | "unmanaged" | null;
  readonly streamIds: readonly number[];
  readonly deferrals: number;
  readonly dma: readonly DmaResult[];
  readonly leaks: readonly LeakResult[];
}

/** One trace event of a violation's evidence. */
export interface TraceLine {
  readonly seq: number;
  readonly event: string;
}

/** One violated invariant on one device, with the trace that shows it. */
export interface ViolationResult {
  readonly invariant: string;
  readonly device: string | null;
  readonly message: string;
  /** The (shrunk) evidence: sequence numbers and one line each. */
  readonly trace: readonly TraceLine[];
  /** The counterexample in context, for the sequence view. */
  readonly sequence: SequenceData;
  /** The explorer's choice sequence that reaches it (`dmasim run --choices`), when it came from an exploration. */
  readonly choices: readonly number[] | null;
}

/** Counts of one boot (deterministic: no wall-clock figures). */
export interface RunStats {
  readonly traceEvents: number;
  readonly devices: number;
  readonly bound: number;
  readonly deferrals: number;
  readonly dmaOk: number;
  readonly dmaFaults: number;
  readonly leaks: number;
  /** Simulated time at the end of the boot, in µs. */
  readonly simulatedUs: number;
}

/** Injected-fault budgets per run (`--inject enomem=N,defer=N`). */
export interface InjectBudget {
  readonly enomem: number;
  readonly defer: number;
}

/** What an exploration of one profile found (deterministic figures only). */
export interface ExplorationResult {
  readonly mode: "exhaustive" | "random";
  readonly complete: boolean;
  readonly seed: number | null;
  readonly maxStates: number | null;
  /** The injected-fault budgets asked for with `--inject` (null: the scenario's own `explore.faults`). */
  readonly inject: InjectBudget | null;
  readonly statesVisited: number;
  readonly distinctStates: number;
  readonly duplicateStates: number;
  readonly prunedByReduction: number;
  readonly runs: number;
  /** The naive number of orderings without reduction (a decimal string: it can exceed 2^53; `unknown` if not finite). */
  readonly naiveOrderings: string;
  /** Invariants some explored run violated, with the number of devices a counterexample names. */
  readonly violated: readonly { readonly invariant: string; readonly devices: number }[];
  /** Invariants no explored run violated. */
  readonly invariantsHeld: readonly string[];
}

/** One profile's boot of the scenario. */
export interface RunResult {
  readonly profile: string;
  readonly label: string;
  readonly hypothetical: boolean;
  readonly devices: readonly DeviceResult[];
  readonly violations: readonly ViolationResult[];
  readonly stats: RunStats;
  /** Problems with the scenario's driver specs (the driver was left out). */
  readonly warnings: readonly string[];
  /** The report's inputs: boot timeline marks and the topology. */
  readonly timeline: TimelineData;
  readonly topology: TopologyData;
  readonly exploration: ExplorationResult | null;
}

/** A scenario under one or more profiles: the `{ scenario, runs }` document. */
export interface ScenarioResult {
  readonly scenario: string;
  readonly description: string | null;
  readonly firmware: "acpi" | "dt";
  readonly runs: readonly RunResult[];
}

/** Several scenarios in one document (`out/report.json` of the default run). */
export interface ReportDocument {
  readonly format: typeof REPORT_FORMAT;
  readonly scenarios: readonly ScenarioResult[];
}

/** A profile as the result names it. */
export interface ProfileInfo {
  readonly name: string;
  readonly label: string;
  readonly hypothetical: boolean;
}

/** The published form of a kernel device outcome, keys in the documented order. */
export function deviceResult(o: DeviceOutcome): DeviceResult {
  return {
    name: o.name,
    bus: o.bus,
    driver: o.driver,
    dmaOps: o.dmaOps,
    iommu: o.iommu,
    iommuGroup: o.iommuGroup,
    domainType: o.domainType,
    streamIds: [...o.streamIds],
    deferrals: o.deferrals,
    dma: o.dma.map((d) => (d.event === undefined ? { op: d.op, outcome: d.outcome } : { op: d.op, outcome: d.outcome, event: d.event })),
    leaks: o.leaks.map((l) => ({ kind: l.kind, owner: l.owner, detail: l.detail })),
  };
}

/** A violation as the kernel reports it, possibly already carrying its shrunk trace lines. */
export type KernelViolation = Violation & { readonly trace?: readonly { readonly seq: number; readonly event?: string; readonly text?: string }[] };

/** The evidence lines of a violation: the kernel's own shrunk lines when it gives them, else its event seqs described. */
export function violationTrace(v: KernelViolation, records: readonly AnyRecord[]): TraceLine[] {
  if (v.trace !== undefined) return v.trace.map((t) => ({ seq: t.seq, event: t.event ?? t.text ?? "" }));
  const bySeq = new Map<number, AnyRecord>();
  for (const r of records) bySeq.set(r.seq, r);
  return [...v.events].sort((a, b) => a - b).map((seq) => {
    const r = bySeq.get(seq);
    return { seq, event: r === undefined ? "(not in trace)" : describeRecord(r) };
  });
}

/** Builds one run's published result from a boot. */
export function runResult(profile: ProfileInfo, boot: Pick<BootResult, "trace" | "outcomes" | "violations" | "warnings">, choices: readonly number[] | null = null): RunResult {
  const records = boot.trace as readonly AnyRecord[];
  const devices = boot.outcomes.map(deviceResult);
  const violations = (boot.violations as readonly KernelViolation[]).map((v): ViolationResult => {
    const trace = violationTrace(v, records);
    return {
      invariant: v.invariant,
      device: v.device,
      message: v.message,
      trace,
      sequence: sequenceOf(records, v.device, trace.map((t) => t.seq), devices),
      choices: choices === null ? null : [...choices],
    };
  });
  const last = records[records.length - 1];
  let dmaOk = 0;
  let dmaFaults = 0;
  for (const d of devices) for (const x of d.dma) x.outcome === "ok" ? dmaOk++ : dmaFaults++;
  return {
    profile: profile.name,
    label: profile.label,
    hypothetical: profile.hypothetical,
    devices,
    violations,
    stats: {
      traceEvents: records.length,
      devices: devices.length,
      bound: devices.filter((d) => d.driver !== null).length,
      deferrals: devices.reduce((n, d) => n + d.deferrals, 0),
      dmaOk,
      dmaFaults,
      leaks: devices.reduce((n, d) => n + d.leaks.length, 0),
      simulatedUs: last?.time ?? 0,
    },
    warnings: [...boot.warnings],
    timeline: timelineOf(records, devices),
    topology: topologyOf(records, devices),
    exploration: null,
  };
}

/** Whether any run of any scenario has a violation (exit status 1). */
export function hasViolations(results: readonly ScenarioResult[]): boolean {
  return results.some((s) => s.runs.some((r) => r.violations.length > 0));
}
