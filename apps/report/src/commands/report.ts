/**
 * `dmasim report RESULT.json|SCENARIO -o DIR`: the HTML, Markdown and JSON report of a saved result (re-rendered from
 * the JSON alone, byte-identical to the original run's files) or of a scenario run under its profiles. Exit 0 once
 * the files are written, 2 on bad input.
 */
import { existsSync, readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { EXIT_CLEAN, EXIT_USAGE, formatInputError, type InputError } from "../errors";
import type { CliIo } from "../io/cli-io";
import type { ScenarioResult } from "../result";
import { parseResultJson } from "../result-schema";
import { resolveProfiles, runScenario } from "../run-scenario";
import { resolveScenario } from "../scenarios";
import { renderReportFiles, tryWriteReportFiles } from "./report-files";

/** Arguments of `report`. */
export interface ReportArgs {
  readonly input: string;
  readonly out: string;
  readonly profiles?: readonly string[];
}

/** Whether a JSON file holds a result (rather than a scenario): it has `runs` or the document `format`. */
function looksLikeResult(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && ("runs" in v || "format" in v);
  } catch {
    return true;
  }
}

function load(args: ReportArgs, io: CliIo): { ok: true; value: readonly ScenarioResult[] } | { ok: false; errors: readonly InputError[] } {
  const path = resolve(io.cwd, args.input);
  if (existsSync(path) && args.input.toLowerCase().endsWith(".json")) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      return { ok: false, errors: [{ file: args.input, field: null, message: err instanceof Error ? err.message : String(err) }] };
    }
    if (looksLikeResult(text)) {
      const r = parseResultJson(text, args.input);
      return r.ok ? r : { ok: false, errors: [r.error] };
    }
  }
  const s = resolveScenario(args.input, io.cwd);
  if (!s.ok) return s;
  const profiles = resolveProfiles(args.profiles, s.value.scenario, s.value.file);
  if (!profiles.ok) return { ok: false, errors: [profiles.error] };
  const r = runScenario(s.value.scenario, profiles.value, { file: s.value.file });
  return r.ok ? { ok: true, value: [r.value.result] } : { ok: false, errors: [r.error] };
}

/** Runs `dmasim report`. */
export async function reportCommand(args: ReportArgs, io: CliIo): Promise<number> {
  const results = load(args, io);
  if (!results.ok) {
    for (const e of results.errors) io.stderr.write(`${formatInputError(e)}\n`);
    return EXIT_USAGE;
  }
  const files = await renderReportFiles(results.value);
  const written = tryWriteReportFiles(resolve(io.cwd, args.out), args.out, files);
  if (!written.ok) {
    io.stderr.write(`${formatInputError(written.error)}\n`);
    return EXIT_USAGE;
  }
  io.stdout.write(`Wrote ${written.value.map((p) => relative(io.cwd, p) || p).join(", ")}\n`);
  return EXIT_CLEAN;
}
