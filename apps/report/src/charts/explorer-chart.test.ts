import { describe, expect, it } from "vitest";
import type { ExplorationResult } from "../result";
import { renderExplorerSvg } from "./explorer-chart";

const e = (statesVisited: number, runs: number): ExplorationResult => ({
  mode: "exhaustive",
  complete: true,
  seed: null,
  maxStates: null,
  inject: null,
  statesVisited,
  distinctStates: statesVisited,
  duplicateStates: 0,
  prunedByReduction: 0,
  runs,
  naiveOrderings: "4",
  violated: [],
  invariantsHeld: [],
});

/** The heights of the chart's bars in drawing order (profile, then metric). */
function barHeights(svg: string): number[] {
  return [...svg.matchAll(/<path[^>]*aria-roledescription="rect mark"[^>]*d="M[-0-9.]+,[-0-9.]+h[-0-9.]+v([-0-9.]+)h/g)].map((m) => Number(m[1]));
}

describe("explorer statistics chart", () => {
  it("draws one bar per profile and metric: zero counts flat, others taller as they grow (zeros do not break the scale)", async () => {
    const svg = await renderExplorerSvg([{ profile: "v4.7", exploration: e(5, 3) }, { profile: "v4.8", exploration: e(3000, 2) }], "t");
    const h = barHeights(svg);
    expect(h).toHaveLength(10);
    const [visited47, distinct47, dup47, pruned47, runs47, visited48] = h;
    expect(dup47).toBe(0);
    expect(pruned47).toBe(0);
    expect(visited47).toBeGreaterThan(0);
    expect(distinct47).toBe(visited47);
    expect(runs47).toBeGreaterThan(0);
    expect(runs47).toBeLessThan(visited47 ?? 0);
    expect(visited48).toBeGreaterThan(visited47 ?? 0);
  });
});
