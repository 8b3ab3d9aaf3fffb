/**
 * The live conformance suite behind `pnpm conformance`: every topology in CONFORMANCE_TOPOLOGIES under DT and ACPI,
 * booted on Debian's arm64 6.1 kernel under QEMU (downloads cached in ~/.cache/dmasim/oracle) and compared with the
 * model's v6.1 prediction; prints each disagreement and a summary table (also written as Markdown to the cache).
 *
 * Flags: --only SUBSTR (topology names), --firmware dt|acpi, --jobs N (parallel boots, default 1), --timeout S,
 * --all-rows (print agreeing rows too), --observe-only (exit 0 when the model cannot predict, after printing what the
 * real kernel showed).
 * Exit status: 0 all agree; 1 a disagreement; 2 a boot failed or had no prediction (unless --observe-only).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderDiffMarkdown, renderDiffText, renderFactsText } from "./render";
import { conformanceRunExitCode, formatConformanceError, runConformance, type ConformanceRun } from "./run";
import { formatOracleError } from "./real/errors";
import { prepareOracle } from "./real/oracle";
import { CONFORMANCE_TOPOLOGIES } from "./topologies";

/** The suite flags. */
export interface Args {
  only: string | null;
  firmware: ("dt" | "acpi")[];
  jobs: number;
  timeout: number;
  allRows: boolean;
  observeOnly: boolean;
}

/** Parses the suite flags; a string is the usage error. */
export function parseArgs(argv: readonly string[]): Args | string {
  const a: Args = { only: null, firmware: ["dt", "acpi"], jobs: 1, timeout: 120, allRows: false, observeOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i];
    const v = argv[i + 1];
    if (w === "--") continue;
    if (w === "--all-rows") a.allRows = true;
    else if (w === "--observe-only") a.observeOnly = true;
    else if (w === "--only" && v !== undefined) (a.only = v), i++;
    else if (w === "--firmware" && (v === "dt" || v === "acpi")) (a.firmware = [v]), i++;
    else if (w === "--jobs" && v !== undefined && /^[1-8]$/.test(v)) (a.jobs = Number(v)), i++;
    else if (w === "--timeout" && v !== undefined && /^\d+$/.test(v)) (a.timeout = Number(v)), i++;
    else return `unknown or incomplete argument: ${w ?? ""}`;
  }
  return a;
}

interface Outcome {
  readonly topology: string;
  readonly firmware: "dt" | "acpi";
  readonly run: ConformanceRun | null;
  readonly error: string | null;
}

function summaryRow(o: Outcome): string[] {
  if (o.run === null) return [o.topology, o.firmware, "-", "-", "-", "-", "-", "-", `FAILED: ${o.error ?? ""}`];
  const f = o.run.observed;
  const bound = f.drivers.filter((d) => d.driver !== null).length;
  const verdict = o.run.diff === null ? `no prediction` : o.run.diff.agree ? "agree" : `DISAGREE (${o.run.diff.rows.filter((r) => !r.agree).length})`;
  return [
    o.topology,
    o.firmware,
    o.run.wallSeconds === null ? "-" : o.run.wallSeconds.toFixed(2),
    String(f.groups.length),
    `${bound}/${f.pciFunctions.length}`,
    String(f.ungrouped.filter((u) => u.reasons.some((r) => r !== "no driver bound")).length),
    f.deferrals.ok ? String(f.deferrals.value.added.length) : "n/a",
    f.smmuEvents.ok ? String(f.smmuEvents.value.length) : "n/a",
    verdict,
  ];
}

const HEADER = ["topology", "fw", "wall s", "groups", "bound", "collisions", "deferred", "SMMU events", "verdict"];

function table(rows: readonly string[][]): string {
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (r: readonly string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [fmt(HEADER), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(fmt)].join("\n");
}

/**
 * Runs the live suite with command-line flags (see the module comment) and returns the exit status.
 */
export async function conformanceSuiteMain(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    console.error(`conformance: ${args}`);
    return 2;
  }
  const started = process.hrtime.bigint();
  const prepared = await prepareOracle({ onProgress: (m) => console.log(`oracle: ${m}`) });
  if (!prepared.ok) {
    console.error(`conformance: ${formatOracleError(prepared.error)}`);
    return 2;
  }
  const oracle = prepared.value;
  console.log(`oracle: ${oracle.kernelPackage} (${oracle.kernelRelease}), ${oracle.tools.qemuVersion}, initramfs ${(oracle.initramfsBytes / 1e6).toFixed(1)} MB`);
  const jobs = CONFORMANCE_TOPOLOGIES.filter((t) => args.only === null || t.name.includes(args.only)).flatMap((t) =>
    args.firmware.map((firmware) => ({ t, firmware })),
  );
  const outcomes: Outcome[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const job = jobs[i];
      if (job === undefined) return;
      const r = await runConformance({
        oracle,
        source: {
          kind: "live",
          name: `${job.firmware}-${job.t.name}`,
          qemu: job.t.qemu,
          firmware: job.firmware,
          timeoutSeconds: args.timeout,
          ...(job.t.cmdline === undefined ? {} : { cmdline: job.t.cmdline }),
        },
      });
      const o: Outcome = r.ok
        ? { topology: job.t.name, firmware: job.firmware, run: r.value, error: null }
        : { topology: job.t.name, firmware: job.firmware, run: null, error: formatConformanceError(r.error) };
      outcomes[i] = o;
      const head = `== ${job.firmware}-${job.t.name}: ${summaryRow(o).at(-1) ?? ""}${o.run?.wallSeconds == null ? "" : ` (${o.run.wallSeconds.toFixed(2)} s)`}`;
      if (o.run === null) console.log(head);
      else if (o.run.diff === null) console.log(`${head}\n${renderFactsText("observed", o.run.observed)}\n   (${o.run.prediction.ok ? "" : o.run.prediction.error})`);
      else console.log(`${head}\n${renderDiffText(o.run.diff, { onlyDifferences: !args.allRows })}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.jobs, jobs.length) }, worker));
  const rows = outcomes.map(summaryRow);
  const total = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`\n${table(rows)}\n\n${jobs.length} boots in ${total.toFixed(1)} s (logs in ${oracle.layout.logs})`);
  const md = [
    `# dmasim conformance (${oracle.kernelPackage}, ${oracle.tools.qemuVersion})`,
    "",
    `| ${HEADER.join(" | ")} |`,
    `|${HEADER.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    ...outcomes.flatMap((o) => (o.run?.diff == null ? [] : [renderDiffMarkdown(o.run.diff, { onlyDifferences: !args.allRows }), ""])),
  ].join("\n");
  const mdPath = join(oracle.layout.root, "conformance-summary.md");
  writeFileSync(mdPath, md);
  console.log(`summary: ${mdPath}`);
  if (outcomes.some((o) => o.run === null)) return 2;
  if (outcomes.some((o) => o.run !== null && o.run.diff !== null && !o.run.diff.agree)) return 1;
  if (outcomes.some((o) => o.run !== null && o.run.diff === null)) return args.observeOnly ? 0 : 2;
  return outcomes.every((o) => o.run !== null && conformanceRunExitCode(o.run) === 0) ? 0 : 1;
}

