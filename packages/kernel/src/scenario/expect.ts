/**
 * A scenario's `expect` block, for regression use: under each listed profile exactly the invariants in `fail` fail,
 * and every listed device's outcome matches the fields given.
 */
import type { BootResult } from "../boot/boot";
import type { DeviceOutcome } from "../outcome";
import { formatPath } from "./issues";
import type { DeviceExpect, ProfileExpect, Scenario } from "./schema";

/** One way a boot differs from the scenario's `expect` block, with the expect field it is about. */
export interface ExpectMismatch {
  /** `expect["v4.7"].fail`, `expect["v4.7"].devices["0000:01:00.0"].dmaOps`. */
  readonly path: string;
  readonly message: string;
}

function show(v: unknown): string {
  return JSON.stringify(v);
}

function deviceMismatches(base: readonly PropertyKey[], want: DeviceExpect, got: DeviceOutcome): ExpectMismatch[] {
  const out: ExpectMismatch[] = [];
  const cmp = (field: string, expected: unknown, actual: unknown): void => {
    if (expected === undefined) return;
    if (show(expected) !== show(actual)) out.push({ path: formatPath([...base, field]), message: `expected ${show(expected)}, got ${show(actual)}` });
  };
  cmp("driver", want.driver, got.driver);
  cmp("dmaOps", want.dmaOps, got.dmaOps);
  cmp("iommu", want.iommu, got.iommu);
  cmp("iommuGroup", want.iommuGroup, got.iommuGroup);
  cmp("domainType", want.domainType, got.domainType);
  cmp("streamIds", want.streamIds, got.streamIds);
  cmp("deferrals", want.deferrals, got.deferrals);
  cmp("dma", want.dma, got.dma.map((d) => `${d.op}:${d.outcome}`));
  cmp("leaks", want.leaks, got.leaks.length);
  return out;
}

/**
 * Compares one profile's boot with what the scenario expects of it (nothing when the block does not list the
 * profile).
 *
 * @example
 * ```ts
 * const r = bootScenario(s, PROFILES["v4.7"]);
 * if (r.ok) checkExpectations(s, "v4.7", r.value); // [] when the boot matches
 * ```
 */
export function checkExpectations(s: Scenario, profile: string, result: Pick<BootResult, "verdicts" | "outcomes">): ExpectMismatch[] {
  const e: ProfileExpect | undefined = (s.expect as Readonly<Record<string, ProfileExpect | undefined>> | undefined)?.[profile];
  if (e === undefined) return [];
  const out: ExpectMismatch[] = [];
  const failed = result.verdicts.filter((v) => v.status === "fail").map((v) => v.invariant);
  const unexpected = failed.filter((i) => !e.fail.includes(i));
  const missing = e.fail.filter((i) => !failed.includes(i));
  if (unexpected.length > 0 || missing.length > 0) {
    const parts = [...(unexpected.length > 0 ? [`${unexpected.join(", ")} failed unexpectedly`] : []), ...(missing.length > 0 ? [`${missing.join(", ")} passed`] : [])];
    out.push({ path: formatPath(["expect", profile, "fail"]), message: parts.join("; ") });
  }
  for (const [name, want] of Object.entries(e.devices ?? {})) {
    const base = ["expect", profile, "devices", name];
    const got = result.outcomes.find((o) => o.name === name);
    if (got === undefined) out.push({ path: formatPath(base), message: "no such device after the boot" });
    else out.push(...deviceMismatches(base, want, got));
  }
  return out;
}
