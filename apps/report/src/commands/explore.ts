/**
 * `dmasim explore SCENARIO [--profile P]... [--max-states N] [--seed S] [--workers N] [--format ...] [-o DIR]`: the
 * choice points of a scenario (its `explore` block: orderable initcalls, scheduler picks, injected faults) explored
 * by the kernel package's explorer, exhaustively or, with `--seed`, at random; a progress bar on a terminal, plain
 * lines otherwise (stderr). Prints each profile's counterexamples (replayable with `dmasim run --choices`) and the
 * statistics; `-o` also writes the report. Exit 1 when a counterexample was found, 0 when every invariant held,
 * 2 on bad input.
 */
import { explore } from "@dmasim/kernel";
import { relative, resolve } from "node:path";
import { EXIT_CLEAN, EXIT_USAGE, EXIT_VIOLATIONS, formatInputError, type InputError } from "../errors";
import { exploredRun, type Explorer, type ExplorerProgress } from "../exploration";
import type { CliIo } from "../io/cli-io";
import { createProgress, type ProgressSample } from "../progress";
import type { RunResult, ScenarioResult } from "../result";
import { resolveProfiles, runScenario } from "../run-scenario";
import { resolveScenario } from "../scenarios";
import { renderReportFiles, tryWriteReportFiles } from "./report-files";
import { parseInject } from "./inject";
import { printResult, type OutputFormat } from "./run";

/** Arguments of `explore`. */
export interface ExploreArgs {
  readonly scenario: string;
  readonly profiles?: readonly string[];
  readonly maxStates?: string;
  readonly seed?: string;
  readonly workers?: string;
  readonly format?: OutputFormat;
  readonly out?: string;
  /** `enomem=N,defer=N`: injected probe failures per run (replaces the scenario's `explore.faults`). */
  readonly inject?: string;
}

/** Seams for tests. */
export interface ExploreDeps {
  /** The explorer (default: the kernel package's `explore`; null: none, as a build without one). */
  readonly explorer?: Explorer | null;
}

/** The kernel package's explorer. */
export const kernelExplorer: Explorer = explore;

function count(text: string | undefined, option: string, min: number, max: number): { ok: true; value: number | null } | { ok: false; error: InputError } {
  if (text === undefined) return { ok: true, value: null };
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) return { ok: false, error: { file: option, field: null, message: `expected an integer from ${min} to ${max}, got "${text}"` } };
  return { ok: true, value: n };
}

const sample = (p: ExplorerProgress): ProgressSample => ({ states: p.statesVisited, frontier: p.frontier, elapsedMs: p.elapsedMs });

/** Runs `dmasim explore`. */
export async function exploreCommand(args: ExploreArgs, io: CliIo, deps: ExploreDeps = {}): Promise<number> {
  const fail = (...errors: InputError[]): number => {
    for (const e of errors) io.stderr.write(`${formatInputError(e)}\n`);
    return EXIT_USAGE;
  };
  const resolved = resolveScenario(args.scenario, io.cwd);
  if (!resolved.ok) return fail(...resolved.errors);
  const { scenario, file } = resolved.value;
  const profiles = resolveProfiles(args.profiles, scenario, file);
  if (!profiles.ok) return fail(profiles.error);
  const maxStates = count(args.maxStates, "--max-states", 1, 1e9);
  if (!maxStates.ok) return fail(maxStates.error);
  const workers = count(args.workers, "--workers", 1, 64);
  if (!workers.ok) return fail(workers.error);
  const seed = count(args.seed, "--seed", 0, 2 ** 32 - 1);
  if (!seed.ok) return fail(seed.error);
  const inject = args.inject === undefined ? null : parseInject(args.inject);
  if (inject !== null && !inject.ok) return fail(inject.error);
  const explorer = deps.explorer === undefined ? kernelExplorer : deps.explorer;
  if (explorer === null) return fail({ file: null, field: null, message: "the probe-order explorer is not in this build of @dmasim/kernel" });

  const asked = { seed: seed.value, maxStates: maxStates.value, inject: inject === null ? null : inject.value };
  const where = file ?? scenario.name;
  const runs: RunResult[] = [];
  for (const profile of profiles.value) {
    const base = runScenario(scenario, [profile], { file });
    if (!base.ok) return fail(base.error);
    const baseRun = base.value.result.runs[0];
    if (baseRun === undefined) continue;
    const progress = createProgress(io, `${scenario.name} ${profile}`, maxStates.value);
    const report = await explorer(scenario, {
      profile,
      mode: seed.value === null ? "exhaustive" : "random",
      ...(maxStates.value === null ? {} : { maxStates: maxStates.value }),
      ...(seed.value === null ? {} : { seed: seed.value }),
      ...(workers.value === null ? {} : { workers: workers.value }),
      ...(inject === null ? {} : { inject: inject.value }),
      onProgress: (p) => progress.update(sample(p)),
    });
    const s = report.stats;
    progress.done({ states: s.statesVisited, frontier: 0, elapsedMs: s.wallMs });
    io.stderr.write(`${profile}: ${s.runs} runs, ${Math.round(s.statesPerSecond)} states/s on ${s.workers} worker${s.workers === 1 ? "" : "s"}\n`);
    const run = exploredRun(scenario, baseRun, report, asked, where);
    if (!run.ok) return fail(run.error);
    runs.push(run.value);
  }
  const result: ScenarioResult = { scenario: scenario.name, description: scenario.description ?? null, firmware: scenario.firmware, runs };
  if (args.out !== undefined) {
    const files = await renderReportFiles([result]);
    const written = tryWriteReportFiles(resolve(io.cwd, args.out), args.out, files);
    if (!written.ok) return fail(written.error);
    io.stderr.write(`Wrote ${written.value.map((p) => relative(io.cwd, p) || p).join(", ")}\n`);
  }
  printResult(result, args.format ?? "text", io);
  return runs.some((r) => r.violations.length > 0) ? EXIT_VIOLATIONS : EXIT_CLEAN;
}
