/**
 * Boots a scenario under each requested profile and builds the published result. Profiles are checked first, so a
 * bad `--profile` is a usage error before anything runs.
 */
import { PROFILES, PROFILE_NAMES, bootScenario, checkExpectations, isProfileName, type BootOptions, type BootResult, type ProfileName, type Scenario } from "@dmasim/kernel";
import { fromPlatformError, inputError, type Result } from "./errors";
import { runResult, type RunResult, type ScenarioResult } from "./result";

/** The profiles to run: the requested ones (in the order given, duplicates dropped), else the scenario's, else all. */
export function resolveProfiles(requested: readonly string[] | undefined, scenario: Pick<Scenario, "profiles"> | null, file: string | null = null): Result<readonly ProfileName[]> {
  const fromOption = requested !== undefined && requested.length > 0;
  const names = fromOption ? requested : (scenario?.profiles ?? PROFILE_NAMES);
  const out: ProfileName[] = [];
  for (const [i, n] of names.entries()) {
    if (!isProfileName(n)) {
      const where = fromOption ? { file: "--profile", field: null } : { file, field: `profiles[${i}]` };
      return inputError(where.file, where.field, `unknown profile "${n}" (expected one of ${PROFILE_NAMES.join(", ")})`);
    }
    if (!out.includes(n)) out.push(n);
  }
  return { ok: true, value: out };
}

/** Options of {@link runScenario}. */
export interface RunScenarioOptions {
  /** Extra boot options (a choice sequence, a command line override). */
  readonly boot?: Omit<BootOptions, "scenario">;
  /** The file the scenario came from, for error messages. */
  readonly file?: string | null;
  /** Called with each profile's boot before it is reduced to the published result (the CLI's `--trace`). */
  readonly onBoot?: (profile: ProfileName, booted: BootResult) => void;
}

/** A boot that differs from the scenario's `expect` block: `expect["v4.7"].fail: I-PROBE passed`. */
export interface ExpectationMismatch {
  readonly scenario: string;
  readonly profile: string;
  readonly path: string;
  readonly message: string;
}

/** A scenario's result and how it compares with the scenario's `expect` block. */
export interface ScenarioRun {
  readonly result: ScenarioResult;
  readonly mismatches: readonly ExpectationMismatch[];
}

/** A boot that did not start: a `--choices` list that does not fit is named against the option, others the file. */
function bootFailure(e: { readonly field: string; readonly offset?: number; readonly message: string }, file: string) {
  return e.field.startsWith("choices") ? { file: "--choices", field: e.field, message: e.message } : fromPlatformError(file, e);
}

/** One boot per profile. */
export function runScenario(scenario: Scenario, profiles: readonly ProfileName[], options: RunScenarioOptions = {}): Result<ScenarioRun> {
  const runs: RunResult[] = [];
  const mismatches: ExpectationMismatch[] = [];
  const file = options.file ?? null;
  for (const name of profiles) {
    const profile = PROFILES[name];
    const booted = bootScenario(scenario, profile, options.boot ?? {});
    if (!booted.ok) return { ok: false, error: bootFailure(booted.error, file ?? scenario.name) };
    options.onBoot?.(name, booted.value);
    runs.push(runResult({ name, label: profile.label, hypothetical: profile.hypothetical }, booted.value, options.boot?.choices ?? null));
    for (const m of checkExpectations(scenario, name, booted.value)) mismatches.push({ scenario: scenario.name, profile: name, path: m.path, message: m.message });
  }
  return { ok: true, value: { result: { scenario: scenario.name, description: scenario.description ?? null, firmware: scenario.firmware, runs }, mismatches } };
}
