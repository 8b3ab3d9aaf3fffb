import { describe, expect, it } from "vitest";
import { DRIVER_CORE_ERAS } from "@dmasim/driver-core";
import { PROFILES, PROFILE_NAMES, defineProfile } from "@dmasim/kernel";

describe("profiles", () => {
  it("are the five generations, in order, with the hypothetical one labelled", () => {
    expect(PROFILE_NAMES).toEqual(["v4.7", "v4.8", "v4.8-not-bound", "v4.12", "v6.1"]);
    expect(PROFILES["v4.8-not-bound"].hypothetical).toBe(true);
    expect(PROFILES["v4.8-not-bound"].label).toMatch(/hypothetical, never merged/);
    expect(PROFILE_NAMES.filter((n) => PROFILES[n].hypothetical)).toEqual(["v4.8-not-bound"]);
  });

  it("differ where the kernels differ (§c): the DMA policy, where DMA is configured, the SMMU initcall", () => {
    expect(PROFILE_NAMES.map((n) => PROFILES[n].arm64DmaSetup)).toEqual(["v4.7", "v4.8", "v4.8-not-bound", "v4.12", "v6.1"]);
    expect(PROFILE_NAMES.map((n) => PROFILES[n].pci.dmaConfigureAt)).toEqual(["device-add", "device-add", "device-add", "probe", "probe"]);
    expect(PROFILE_NAMES.map((n) => PROFILES[n].platformDmaConfigure)).toEqual(["creation", "creation", "creation", "probe", "probe"]);
    expect(PROFILE_NAMES.map((n) => PROFILES[n].smmuDriver.initcall)).toEqual(["subsys", "subsys", "subsys", "device", "device"]);
    expect(PROFILE_NAMES.map((n) => PROFILES[n].iommu.busNotifierReturn)).toEqual(["raw-errno", "raw-errno", "raw-errno", "done-ok", "done-ok"]);
    expect(PROFILES["v4.8"].driverCore).toBe(DRIVER_CORE_ERAS["v4.7"]);
    expect(PROFILES["v6.1"].driverCore.deferredProbeTimeoutUs).toBe(10_000_000);
    expect(PROFILE_NAMES.map((n) => PROFILES[n].smmuDriver.era.disableBypassDefault)).toEqual([false, false, false, false, true]);
  });
});

describe("defineProfile", () => {
  it("overrides switches and labels the result as custom", () => {
    const r = defineProfile(PROFILES["v4.12"], { name: "v4.12-late-acs", acpi: { enableAcsAtIortInit: false } });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.acpi).toEqual({ opsAtCreation: false, enableAcsAtIortInit: false, configureAtCreation: "iommu-core" });
    expect(r.value.iommu).toBe(PROFILES["v4.12"].iommu);
    expect(r.value.label).toBe("v4.12-late-acs (custom, from v4.12)");
  });

  it("rejects unknown switches and wrong values, naming each path", () => {
    const r = defineProfile(PROFILES["v6.1"], {
      iommu: { probePth: "x" } as never,
      arm64DmaSetup: "sometimes" as never,
      smmuDriver: { builtin: "yes" as never, buses: ["isa"] as never },
      driverCore: { deferredProbeTimeoutUs: -5 },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.map((e) => e.path)).toEqual(["iommu.probePth", "arm64DmaSetup", "smmuDriver.builtin", "smmuDriver.buses", "driverCore.deferredProbeTimeoutUs"]);
    expect(r.error[1]?.message).toMatch(/expected one of "v4.7"/);
  });

  it("accepts a null timeout (no timeout work) where the base has a number", () => {
    const r = defineProfile(PROFILES["v6.1"], { driverCore: { deferredProbeTimeoutUs: null } });
    expect(r.ok && r.value.driverCore.deferredProbeTimeoutUs).toBe(null);
  });
});
