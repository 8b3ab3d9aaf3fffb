/**
 * Bad input never crashes the driver: any ID register values give 0 or a negative errno from probe (and a probe that
 * fails leaves no memory behind); unbinding the SMMU disables it and gives every frame back (I-LEAK).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSmmuV3, type SmmuV3 } from "@dmasim/iommu/smmuv3-hw";
import { IommuDomainType } from "../src/core/iommu-ops";
import type { ArmSmmuDomain } from "../src/arm-smmu-v3/domain";
import { SMMU_BASE, SmmuDriverTestKernel } from "../src/arm-smmu-v3/test-support";

/** A kernel whose SMMU reports the given ID registers (everything else is the QEMU model). */
function withIdRegs(idr: Record<number, number>): { k: SmmuDriverTestKernel; hw: () => SmmuV3 } {
  let hw: SmmuV3 | null = null;
  const k = new SmmuDriverTestKernel({
    createHw: (memory, irq) => {
      const h = createSmmuV3({ name: "9050000.smmuv3", memory, irq });
      hw = h;
      return {
        read32: (off) => idr[off] ?? h.read32(off),
        write32: (off, v) => h.write32(off, v),
        read64: (off) => h.read64(off),
        write64: (off, v) => h.write64(off, v),
        translate: (t) => h.translate(t),
      };
    },
    frameBytes: 0x800000,
  });
  return {
    k,
    hw: () => {
      if (hw === null) throw new Error("hw");
      return hw;
    },
  };
}

describe("probe against arbitrary ID registers", () => {
  it("returns 0 or a negative errno and never throws; a failed probe leaves no frames", () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(u32, u32, u32, u32, (idr0, idr1, idr3, idr5) => {
        const { k } = withIdRegs({ 0x0: idr0, 0x4: idr1, 0xc: idr3, 0x14: idr5 });
        const ret = k.probeSmmu();
        expect(Number.isInteger(ret) && ret <= 0).toBe(true);
        if (ret !== 0) expect(k.frames.outstanding()).toEqual([]);
        // A successful probe's first line: the COHACC mismatch warning, the unknown-OAS notice
        // (arm_smmu_device_hw_probe prints it before the ias/oas line), or the ias/oas line itself.
        else expect(k.log()[0]).toMatch(/^arm-smmu-v3 9050000\.smmuv3: (ias \d+-bit|IDR0\.COHACC|unknown output address size)/);
      }),
      { numRuns: 150 },
    );
  });

  it("reads an unknown OAS encoding as 48 bits, as the kernel does", () => {
    const { k } = withIdRegs({ 0x14: 0x77 });
    expect(k.probeSmmu()).toBe(0);
    expect(k.log().slice(0, 2)).toEqual([
      "arm-smmu-v3 9050000.smmuv3: unknown output address size. Truncating to 48-bit",
      "arm-smmu-v3 9050000.smmuv3: ias 48-bit, oas 48-bit (features 0x00008305)",
    ]);
  });

  it("takes IAS 40 from an AArch32+64 table format, then max(ias, oas)", () => {
    const { k } = withIdRegs({ 0x0: 0x0d44101a | (3 << 2), 0x14: 0x72 });
    expect(k.probeSmmu()).toBe(0);
    expect(k.log()[0]).toBe("arm-smmu-v3 9050000.smmuv3: ias 40-bit, oas 40-bit (features 0x00008305)");
  });

  it("a probe without resources, or without a memory resource, is -EINVAL", () => {
    const { k } = withIdRegs({});
    expect(k.probeSmmu({ ...k.resources(), mem: null })).toBe(-22);
    expect(k.frames.outstanding()).toEqual([]);
  });
});

describe("unbinding the SMMU", () => {
  it("disables it (CR0 = 0) and frees the queues, the stream tables and a domain's CD table", () => {
    const { k, hw } = withIdRegs({});
    expect(k.probeSmmu()).toBe(0);
    const dev = k.addMaster("dma0", [0x10]);
    k.probeMaster(dev);
    const d = k.driver.ops.domainAlloc(IommuDomainType.DMA) as ArmSmmuDomain;
    d.pgsizeBitmap = k.driver.ops.pgsizeBitmap;
    k.driver.domainOps.attachDev(d, dev);
    k.driver.ops.releaseDevice?.(dev);
    k.driver.domainOps.free(d);
    expect(k.frames.outstanding().map((a) => a.owner)).toEqual(["smmu-cmdq", "smmu-evtq", "smmu-strtab", "smmu-strtab-l2"]);
    const smmuDev = k.smmuDev;
    if (smmuDev === null) throw new Error("dev");
    k.core.deviceReleaseDriver(smmuDev);
    expect(hw().registers().cr0).toBe(0);
    expect(k.frames.outstanding()).toEqual([]);
    expect(k.iommu.registered).toEqual([]);
    expect(k.driver.instances).toEqual([]);
    // With SMMUEN = 0 and GBPA.ABORT = 0 (QEMU's reset value), DMA now bypasses.
    expect(k.mmio.read32(SMMU_BASE + 0x44)).toBe(0x1000);
  });
});
