/**
 * boot() as a whole: determinism, the initcall placements per profile, command-line effects, custom profiles,
 * timeouts on the simulated clock, the outcome's JSON shape, and the checks as pure functions of the trace.
 */
import { describe, expect, it } from "vitest";
import {
  PROFILES,
  S1,
  boot,
  bootScenario,
  checkAll,
  defineProfile,
  generatedPlatform,
  kstrtobool,
  parseCmdline,
  platformFromQemu,
  type BootResult,
} from "@dmasim/kernel";

const TOPO = [
  "virtio-net-pci,romfile=,addr=0x1",
  "pcie-root-port,id=rp1,chassis=1,slot=1,addr=0x3",
  "e1000e,romfile=,bus=rp1",
  "pcie-root-port,id=rp2,chassis=2,slot=2,addr=0x4",
  "pcie-pci-bridge,id=pbr,bus=rp2",
  "virtio-rng-pci,bus=pbr,addr=0x1",
  "virtio-rng-pci,bus=pbr,addr=0x2",
];

function topo(firmware: "dt" | "acpi", profile = PROFILES["v6.1"], cmdline = ""): BootResult {
  const p = platformFromQemu({ firmware, devices: TOPO });
  if (!p.ok) throw new Error(p.error.message);
  const r = boot(p.value, profile, { cmdline });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe("boot", () => {
  it("is deterministic: same inputs, byte-identical trace and outcomes", () => {
    for (const profile of [PROFILES["v4.7"], PROFILES["v6.1"]]) {
      const a = bootScenario(S1, profile);
      const b = bootScenario(S1, profile);
      if (!a.ok || !b.ok) throw new Error("boot failed");
      expect(JSON.stringify(a.value.trace)).toBe(JSON.stringify(b.value.trace));
      expect(JSON.stringify(a.value.outcomes)).toBe(JSON.stringify(b.value.outcomes));
    }
  });

  it("runs the checks as pure functions of the trace: a JSON round trip gives the same verdicts", () => {
    const r = bootScenario(S1, PROFILES["v4.7"]);
    if (!r.ok) throw new Error("boot failed");
    const again = checkAll(JSON.parse(JSON.stringify(r.value.trace)), { era: PROFILES["v4.7"].driverCore, outcomes: r.value.outcomes });
    expect(again).toEqual(r.value.verdicts);
    expect(r.value.violations.length).toBeGreaterThan(0);
  });

  it("places the SMMU driver where each generation does: subsys_initcall (v4.7) vs device_initcall (v6.1)", () => {
    const levels = (r: BootResult): string | undefined =>
      (r.trace.find((e) => e.type === "initcall-start" && (e.name === "arm_smmu_init" || e.name === "arm_smmu_driver_init")) as { level?: string } | undefined)?.level;
    expect(levels(topo("acpi", PROFILES["v4.7"]))).toBe("subsys");
    expect(levels(topo("acpi", PROFILES["v6.1"]))).toBe("device");
    // ACPI: PCI is enumerated by acpi_init (subsys); DT: inside pci-host-generic's probe (device).
    const scanLevel = (r: BootResult): string => {
      let level = "";
      for (const e of r.trace) {
        if (e.type === "initcall-start") level = e.level;
        if (e.type === "pci-scan-device") return level;
      }
      return "";
    };
    expect(scanLevel(topo("acpi"))).toBe("subsys");
    expect(scanLevel(topo("dt"))).toBe("device");
  });

  it("honours iommu.passthrough and iommu.strict (identity and DMA-FQ default domains)", () => {
    expect(topo("dt", PROFILES["v6.1"], "iommu.passthrough=1").outcomes.find((o) => o.name === "0000:01:00.0")?.domainType).toBe("identity");
    expect(topo("dt", PROFILES["v6.1"], "iommu.strict=0").outcomes.find((o) => o.name === "0000:01:00.0")?.domainType).toBe("DMA-FQ");
  });

  it("a custom profile changes the mechanism: without IORT's early ACS request, ACPI groups root ports with their children", () => {
    const custom = defineProfile(PROFILES["v6.1"], { name: "v6.1-late-acs", acpi: { enableAcsAtIortInit: false } });
    if (!custom.ok) throw new Error("bad profile");
    const group = (r: BootResult, d: string): number | null => r.outcomes.find((o) => o.name === d)?.iommuGroup ?? null;
    const stock = topo("acpi");
    const late = topo("acpi", custom.value);
    expect(group(stock, "0000:00:03.0")).not.toBe(group(stock, "0000:01:00.0"));
    expect(group(late, "0000:00:03.0")).toBe(group(late, "0000:01:00.0"));
  });

  it("advances the simulated clock to the deferred-probe timeout when the SMMU never probes (v6.1, DT)", () => {
    const p = platformFromQemu({ firmware: "dt", devices: TOPO });
    if (!p.ok) throw new Error(p.error.message);
    for (const [cmdline, us] of [["", 10_000_000], ["deferred_probe_timeout=5", 5_000_000]] as const) {
      const r = boot(p.value, PROFILES["v6.1"], { cmdline, probeFailures: [{ device: "9050000.smmuv3", errno: -19, times: 100 }] });
      if (!r.ok) throw new Error(r.error.message);
      const expired = r.value.trace.find((e) => e.type === "deferred-timeout-expired");
      expect(expired?.time).toBe(us);
      const port = r.value.outcomes.find((o) => o.name === "0000:00:03.0");
      expect(port).toMatchObject({ driver: "pcieport", iommuGroup: null });
    }
  });

  it("publishes outcomes in the CLI's shape (field names exactly)", () => {
    const o = topo("dt").outcomes.find((x) => x.name === "0000:01:00.0");
    expect(Object.keys(o ?? {})).toEqual(["name", "bus", "driver", "dmaOps", "iommu", "iommuGroup", "domainType", "streamIds", "deferrals", "dma", "leaks"]);
    expect(o).toMatchObject({ bus: "pci", driver: "e1000e", dmaOps: "iommu", iommu: "9050000.smmuv3", domainType: "DMA", streamIds: [0x100] });
  });

  it("boots a generated platform: every endpoint bound behind its SMMU, one group per multifunction slot", () => {
    const p = generatedPlatform({ endpoints: 64, smmus: 4 });
    if (!p.ok) throw new Error(p.error.message);
    const r = boot(p.value, PROFILES["v6.1"], { skipChecks: true });
    if (!r.ok) throw new Error(r.error.message);
    const eps = r.value.outcomes.filter((o) => o.bus === "pci");
    expect(eps).toHaveLength(64);
    expect(eps.every((o) => o.driver === "e1000e" && o.dma.every((d) => d.outcome === "ok"))).toBe(true);
    expect(new Set(eps.map((o) => o.iommuGroup)).size).toBe(8);
    expect(new Set(eps.map((o) => o.iommu))).toEqual(new Set(["arm-smmu-v3.0.auto"]));
  });

  it("parses the command line the kernel way", () => {
    expect(parseCmdline('console=ttyAMA0 dyndbg="file x +p" iommu.strict=0 arm-smmu-v3.disable_bypass=n deferred_probe_timeout=-1')).toEqual({
      iommuStrict: false,
      smmuDisableBypass: false,
      deferredProbeTimeoutSec: -1,
      other: ["console=ttyAMA0", 'dyndbg="file x +p"'],
    });
  });
});

describe("boot without modules", () => {
  it("leaves the PCI endpoints without drivers or groups, as the real dt-noinitrd boot (no initramfs) does", () => {
    const p = platformFromQemu({ firmware: "dt", gic: 2, devices: ["virtio-net-pci,romfile=", "virtio-rng-pci"] });
    if (!p.ok) throw new Error(p.error.message);
    const r = boot(p.value, PROFILES["v6.1"], { loadModules: false });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.kernel.iommu?.sysfsGroups()).toEqual([]);
    expect(r.value.outcomes.filter((o) => o.bus === "pci").map((o) => o.driver)).toEqual([null, null, null]);
    // The SMMU itself still probes (it is built in).
    expect(r.value.outcomes.find((o) => o.name === "9050000.smmuv3")?.driver).toBe("arm-smmu-v3");
  });
});

describe("kstrtobool (lib/kstrtox.c): the first character decides", () => {
  it("y/t/1 are true and n/f/0 false whatever follows; o needs n or f next; the rest is -EINVAL", () => {
    expect(["1", "y", "Y", "yes", "yellow", "t", "true", "on", "ON"].map(kstrtobool)).toEqual(Array(9).fill(true));
    expect(["0", "n", "no", "nope", "f", "false", "off", "OFF"].map(kstrtobool)).toEqual(Array(8).fill(false));
    expect(["", "o", "ox", "2", "enable", "-1"].map(kstrtobool)).toEqual(Array(6).fill(undefined));
  });
});
