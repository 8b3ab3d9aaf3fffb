/**
 * The report files: every input string escaped (a DT node named `<img src=x onerror=alert(1)>`), byte-identical
 * output for the same input (and when re-rendered from the saved JSON), the default run's summary table agreeing
 * with its JSON, and a failed render or write leaving the previous report in place.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../src/cli";
import { defaultCommand } from "../src/commands/default";
import { DEFAULT_RENDERERS } from "../src/commands/report-files";
import { NODE_FILE_OPS } from "../src/io/atomic-write";
import { captureIo } from "../src/io/cli-io";
import { dtbWithMaster } from "./dtb-with-master";

const dir = mkdtempSync(join(tmpdir(), "dmasim-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function dmasim(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ cwd: dir, env: { NO_COLOR: "1" } });
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

const read = (...p: string[]): string => readFileSync(join(dir, ...p), "utf8");
const FILES = ["report.html", "report.md", "report.json"];

describe("escaping", () => {
  const EVIL = "<img src=x onerror=alert(1)>";

  it("a DT node, compatible and file name carrying HTML render as text in HTML and Markdown", async () => {
    writeFileSync(join(dir, "<b>evil.dtb"), dtbWithMaster(EVIL, `acme,${EVIL}`));
    const r = await dmasim("boot", "--dtb", "<b>evil.dtb", "--profile", "v6.1", "--format", "json");
    expect(r.err).toBe("");
    const devices = (JSON.parse(r.out) as { runs: { devices: { name: string; dmaOps: string }[] }[] }).runs[0]?.devices ?? [];
    expect(devices.find((d) => d.name === `a100000.${EVIL}`)?.dmaOps).toBe("iommu");
    writeFileSync(join(dir, "evil.json"), r.out);
    expect((await dmasim("report", "evil.json", "-o", "evil")).code).toBe(0);
    const html = read("evil", "report.html");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>evil");
    expect(html).toContain(`a100000.&lt;img src=x onerror=alert(1)&gt;`);
    expect(html).toContain("&lt;b&gt;evil.dtb");
    const md = read("evil", "report.md");
    expect(md).not.toContain("<img");
    expect(md).toContain("a100000.&lt;img src=x onerror=alert\\(1\\)&gt;");
  });
});

describe("determinism", () => {
  it("the same scenario gives byte-identical files, and re-rendering the saved JSON gives them again", async () => {
    for (const out of ["a", "b"]) expect((await dmasim("report", "s3", "-o", out)).code).toBe(0);
    expect((await dmasim("report", join("a", "report.json"), "-o", "c")).code).toBe(0);
    for (const f of FILES) {
      const a = readFileSync(join(dir, "a", f));
      expect(readFileSync(join(dir, "b", f)).equals(a), `b/${f}`).toBe(true);
      expect(readFileSync(join(dir, "c", f)).equals(a), `c/${f}`).toBe(true);
    }
  });

  it("the HTML carries no timestamp, random id or network reference", () => {
    const html = read("a", "report.html");
    expect(html).not.toMatch(/\b20\d\d-\d\d-\d\dT\d\d:/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/);
  });
});

describe("the default run", () => {
  it("prints a summary whose cells are the distinct devices violating each invariant in report.json", async () => {
    const r = await dmasim("-o", "default", "--profile", "v4.7", "--profile", "v6.1");
    expect(r.code).toBe(0);
    const doc = JSON.parse(read("default", "report.json")) as { format: string; scenarios: { scenario: string; runs: { profile: string; violations: { invariant: string; device: string | null }[] }[] }[] };
    expect(doc.format).toBe("dmasim-report/1");
    expect(doc.scenarios.map((s) => s.scenario).slice(0, 8)).toEqual([
      "seed-acpi-pci-before-smmu",
      "S1-acpi-ordering",
      "S2-failed-probe-leak",
      "S3-deferred-probe",
      "S4-driverless-child",
      "S5-probe-time-deferral",
      "S6-dangling-queue-entry",
      "S7-notifier-chain-stop",
    ]);
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/^invariant +v4\.7 +v6\.1$/);
    for (const profile of ["v4.7", "v6.1"]) {
      const col = profile === "v4.7" ? 1 : 2;
      const counts = new Map<string, Set<string>>();
      for (const s of doc.scenarios)
        for (const run of s.runs.filter((x) => x.profile === profile))
          for (const v of run.violations) {
            const set = counts.get(v.invariant) ?? new Set<string>();
            set.add(`${s.scenario}/${v.device ?? ""}`);
            counts.set(v.invariant, set);
          }
      for (const line of lines.filter((l) => l.startsWith("I-"))) {
        const cells = line.trim().split(/ +/);
        const want = counts.get(cells[0] ?? "")?.size ?? 0;
        expect(cells[col], `${cells[0]} ${profile}`).toBe(want === 0 ? "." : String(want));
      }
    }
    expect(r.out).toContain("Wrote default/report.html, default/report.md, default/report.json\n");
  });
});

describe("partial-write safety", () => {
  const seedOld = (sub: string): void => {
    mkdirSync(join(dir, sub), { recursive: true });
    for (const f of FILES) writeFileSync(join(dir, sub, f), `old ${f}\n`);
  };
  const expectOld = (sub: string): void => {
    for (const f of FILES) expect(read(sub, f)).toBe(`old ${f}\n`);
    expect(readdirSync(join(dir, sub)).sort()).toEqual([...FILES].sort());
  };

  it("a render that throws leaves the previous report untouched", async () => {
    seedOld("keep");
    const io = captureIo({ cwd: dir });
    const failing = { ...DEFAULT_RENDERERS, html: () => Promise.reject(new Error("layout failed")) };
    await expect(defaultCommand({ out: "keep", profiles: ["v6.1"] }, io, { renderers: failing })).rejects.toThrow("layout failed");
    expectOld("keep");
  });

  it("a write failing on the second file leaves every previous file and no temporary file; exit 2, one line", async () => {
    seedOld("keep2");
    let writes = 0;
    const ops = {
      ...NODE_FILE_OPS,
      write: (path: string, data: string | Uint8Array) => {
        if (++writes === 2) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
        NODE_FILE_OPS.write(path, data);
      },
    };
    const io = captureIo({ cwd: dir });
    expect(await defaultCommand({ out: "keep2", profiles: ["v6.1"] }, io, { fileOps: ops })).toBe(2);
    expect(io.err()).toBe("dmasim: keep2: cannot write the report: ENOSPC: no space left on device, write\n");
    expect(io.out()).toBe("");
    expectOld("keep2");
  });

  it("an output path under a regular file is exit 2 naming the directory, nothing written", async () => {
    writeFileSync(join(dir, "occupied"), "a file where the output directory should be\n");
    const r = await dmasim("report", "seed", "-o", "occupied/sub");
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/^dmasim: occupied\/sub: cannot write the report: ENOTDIR: [^\n]*\n$/);
    expect(readFileSync(join(dir, "occupied"), "utf8")).toBe("a file where the output directory should be\n");
  });
});
