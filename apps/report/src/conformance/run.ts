/**
 * `runConformance`: one comparison of the model with the real kernel, either live (boot Debian's kernel under QEMU
 * with the user's devices) or against a recorded boot (`--log FILE.log --cmd FILE.cmd`). It returns the parsed real
 * boot, the observed and predicted facts and the diff; the CLI prints the diff and exits with
 * {@link conformanceRunExitCode}.
 */
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { basename } from "node:path";
import type { QemuCommandLine } from "@dmasim/machine";
import { compareBoots, type CompareOptions, type ConformanceDiff } from "./compare";
import type { BootFacts } from "./facts";
import { parseBootCmd } from "./log/boot-cmd";
import { logEvents, parseBootLog, type ParsedBootLog } from "./log/boot-log";
import { observedFacts } from "./log/observed";
import { visibilityFromCmdline } from "./log/visibility";
import { predictFromQemu, type Predictor } from "./model";
import { predictedFacts, renderVisibleLog, type PredictedBoot } from "./predicted";
import { alignTimelines, type TimelineRow } from "./timeline";
import { formatOracleError, type OracleError } from "./real/errors";
import { bootWithOracle, prepareOracle, type OracleAssets } from "./real/oracle";

/** Where the real boot comes from. */
export type ConformanceSource =
  | {
      /** Boot the real kernel now (`dmasim conformance --qemu ARGS`). */
      readonly kind: "live";
      /** QEMU arguments: `-device ...`, optionally `-M virt,<props>`, `-smp N`, `-m SIZE`, `-cpu CPU`. */
      readonly qemu: string;
      readonly firmware?: "dt" | "acpi";
      /** Extra kernel command line. */
      readonly cmdline?: string;
      /** Log name (default derived from the arguments). */
      readonly name?: string;
      readonly timeoutSeconds?: number;
      /** Boot with the oracle's dynamic-debug selection (default true). */
      readonly dyndbg?: boolean;
      readonly cacheDir?: string;
    }
  | { /** A recorded boot (`--log FILE.log --cmd FILE.cmd`). */ readonly kind: "recorded"; readonly log: string; readonly cmd: string }
  | { /** A recorded boot given as text (tests). */ readonly kind: "text"; readonly name: string; readonly logText: string; readonly cmdText: string };

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  readonly source: ConformanceSource;
  /** Default: {@link predictFromQemu}. */
  readonly predictor?: Predictor;
  readonly compare?: CompareOptions;
  /** Prepared oracle assets, to share one preparation between many live boots. */
  readonly oracle?: OracleAssets;
  readonly onProgress?: (message: string) => void;
}

/** One finished comparison (or a boot with no prediction to compare with). */
export interface ConformanceRun {
  readonly name: string;
  readonly command: QemuCommandLine;
  readonly log: ParsedBootLog;
  readonly observed: BootFacts;
  readonly prediction:
    | { readonly ok: true; readonly value: PredictedBoot; readonly facts: BootFacts }
    | { readonly ok: false; readonly error: string };
  /** Null when there is no prediction. */
  readonly diff: ConformanceDiff | null;
  readonly files: { readonly cmd: string | null; readonly log: string | null };
  /** Wall time of the real boot (from the `.cmd`). */
  readonly wallSeconds: number | null;
}

/** Why a comparison could not run at all. */
export type ConformanceError =
  | { readonly kind: "oracle"; readonly error: OracleError }
  | { readonly kind: "input"; readonly path: string; readonly message: string };

/** One line naming what failed. */
export function formatConformanceError(e: ConformanceError): string {
  return e.kind === "oracle" ? formatOracleError(e.error) : `${e.path}: ${e.message}`;
}

type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ConformanceError };

function readText(path: string): Result<string> {
  try {
    return { ok: true, value: readFileSync(path, "utf8") };
  } catch (e) {
    return { ok: false, error: { kind: "input", path, message: (e as Error).message } };
  }
}

/** A default live-boot name: firmware plus a short hash of the arguments. */
export function liveBootName(qemu: string, firmware: "dt" | "acpi", cmdline: string): string {
  return `live-${firmware}-${createHash("sha256").update(`${qemu}\n${cmdline}`).digest("hex").slice(0, 10)}`;
}

/** Compares a parsed real boot with the prediction for its command line. */
export async function compareRecorded(
  name: string,
  cmdText: string,
  logText: string,
  options: { readonly predictor?: Predictor; readonly compare?: CompareOptions; readonly cmdPath?: string } = {},
): Promise<Result<ConformanceRun>> {
  const cmd = parseBootCmd(cmdText);
  if (!cmd.ok) return { ok: false, error: { kind: "input", path: options.cmdPath ?? `${name}.cmd`, message: `not a QEMU command line: ${JSON.stringify(cmd.error)}` } };
  const command = cmd.value.command;
  const log = parseBootLog(logText);
  const visibility = visibilityFromCmdline(log.cmdline ?? command.append);
  const observed = observedFacts(log, command.firmware, visibility);
  const predicted = await (options.predictor ?? predictFromQemu)(command);
  if (!predicted.ok) {
    return { ok: true, value: { name, command, log, observed, prediction: predicted, diff: null, files: { cmd: null, log: null }, wallSeconds: cmd.value.wallSeconds } };
  }
  const facts = predictedFacts(predicted.value, visibility);
  const diff = compareBoots(name, facts, observed, options.compare ?? {});
  return {
    ok: true,
    value: { name, command, log, observed, prediction: { ok: true, value: predicted.value, facts }, diff, files: { cmd: null, log: null }, wallSeconds: cmd.value.wallSeconds },
  };
}

/** Runs one comparison. Never rejects: failures are typed errors. */
export async function runConformance(options: ConformanceOptions): Promise<Result<ConformanceRun>> {
  const src = options.source;
  const cmpOpts = { ...(options.predictor === undefined ? {} : { predictor: options.predictor }), ...(options.compare === undefined ? {} : { compare: options.compare }) };
  if (src.kind === "text") return compareRecorded(src.name, src.cmdText, src.logText, cmpOpts);
  if (src.kind === "recorded") {
    const cmdText = readText(src.cmd);
    if (!cmdText.ok) return cmdText;
    const logText = readText(src.log);
    if (!logText.ok) return logText;
    const run = await compareRecorded(basename(src.log).replace(/\.log$/, ""), cmdText.value, logText.value, { ...cmpOpts, cmdPath: src.cmd });
    return run.ok ? { ok: true, value: { ...run.value, files: { cmd: src.cmd, log: src.log } } } : run;
  }
  let assets = options.oracle;
  if (assets === undefined) {
    const prepared = await prepareOracle({ ...(src.cacheDir === undefined ? {} : { cacheDir: src.cacheDir }), ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }) });
    if (!prepared.ok) return { ok: false, error: { kind: "oracle", error: prepared.error } };
    assets = prepared.value;
  }
  const firmware = src.firmware ?? "dt";
  const name = src.name ?? liveBootName(src.qemu, firmware, src.cmdline ?? "");
  options.onProgress?.(`booting ${name} (${firmware})`);
  const boot = await bootWithOracle(assets, {
    name,
    firmware,
    qemuArgs: src.qemu,
    ...(src.cmdline === undefined ? {} : { cmdline: src.cmdline }),
    ...(src.dyndbg === undefined ? {} : { dyndbg: src.dyndbg }),
    ...(src.timeoutSeconds === undefined ? {} : { timeoutSeconds: src.timeoutSeconds }),
  });
  if (!boot.ok) return { ok: false, error: { kind: "oracle", error: boot.error } };
  const run = await compareRecorded(name, boot.value.cmdText, boot.value.logText, { ...cmpOpts, cmdPath: boot.value.cmdPath });
  return run.ok ? { ok: true, value: { ...run.value, files: { cmd: boot.value.cmdPath, log: boot.value.logPath } } } : run;
}

/** Exit status: 0 agree, 1 any disagreement, 2 no prediction to compare with. */
export function conformanceRunExitCode(run: ConformanceRun): 0 | 1 | 2 {
  if (run.diff === null) return 2;
  return run.diff.agree ? 0 : 1;
}

/** The key events of both sides of a run, aligned (empty on the predicted side when there is no prediction). */
export function runTimeline(run: ConformanceRun): TimelineRow[] {
  const visibility = visibilityFromCmdline(run.log.cmdline ?? run.command.append);
  const predicted = run.prediction.ok ? logEvents(parseBootLog(renderVisibleLog(run.prediction.value.log, visibility))) : [];
  return alignTimelines(predicted, logEvents(run.log));
}
