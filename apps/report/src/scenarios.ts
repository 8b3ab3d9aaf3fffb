/**
 * Where scenarios come from: the kernel package's built-in scenario files (the seed, S1–S7 of kernel-behaviour.md
 * §d.3, the recorded QEMU boots) by id or name, or a user's scenario file (YAML or JSON, validated by the kernel's
 * schema). This is the only place the CLI resolves a SCENARIO argument.
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { builtinScenarios, loadScenario, type BuiltinKind, type Scenario } from "@dmasim/kernel";
import { inputError, type InputError } from "./errors";

/** The kinds of built-in scenario the default run shows (the explorer's benchmark is left out). */
export const DEFAULT_RUN_KINDS: readonly BuiltinKind[] = ["seed", "d3", "qemu"];

/** The built-in scenarios of the default run, in the kernel's order. */
export function defaultRunScenarios(): readonly Scenario[] {
  return builtinScenarios()
    .filter((b) => DEFAULT_RUN_KINDS.includes(b.kind))
    .map((b) => b.scenario);
}

/** A scenario with where it came from (the file as the user named it, or null for a built-in). */
export interface ResolvedScenario {
  readonly scenario: Scenario;
  readonly file: string | null;
}

/** A scenario that could not be loaded: every problem, one line each. */
export type ScenarioLoadResult = { readonly ok: true; readonly value: ResolvedScenario } | { readonly ok: false; readonly errors: readonly InputError[] };

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves SCENARIO: an existing file is loaded (every problem reported with its field path); otherwise a built-in
 * scenario by id (`seed`, `s3`, `qemu-dt-topo-gic3`) or by name, case-insensitive.
 */
export function resolveScenario(arg: string, cwd: string): ScenarioLoadResult {
  const path = isAbsolute(arg) ? arg : resolve(cwd, arg);
  if (isFile(path)) {
    const r = loadScenario(path, { file: arg });
    if (r.ok) return { ok: true, value: { scenario: r.value, file: arg } };
    return { ok: false, errors: r.error.map((i) => ({ file: i.file, field: i.path === "" ? null : i.path, message: i.message })) };
  }
  if (existsSync(path)) return { ok: false, errors: [{ file: arg, field: null, message: "not a regular file" }] };
  const wanted = arg.toLowerCase();
  const found = builtinScenarios().find((b) => b.id.toLowerCase() === wanted || b.scenario.name.toLowerCase() === wanted);
  if (found !== undefined) return { ok: true, value: { scenario: found.scenario, file: null } };
  const ids = builtinScenarios().map((b) => b.id).join(", ");
  const e = inputError(arg, null, `no such file, and not a built-in scenario (built-in: ${ids})`);
  return { ok: false, errors: [e.error] };
}
