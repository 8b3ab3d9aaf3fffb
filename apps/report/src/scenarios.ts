/**
 * Where scenarios come from: the kernel package's built-in ones (the seed and S1–S7 of kernel-behaviour.md §d.3)
 * by name, or a scenario file. This is the only place the CLI resolves a SCENARIO argument.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { D3_SCENARIOS, SEED_SCENARIO, type Scenario } from "@dmasim/kernel";
import { inputError, type Result } from "./errors";

/** The built-in scenarios in the order the default run shows them. */
export function builtinScenarioList(): readonly Scenario[] {
  return [SEED_SCENARIO, ...D3_SCENARIOS];
}

/** The short name of a built-in scenario: the part of its name before the first `-` (`seed`, `S1`). */
export function shortName(s: Scenario): string {
  return s.name.split("-")[0] ?? s.name;
}

/** A scenario with where it came from (a file path as given, or null for a built-in). */
export interface ResolvedScenario {
  readonly scenario: Scenario;
  readonly file: string | null;
}

/**
 * Resolves SCENARIO: an existing file is loaded; otherwise a built-in scenario by full or short name
 * (case-insensitive).
 */
export function resolveScenario(arg: string, cwd: string): Result<ResolvedScenario> {
  const path = isAbsolute(arg) ? arg : resolve(cwd, arg);
  if (existsSync(path)) return loadScenarioFile(arg, path);
  const wanted = arg.toLowerCase();
  const found = builtinScenarioList().find((s) => s.name.toLowerCase() === wanted || shortName(s).toLowerCase() === wanted);
  if (found !== undefined) return { ok: true, value: { scenario: found, file: null } };
  const names = builtinScenarioList().map(shortName).join(", ");
  return inputError(arg, null, `no such file, and not a built-in scenario (built-in: ${names})`);
}

/** Loads a scenario file (YAML or JSON). */
function loadScenarioFile(arg: string, _path: string): Result<ResolvedScenario> {
  return inputError(arg, null, "scenario files are not supported by this build (the scenario loader is missing); use a built-in scenario name");
}
