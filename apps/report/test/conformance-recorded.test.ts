/**
 * The comparison pipeline over every recorded boot, with a prediction that echoes the real boot (built from its own
 * sysfs dump and log lines). It must agree everywhere — which checks that visibility filtering, the shared log reader
 * and the comparison are symmetric — and each planted change must show up as exactly the rows it should.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  compareBoots,
  conformanceRunExitCode,
  logEvents,
  observedFacts,
  parseBootLog,
  renderDiffMarkdown,
  renderDiffText,
  renderTimelineText,
  runConformance,
  runTimeline,
  streamIdsFromMaps,
  type ConformanceRun,
  type PredictedBoot,
  type PredictedLogLine,
  type Predictor,
} from "../src/conformance/index";
import { recordedBoots } from "../src/conformance/recorded/boots";

const DIR = resolve(import.meta.dirname, "../../../fixtures/qemu-boots");

function echoPrediction(logText: string, firmware: "dt" | "acpi"): PredictedBoot {
  const log = parseBootLog(logText);
  const events = logEvents(log);
  const sids = new Map(streamIdsFromMaps(events).map((s) => [s.device, s.ids]));
  const devices =
    log.sysfs !== null
      ? log.sysfs.pci.map((p) => ({
          name: p.device,
          bus: "pci",
          driver: p.driver,
          iommuGroup: p.group,
          domainType: log.sysfs?.groups.find((g) => g.group === p.group)?.type ?? null,
          streamIds: sids.get(p.device) ?? [],
          deferrals: 0,
        }))
      : events.flatMap((e) => (e.type === "pci-function" ? [{ name: e.device, bus: "pci", driver: null, iommuGroup: null, domainType: null, streamIds: [], deferrals: 0 }] : []));
  const lines: PredictedLogLine[] = log.records.flatMap((r) =>
    r.type === "printk" ? [{ level: r.level ?? "info", file: r.file ?? "unknown.c", text: r.prefix === null ? r.text : `${r.prefix}: ${r.text}`, time: r.time ?? 0 }] : [],
  );
  return { profile: "echo", firmware, devices, log: lines };
}


async function run(name: string, cmdText: string, logText: string, predictor: Predictor): Promise<ConformanceRun> {
  const r = await runConformance({ source: { kind: "text", name, cmdText, logText }, predictor });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

describe.each(recordedBoots())("$name ($origin)", ({ name, cmd, log }) => {
  it("agrees with a prediction that echoes it, on every field the log can show", async () => {
    const r = await run(name, cmd, log, (c) => ({ ok: true, value: echoPrediction(log, c.firmware) }));
    expect(r.diff?.rows.filter((x) => !x.agree)).toEqual([]);
    expect(conformanceRunExitCode(r)).toBe(0);
    const compared = r.diff?.fields.filter((f) => f.compared).map((f) => f.field) ?? [];
    const dd = /drivers\/base\/dd\.c/.test(cmd);
    const ofBase = /drivers\/of\/(base\.c|\\\*)/.test(cmd) && !cmd.includes("-bios");
    expect(compared.includes("deferral-order")).toBe(dd);
    expect(compared.includes("stream-ids")).toBe(ofBase);
  });
});

describe("planted differences", () => {
  const cmd = readFileSync(join(DIR, "dt-topo-gic3-defer.cmd"), "utf8");
  const log = readFileSync(join(DIR, "dt-topo-gic3-defer.log"), "utf8");
  const base = echoPrediction(log, "dt");

  it("a different driver is one driver row", async () => {
    const devices = base.devices.map((d) => (d.name === "0000:02:00.0" ? { ...d, driver: "pcieport" } : d));
    const r = await run("planted", cmd, log, () => ({ ok: true, value: { ...base, devices } }));
    expect(r.diff?.rows.filter((x) => !x.agree)).toEqual([{ field: "driver", subject: "0000:02:00.0", predicted: "pcieport", observed: "shpchp", agree: false }]);
    expect(conformanceRunExitCode(r)).toBe(1);
  });

  it("a split group shows the real block and both predicted blocks", async () => {
    const devices = base.devices.map((d) => (d.name === "0000:01:00.0" ? { ...d, iommuGroup: 9 } : d));
    const r = await run("planted", cmd, log, () => ({ ok: true, value: { ...base, devices } }));
    expect(r.diff?.rows.filter((x) => !x.agree)).toEqual([
      { field: "groups", subject: "0000:00:03.0 0000:01:00.0", predicted: "not a group (0000:00:03.0: group 0 with 1 member; 0000:01:00.0: group 9 with 1 member)", observed: "group 0 DMA", agree: false },
      { field: "groups", subject: "0000:00:03.0", predicted: "group 0 DMA", observed: "not a group (0000:00:03.0: group 0 with 2 members)", agree: false },
      { field: "groups", subject: "0000:01:00.0", predicted: "group 9 DMA", observed: "not a group (0000:01:00.0: group 0 with 2 members)", agree: false },
    ]);
  });

  it("group numbers count unless told not to; types always count", async () => {
    const renumbered = base.devices.map((d) => (d.iommuGroup === 3 ? { ...d, iommuGroup: 4 } : d.iommuGroup === 4 ? { ...d, iommuGroup: 3 } : d));
    const r = await run("planted", cmd, log, () => ({ ok: true, value: { ...base, devices: renumbered } }));
    expect(r.diff?.rows.filter((x) => !x.agree).map((x) => [x.subject, x.predicted, x.observed])).toEqual([
      ["0000:00:01.0", "group 4 DMA", "group 3 DMA"],
      ["0000:00:02.0", "group 3 DMA", "group 4 DMA"],
    ]);
    const loose = await runConformance({ source: { kind: "text", name: "p", cmdText: cmd, logText: log }, predictor: () => ({ ok: true, value: { ...base, devices: renumbered } }), compare: { groupNumbers: false } });
    expect(loose.ok && loose.value.diff?.agree).toBe(true);
    const fq = base.devices.map((d) => (d.iommuGroup === 5 ? { ...d, domainType: "IOMMU_DOMAIN_DMA_FQ" } : d));
    const t = await run("planted", cmd, log, () => ({ ok: true, value: { ...base, devices: fq } }));
    expect(t.diff?.rows.filter((x) => !x.agree).map((x) => [x.subject, x.predicted, x.observed])).toEqual([["0000:00:05.0 0000:00:05.1", "group 5 DMA-FQ", "group 5 DMA"]]);
  });

  it("a missing collision, deferral or SMMU event line is a row of its field; a line the console hides is ignored", async () => {
    const drop = (re: RegExp, extra: PredictedLogLine[] = []) => ({ ...base, log: [...base.log.filter((l) => !re.test(l.text)), ...extra] });
    const noCollision = await run("p", cmd, log, () => ({ ok: true, value: drop(/already in tree/) }));
    expect(noCollision.diff?.rows.filter((x) => !x.agree).map((x) => [x.field, x.subject, x.predicted])).toEqual([["ungrouped", "0000:03:02.0", "Adding to IOMMU failed: -22"]]);
    const noDefer = await run("p", cmd, log, () => ({ ok: true, value: drop(/0000:00:06\.0: Added to deferred list/) }));
    expect(noDefer.diff?.rows.filter((x) => !x.agree).map((x) => x.field)).toEqual(["deferred-set", "deferral-order"]);
    const noEvent = await run("p", cmd, log, () => ({ ok: true, value: drop(/event 0x10 received/) }));
    expect(noEvent.diff?.rows.filter((x) => !x.agree)).toEqual([{ field: "smmu-events", subject: "event 0x10 sid 0x300 addr 0x8090040", predicted: "0×", observed: "1×", agree: false }]);
    const hidden = { level: "debug", file: "drivers/base/dd.c", text: "pci 0000:00:01.0: Added to deferred list", time: 1 } as const;
    const topoCmd = readFileSync(join(DIR, "dt-topo-gic3.cmd"), "utf8");
    const topoLog = readFileSync(join(DIR, "dt-topo-gic3.log"), "utf8");
    const topo = echoPrediction(topoLog, "dt");
    const r = await run("p", topoCmd, topoLog, () => ({ ok: true, value: { ...topo, log: [...topo.log, hidden] } }));
    expect(r.diff?.agree).toBe(true);
  });

  it("without a prediction the run keeps the observed facts and exits 2", async () => {
    const r = await run("none", cmd, log, () => ({ ok: false, error: "no model" }));
    expect(r.diff).toBeNull();
    expect(r.prediction).toEqual({ ok: false, error: "no model" });
    expect(conformanceRunExitCode(r)).toBe(2);
    expect(r.observed.groups).toHaveLength(6);
  });

  it("renders the table as text and Markdown", async () => {
    const devices = base.devices.map((d) => (d.name === "0000:02:00.0" ? { ...d, driver: "pcieport" } : d));
    const r = await run("dt-topo-gic3-defer", cmd, log, () => ({ ok: true, value: { ...base, devices } }));
    const diff = r.diff;
    if (diff === null) throw new Error("no diff");
    const text = renderDiffText(diff, { onlyDifferences: true }).split("\n");
    expect(text[0]).toMatch(/^\s+field\s+subject\s+predicted \(dmasim v6\.1\)\s+observed \(real kernel\)$/);
    expect(text[2]).toMatch(/^DIFF\s+driver\s+0000:02:00\.0\s+pcieport\s+shpchp$/);
    expect(text.at(-1)).toBe(`dt-topo-gic3-defer: DISAGREE (1 of ${diff.rows.length} rows differ)`);
    const md = renderDiffMarkdown(diff, { onlyDifferences: true });
    expect(md).toContain("| ✗ | driver | 0000:02:00.0 | pcieport | shpchp |");
    const same = await run("dt-topo-gic3-defer", cmd, log, () => ({ ok: true, value: base }));
    if (same.diff === null) throw new Error("no diff");
    expect(renderDiffText(same.diff, { onlyDifferences: true })).toBe(`dt-topo-gic3-defer: AGREE (${same.diff.rows.length} rows)`);
    expect(renderDiffText(same.diff).split("\n")).toHaveLength(same.diff.rows.length + 3);
  });
});

describe("real DT and ACPI boots of one topology differ where real-kernel-oracle.md §7 says", () => {
  it("ACS: root ports share a group with their devices under DT only", () => {
    const facts = (name: string, fw: "dt" | "acpi") => observedFacts(parseBootLog(readFileSync(join(DIR, `${name}.log`), "utf8")), fw);
    const diff = compareBoots("dt-vs-acpi", facts("dt-topo-gic3-defer", "dt"), facts("acpi-topo-gic3-defer", "acpi"), { groupNumbers: false });
    const dtOnly = diff.rows.filter((r) => r.field === "groups" && !r.agree && !r.predicted.startsWith("not a group")).map((r) => r.subject);
    expect(dtOnly).toEqual(["0000:00:03.0 0000:01:00.0", "0000:00:04.0 0000:02:00.0 0000:03:01.0", "0000:00:06.0 0000:04:00.0"]);
    const same = diff.rows.filter((r) => r.field === "groups" && r.agree).map((r) => r.subject);
    expect(same).toEqual(["0000:00:01.0", "0000:00:02.0", "0000:00:05.0 0000:00:05.1"]);
    expect(diff.rows.filter((r) => r.field === "ungrouped").map((r) => [r.subject, r.agree])).toEqual([
      ["0000:00:00.0", true],
      ["0000:03:02.0", false],
    ]);
  });
});

describe("side-by-side timeline", () => {
  const cmd = readFileSync(join(DIR, "dt-topo-gic3-defer.cmd"), "utf8");
  const log = readFileSync(join(DIR, "dt-topo-gic3-defer.log"), "utf8");
  it("pairs every step of an identical prediction and marks a missing one", async () => {
    const same = await run("t", cmd, log, (c) => ({ ok: true, value: echoPrediction(log, c.firmware) }));
    const rows = runTimeline(same);
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.every((r) => r.predicted !== null && r.observed !== null)).toBe(true);
    expect(rows.filter((r) => r.observed?.text.startsWith("Default domain type")).map((r) => r.predicted?.text)).toEqual(["Default domain type: Translated"]);
    const base = echoPrediction(log, "dt");
    const missing = await run("t", cmd, log, () => ({ ok: true, value: { ...base, log: base.log.filter((l) => !/0000:00:05\.1: Adding to iommu group/.test(l.text)) } }));
    const lone = runTimeline(missing).filter((r) => r.predicted === null);
    expect(lone.map((r) => r.observed?.text)).toEqual(["0000:00:05.1: Adding to iommu group 5"]);
    const text = renderTimelineText(runTimeline(missing)).split("\n");
    expect(text.find((l) => l.includes("0000:00:05.1: Adding"))).toMatch(/^\s+> \[\s+1\.440594\] 0000:00:05\.1: Adding to iommu group 5$/);
  });
});
