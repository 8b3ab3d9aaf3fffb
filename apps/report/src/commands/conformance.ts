/**
 * `dmasim conformance --qemu "ARGS" [--firmware dt|acpi] [--cmdline "..."] [--timeout S] [--no-dyndbg]` (live: the
 * real Debian 6.1 kernel under QEMU) or `--log FILE.log --cmd FILE.cmd` (a recorded boot): the model's prediction
 * against the real kernel, field by field, through the conformance module's `runConformance`. Exit 0 when they
 * agree, 1 on a difference, 2 on bad input or when there is no prediction to compare.
 */
import { conformanceRunExitCode, formatConformanceError, renderDiffJson, renderDiffMarkdown, renderDiffText, renderFactsText, renderTimelineText, runConformance, runTimeline, type ConformanceSource } from "../conformance/index";
import { EXIT_USAGE, formatInputError } from "../errors";
import type { CliIo } from "../io/cli-io";
import type { OutputFormat } from "./run";

/** Arguments of `conformance`. */
export interface ConformanceArgs {
  readonly qemu?: string;
  readonly firmware?: string;
  readonly cmdline?: string;
  readonly timeout?: string;
  readonly dyndbg?: boolean;
  readonly log?: string;
  readonly cmd?: string;
  readonly format?: OutputFormat;
  readonly timeline?: boolean;
}

function sourceOf(args: ConformanceArgs): { ok: true; value: ConformanceSource } | { ok: false; error: string } {
  if (args.qemu !== undefined && (args.log !== undefined || args.cmd !== undefined)) return { ok: false, error: "give either --qemu ARGS or --log FILE --cmd FILE" };
  if (args.qemu !== undefined) {
    const fw = args.firmware ?? "dt";
    if (fw !== "dt" && fw !== "acpi") return { ok: false, error: `--firmware: expected dt or acpi, got "${fw}"` };
    let timeoutSeconds: number | undefined;
    if (args.timeout !== undefined) {
      timeoutSeconds = Number(args.timeout);
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > 3600) return { ok: false, error: `--timeout: expected seconds in (0, 3600], got "${args.timeout}"` };
    }
    return {
      ok: true,
      value: {
        kind: "live",
        qemu: args.qemu,
        firmware: fw,
        ...(args.cmdline === undefined ? {} : { cmdline: args.cmdline }),
        ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
        ...(args.dyndbg === false ? { dyndbg: false } : {}),
      },
    };
  }
  if (args.log !== undefined && args.cmd !== undefined) return { ok: true, value: { kind: "recorded", log: args.log, cmd: args.cmd } };
  return { ok: false, error: "conformance needs --qemu ARGS, or --log FILE.log with --cmd FILE.cmd" };
}

/** Runs `dmasim conformance`. */
export async function conformanceCommand(args: ConformanceArgs, io: CliIo): Promise<number> {
  const source = sourceOf(args);
  if (!source.ok) {
    io.stderr.write(`${formatInputError({ file: null, field: null, message: source.error })}\n`);
    return EXIT_USAGE;
  }
  const run = await runConformance({
    source: source.value,
    onProgress: (m) => io.stderr.write(`${m}\n`),
  });
  if (!run.ok) {
    io.stderr.write(`dmasim: ${formatConformanceError(run.error).replace(/[\r\n]+/g, "; ")}\n`);
    return EXIT_USAGE;
  }
  const r = run.value;
  const format = args.format ?? "text";
  if (r.diff === null) {
    io.stdout.write(renderFactsText(`observed ${r.name}`, r.observed));
    if (!r.prediction.ok) io.stderr.write(`dmasim: no prediction: ${r.prediction.error.replace(/[\r\n]+/g, "; ")}\n`);
  } else if (format === "json") io.stdout.write(`${renderDiffJson(r.diff)}\n`);
  else if (format === "md") io.stdout.write(renderDiffMarkdown(r.diff));
  else io.stdout.write(renderDiffText(r.diff));
  if (args.timeline === true) io.stdout.write(renderTimelineText(runTimeline(r)));
  return conformanceRunExitCode(r);
}
