/**
 * Unbind, a DMA from the now driverless device, then removal (sysfs unbind + remove), DT board, each profile:
 * what stays configured, what the DMA reaches, what the SMMU's STE becomes and what is left queued.
 */
import { describe, expect, it } from "vitest";
import { PROFILE_NAMES, type ProfileName, type Scenario } from "@dmasim/kernel";
import { records, run, status } from "./helpers/scenario";

const E = "0000:01:00.0";
const SCENARIO: Scenario = {
  name: "unbind-dma-remove",
  firmware: "dt",
  board: { qemuVirt: { iommu: "smmuv3", gic: 3, devices: ["pcie-root-port,id=rp1,chassis=1,slot=1,addr=0x3", "e1000e,romfile=,bus=rp1"] } },
  drivers: [{ name: "e1000e", matches: ["pci:8086:10d3"], load: "module", probe: [{ dma: [{ op: "alloc-coherent", size: 4096 }], result: 0, msi: true }] }],
  actions: [{ unbind: E }, { dma: { device: E, ops: [{ op: "alloc-coherent", size: 4096 }] } }, { remove: E }],
};

const expected: Record<ProfileName, { ops: string; outcome: string; ste: string; clean: string; driverless: string; queue: string }> = {
  // P1 keeps iommu-dma after unbind (I-CLEAN by design), so the driverless DMA still works.
  "v4.7": { ops: "iommu", outcome: "ok", ste: "bypass", clean: "fail", driverless: "pass", queue: "pass" },
  "v4.8": { ops: "iommu", outcome: "ok", ste: "bypass", clean: "fail", driverless: "pass", queue: "pass" },
  // The hypothetical cleanup restores swiotlb and re-queues: the driverless DMA goes wrong, the entry outlives the device.
  "v4.8-not-bound": { ops: "swiotlb", outcome: "fault", ste: "bypass", clean: "pass", driverless: "fail", queue: "fail" },
  "v4.12": { ops: "dummy", outcome: "failed", ste: "bypass", clean: "pass", driverless: "fail", queue: "pass" },
  // 6.1 tears the ops down (dma-direct) but the stream still goes through the DMA domain until removal (abort STE).
  "v6.1": { ops: "direct", outcome: "fault", ste: "abort", clean: "pass", driverless: "fail", queue: "pass" },
};

describe.each(PROFILE_NAMES)("unbind, driverless DMA, remove under %s", (profile) => {
  const r = run(SCENARIO, profile);
  const want = expected[profile];
  it("the DMA after unbind goes through the ops the era leaves", () => {
    const dma = records(r, "dma-action", E).at(-1);
    expect(dma).toMatchObject({ driver: null, bound: false, ops: want.ops, outcome: want.outcome });
  });
  it("removal rewrites the stream's STE (bypass with disable_bypass=0 in v4.x, abort in 6.1)", () => {
    const ste = records(r, "arm-smmu-ste").filter((s) => s.sid === 0x100).map((s) => s.config);
    expect(ste.at(-1)).toBe(want.ste);
    expect(status(r, "I-LEAK")).toBe("pass");
  });
  it("verdicts: I-CLEAN, I-DRIVERLESS, I-QUEUE-HYGIENE", () => {
    expect([status(r, "I-CLEAN"), status(r, "I-DRIVERLESS"), status(r, "I-QUEUE-HYGIENE")]).toEqual([want.clean, want.driverless, want.queue]);
  });
});
