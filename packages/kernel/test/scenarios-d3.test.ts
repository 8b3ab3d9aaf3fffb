/**
 * kernel-behaviour.md §(d.3): S1–S7 under all five profiles, each asserting the verdicts §(d.3) expects and the
 * mechanism that produces them (the events that show it). Nothing in the model knows these scenarios: the verdicts
 * come from initcall levels, link order, the arm64 setup of the era, the IOMMU core and the SMMUv3 driver/hardware.
 */
import { describe, expect, it } from "vitest";
import { PROFILE_NAMES, S1, S2, S3, S4, S5, S6, S7, SCENARIO_ENDPOINT as E, type ProfileName } from "@dmasim/kernel";
import { outcome, records, run, status, walks, type Rec } from "./helpers/scenario";

const F_TRANSLATION = 0x10;
const old = (p: ProfileName): boolean => p === "v4.7" || p === "v4.8" || p === "v4.8-not-bound";

describe.each(PROFILE_NAMES)("S1 ACPI ordering under %s", (profile) => {
  const r = run(S1, profile);
  const probeState = records(r, "probe-dma-state", E)[0];

  it("I-PROBE fails only under v4.7: the endpoint probes with swiotlb ops behind its SMMU's DMA domain", () => {
    expect(status(r, "I-PROBE")).toBe(profile === "v4.7" ? "fail" : "pass");
    if (profile === "v4.7") {
      expect(probeState).toMatchObject({ ops: "swiotlb", behindIommu: "arm-smmu-v3.0.auto", domainType: "DMA" });
      // Its attach was queued at creation (acpi_init) and the queue was not drained: bus_set_iommu made the group
      // through add_device, not through an ADD_DEVICE event.
      const adds = records(r, "iommu-dma-queue").filter((q) => q.op === "add" && q.device === E);
      expect(adds).toHaveLength(1);
      const dma = records(r, "dma-action", E)[0];
      expect(dma).toMatchObject({ ops: "swiotlb", outcome: "fault", eventId: F_TRANSLATION, streamId: 0x100 });
    }
  });

  it("passes under v4.12 and v6.1 by deferral: dma_configure returned -EPROBE_DEFER until the SMMU registered", () => {
    if (profile !== "v4.12" && profile !== "v6.1") return;
    const configures = records(r, "dma-configure", E).map((c) => c.ret);
    expect(configures[0]).toBe(-517);
    expect(configures.at(-1)).toBe(0);
    expect(outcome(r, E).deferrals).toBeGreaterThanOrEqual(1);
    expect(probeState).toMatchObject({ ops: "iommu", domainType: "DMA" });
  });

  it("I-STABLE fails only under v4.7: the PCI rescan's ADD_DEVICE drains the queue under the bound driver", () => {
    expect(status(r, "I-STABLE")).toBe(profile === "v4.7" ? "fail" : "pass");
    if (profile === "v4.7") {
      const change = records(r, "dma-ops-set", E).find((o) => o.to === "iommu");
      expect(change).toMatchObject({ from: "swiotlb", reason: "do_iommu_attach", bound: true });
    }
  });
});

describe.each(PROFILE_NAMES)("S2 failed-probe leak under %s", (profile) => {
  const r = run(S2, profile);
  it("I-CLEAN fails under v4.8 (and v4.7, by design); passes under v4.8-not-bound, v4.12, v6.1", () => {
    expect(status(r, "I-CLEAN")).toBe(profile === "v4.7" || profile === "v4.8" ? "fail" : "pass");
    expect(outcome(r, E).driver).toBeNull();
  });
  it("shows the mechanism: BIND → probe → DRIVER_NOT_BOUND, and what each era does after it", () => {
    if (profile === "v6.1") return; // modern: NOT_BOUND then dma_cleanup and device_unbind_cleanup
    expect(walks(r, "DRIVER_NOT_BOUND", E)).toHaveLength(1);
    const last = records(r, "dma-ops-set", E).at(-1);
    if (profile === "v4.8") expect(outcome(r, E).dmaOps).toBe("iommu");
    if (profile === "v4.8-not-bound") expect(last).toMatchObject({ from: "iommu", to: "swiotlb", reason: "not-bound-cleanup" });
    if (profile === "v4.12") {
      expect(records(r, "dma-deconfigure", E).map((d) => d.fn)).toContain("dma_deconfigure");
      expect(outcome(r, E).dmaOps).toBe("dummy");
    }
  });
  it("reports the buffers the failed probe left mapped (I-LEAK) unless the hypothetical cleanup unmapped them", () => {
    expect(status(r, "I-LEAK")).toBe(profile === "v4.8-not-bound" ? "pass" : "fail");
  });
});

describe.each(PROFILE_NAMES)("S3 deferred probe under %s", (profile) => {
  const r = run(S3, profile);
  it("binds on the retry with iommu-dma ops in every era", () => {
    expect(outcome(r, E)).toMatchObject({ driver: "e1000e", dmaOps: "iommu" });
    const results = records(r, "probe-script", E).map((s) => s.result);
    expect(results.at(-1)).toBe(0);
    expect(results.slice(0, -1).every((x) => x === -517) && results.length >= 2).toBe(true);
    expect(outcome(r, E).dma.map((d) => d.outcome)).toEqual(["ok", "ok"]);
  });
  it("I-CLEAN fails between the attempts under v4.8 (and v4.7); v4.8-not-bound restores and re-queues", () => {
    expect(status(r, "I-CLEAN")).toBe(profile === "v4.7" || profile === "v4.8" ? "fail" : "pass");
    if (profile === "v4.8") {
      // The retry's BIND finds no entry: the first attempt's attach was kept, correct by accident.
      const binds = records(r, "iommu-dma-queue-drain").filter((d) => d.data === E);
      expect(binds.map((b) => (b.attached as readonly string[]).length)).toEqual([1, ...binds.slice(1).map(() => 0)]);
    }
    if (profile === "v4.8-not-bound") {
      // Each BIND takes the entry (attach), each failed attempt's NOT_BOUND puts it back: add, then remove/requeue pairs.
      const ops = records(r, "iommu-dma-queue").filter((q) => q.device === E).map((q) => q.op);
      expect(ops[0]).toBe("add");
      expect(ops.slice(1)).toEqual(ops.slice(1).map((_, i) => (i % 2 === 0 ? "remove" : "requeue")));
      expect(ops.at(-1)).toBe("remove");
    }
  });
});

describe.each(PROFILE_NAMES)("S4 driverless child under %s", (profile) => {
  const r = run(S4, profile);
  const child = "a101000.port";
  const expected: Record<ProfileName, { ops: string; outcome: string }> = {
    "v4.7": { ops: "iommu", outcome: "ok" },
    "v4.8": { ops: "swiotlb", outcome: "fault" },
    "v4.8-not-bound": { ops: "swiotlb", outcome: "fault" },
    "v4.12": { ops: "dummy", outcome: "failed" },
    "v6.1": { ops: "direct", outcome: "fault" },
  };
  it("works under v4.7, gets wrong addresses under v4.8, fails cleanly under v4.12", () => {
    const dma = records(r, "dma-action", child)[0];
    expect(dma).toMatchObject({ driver: null, bound: false, ...expected[profile] });
    if (profile === "v4.8") expect(dma?.eventId).toBe(F_TRANSLATION);
  });
  it("I-DRIVERLESS flags every profile but v4.7", () => {
    expect(status(r, "I-DRIVERLESS")).toBe(profile === "v4.7" ? "pass" : "fail");
  });
});

describe.each(PROFILE_NAMES)("S5 probe-time deferral under %s", (profile) => {
  const r = run(S5, profile);
  it("I-PROBE holds from v4.8 on (fails under v4.7: the queue was not drained)", () => {
    expect(status(r, "I-PROBE")).toBe(profile === "v4.7" ? "fail" : "pass");
  });
  it("v4.12: the first really_probe gives DRIVER_NOT_BOUND without BIND_DRIVER; modern gives neither", () => {
    if (profile !== "v4.12" && profile !== "v6.1") return;
    const first = records(r, "really-probe", E)[0] as Rec;
    const end = records(r, "really-probe-end", E)[0] as Rec;
    const inFirst = (a: string): number => walks(r, a, E).filter((w) => (w[0]?.seq ?? 0) > first.seq && (w[0]?.seq ?? 0) < end.seq).length;
    expect(inFirst("BIND_DRIVER")).toBe(0);
    expect(inFirst("DRIVER_NOT_BOUND")).toBe(profile === "v4.12" ? 1 : 0);
    // Pending until the late_initcall trigger, then BIND → probe with iommu-dma ops → BOUND.
    const retry = records(r, "deferred-retry", E)[0] as Rec;
    const late = records(r, "initcall-start").find((i) => i.name === "deferred_probe_initcall") as Rec;
    expect(retry.seq).toBeGreaterThan(late.seq);
    expect(records(r, "probe-dma-state", E)[0]).toMatchObject({ ops: "iommu", domainType: "DMA" });
    expect(outcome(r, E).driver).toBe("e1000e");
  });
});

describe.each(PROFILE_NAMES)("S6 dangling queue entry under %s", (profile) => {
  const r = run(S6, profile);
  it("I-QUEUE-HYGIENE fails under the queue eras (the destroyed master stays queued), passes from v4.12", () => {
    expect(status(r, "I-QUEUE-HYGIENE")).toBe(old(profile) ? "fail" : "pass");
    if (old(profile)) expect(records(r, "attach-queue-final")[0]?.queue).toContain("a100000.dma");
  });
});

describe.each(PROFILE_NAMES)("S7 notifier chain stop under %s", (profile) => {
  const r = run(S7, profile);
  const child = "a300000.bus:child";
  it("the IOMMU's raw -ENODEV stops the child's ADD_DEVICE walk: before arm64's -100 notifier under v4.7", () => {
    const [walk] = walks(r, "ADD_DEVICE", child);
    const called = (walk ?? []).filter((e) => e.type === "notifier-call").map((e) => e.block);
    const end = (walk ?? []).at(-1);
    if (profile === "v4.7") {
      expect(called).toEqual(["iommu_bus_notifier"]);
      expect(end).toMatchObject({ stopped: true, ret: -19 });
    } else if (old(profile)) {
      // v4.8's notifier sits at priority 0, registered first: it runs (and ignores ADD_DEVICE) before the stop.
      expect(called).toEqual(["__iommu_attach_notifier", "iommu_bus_notifier"]);
      expect(end).toMatchObject({ stopped: true, ret: -19 });
    } else {
      expect(end).toMatchObject({ stopped: false });
    }
  });
  it("so under v4.7 the master probes with swiotlb ops and switches to iommu-dma under its driver at the PCI scan", () => {
    expect(status(r, "I-PROBE")).toBe(profile === "v4.7" ? "fail" : "pass");
    expect(status(r, "I-STABLE")).toBe(profile === "v4.7" ? "fail" : "pass");
  });
});
