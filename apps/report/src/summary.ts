/**
 * The summary matrix every output shows: invariants (rows) × profiles (columns), each cell the number of devices
 * that violate the invariant under the profile (over all scenarios: distinct scenario/device pairs), linking to the
 * first counterexample. Computed from the published result only, so a saved JSON gives the same matrix.
 */
import { DRIVER_CORE_INVARIANTS, KERNEL_INVARIANTS, PROFILE_NAMES } from "@dmasim/kernel";
import type { ScenarioResult } from "./result";

/** A profile column. */
export interface SummaryProfile {
  readonly name: string;
  readonly label: string;
  readonly hypothetical: boolean;
}

/** One cell. */
export interface SummaryCell {
  readonly invariant: string;
  readonly profile: string;
  /** Devices violating it (distinct scenario/device pairs). */
  readonly devices: number;
  /** The anchor of the first counterexample, or null. */
  readonly anchor: string | null;
  /** The scenarios with a violation, in order. */
  readonly scenarios: readonly string[];
}

/** The matrix. */
export interface SummaryMatrix {
  readonly profiles: readonly SummaryProfile[];
  readonly invariants: readonly string[];
  /** `cells[i][j]`: invariant i under profile j. */
  readonly cells: readonly (readonly SummaryCell[])[];
}

/** The counterexample anchor of scenario `s` (its index in the document), run `r`, invariant `inv`. */
export function counterexampleAnchor(s: number, r: number, invariant: string): string {
  return `cx-s${s}-r${r}-${invariant.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
}

/** Every invariant the kernel checks, in architecture.md's order, then any other name a result carries. */
export function invariantNames(results: readonly ScenarioResult[]): string[] {
  const names: string[] = [...DRIVER_CORE_INVARIANTS, ...KERNEL_INVARIANTS];
  for (const s of results) for (const r of s.runs) for (const v of r.violations) if (!names.includes(v.invariant)) names.push(v.invariant);
  return names;
}

/** The profiles of the results, in the kernel's order (then others in order of appearance). */
export function profilesOf(results: readonly ScenarioResult[]): SummaryProfile[] {
  const out: SummaryProfile[] = [];
  for (const s of results) for (const r of s.runs) if (!out.some((p) => p.name === r.profile)) out.push({ name: r.profile, label: r.label, hypothetical: r.hypothetical });
  const rank = (n: string): number => {
    const i = (PROFILE_NAMES as readonly string[]).indexOf(n);
    return i < 0 ? PROFILE_NAMES.length : i;
  };
  return out.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p.name) - rank(b.p.name) || a.i - b.i).map((x) => x.p);
}

/**
 * The matrix over `results`; `offset` is the index of `results[0]` in the whole document (anchors are per
 * document).
 */
export function summaryOf(results: readonly ScenarioResult[], offset = 0): SummaryMatrix {
  const profiles = profilesOf(results);
  const invariants = invariantNames(results);
  const cells = invariants.map((invariant) =>
    profiles.map((p): SummaryCell => {
      const affected = new Set<string>();
      const scenarios: string[] = [];
      let anchor: string | null = null;
      results.forEach((s, si) => {
        s.runs.forEach((r, ri) => {
          if (r.profile !== p.name) return;
          const vs = r.violations.filter((v) => v.invariant === invariant);
          if (vs.length === 0) return;
          anchor ??= counterexampleAnchor(si + offset, ri, invariant);
          if (!scenarios.includes(s.scenario)) scenarios.push(s.scenario);
          for (const v of vs) affected.add(`${si}\u0000${v.device ?? ""}`);
        });
      });
      return { invariant, profile: p.name, devices: affected.size, anchor, scenarios };
    }),
  );
  return { profiles, invariants, cells };
}
