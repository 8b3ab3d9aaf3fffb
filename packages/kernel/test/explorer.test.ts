/**
 * The probe-order explorer on the seed scenario: which orderings break which invariant under each profile, the
 * shortest counterexample for each, replay, random mode, and the same report from 1 and 2 workers.
 */
import { describe, expect, it } from "vitest";
import { bootScenario, explore, PROFILES, SEED_SCENARIO, SCENARIO_ENDPOINT as E, type ExploreReport } from "@dmasim/kernel";

/** The report without its nondeterministic fields (wall time, rate) and the worker count. */
function stable(r: ExploreReport): unknown {
  const { wallMs: _w, statesPerSecond: _s, workers: _n, ...stats } = r.stats;
  return { ...r, stats };
}

const summary = (r: ExploreReport): string[] => r.counterexamples.map((c) => `${c.invariant} ${c.device} [${c.choices.join(",")}]`);

describe("explorer: the seed scenario", () => {
  it("v4.7: the default link order (acpi_init before arm_smmu_init in subsys) breaks I-PROBE on the endpoint; the SMMU linked first does not", async () => {
    const r = await explore(SEED_SCENARIO, { profile: "v4.7" });
    expect(summary(r)).toEqual([`I-PROBE ${E} []`]);
    expect(r.stats.complete).toBe(true);
    expect(r.invariantsHeld).not.toContain("I-PROBE");
    expect(r.invariantsHeld).toContain("I-STABLE");
    // The first choice point is the subsys link order; option 1 links arm_smmu_init first: the endpoint gets its
    // IOMMU ops at creation and I-PROBE holds.
    const swapped = bootScenario(SEED_SCENARIO, PROFILES["v4.7"], { choices: [1] });
    expect(swapped.ok && swapped.value.violations.map((v) => v.invariant)).toEqual([]);
    const order = swapped.ok ? swapped.value.trace.filter((e) => e.type === "initcall-start" && e.level === "subsys").map((e) => (e as { name: string }).name) : [];
    expect(order.slice(0, 2)).toEqual(["arm_smmu_init", "acpi_init"]);
  });

  it("v4.8, v4.8-not-bound, v4.12, v6.1: no ordering breaks an invariant", async () => {
    for (const profile of ["v4.8", "v4.8-not-bound", "v4.12", "v6.1"] as const) {
      const r = await explore(SEED_SCENARIO, { profile });
      expect({ profile, cx: summary(r), complete: r.stats.complete }).toEqual({ profile, cx: [], complete: true });
    }
  });

  it("with one injected -ENOMEM per run: S2's failed-probe leak under v4.8 (P2a) only — v4.8-not-bound (P2b) and v4.12 (P3) clean up", async () => {
    const clean = async (profile: "v4.8" | "v4.8-not-bound" | "v4.12"): Promise<string[]> =>
      (await explore(SEED_SCENARIO, { profile, inject: { enomem: 1 } })).counterexamples.filter((c) => c.invariant === "I-CLEAN").map((c) => c.device);
    expect(await clean("v4.8")).toEqual([E]);
    expect(await clean("v4.8-not-bound")).toEqual([]);
    expect(await clean("v4.12")).toEqual([]);
  });

  it("replaying a counterexample's choices reproduces its violation; the probe that failed is the injected one", async () => {
    const r = await explore(SEED_SCENARIO, { profile: "v4.8", inject: { enomem: 1 } });
    const cx = r.counterexamples.find((c) => c.invariant === "I-CLEAN");
    expect(cx).toBeDefined();
    if (cx === undefined) return;
    expect(cx.verdict.violations.every((v) => v.device === E)).toBe(true);
    const replay = bootScenario(SEED_SCENARIO, PROFILES["v4.8"], { choices: cx.choices, inject: { enomem: 1 } });
    expect(replay.ok).toBe(true);
    if (!replay.ok) return;
    expect(replay.value.violations.some((v) => v.invariant === "I-CLEAN" && v.device === E)).toBe(true);
    // the driver's probe returned -ENOMEM (really_probe then ignores it, as v4.x did, and the device stays unbound)
    const probes = replay.value.trace.filter((e) => e.type === "driver-probe-return" && (e as { device: string }).device === E);
    expect(probes.map((e) => (e as { ret: number }).ret)).toEqual([-12]);
    expect(replay.value.outcomes.find((o) => o.name === E)?.driver).toBeNull();
  });

  it("a choice list that does not fit is a typed error naming the position", () => {
    const tooBig = bootScenario(SEED_SCENARIO, PROFILES["v4.7"], { choices: [2] });
    expect(tooBig.ok ? null : tooBig.error).toMatchObject({ field: "choices[0]" });
    expect(tooBig.ok ? "" : tooBig.error.message).toMatch(/choice 2 at position 0 is out of range: that link-order choice point .* has 2 options \(acpi_init, arm_smmu_init\)/);
    const tooLong = bootScenario(SEED_SCENARIO, PROFILES["v4.7"], { choices: [1, 0, 0] });
    expect(tooLong.ok ? null : tooLong.error).toMatchObject({ field: "choices[1]" });
    const negative = bootScenario(SEED_SCENARIO, PROFILES["v4.7"], { choices: [-1] });
    expect(negative.ok ? null : negative.error).toMatchObject({ field: "choices[0]" });
  });

  it("choices: [] is the default boot (same trace as no choice list)", () => {
    const a = bootScenario(SEED_SCENARIO, PROFILES["v4.12"]);
    const b = bootScenario(SEED_SCENARIO, PROFILES["v4.12"], { choices: [] });
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) expect(JSON.stringify(b.value.trace)).toBe(JSON.stringify(a.value.trace));
  });

  it("random mode: the same seed and budget give the same report; the budget bounds the states", async () => {
    const opts = { profile: "v4.8", mode: "random", seed: 7, maxStates: 12, inject: { enomem: 1, defer: 1 } } as const;
    const a = await explore(SEED_SCENARIO, opts);
    const b = await explore(SEED_SCENARIO, opts);
    expect(stable(a)).toEqual(stable(b));
    expect(a.mode).toBe("random");
    expect(a.stats.complete).toBe(false);
    expect(a.stats.statesVisited).toBeGreaterThanOrEqual(12);
    expect(a.stats.statesVisited - 12).toBeLessThan(a.stats.statesVisited / Math.max(1, a.stats.runs) + 1);
  });

  it("an exhaustive state budget stops the search and says so", async () => {
    const r = await explore(SEED_SCENARIO, { profile: "v4.7", inject: { enomem: 1, defer: 1 }, maxStates: 4 });
    expect(r.stats.complete).toBe(false);
  });

  it("reports progress with the budget", async () => {
    const seen: number[] = [];
    await explore(SEED_SCENARIO, { profile: "v4.7", onProgress: (p) => seen.push(p.statesVisited) });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toBeGreaterThan(0);
  });
});

describe("explorer: workers", () => {
  it("1 and 2 workers (worker_threads running the TypeScript sources) give the same verdicts, counterexamples and counts", async () => {
    const opts = { profile: "v4.7", inject: { enomem: 1, defer: 1 } } as const;
    const one = await explore(SEED_SCENARIO, { ...opts, workers: 1 });
    const two = await explore(SEED_SCENARIO, { ...opts, workers: 2 });
    expect(two.stats.workers).toBe(2);
    expect(stable(two)).toEqual(stable(one));
    expect(one.counterexamples.length).toBeGreaterThan(1);
  });

  it("random mode with 2 workers keeps the same runs as 1", async () => {
    const opts = { profile: "v4.8", mode: "random", seed: 3, maxStates: 20, inject: { enomem: 1 } } as const;
    expect(stable(await explore(SEED_SCENARIO, { ...opts, workers: 2 }))).toEqual(stable(await explore(SEED_SCENARIO, { ...opts, workers: 1 })));
  });
});
