/**
 * `dmasim run SCENARIO [--profile P]... [--format text|json|md] [--choices ...]`: one boot of the scenario per
 * profile, printed as text, the published JSON or Markdown. Exit 0 when nothing is violated, 1 otherwise, 2 on bad
 * input.
 */
import { EXIT_CLEAN, EXIT_USAGE, EXIT_VIOLATIONS, formatInputError } from "../errors";
import type { CliIo } from "../io/cli-io";
import { hasViolations, type ScenarioResult } from "../result";
import { renderMarkdown } from "../render/markdown/report";
import { renderResultText } from "../render/text/run";
import { resolveProfiles, runScenario } from "../run-scenario";
import { resolveScenario } from "../scenarios";
import { parseChoices } from "./choices";

/** An output format. */
export type OutputFormat = "text" | "json" | "md";

/** Arguments of `run`. */
export interface RunArgs {
  readonly scenario: string;
  readonly profiles?: readonly string[];
  readonly format?: OutputFormat;
  readonly choices?: string;
  readonly cmdline?: string;
}

/** Prints a scenario result in `format`. */
export function printResult(result: ScenarioResult, format: OutputFormat, io: CliIo): void {
  if (format === "json") io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else if (format === "md") io.stdout.write(renderMarkdown([result]));
  else io.stdout.write(renderResultText(result, io.color));
}

/** Runs `dmasim run`. */
export async function runCommand(args: RunArgs, io: CliIo): Promise<number> {
  const fail = (e: Parameters<typeof formatInputError>[0]): number => {
    io.stderr.write(`${formatInputError(e)}\n`);
    return EXIT_USAGE;
  };
  const resolved = resolveScenario(args.scenario, io.cwd);
  if (!resolved.ok) {
    for (const e of resolved.errors) io.stderr.write(`${formatInputError(e)}\n`);
    return EXIT_USAGE;
  }
  const profiles = resolveProfiles(args.profiles, resolved.value.scenario, resolved.value.file);
  if (!profiles.ok) return fail(profiles.error);
  const choices = args.choices === undefined ? null : parseChoices(args.choices);
  if (choices !== null && !choices.ok) return fail(choices.error);
  const r = runScenario(resolved.value.scenario, profiles.value, {
    file: resolved.value.file,
    boot: {
      ...(args.cmdline === undefined ? {} : { cmdline: args.cmdline }),
      ...(choices === null ? {} : { choices: choices.value }),
    },
  });
  if (!r.ok) return fail(r.error);
  printResult(r.value.result, args.format ?? "text", io);
  return hasViolations([r.value.result]) ? EXIT_VIOLATIONS : EXIT_CLEAN;
}
