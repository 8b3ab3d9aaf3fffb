/**
 * Scenario files: every built-in file validates and its `expect` block holds under each profile it lists; the QEMU
 * ones describe exactly the boards of the recorded `.cmd` lines and expect exactly what the real logs show; a bad
 * file gives one line per problem naming the file, the field path and what was expected.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  D3_SCENARIOS,
  PROFILES,
  SEED_SCENARIO,
  bootScenario,
  builtinScenarios,
  checkExpectations,
  formatScenarioIssues,
  isProfileName,
  loadScenario,
  platformFromQemuCommandLine,
  scenarioPlatform,
} from "@dmasim/kernel";
import { FIXTURES, readRealBoot } from "./helpers/real-log";

const builtins = builtinScenarios();

describe("built-in scenario files", () => {
  it("include the seed, S1-S7, the QEMU topologies and the simple QEMU boots", () => {
    const ids = builtins.map((b) => b.id);
    expect(ids.slice(0, 8)).toEqual(["seed", "s1", "s2", "s3", "s4", "s5", "s6", "s7"]);
    expect(ids).toEqual(expect.arrayContaining(["qemu-dt-topo-gic3", "qemu-acpi-topo-gic3", "qemu-dt-initrd", "qemu-acpi-initrd"]));
    expect(SEED_SCENARIO.name).toBe("seed-acpi-pci-before-smmu");
    expect(D3_SCENARIOS.map((s) => s.name)).toEqual(builtins.filter((b) => b.kind === "d3").map((b) => b.scenario.name));
  });

  describe.each(builtins.map((b) => [b.id, b] as const))("%s", (_id, b) => {
    const profiles = Object.keys(b.scenario.expect ?? {}).filter(isProfileName);
    it("has an expect block", () => expect(profiles.length).toBeGreaterThan(0));
    it.each(profiles)("boots as expected under %s", (profile) => {
      const r = bootScenario(b.scenario, PROFILES[profile]);
      if (!r.ok) throw new Error(r.error.message);
      expect(checkExpectations(b.scenario, profile, r.value)).toEqual([]);
    });
  });
});

describe("QEMU scenario files against the recorded boots", () => {
  const qemu = builtins.filter((b) => b.kind === "qemu");
  const recorded = (id: string): string => id.replace(/^qemu-/, "");
  it.each(qemu.map((b) => [b.id, b] as const))("%s: same board as the .cmd, expect block = the real log's listing", (id, b) => {
    const real = readRealBoot(recorded(id));
    const fromCmd = platformFromQemuCommandLine(real.cmd);
    const fromFile = scenarioPlatform(b.scenario);
    if (!fromCmd.ok || !fromFile.ok) throw new Error("platform");
    expect(JSON.stringify(fromFile.value.board)).toBe(JSON.stringify(fromCmd.value.board));
    const types = new Map(real.groups.flatMap((g) => g.devices.map((d) => [d, g.type] as const)));
    const want = Object.fromEntries(real.pci.map((d) => [d.name, { driver: d.driver, iommuGroup: d.group, domainType: types.get(d.name) ?? null }]));
    expect(b.scenario.expect?.["v6.1"]?.devices).toEqual(want);
  });
});

function writeScenario(name: string, text: string, extra: Record<string, Uint8Array> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "dmasim-scenario-"));
  for (const [f, bytes] of Object.entries(extra)) writeFileSync(join(dir, f), bytes);
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problems(name: string, text: string, extra: Record<string, Uint8Array> = {}): string {
  const r = loadScenario(writeScenario(name, text, extra));
  if (r.ok) throw new Error("expected the scenario to be rejected");
  return formatScenarioIssues(r.error);
}

const SEED_TEXT = readFileSync(resolve(import.meta.dirname, "../scenarios/seed.yaml"), "utf8");

describe("bad scenario files", () => {
  it("name the file, the field path and what was expected (the issue's example)", () => {
    const text = `name: seed
firmware: acpi
board: { qemu-virt: { devices: ["pcie-root-port,id=rp1,chassis=1", "e1000e,romfile=,bus=rp1"] } }
drivers:
  - { name: a, matches: ["pci:8086:10d3"], load: builtin }
  - name: e1000e
    matches: ["pci:8086:10d3"]
    load: builtin
    probe:
      - { result: EPROBE_DEFERRED }
`;
    expect(problems("seed.yaml", text)).toBe('seed.yaml: drivers[1].probe[0].result: expected an errno name or 0, got "EPROBE_DEFERRED"');
  });

  it("report every problem, one per line: misspelt keys with a suggestion, bad values, missing fields", () => {
    const text = `name: x
firmware: dtt
board: { qemu-virt: { iommu: smmuv3, gic: 4 } }
drivers:
  - name: d
    matches: ["usb:1234"]
    lod: module
    probe:
      - { result: 0, dma: [{ op: alloc-coherent, size: 4096, dirr: to-device }], until: ["bond:x"] }
actions:
  - { unbnd: "0000:01:00.0" }
  - { remove: 3 }
profiles: [v4.8-notbound]
`;
    expect(problems("x.yaml", text).split("\n")).toEqual([
      'x.yaml: firmware: expected a firmware kind (acpi, dt), got "dtt" (did you mean "dt"?)',
      "x.yaml: board.qemu-virt.gic: expected 2 or 3, got 4",
      'x.yaml: drivers[0].matches: unknown match "usb:1234" (pci:, pci-class:, of:, platform:)',
      "x.yaml: drivers[0].load: missing (expected how the driver is loaded (builtin, module))",
      'x.yaml: drivers[0].probe[0].dma[0].dirr: unknown field "dirr" (did you mean "dir"?)',
      'x.yaml: drivers[0].probe[0].until[0]: expected bound:DEVICE, registered:DEVICE or after-late, got "bond:x"',
      'x.yaml: drivers[0].lod: unknown field "lod" (did you mean "load"?)',
      'x.yaml: actions[0].unbnd: unknown action "unbnd" (did you mean "unbind"?)',
      "x.yaml: actions[1].remove: expected a string, got 3",
      'x.yaml: profiles[0]: expected a profile (v4.7, v4.8, v4.8-not-bound, v4.12, v6.1), got "v4.8-notbound" (did you mean "v4.8-not-bound"?)',
    ]);
  });

  it("check device names against the board", () => {
    const text = SEED_TEXT.replace("profiles:", 'actions:\n  - { unbind: "0000:01:00.1" }\nprofiles:');
    expect(problems("seed.yaml", text)).toBe('seed.yaml: actions[0].unbind: no device "0000:01:00.1" on this board (did you mean "0000:01:00.0"?)');
  });

  it("report the board's own errors with the field (a bad -device argument)", () => {
    const text = SEED_TEXT.replace('"e1000e,romfile=,bus=rp1"', '"e1000e,romfile=,bus=rp9"');
    expect(problems("seed.yaml", text)).toMatch(/^seed\.yaml: board\.qemu-virt\.devices\[1\]: .*rp9/);
  });

  it("report a missing DTB, and a bad one with its file and byte offset through firmware's formatter", () => {
    const text = "name: d\nfirmware: dt\nboard: { dtb: board.dtb }\n";
    expect(problems("d.yaml", text)).toBe("d.yaml: board.dtb: cannot read board.dtb");
    expect(problems("d.yaml", text, { "board.dtb": new Uint8Array([0xd0, 0x0d, 0xfe, 0xef, 0, 0, 0, 0x28]) })).toMatch(/^d\.yaml: board\.dtb: board\.dtb: offset 0x[0-9a-f]+: \S+: /);
  });

  it("report YAML syntax errors with the line, and take JSON by extension", () => {
    expect(problems("y.yaml", "name: [unclosed\n")).toMatch(/^y\.yaml: bad YAML: line \d+, column \d+: /);
    expect(problems("j.json", "{ name: 1 }")).toMatch(/^j\.json: bad JSON: /);
    const ok = loadScenario(writeScenario("ok.json", JSON.stringify({ name: "j", firmware: "dt", board: { "qemu-virt": {} } })));
    expect(ok.ok).toBe(true);
  });

  it("read DTB and IORT boards relative to the scenario file (the vendored QEMU 7.2 IORT)", () => {
    const iort = readFileSync(join(FIXTURES, "iort/qemu72-acpi-topo-gic3.IORT.bin"));
    const r = loadScenario(writeScenario("i.yaml", "name: i\nfirmware: acpi\nboard: { iort: q.bin, pci: [\"e1000e,romfile=\"] }\nactions: [{ unbind: \"0000:00:01.0\" }]\n", { "q.bin": iort }));
    if (!r.ok) throw new Error(formatScenarioIssues(r.error));
    expect("iort" in r.value.board && r.value.board.iort.length).toBe(iort.length);
  });
});
