/**
 * The published result as a zod schema, for `dmasim report RESULT.json`: a saved file is checked before anything is
 * rendered, and a bad one is reported as one line naming the field (`scenarios[0].runs[1].devices[3].dmaOps:
 * expected one of ...`). `result-schema.test.ts` checks that the schema and the interfaces of `result.ts` describe
 * the same shape.
 */
import { z } from "zod";
import { inputError, type Result } from "./errors";
import { jsonErrorOffset } from "./io/json-offset";
import { REPORT_FORMAT, type ReportDocument, type ScenarioResult } from "./result";
import { MARK_KINDS } from "./views/timeline";
import { SEQUENCE_LANES } from "./views/sequence";

const int = z.number().int();
const nat = int.min(0);

const dma = z.strictObject({ op: z.enum(["alloc-coherent", "map-single", "map-sg", "msi"]), outcome: z.enum(["ok", "fault", "untranslated", "failed"]), event: nat.exactOptional() });
const leak = z.strictObject({ kind: z.enum(["dma-mapping", "queue-entry"]), owner: z.string(), detail: z.string() });
const device = z.strictObject({
  name: z.string(),
  bus: z.string(),
  driver: z.string().nullable(),
  dmaOps: z.enum(["iommu", "direct", "swiotlb", "dummy", "none"]),
  iommu: z.string().nullable(),
  iommuGroup: nat.nullable(),
  domainType: z.enum(["DMA", "DMA-FQ", "identity", "blocked", "unmanaged"]).nullable(),
  streamIds: z.array(nat),
  deferrals: nat,
  dma: z.array(dma),
  leaks: z.array(leak),
});
const sequence = z.strictObject({
  device: z.string().nullable(),
  steps: z.array(z.strictObject({ seq: nat, lane: z.enum(SEQUENCE_LANES), text: z.string(), evidence: z.boolean(), skippedBefore: nat })),
});
const violation = z.strictObject({
  invariant: z.string(),
  device: z.string().nullable(),
  message: z.string(),
  trace: z.array(z.strictObject({ seq: nat, event: z.string() })),
  sequence,
  choices: z.array(nat).nullable(),
});
const stats = z.strictObject({ traceEvents: nat, devices: nat, bound: nat, deferrals: nat, dmaOk: nat, dmaFaults: nat, leaks: nat, simulatedUs: nat });
const timeline = z.strictObject({
  bands: z.array(z.strictObject({ label: z.string(), from: nat, to: nat })),
  marks: z.array(z.strictObject({ seq: nat, device: z.string(), kind: z.enum(MARK_KINDS), label: z.string() })),
  end: nat,
  quietDevices: nat,
});
const topology = z.strictObject({
  nodes: z.array(
    z.strictObject({
      name: z.string(),
      kind: z.enum(["smmu", "host-bridge", "bridge", "endpoint", "platform"]),
      parent: z.string().nullable(),
      driver: z.string().nullable(),
      iommu: z.string().nullable(),
      group: nat.nullable(),
      domainType: z.string().nullable(),
      streamIds: z.array(nat),
    }),
  ),
  hiddenDevices: nat,
});
const exploration = z.strictObject({
  mode: z.enum(["exhaustive", "random"]),
  complete: z.boolean(),
  seed: int.nullable(),
  maxStates: nat.nullable(),
  inject: z.strictObject({ enomem: nat, defer: nat }).nullable(),
  statesVisited: nat,
  distinctStates: nat,
  duplicateStates: nat,
  prunedByReduction: nat,
  runs: nat,
  naiveOrderings: z.string().regex(/^(\d+|unknown)$/),
  violated: z.array(z.strictObject({ invariant: z.string(), devices: nat })),
  invariantsHeld: z.array(z.string()),
});
const run = z.strictObject({
  profile: z.string(),
  label: z.string(),
  hypothetical: z.boolean(),
  devices: z.array(device),
  violations: z.array(violation),
  stats,
  warnings: z.array(z.string()),
  timeline,
  topology,
  exploration: exploration.nullable(),
});

/** The `{ scenario, runs }` document. */
export const scenarioResultSchema = z.strictObject({ scenario: z.string(), description: z.string().nullable(), firmware: z.enum(["acpi", "dt"]), runs: z.array(run) });

/** The multi-scenario document. */
export const reportDocumentSchema = z.strictObject({ format: z.literal(REPORT_FORMAT), scenarios: z.array(scenarioResultSchema) });

/** A zod issue path as `a[0].b`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out === "" ? "(top level)" : out;
}

/** Parses a saved result (either document shape) into scenario results. */
export function parseResultJson(text: string, file: string): Result<readonly ScenarioResult[]> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return inputError(file, `offset ${jsonErrorOffset(text)}`, `not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const isDocument = typeof data === "object" && data !== null && "format" in data;
  const parsed = isDocument ? reportDocumentSchema.safeParse(data) : scenarioResultSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return inputError(file, issue === undefined ? null : formatPath(issue.path), issue?.message ?? "not a dmasim result");
  }
  const value = parsed.data as unknown as ReportDocument | ScenarioResult;
  return { ok: true, value: "format" in value ? value.scenarios : [value] };
}
