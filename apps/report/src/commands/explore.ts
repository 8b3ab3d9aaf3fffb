/**
 * `dmasim explore SCENARIO [--profile P]... [--max-states N] [--seed S] [--workers N]`: the probe orderings of a
 * scenario explored by the kernel package's explorer, with a progress display, the verdicts and the shortest
 * counterexample per invariant (replayable with `dmasim run --choices`).
 */
import { EXIT_USAGE, formatInputError } from "../errors";
import type { CliIo } from "../io/cli-io";
import { resolveProfiles } from "../run-scenario";
import { resolveScenario } from "../scenarios";
import type { OutputFormat } from "./run";

/** Arguments of `explore`. */
export interface ExploreArgs {
  readonly scenario: string;
  readonly profiles?: readonly string[];
  readonly maxStates?: string;
  readonly seed?: string;
  readonly workers?: string;
  readonly format?: OutputFormat;
  readonly out?: string;
}

function positiveInt(text: string | undefined, option: string, max: number): { ok: true; value: number | null } | { ok: false; message: string; option: string } {
  if (text === undefined) return { ok: true, value: null };
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) return { ok: false, option, message: `expected an integer from 1 to ${max}, got "${text}"` };
  return { ok: true, value: Number(text) };
}

/** Runs `dmasim explore`. */
export async function exploreCommand(args: ExploreArgs, io: CliIo): Promise<number> {
  const fail = (file: string | null, message: string): number => {
    io.stderr.write(`${formatInputError({ file, field: null, message })}\n`);
    return EXIT_USAGE;
  };
  const resolved = resolveScenario(args.scenario, io.cwd);
  if (!resolved.ok) {
    for (const e of resolved.errors) io.stderr.write(`${formatInputError(e)}\n`);
    return EXIT_USAGE;
  }
  const profiles = resolveProfiles(args.profiles, resolved.value.scenario, resolved.value.file);
  if (!profiles.ok) return fail(profiles.error.file, profiles.error.message);
  for (const [opt, text, max] of [["--max-states", args.maxStates, 1e9], ["--workers", args.workers, 64]] as const) {
    const v = positiveInt(text, opt, max);
    if (!v.ok) return fail(v.option, v.message);
  }
  if (args.seed !== undefined && !/^\d{1,10}$/.test(args.seed)) return fail("--seed", `expected a non-negative integer, got "${args.seed}"`);
  return fail(null, "the probe-order explorer is not in this build of @dmasim/kernel");
}
