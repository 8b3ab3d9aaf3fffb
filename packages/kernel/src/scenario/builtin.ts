/**
 * The built-in scenarios: files under `packages/kernel/scenarios/` (the seed, S1–S7 of kernel-behaviour.md §(d.3),
 * the recorded QEMU boots, the explorer's benchmark), loaded through the same schema as a user's file. The CLI runs
 * them when `dmasim` is given no scenario.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatScenarioIssues } from "./issues";
import { loadScenario } from "./load";
import type { Scenario } from "./schema";

/** What a built-in scenario is for. */
export type BuiltinKind = "seed" | "d3" | "qemu" | "explore";

/** A built-in scenario and its file. */
export interface BuiltinScenario {
  /** Short id (`seed`, `s1`, `qemu-dt-topo-gic3`). */
  readonly id: string;
  readonly kind: BuiltinKind;
  /** Absolute path of its file. */
  readonly path: string;
  readonly scenario: Scenario;
}

/** The registry, in the order the CLI shows it. */
const REGISTRY: readonly { readonly id: string; readonly file: string; readonly kind: BuiltinKind }[] = [
  { id: "seed", file: "seed.yaml", kind: "seed" },
  { id: "s1", file: "s1-acpi-ordering.yaml", kind: "d3" },
  { id: "s2", file: "s2-failed-probe-leak.yaml", kind: "d3" },
  { id: "s3", file: "s3-deferred-probe.yaml", kind: "d3" },
  { id: "s4", file: "s4-driverless-child.yaml", kind: "d3" },
  { id: "s5", file: "s5-probe-time-deferral.yaml", kind: "d3" },
  { id: "s6", file: "s6-dangling-queue-entry.yaml", kind: "d3" },
  { id: "s7", file: "s7-notifier-chain-stop.yaml", kind: "d3" },
  { id: "qemu-dt-initrd", file: "qemu-dt-initrd.yaml", kind: "qemu" },
  { id: "qemu-dt-passthrough", file: "qemu-dt-passthrough.yaml", kind: "qemu" },
  { id: "qemu-dt-lazy-smp2", file: "qemu-dt-lazy-smp2.yaml", kind: "qemu" },
  { id: "qemu-acpi-initrd", file: "qemu-acpi-initrd.yaml", kind: "qemu" },
  { id: "qemu-acpi-passthrough", file: "qemu-acpi-passthrough.yaml", kind: "qemu" },
  { id: "qemu-dt-topo-gic3", file: "qemu-dt-topo-gic3.yaml", kind: "qemu" },
  { id: "qemu-acpi-topo-gic3", file: "qemu-acpi-topo-gic3.yaml", kind: "qemu" },
  { id: "explore-8ep-2smmu", file: "explore-8ep-2smmu.yaml", kind: "explore" },
];

/** The folder holding the built-in scenario files (`packages/kernel/scenarios`, from the sources or from `dist/`). */
export function builtinScenarioDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "scenarios");
    if (existsSync(join(candidate, "seed.yaml"))) return candidate;
    dir = dirname(dir);
  }
  throw new Error("the built-in scenario files (packages/kernel/scenarios) are missing from the installation");
}

let cache: readonly BuiltinScenario[] | null = null;

/**
 * Every built-in scenario, loaded and validated once. A built-in file that does not validate is a packaging bug
 * (thrown, with the file's problems one per line).
 */
export function builtinScenarios(): readonly BuiltinScenario[] {
  if (cache !== null) return cache;
  const dir = builtinScenarioDir();
  cache = REGISTRY.map((e) => {
    const path = join(dir, e.file);
    const r = loadScenario(path);
    if (!r.ok) throw new Error(`built-in scenario ${e.file} does not validate:\n${formatScenarioIssues(r.error)}`);
    return { id: e.id, kind: e.kind, path, scenario: r.value };
  });
  return cache;
}

/** One built-in scenario by id (`seed`, `s3`, `qemu-acpi-topo-gic3`), or undefined. */
export function builtinScenario(id: string): Scenario | undefined {
  return builtinScenarios().find((b) => b.id === id)?.scenario;
}
