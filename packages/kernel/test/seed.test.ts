/**
 * The seed scenario (DESIGN.md): an ACPI QEMU board whose e1000e is enumerated at acpi_init, before its SMMUv3 probes.
 * Under v4.7 the endpoint's first DMA goes wrong in the SMMU; under v4.12 the same DMA reaches its buffer through the
 * IOMMU.
 */
import { describe, expect, it } from "vitest";
import { PROFILE_NAMES, SEED_SCENARIO, SCENARIO_ENDPOINT as E } from "@dmasim/kernel";
import { outcome, records, run } from "./helpers/scenario";

describe("seed scenario", () => {
  it("v4.7: the first DMA uses a physical address as IOVA and faults in the SMMU (F_TRANSLATION on the endpoint's stream)", () => {
    const r = run(SEED_SCENARIO, "v4.7");
    const first = records(r, "dma-action", E)[0];
    expect(first).toMatchObject({ op: "alloc-coherent", ops: "swiotlb", outcome: "fault", eventId: 0x10, streamId: 0x100 });
    expect(first?.dmaAddr).toBe(first?.pa); // swiotlb: the bus address is the physical address
    // The SMMU recorded the fault at that address, and the driver's event thread logged it.
    const evt = r.trace.find((e) => e.type === "smmu-event") as { sid: number; inputAddr: number; id: number } | undefined;
    expect(evt).toMatchObject({ id: 0x10, sid: 0x100, inputAddr: first?.dmaAddr });
    const lines = r.trace.filter((e) => e.type === "printk").map((e) => (e as { text: string }).text);
    expect(lines).toContain("event 0x10 received:");
    // The endpoint sits in a DMA domain the whole time: the STE points at an empty page table.
    expect(outcome(r, E)).toMatchObject({ driver: "e1000e", dmaOps: "swiotlb", domainType: "DMA" });
  });

  it("v4.12: the same DMA reaches its buffer through the IOMMU", () => {
    const r = run(SEED_SCENARIO, "v4.12");
    const first = records(r, "dma-action", E)[0];
    expect(first).toMatchObject({ op: "alloc-coherent", ops: "iommu", outcome: "ok", route: "iommu-translated", streamId: 0x100 });
    expect(first?.reachedPa).toBe(first?.pa);
    expect(first?.dmaAddr).not.toBe(first?.pa); // an IOVA, translated by the SMMU to the buffer
    expect(r.trace.some((e) => e.type === "smmu-event")).toBe(false);
  });

  it("per profile: what the endpoint's DMA reached", () => {
    const got = Object.fromEntries(PROFILE_NAMES.map((p) => [p, outcome(run(SEED_SCENARIO, p), E).dma.map((d) => `${d.op}:${d.outcome}`)]));
    expect(got).toEqual({
      "v4.7": ["alloc-coherent:fault", "map-single:fault", "msi:fault"],
      "v4.8": ["alloc-coherent:ok", "map-single:ok", "msi:ok"],
      "v4.8-not-bound": ["alloc-coherent:ok", "map-single:ok", "msi:ok"],
      "v4.12": ["alloc-coherent:ok", "map-single:ok", "msi:ok"],
      "v6.1": ["alloc-coherent:ok", "map-single:ok", "msi:ok"],
    });
  });
});
