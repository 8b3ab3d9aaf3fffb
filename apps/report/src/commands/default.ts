/**
 * `dmasim` with no arguments (what `pnpm start` runs): the built-in scenarios (the seed, S1–S7 of
 * kernel-behaviour.md §d.3 and the recorded QEMU boards) under every profile; writes `report.html`, `report.md` and
 * `report.json` into the output directory (default `out/`) and prints the summary table and where the files went.
 *
 * The violations it shows under the old profiles are what the report is about, so they do not make it fail: its
 * exit status is 1 only when a boot differs from its scenario's `expect` block (a regression of the model), each
 * difference printed as one line.
 */
import { relative, resolve } from "node:path";
import { EXIT_CLEAN, EXIT_USAGE, EXIT_VIOLATIONS, formatInputError } from "../errors";
import type { CliIo } from "../io/cli-io";
import type { FileOps } from "../io/atomic-write";
import type { ScenarioResult } from "../result";
import { renderScenarioLines, renderSummaryText } from "../render/text/summary";
import { resolveProfiles, runScenario, type ExpectationMismatch } from "../run-scenario";
import { defaultRunScenarios } from "../scenarios";
import { palette, sanitizeTerminal } from "../render/text/table";
import { DEFAULT_RENDERERS, renderReportFiles, tryWriteReportFiles, type ReportRenderers } from "./report-files";

/** Options of the default run. */
export interface DefaultArgs {
  /** Output directory (default `out`). */
  readonly out?: string;
  /** Restrict to these profiles. */
  readonly profiles?: readonly string[];
}

/** Seams for tests. */
export interface DefaultDeps {
  readonly renderers?: ReportRenderers;
  readonly fileOps?: FileOps;
}

/** Runs the default report. */
export async function defaultCommand(args: DefaultArgs, io: CliIo, deps: DefaultDeps = {}): Promise<number> {
  const results: ScenarioResult[] = [];
  const mismatches: ExpectationMismatch[] = [];
  for (const s of defaultRunScenarios()) {
    const profiles = resolveProfiles(args.profiles, null);
    if (!profiles.ok) {
      io.stderr.write(`${formatInputError(profiles.error)}\n`);
      return EXIT_USAGE;
    }
    const r = runScenario(s, profiles.value);
    if (!r.ok) {
      io.stderr.write(`${formatInputError(r.error)}\n`);
      return EXIT_USAGE;
    }
    results.push(r.value.result);
    mismatches.push(...r.value.mismatches);
  }
  const dir = resolve(io.cwd, args.out ?? "out");
  const files = await renderReportFiles(results, deps.renderers ?? DEFAULT_RENDERERS);
  const written = tryWriteReportFiles(dir, args.out ?? "out", files, deps.fileOps);
  if (!written.ok) {
    io.stderr.write(`${formatInputError(written.error)}\n`);
    return EXIT_USAGE;
  }
  io.stdout.write(`${renderSummaryText(results, io.color)}\n${renderScenarioLines(results, io.color)}\n`);
  io.stdout.write(`Wrote ${written.value.map((p) => relative(io.cwd, p) || p).join(", ")}\n`);
  if (mismatches.length === 0) return EXIT_CLEAN;
  const p = palette(io.color);
  for (const m of mismatches) io.stderr.write(`${p.red(`dmasim: ${sanitizeTerminal(m.scenario)}: ${m.path}: ${sanitizeTerminal(m.message)}`)}\n`);
  return EXIT_VIOLATIONS;
}
