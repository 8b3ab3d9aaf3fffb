/**
 * `dmasim run SCENARIO [--profile P]... [--format text|json|md] [--choices ...]`: one boot of the scenario per
 * profile, printed as text, the published JSON or Markdown. Exit 0 when nothing is violated, 1 otherwise, 2 on bad
 * input.
 */
import { formatTime, formatTrace } from "@dmasim/driver-core";
import type { BootResult, ProfileName } from "@dmasim/kernel";
import { dyndbgEnabled, predictedLogFromTrace, visibilityFromCmdline } from "../conformance/index";
import { EXIT_CLEAN, EXIT_USAGE, EXIT_VIOLATIONS, formatInputError } from "../errors";
import type { CliIo } from "../io/cli-io";
import { hasViolations, type ScenarioResult } from "../result";
import { renderMarkdown } from "../render/markdown/report";
import { renderResultText } from "../render/text/run";
import { resolveProfiles, runScenario } from "../run-scenario";
import { resolveScenario } from "../scenarios";
import { parseChoices } from "./choices";
import { parseInject } from "./inject";

/** An output format. */
export type OutputFormat = "text" | "json" | "md";

/** Arguments of `run`. */
export interface RunArgs {
  readonly scenario: string;
  readonly profiles?: readonly string[];
  readonly format?: OutputFormat;
  readonly choices?: string;
  readonly cmdline?: string;
  /** `enomem=N,defer=N`: the fault budget an explorer counterexample was found with (see `explore --inject`). */
  readonly inject?: string;
  /** Print each profile's whole trace (every layer's events, nested as they ran) before the result. */
  readonly trace?: boolean;
  /** Print each profile's kernel log (the printk lines, as dmesg shows them) before the result. */
  readonly dmesg?: boolean;
}

/**
 * The kernel log of a boot as `dmesg` would show it: every line of level `info` and above, and a `pr_debug` /
 * `dev_dbg` line only when the command line's dynamic debug enables its file (`dyndbg="file dd.c +p"`,
 * `<module>.dyndbg=+p`). The console log level does not apply: dmesg reads the ring buffer.
 *
 * @see include/linux/dynamic_debug.h dynamic_dev_dbg
 * @see kernel/printk/printk.c devkmsg_read
 */
export function dmesgText(booted: BootResult, cmdline: string): string {
  const v = visibilityFromCmdline(cmdline);
  return predictedLogFromTrace(booted.trace)
    .filter((l) => l.level !== "debug" || dyndbgEnabled(v, l.file))
    .map((l) => `[${formatTime(l.time ?? 0)}] ${l.text}\n`)
    .join("");
}

/**
 * The `--trace` / `--dmesg` text of one boot: a `== PROFILE trace` header and the records (sequence number,
 * simulated time and the step, indented by nesting), then a `== PROFILE dmesg` header and the kernel log.
 */
export function bootLogText(profile: ProfileName, booted: BootResult, what: { readonly trace: boolean; readonly dmesg: boolean; readonly cmdline: string }): string {
  let out = "";
  if (what.trace) out += `== ${profile} trace (${booted.trace.length} records)\n${formatTrace(booted.trace)}\n`;
  if (what.dmesg) out += `== ${profile} dmesg\n${dmesgText(booted, what.cmdline)}`;
  return out;
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
  const inject = args.inject === undefined ? null : parseInject(args.inject);
  if (inject !== null && !inject.ok) return fail(inject.error);
  const logs = { trace: args.trace === true, dmesg: args.dmesg === true, cmdline: args.cmdline ?? resolved.value.scenario.cmdline ?? "" };
  if ((logs.trace || logs.dmesg) && (args.format ?? "text") !== "text") {
    return fail({ file: logs.trace ? "--trace" : "--dmesg", field: null, message: `prints text: use it with --format text, not ${args.format ?? "text"}` });
  }
  const r = runScenario(resolved.value.scenario, profiles.value, {
    file: resolved.value.file,
    ...(logs.trace || logs.dmesg ? { onBoot: (profile: ProfileName, booted: BootResult) => io.stdout.write(bootLogText(profile, booted, logs)) } : {}),
    boot: {
      ...(args.cmdline === undefined ? {} : { cmdline: args.cmdline }),
      ...(choices === null ? {} : { choices: choices.value }),
      ...(inject === null ? {} : { inject: inject.value }),
    },
  });
  if (!r.ok) return fail(r.error);
  printResult(r.value.result, args.format ?? "text", io);
  return hasViolations([r.value.result]) ? EXIT_VIOLATIONS : EXIT_CLEAN;
}
