/**
 * `dmasim explore` against the explorer contract (kernel README / `ExploreOptions`, `ExploreReport`), with a
 * scripted explorer standing in for the kernel's: the options it is called with, the progress display (plain lines
 * at most every 2 s off a terminal, a redrawn bar on one), counterexamples replayed through `boot(..., { choices })`
 * into the published result, exit statuses, and report files that do not depend on wall-clock figures.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exploreCommand, type ExploreArgs } from "../src/commands/explore";
import { runCommand } from "../src/commands/run";
import type { Explorer, ExplorerOptions, ExplorerReport } from "../src/exploration";
import { captureIo } from "../src/io/cli-io";

const dir = mkdtempSync(join(tmpdir(), "dmasim-explore-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An explorer that reports progress at the given times and then `report` (with the given wall time). */
function scripted(report: Omit<ExplorerReport, "profile">, progressAt: readonly number[], wallMs = 5000): { explorer: Explorer; calls: ExplorerOptions[] } {
  const calls: ExplorerOptions[] = [];
  const explorer: Explorer = (_scenario, options) => {
    calls.push(options);
    progressAt.forEach((t, i) => options.onProgress?.({ statesVisited: (i + 1) * 10, distinctStates: (i + 1) * 8, frontier: 4 - i, elapsedMs: t, maxStates: options.maxStates ?? null }));
    return Promise.resolve({ ...report, profile: options.profile, stats: { ...report.stats, wallMs, statesPerSecond: report.stats.statesVisited / (wallMs / 1000) } });
  };
  return { explorer, calls };
}

const STATS = { statesVisited: 40, distinctStates: 32, duplicateStates: 8, prunedByReduction: 3, runs: 5, naiveOrderings: 2, reductionRatio: 2.5, wallMs: 0, statesPerSecond: 0, workers: 1, complete: true };
const PROBE_CX = {
  invariant: "I-PROBE",
  device: "0000:01:00.0",
  choices: [0],
  verdict: { invariant: "I-PROBE", status: "fail" as const, violations: [{ invariant: "I-PROBE", device: "0000:01:00.0", message: "probe with swiotlb ops", events: [] }] },
};
const FOUND: Omit<ExplorerReport, "profile"> = { mode: "exhaustive", stats: STATS, counterexamples: [PROBE_CX], invariantsHeld: ["I-CHAIN-ORDER", "I-STABLE"] };
const HELD: Omit<ExplorerReport, "profile"> = { mode: "exhaustive", stats: STATS, counterexamples: [], invariantsHeld: ["I-CHAIN-ORDER", "I-PROBE"] };

async function explore(args: Partial<ExploreArgs>, explorer: Explorer | null, isTTY = false) {
  const io = captureIo({ cwd: dir, isTTY, env: { NO_COLOR: "1" } });
  const code = await exploreCommand({ scenario: "seed", ...args }, io, { explorer });
  return { code, out: io.out(), err: io.err() };
}

describe("dmasim explore: usage", () => {
  it("without an explorer in the kernel build: exit 2, one line", async () => {
    expect(await explore({ profiles: ["v4.7"] }, null)).toEqual({ code: 2, out: "", err: "dmasim: the probe-order explorer is not in this build of @dmasim/kernel\n" });
  });

  it("bad counts name their option", async () => {
    const { explorer } = scripted(HELD, []);
    expect((await explore({ maxStates: "0" }, explorer)).err).toBe('dmasim: --max-states: expected an integer from 1 to 1000000000, got "0"\n');
    expect((await explore({ workers: "two" }, explorer)).err).toBe('dmasim: --workers: expected an integer from 1 to 64, got "two"\n');
    expect((await explore({ seed: "-1" }, explorer)).code).toBe(2);
  });

  it("passes profile, budget, workers; --seed selects random mode", async () => {
    const { explorer, calls } = scripted(HELD, []);
    await explore({ profiles: ["v4.8", "v6.1"], maxStates: "500", workers: "4", seed: "7" }, explorer);
    expect(calls.map(({ onProgress: _, ...o }) => o)).toEqual([
      { profile: "v4.8", mode: "random", maxStates: 500, seed: 7, workers: 4 },
      { profile: "v6.1", mode: "random", maxStates: 500, seed: 7, workers: 4 },
    ]);
    const exhaustive = scripted(HELD, []);
    await explore({ profiles: ["v4.8"] }, exhaustive.explorer);
    expect(exhaustive.calls.map(({ onProgress: _, ...o }) => o)).toEqual([{ profile: "v4.8", mode: "exhaustive" }]);
  });
});

describe("dmasim explore: progress", () => {
  it("off a terminal: a plain line at most every 2 s, then a final line and the wall-clock figures", async () => {
    const { explorer } = scripted(HELD, [0, 1000, 2500, 3000], 3200);
    const r = await explore({ profiles: ["v4.8"], maxStates: "100" }, explorer);
    expect(r.err).toBe(
      [
        "seed-acpi-pci-before-smmu v4.8: 10/100 states, frontier 4, 0.0 s",
        "seed-acpi-pci-before-smmu v4.8: 30/100 states, frontier 2, 2.5 s",
        "seed-acpi-pci-before-smmu v4.8: 40/100 states, frontier 0, 3.2 s (done)",
        "v4.8: 5 runs, 13 states/s on 1 worker",
        "",
      ].join("\n"),
    );
  });

  it("on a terminal: a bar redrawn in place, cleared at the end", async () => {
    const { explorer } = scripted(HELD, [0, 100], 200);
    const r = await explore({ profiles: ["v4.8"], maxStates: "40" }, explorer, true);
    expect(r.err).toContain(`\r\u001b[2K[${"#".repeat(6)}${"-".repeat(18)}] seed-acpi-pci-before-smmu v4.8: 10/40 states`);
    expect(r.err).toContain(`\r\u001b[2K[${"#".repeat(12)}${"-".repeat(12)}] seed-acpi-pci-before-smmu v4.8: 20/40 states`);
    expect(r.err).toContain("\r\u001b[2Kseed-acpi-pci-before-smmu v4.8: 40/40 states, frontier 0, 0.2 s\n");
  });
});

describe("dmasim explore: results", () => {
  it("a counterexample is replayed into the result with its evidence and choice list; exit 1", async () => {
    const { explorer } = scripted(FOUND, []);
    const r = await explore({ profiles: ["v4.7"], format: "json" }, explorer);
    expect(r.code).toBe(1);
    const run = (JSON.parse(r.out) as { runs: { exploration: unknown; violations: { invariant: string; device: string; choices: number[]; trace: unknown[] }[] }[] }).runs[0];
    expect(run?.exploration).toEqual({
      mode: "exhaustive",
      complete: true,
      seed: null,
      maxStates: null,
      inject: null,
      statesVisited: 40,
      distinctStates: 32,
      duplicateStates: 8,
      prunedByReduction: 3,
      runs: 5,
      naiveOrderings: "2",
      violated: [{ invariant: "I-PROBE", devices: 1 }],
      invariantsHeld: ["I-CHAIN-ORDER", "I-STABLE"],
    });
    expect(run?.violations.map((v) => [v.invariant, v.device, v.choices])).toEqual([["I-PROBE", "0000:01:00.0", [0]]]);
    expect(run?.violations[0]?.trace.length).toBeGreaterThan(0);
  });

  it("text output names the replay command; every invariant held is exit 0", async () => {
    const found = await explore({ profiles: ["v4.7"] }, scripted(FOUND, []).explorer);
    expect(found.out).toContain("\nexplored: exhaustive, complete: 40 states visited (32 distinct, 8 duplicates, 3 pruned by reduction), 5 runs of 2 naive orderings\n");
    expect(found.out).toContain("\n    replay: dmasim run seed-acpi-pci-before-smmu --profile v4.7 --choices 0\n");
    const held = await explore({ profiles: ["v4.8"] }, scripted(HELD, []).explorer);
    expect(held.code).toBe(0);
  });

  it("report files carry the statistics chart and do not depend on the wall time", async () => {
    expect((await explore({ profiles: ["v4.7"], out: "x1" }, scripted(FOUND, [], 1234).explorer)).code).toBe(1);
    expect((await explore({ profiles: ["v4.7"], out: "x2" }, scripted(FOUND, [], 98765).explorer)).code).toBe(1);
    for (const f of ["report.html", "report.md", "report.json"]) expect(readFileSync(join(dir, "x2", f)).equals(readFileSync(join(dir, "x1", f))), f).toBe(true);
    const html = readFileSync(join(dir, "x1", "report.html"), "utf8");
    expect(html).toMatch(/<figure class="explorer"><svg[^>]*>/);
    expect(html).toContain("replay: dmasim run seed-acpi-pci-before-smmu --profile v4.7 --choices 0");
  });

  it("a naive ordering count past 2^53 is written as a whole decimal number", async () => {
    const big = { ...FOUND, stats: { ...STATS, naiveOrderings: 2 ** 70 } };
    const r = await explore({ profiles: ["v4.7"], format: "json" }, scripted(big, []).explorer);
    expect((JSON.parse(r.out) as { runs: { exploration: { naiveOrderings: string } }[] }).runs[0]?.exploration.naiveOrderings).toBe("1180591620717411303424");
  });
});

describe("dmasim explore with the kernel's explorer", () => {
  const real = async (args: Partial<ExploreArgs>) => {
    const io = captureIo({ cwd: dir, env: { NO_COLOR: "1" } });
    const code = await exploreCommand({ scenario: "seed", format: "json", ...args }, io);
    return { code, doc: JSON.parse(io.out()) as { runs: { profile: string; exploration: { complete: boolean; violated: unknown[] }; violations: { invariant: string; device: string; choices: number[] }[] }[] } };
  };

  it("the seed's two subsys link orders: under v4.7 the recorded order violates I-PROBE, under v4.8 neither does", async () => {
    const r = await real({ profiles: ["v4.7", "v4.8"] });
    expect(r.code).toBe(1);
    const [v47, v48] = r.doc.runs;
    expect(v47?.exploration.complete).toBe(true);
    expect(v47?.violations.map((v) => [v.invariant, v.device])).toEqual([["I-PROBE", "0000:01:00.0"]]);
    expect(v47?.exploration.violated).toEqual([{ invariant: "I-PROBE", devices: 1 }]);
    expect(v48?.violations).toEqual([]);
  });

  it("--inject enomem=1: a failed probe under v4.8 leaves its IOMMU setup behind (I-CLEAN, S2), v4.12 cleans up; the replay line carries the budget and reproduces it", async () => {
    const r = await real({ profiles: ["v4.8", "v4.12"], inject: "enomem=1" });
    expect(r.code).toBe(1);
    const [v48, v412] = r.doc.runs;
    expect(v48?.violations.map((v) => v.invariant)).toContain("I-CLEAN");
    expect(v412?.violations.filter((v) => v.invariant === "I-CLEAN")).toEqual([]);
    const cx = v48?.violations.find((v) => v.invariant === "I-CLEAN");
    expect(cx).toBeDefined();
    const text = captureIo({ cwd: dir, env: { NO_COLOR: "1" } });
    await exploreCommand({ scenario: "seed", format: "text", profiles: ["v4.8"], inject: "enomem=1" }, text);
    const replay = `dmasim run seed-acpi-pci-before-smmu --profile v4.8 --choices ${cx?.choices.join(",")} --inject enomem=1,defer=0`;
    expect(text.out()).toContain(`replay: ${replay}`);
    const again = captureIo({ cwd: dir, env: { NO_COLOR: "1" } });
    const code = await runCommand({ scenario: "seed", profiles: ["v4.8"], format: "json", choices: cx?.choices.join(",") ?? "", inject: "enomem=1,defer=0" }, again);
    expect(code).toBe(1);
    const run = (JSON.parse(again.out()) as { runs: { violations: { invariant: string; device: string }[] }[] }).runs[0];
    expect(run?.violations.map((v) => [v.invariant, v.device])).toContainEqual(["I-CLEAN", cx?.device]);
  });

  it("a bad --inject names the offset of the bad part", async () => {
    const io = captureIo({ cwd: dir, env: { NO_COLOR: "1" } });
    expect(await exploreCommand({ scenario: "seed", format: "json", inject: "enomem=1,oops=2" }, io)).toBe(2);
    expect(io.err()).toBe('dmasim: --inject: offset 9: expected enomem=N or defer=N with N from 0 to 16, got "oops=2"\n');
  });

  it("the same result with two workers", async () => {
    const one = await real({ profiles: ["v4.7"], workers: "1" });
    const two = await real({ profiles: ["v4.7"], workers: "2" });
    expect(two.doc).toEqual(one.doc);
  });
});
