/**
 * The `dmasim` command line end to end through `main` with captured streams: exit statuses (0 clean, 1 violations,
 * 2 bad input as one line naming the file and field/offset), exact error lines, and the published JSON of the seed
 * scenario (kernel-behaviour.md §d.3 seed: under v4.7 the ACPI PCI endpoint is configured before its SMMUv3 probes
 * and keeps swiotlb ops, so its first DMA faults at the SMMU; from v4.8 on it has iommu-dma ops).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { builtinScenarioDir } from "@dmasim/kernel";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../src/cli";
import { captureIo } from "../src/io/cli-io";
import { dtbWithMaster, MASTER_SID } from "./dtb-with-master";

const FIXTURES = resolve(import.meta.dirname, "../../../fixtures");
const dir = mkdtempSync(join(tmpdir(), "dmasim-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function dmasim(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ cwd: dir, env: { NO_COLOR: "1" } });
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe("exit status 2: one line naming the input", () => {
  it("an unknown command", async () => {
    const r = await dmasim("frob");
    expect(r).toEqual({ code: 2, out: "", err: "dmasim: unknown command 'frob' (commands: run, explore, boot, report, conformance; see dmasim --help)\n" });
  });

  it("an unknown profile", async () => {
    const r = await dmasim("run", "seed", "--profile", "v9");
    expect(r).toEqual({ code: 2, out: "", err: 'dmasim: --profile: unknown profile "v9" (expected one of v4.7, v4.8, v4.8-not-bound, v4.12, v6.1)\n' });
  });

  it("an unknown scenario lists the built-in ids", async () => {
    const r = await dmasim("run", "nope");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^dmasim: nope: no such file, and not a built-in scenario \(built-in: seed, s1, s2, s3, s4, s5, s6, s7, [^\n]*\)\n$/);
  });

  it("a bad --format is commander's usage error, on one line", async () => {
    const r = await dmasim("run", "seed", "--format", "xml");
    expect(r.code).toBe(2);
    expect(r.err).toBe("dmasim run: option '--format <format>' argument 'xml' is invalid. Allowed choices are text, json, md. (see dmasim run --help)\n");
  });

  it("a bad --choices list names the offset of the bad entry", async () => {
    const r = await dmasim("run", "seed", "--choices", "0,x,1");
    expect(r).toEqual({ code: 2, out: "", err: 'dmasim: --choices: offset 2: expected a comma-separated list of choice indices, got "x"\n' });
  });

  it("a truncated DTB names the header field and offset", async () => {
    const full = readFileSync(join(FIXTURES, "dtb/juno.dtb"));
    writeFileSync(join(dir, "cut.dtb"), full.subarray(0, 100));
    const totalsize = full.readUInt32BE(4);
    const r = await dmasim("boot", "--dtb", "cut.dtb");
    expect(r).toEqual({ code: 2, out: "", err: `dmasim: cut.dtb: offset 0x4 (/): truncated: totalsize 0x${totalsize.toString(16)} is past the end of the 100-byte blob\n` });
  });

  it("a file that is not an IORT names its signature", async () => {
    writeFileSync(join(dir, "not-iort.bin"), "DSDT not an IORT at all, long enough for a header");
    const r = await dmasim("boot", "--iort", "not-iort.bin");
    expect(r.code).toBe(2);
    expect(r.err).toBe('dmasim: not-iort.bin: offset 0x0 (IORT): bad-magic: signature "DSDT" is not "IORT"\n');
  });

  it("boot needs exactly one platform source", async () => {
    expect(await dmasim("boot")).toEqual({ code: 2, out: "", err: "dmasim: boot needs exactly one of --qemu ARGS, --dtb FILE, --iort FILE\n" });
    const r = await dmasim("boot", "--dtb", "a.dtb", "--firmware", "acpi");
    expect(r.err).toBe("dmasim: --firmware: a DTB is device-tree firmware (use --iort for ACPI)\n");
  });

  it("a result file that is not JSON names the offset; a bad field names its path", async () => {
    writeFileSync(join(dir, "broken.json"), '{"scenario": "x", ');
    const broken = await dmasim("report", "broken.json", "-o", "r");
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/^dmasim: broken\.json: offset 18: not JSON: [^\n]+\n$/);
    writeFileSync(join(dir, "wrong.json"), JSON.stringify({ scenario: "x", description: null, firmware: "dt", runs: [{ profile: 3 }] }));
    const wrong = await dmasim("report", "wrong.json", "-o", "r");
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/^dmasim: wrong\.json: runs\[0\]\.profile: [^\n]+\n$/);
  });

  it("report needs -o after the command (root options do not swallow it)", async () => {
    const r = await dmasim("report", "seed");
    expect(r).toEqual({ code: 2, out: "", err: "dmasim report: required option '-o, --out <dir>' not specified (see dmasim report --help)\n" });
  });
});

describe("exit status 70: a bug is one line, never a stack trace", () => {
  it("an exception nothing expects (here: stdout failing mid-write) asks for a report", async () => {
    const io = captureIo({ cwd: dir });
    const broken = { ...io, stdout: { write: () => { throw new Error("write EPIPE"); } } };
    expect(await main(["run", "seed", "--profile", "v6.1"], broken)).toBe(70);
    expect(io.err()).toBe("dmasim: internal error: Error: write EPIPE (this is a bug in dmasim, please report it with the command line that caused it)\n");
  });
});

describe("scenario files", () => {
  it("every problem in a scenario file is one line naming its field path", async () => {
    writeFileSync(join(dir, "typo.yaml"), 'name: typo\nfirmware: acpi\nboard: { qemu-virt: { iommu: smmuv3 } }\ndrivers:\n  - { name: x, matchs: ["pci:8086:10d3"], load: builtin }\n');
    const r = await dmasim("run", "typo.yaml");
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err.split("\n")).toContain('dmasim: typo.yaml: drivers[0].matchs: unknown field "matchs" (did you mean "matches"?)');
    expect(r.err.split("\n").every((l) => l === "" || l.startsWith("dmasim: typo.yaml: "))).toBe(true);
  });

  it("a user's copy of the seed runs as the built-in one does", async () => {
    const seed = readFileSync(join(builtinScenarioDir(), "seed.yaml"), "utf8");
    writeFileSync(join(dir, "my-seed.yaml"), seed);
    const mine = await dmasim("run", "my-seed.yaml", "--profile", "v4.7", "--format", "json");
    const builtin = await dmasim("run", "seed", "--profile", "v4.7", "--format", "json");
    expect(mine.code).toBe(1);
    expect(mine.out).toBe(builtin.out);
  });
});

describe("dmasim run: exit 1 on violations, 0 when clean", () => {
  it("the seed under v4.7 violates I-PROBE on the endpoint, whose DMA faults at the SMMU", async () => {
    const r = await dmasim("run", "seed", "--profile", "v4.7", "--format", "json");
    expect(r.code).toBe(1);
    expect(r.err).toBe("");
    const doc = JSON.parse(r.out) as Record<string, unknown> & { runs: Record<string, unknown>[] };
    expect(Object.keys(doc)).toEqual(["scenario", "description", "firmware", "runs"]);
    expect(doc["scenario"]).toBe("seed-acpi-pci-before-smmu");
    expect(doc["firmware"]).toBe("acpi");
    const run = doc.runs[0] as { devices: Record<string, unknown>[]; violations: Record<string, unknown>[] } & Record<string, unknown>;
    expect(Object.keys(run)).toEqual(["profile", "label", "hypothetical", "devices", "violations", "stats", "warnings", "timeline", "topology", "exploration"]);
    expect(run["profile"]).toBe("v4.7");
    const ep = run.devices.find((d) => d["name"] === "0000:01:00.0");
    expect(ep).toBeDefined();
    expect(Object.keys(ep ?? {})).toEqual(["name", "bus", "driver", "dmaOps", "iommu", "iommuGroup", "domainType", "streamIds", "deferrals", "dma", "leaks"]);
    expect(ep).toMatchObject({ bus: "pci", driver: "e1000e", dmaOps: "swiotlb", iommu: "arm-smmu-v3.0.auto", domainType: "DMA", streamIds: [0x100], deferrals: 0 });
    expect((ep?.["dma"] as { op: string; outcome: string; event?: number }[])[0]).toEqual({ op: "alloc-coherent", outcome: "fault", event: 0x10 });
    const v = run.violations.map((x) => [x["invariant"], x["device"]]);
    expect(v).toEqual([["I-PROBE", "0000:01:00.0"]]);
    expect(Object.keys(run.violations[0] ?? {})).toEqual(["invariant", "device", "message", "trace", "sequence", "choices"]);
  });

  it("the seed under v4.8 gives the endpoint iommu-dma ops and exits 0", async () => {
    const r = await dmasim("run", "seed", "--profile", "v4.8", "--format", "json");
    expect(r.code).toBe(0);
    const run = (JSON.parse(r.out) as { runs: { violations: unknown[]; devices: Record<string, unknown>[] }[] }).runs[0];
    expect(run?.violations).toEqual([]);
    const ep = run?.devices.find((d) => d["name"] === "0000:01:00.0");
    expect(ep).toMatchObject({ driver: "e1000e", dmaOps: "iommu", dma: [{ op: "alloc-coherent", outcome: "ok" }, { op: "map-single", outcome: "ok" }, { op: "msi", outcome: "ok" }] });
  });

  it("profiles run in the order given, one per --profile", async () => {
    const r = await dmasim("run", "seed", "--profile", "v6.1", "--profile", "v4.7", "--format", "json");
    expect((JSON.parse(r.out) as { runs: { profile: string }[] }).runs.map((x) => x.profile)).toEqual(["v6.1", "v4.7"]);
  });

  it("text output is the device table then the verdicts, with no colour under NO_COLOR", async () => {
    const r = await dmasim("run", "seed", "--profile", "v4.7");
    expect(r.code).toBe(1);
    expect(r.out).toContain("\n== v4.7 (+ IORT RFC)\n");
    expect(r.out).toMatch(/\n0000:01:00\.0 +pci +e1000e +swiotlb +arm-smmu-v3\.0\.auto +1 \(DMA\) +0x100 +0 +alloc-coherent fault 0x10/);
    expect(r.out).toContain("\nI-PROBE 0000:01:00.0: e1000e probes 0000:01:00.0 with swiotlb ops");
    expect(r.out).not.toContain("\u001b[");
  });
});

describe("dmasim run --choices: replaying an explorer run", () => {
  // seed.yaml's explore block makes acpi_init and arm_smmu_init orderable within subsys_initcall (v4.x link order).
  it("choice 1 links arm_smmu_init first: under v4.7 the endpoint then gets iommu-dma ops and I-PROBE holds", async () => {
    const r = await dmasim("run", "seed", "--profile", "v4.7", "--choices", "1", "--format", "json");
    expect(r.err).toBe("");
    const run = (JSON.parse(r.out) as { runs: { violations: { invariant: string }[]; devices: Record<string, unknown>[] }[] }).runs[0];
    expect(run?.devices.find((d) => d["name"] === "0000:01:00.0")?.["dmaOps"]).toBe("iommu");
    expect(run?.violations.map((v) => v.invariant)).not.toContain("I-PROBE");
  });

  it("choice 0 is the recorded order: the I-PROBE counterexample carries its choice list", async () => {
    const r = await dmasim("run", "seed", "--profile", "v4.7", "--choices", "0", "--format", "json");
    expect(r.code).toBe(1);
    const v = (JSON.parse(r.out) as { runs: { violations: { invariant: string; choices: number[] | null }[] }[] }).runs[0]?.violations ?? [];
    expect(v.map((x) => [x.invariant, x.choices])).toEqual([["I-PROBE", [0]]]);
  });

  it("a choice out of range is exit 2 naming its position and the choice point", async () => {
    const r = await dmasim("run", "seed", "--profile", "v4.7", "--choices", "2");
    expect(r).toEqual({
      code: 2,
      out: "",
      err: "dmasim: --choices: choices[0]: choice 2 at position 0 is out of range: that link-order choice point (link-order:subsys) has 2 options (acpi_init, arm_smmu_init)\n",
    });
  });
});

describe("dmasim boot", () => {
  it("a QEMU virt board under v6.1: Debian's driver set, e1000e behind the SMMU with a DMA domain", async () => {
    const r = await dmasim("boot", "--qemu", "-M virt,iommu=smmuv3 -device e1000e,romfile=", "--profile", "v6.1", "--format", "json");
    expect(r.err).toBe("");
    const devices = (JSON.parse(r.out) as { runs: { devices: Record<string, unknown>[] }[] }).runs[0]?.devices ?? [];
    const hostBridge = devices.find((d) => d["name"] === "0000:00:00.0");
    expect(hostBridge?.["driver"]).toBeNull();
    const nic = devices.find((d) => d["driver"] === "e1000e");
    expect(nic).toMatchObject({ bus: "pci", dmaOps: "iommu", iommu: "9050000.smmuv3", domainType: "DMA" });
  });

  it("a DTB: a master behind the SMMUv3 gets a driver that binds and does one DMA through its StreamID", async () => {
    writeFileSync(join(dir, "master.dtb"), dtbWithMaster("dma-engine", "acme,dma-engine"));
    const r = await dmasim("boot", "--dtb", "master.dtb", "--profile", "v6.1", "--format", "json");
    expect(r.err).toBe("");
    const devices = (JSON.parse(r.out) as { runs: { devices: Record<string, unknown>[] }[] }).runs[0]?.devices ?? [];
    expect(devices.filter((d) => typeof d["driver"] === "string" && d["driver"].startsWith("dma-master."))).toEqual([
      { name: "a100000.dma-engine", bus: "platform", driver: "dma-master.0", dmaOps: "iommu", iommu: "9050000.smmuv3", iommuGroup: 0, domainType: "DMA", streamIds: [MASTER_SID], deferrals: 0, dma: [{ op: "alloc-coherent", outcome: "ok" }], leaks: [] },
    ]);
  });
});

describe("run --trace / --dmesg: the boot itself, for reading beside a real log", () => {
  const groupLines = (text: string): string[] => [...text.matchAll(/(\S+): Adding to iommu group (\d+)$/gm)].map((m) => `${m[1]} ${m[2]}`);

  it("--dmesg prints the model's kernel log: the v6.1 ACPI topology adds the same devices to the same groups, in the same order, as the real 6.1 boot", async () => {
    const r = await dmasim("run", "qemu-acpi-topo-gic3", "--profile", "v6.1", "--dmesg");
    // 1: 0000:03:02.0 (behind the PCIe-to-PCI bridge, its alias already in the stream tree) is left without a group
    // and keeps dma-direct behind a translating SMMU, as on the real boot (real-kernel-oracle.md §7): I-PROBE.
    expect(r.code).toBe(1);
    expect(r.out.startsWith("== v6.1 dmesg\n")).toBe(true);
    const real = readFileSync(join(FIXTURES, "qemu-boots/acpi-topo-gic3.log"), "utf8");
    const expected = groupLines(real);
    expect(expected.length).toBeGreaterThan(5);
    expect(groupLines(r.out)).toEqual(expected);
  });

  it("--dmesg shows dev_dbg lines only where dynamic debug enables them, as the real console does", async () => {
    const plain = await dmasim("run", "qemu-acpi-topo-gic3", "--profile", "v6.1", "--dmesg");
    const real = readFileSync(join(FIXTURES, "qemu-boots/acpi-topo-gic3.log"), "utf8");
    const pick = (text: string): string[] => [...text.matchAll(/\] (\S+ 0000:03:02\.0: (?:stream \d+ already in tree.*|Adding to IOMMU failed.*))$/gm)].map((m) => m[1] ?? "");
    // Without dyndbg the real 6.1 boot shows the arm-smmu-v3 warning and not acpi_iommu_configure_id's dev_dbg.
    expect(pick(plain.out)).toEqual(["virtio-pci 0000:03:02.0: stream 768 already in tree from dev 0000:03:01.0"]);
    expect(pick(real)).toEqual(["virtio-pci 0000:03:02.0: stream 768 already in tree from dev 0000:03:01.0"]);
    const traced = await dmasim("run", "qemu-acpi-topo-gic3", "--profile", "v6.1", "--dmesg", "--cmdline", 'dyndbg="file drivers/acpi/scan.c +p"');
    expect(pick(traced.out)).toContain("virtio-pci 0000:03:02.0: Adding to IOMMU failed: -22");
  });

  it("--trace prints every record with its sequence number, nested as it ran, before the result", async () => {
    const r = await dmasim("run", "seed", "--profile", "v4.12", "--trace");
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/^== v4\.12 trace \(\d+ records\)$/);
    expect(lines[1]).toBe("    0 [    0.000000] initcall platform_bus_init (driver_init)");
    expect(lines[2]).toBe("    1 [    0.000000]   bus_register platform: 0");
    expect(r.out.indexOf("== v4.12 trace")).toBeLessThan(r.out.indexOf("scenario seed-acpi-pci-before-smmu"));
  });

  it("--trace with --format json is a usage error, not mixed output", async () => {
    const r = await dmasim("run", "seed", "--trace", "--format", "json");
    expect(r).toEqual({ code: 2, out: "", err: "dmasim: --trace: prints text: use it with --format text, not json\n" });
  });
});

describe("dmasim --help", () => {
  it("lists every built-in scenario id with its description, and the exit codes; exit 0", async () => {
    const r = await dmasim("--help");
    expect(r.code).toBe(0);
    const at = r.out.indexOf("Built-in scenarios (SCENARIO may also be a YAML or JSON scenario file):\n");
    expect(at).toBeGreaterThan(0);
    const ids = r.out.slice(at).split("\n").slice(1).filter((l) => l.startsWith("  ")).map((l) => l.trim().split(/\s+/)[0]);
    expect(ids.slice(0, 8)).toEqual(["seed", "s1", "s2", "s3", "s4", "s5", "s6", "s7"]);
    expect(ids).toContain("qemu-acpi-topo-gic3");
    expect(r.out).toMatch(/\n {2}seed {2,}ACPI: PCI endpoint enumerated at acpi_init before the SMMUv3 probes/);
    expect(r.out).toContain("Exit status: 0 nothing violated, 1 an invariant violated, 2 bad input or usage");
  });
});
