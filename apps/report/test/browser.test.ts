/**
 * The HTML report in a real browser (Debian's headless Chromium through playwright-core): the summary matrix's cells
 * read back from the rendered page equal the counts computed from report.json, every timeline and topology SVG has a
 * non-zero rendered size, the page made no request but for its own file, and a screenshot is saved.
 *
 * Skips with a printed reason when `/usr/bin/chromium` is absent and `CI` is unset; under CI it always runs
 * (`.ci/run` installs `chromium`).
 */
import { existsSync, mkdtempSync, rmSync, statSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../src/cli";
import { captureIo } from "../src/io/cli-io";
import { CHROMIUM_PATH, chromiumAvailable, openReport } from "./chromium";

const run = chromiumAvailable() || process.env["CI"] !== undefined;
if (!run) console.warn(`browser test skipped: ${CHROMIUM_PATH} is not installed (apt-get install chromium, or set CI to make this fail)`);

const dir = mkdtempSync(join(tmpdir(), "dmasim-browser-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Doc {
  readonly scenarios: readonly { readonly scenario: string; readonly runs: readonly { readonly profile: string; readonly violations: readonly { readonly invariant: string; readonly device: string | null }[] }[] }[];
}

/** Distinct scenario/device pairs per `invariant|profile`, from the JSON alone. */
function expectedCells(doc: Doc): Map<string, number> {
  const sets = new Map<string, Set<string>>();
  for (const s of doc.scenarios)
    for (const r of s.runs)
      for (const v of r.violations) {
        const key = `${v.invariant}|${r.profile}`;
        const set = sets.get(key) ?? new Set<string>();
        set.add(`${s.scenario}\u0000${v.device ?? ""}`);
        sets.set(key, set);
      }
  return new Map([...sets].map(([k, v]) => [k, v.size]));
}

describe.runIf(run)("the HTML report in headless Chromium", () => {
  it("after explore, draws the explorer statistics chart", async () => {
    const io = captureIo({ cwd: dir });
    expect(await main(["explore", "seed", "--profile", "v4.7", "--profile", "v4.8", "-o", "explored"], io)).toBe(1);
    const opened = await openReport(join(dir, "explored", "report.html"));
    try {
      const sizes = await opened.page.$$eval("figure.explorer svg", (els) => els.map((e) => e.getBoundingClientRect()).map((b) => [b.width, b.height]));
      expect(sizes).toHaveLength(1);
      for (const [w, h] of sizes) {
        expect(w).toBeGreaterThan(0);
        expect(h).toBeGreaterThan(0);
      }
      // statesVisited, distinctStates and runs are non-zero for both profiles: at least six bars with height.
      const bars = await opened.page.$$eval("figure.explorer .mark-rect path", (els) => els.filter((e) => e.getBoundingClientRect().height > 0).length);
      expect(bars).toBeGreaterThanOrEqual(6);
      const rows = await opened.page.$$eval("table.explore tbody tr th", (els) => els.map((e) => e.textContent));
      expect(rows).toEqual(["v4.7", "v4.8"]);
      expect(opened.requests).toHaveLength(1);
    } finally {
      await opened.close();
    }
  });

  it("matches the JSON, draws its SVGs, stays offline, and screenshots", async () => {
    const io = captureIo({ cwd: dir });
    expect(await main(["-o", "out"], io)).toBe(0);
    const htmlPath = join(dir, "out", "report.html");
    const doc = JSON.parse(readFileSync(join(dir, "out", "report.json"), "utf8")) as Doc;
    const opened = await openReport(htmlPath);
    try {
      const { page } = opened;
      const cells = await page.$$eval("#summary-matrix td[data-invariant]", (els) =>
        els.map((e) => ({ invariant: e.getAttribute("data-invariant") ?? "", profile: e.getAttribute("data-profile") ?? "", text: (e.textContent ?? "").trim(), href: e.querySelector("a")?.getAttribute("href") ?? null })),
      );
      const profiles = [...new Set(doc.scenarios.flatMap((s) => s.runs.map((r) => r.profile)))];
      expect(cells.length).toBe(16 * profiles.length);
      const want = expectedCells(doc);
      let nonZero = 0;
      for (const c of cells) {
        const n = want.get(`${c.invariant}|${c.profile}`) ?? 0;
        expect(c.text, `${c.invariant} under ${c.profile}`).toBe(n === 0 ? "·" : String(n));
        if (n > 0) {
          nonZero++;
          expect(c.href).toMatch(/^#cx-/);
          const target = await page.$(`[id="${(c.href ?? "#").slice(1)}"]`);
          expect(target, `counterexample ${c.href}`).not.toBeNull();
          expect(await target?.getAttribute("data-invariant")).toBe(c.invariant);
        }
      }
      expect(nonZero).toBeGreaterThan(0);

      // The timelines draw their marks (device add, probe, bind, DMA ...) and the topologies their nodes.
      const drawn = await page.$$eval("figure.timeline", (figs) => figs.map((f) => [...f.querySelectorAll(".mark-symbol path")].filter((p) => p.getBoundingClientRect().width > 0).length));
      expect(drawn.every((n) => n > 0)).toBe(true);
      const nodes = await page.$$eval("figure.topology", (figs) => figs.map((f) => f.querySelectorAll("g.node").length));
      expect(nodes.every((n) => n > 0)).toBe(true);
      for (const kind of ["timeline", "topology"]) {
        const sizes = await page.$$eval(`figure.${kind} svg`, (els) => els.map((e) => e.getBoundingClientRect()).map((b) => [b.width, b.height]));
        expect(sizes.length, `${kind} figures`).toBeGreaterThan(0);
        for (const [w, h] of sizes) {
          expect(w).toBeGreaterThan(0);
          expect(h).toBeGreaterThan(0);
        }
      }

      expect(opened.requests).toEqual([pathToFileURL(htmlPath).href]);

      const shot = join(dir, "report.png");
      await page.screenshot({ path: shot });
      expect(existsSync(shot)).toBe(true);
      expect(readFileSync(shot).subarray(1, 4).toString("latin1")).toBe("PNG");
      expect(statSync(shot).size).toBeGreaterThan(10_000);
    } finally {
      await opened.close();
    }
  });
});
