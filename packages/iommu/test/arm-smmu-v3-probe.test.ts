/**
 * arm-smmu-v3 probe on the SMMUv3 hardware model: the hardware probe checks and features (smmuv3-model.md §1.3), queue
 * sizing, the 2-level stream table, and the reset sequence (§1.4) as the register values and commands the hardware
 * holds and executed afterwards, against the real 6.1 boot log on QEMU 7.2.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createSmmuV3, type SmmuV3, type SmmuV3ConfigInput, type SmmuHwEvent } from "@dmasim/iommu/smmuv3-hw";
import type { MmioHandler, PhysicalMemory } from "@dmasim/machine";
import { ARM_SMMU_V3_ERAS } from "../src/arm-smmu-v3/era";
import { SMMU_BASE, SmmuDriverTestKernel, type SmmuDriverTestKernelOptions, type TestIrqLines } from "../src/arm-smmu-v3/test-support";

const ORACLE = new URL("../../../fixtures/qemu-boots/", import.meta.url);

/** The SMMU's own lines of a real boot log, timestamps stripped. */
function realSmmuLines(log: string, prefix: string): string[] {
  return readFileSync(new URL(log, ORACLE), "utf8")
    .replace(/\r/g, "")
    .split("\n")
    .map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ""))
    .filter((l) => l.startsWith(`${prefix}: `) && !l.includes("device is"));
}

let hwRef: SmmuV3 | null = null;
function kernel(config: SmmuV3ConfigInput = {}, opts: Partial<SmmuDriverTestKernelOptions> = {}, wrap?: (h: SmmuV3) => MmioHandler): SmmuDriverTestKernel {
  let k: SmmuDriverTestKernel | null = null;
  k = new SmmuDriverTestKernel({
    createHw: (memory: PhysicalMemory, irq: TestIrqLines) => {
      const hw = createSmmuV3({ name: "9050000.smmuv3", memory, config, irq, trace: { emit: (e: SmmuHwEvent) => k?.trace.emit(e) } });
      hwRef = hw;
      if (wrap === undefined) return hw;
      const w = wrap(hw);
      return { ...w, translate: (t) => hw.translate(t) };
    },
    ...opts,
  });
  return k;
}
const hwOf = (): SmmuV3 => {
  if (hwRef === null) throw new Error("no hw");
  return hwRef;
};

/** Overrides some register reads of the hardware (an SMMU with other ID registers than the model offers). */
function withRegs(over: Record<number, number>): (h: SmmuV3) => MmioHandler {
  return (h) => ({
    read32: (off) => over[off] ?? h.read32(off),
    write32: (off, v) => h.write32(off, v),
    read64: (off) => h.read64(off),
    write64: (off, v) => h.write64(off, v),
  });
}

describe("probe on QEMU 7.2's SMMUv3", () => {
  it("logs exactly the three lines of the real 6.1 DT boot", () => {
    const k = kernel();
    expect(k.probeSmmu()).toBe(0);
    const real = realSmmuLines("dt-initrd.log", "arm-smmu-v3 9050000.smmuv3");
    expect(real).toEqual([
      "arm-smmu-v3 9050000.smmuv3: ias 44-bit, oas 44-bit (features 0x00008305)",
      "arm-smmu-v3 9050000.smmuv3: allocated 65536 entries for cmdq",
      "arm-smmu-v3 9050000.smmuv3: allocated 32768 entries for evtq",
    ]);
    expect(k.log()).toEqual(real);
  });

  it("under ACPI prints the option mask first, as the ACPI boot does", () => {
    const k = kernel();
    const res = k.resources({ firmware: { kind: "acpi", model: 0, cohaccOverride: true } });
    expect(k.probeSmmu(res, "arm-smmu-v3.0.auto")).toBe(0);
    expect(k.log()).toEqual(realSmmuLines("acpi-initrd.log", "arm-smmu-v3 arm-smmu-v3.0.auto"));
  });

  it("leaves the hardware enabled as §1.4 says: CR0 0xD, CR1 0xD75, CR2 0x6, 2-level stream table 0x10210", () => {
    const k = kernel();
    k.probeSmmu();
    const r = hwOf().registers();
    const smmu = k.driver.instances[0];
    if (smmu === undefined) throw new Error("no instance");
    expect(r.cr0).toBe(0xd);
    expect(r.cr0ack).toBe(0xd);
    expect(r.cr1).toBe(0xd75);
    expect(r.cr2).toBe(0x6);
    expect(r.gbpa).toBe(0x1000);
    expect(r.irqCtrl).toBe(0x5);
    expect(r.strtabBaseCfg).toBe(0x10210);
    expect(r.twoLevel).toBe(true);
    expect(r.sidSplit).toBe(8);
    // STRTAB_BASE = RA | address; queue bases = RWA | address | LOG2SIZE (Q_BASE_RWA is bit 62).
    expect(r.strtabBase).toBe((1n << 62n) | BigInt(smmu.strtab.strtab));
    expect(r.cmdq.base).toBe((1n << 62n) | BigInt(smmu.cmdq.base) | 16n);
    expect(r.cmdq.log2size).toBe(16);
    expect(r.eventq.base).toBe((1n << 62n) | BigInt(smmu.evtq.base) | 15n);
    expect(r.eventq.log2size).toBe(15);
    // Two 1 MiB queues aligned to their size, one 2 KiB L1 table (256 descriptors, all invalid: no L2 yet).
    expect(smmu.cmdq.base % 0x100000).toBe(0);
    expect(smmu.evtq.base % 0x100000).toBe(0);
    expect(k.frames.outstanding().map((a) => [a.owner, a.size])).toEqual([
      ["smmu-cmdq", 0x100000],
      ["smmu-evtq", 0x100000],
      ["smmu-strtab", 0x1000],
    ]);
    expect(smmu.strtab.numL1Ents).toBe(256);
    expect(k.dwords(smmu.strtab.strtab, 256).every((d) => d === "0x0000000000000000")).toBe(true);
  });

  it("issues CFGI_ALL + SYNC and TLBI_NSNH_ALL + SYNC, and the hardware consumed them (CONS = PROD = 4)", () => {
    const k = kernel();
    k.probeSmmu();
    const cmds = k.events("smmu-cmd").map((e) => (e as unknown as { name: string }).name);
    expect(cmds).toEqual(["CMD_CFGI_ALL", "CMD_SYNC", "CMD_TLBI_NSNH_ALL", "CMD_SYNC"]);
    const r = hwOf().registers();
    expect(r.cmdq.prod).toBe(4);
    expect(r.cmdq.cons).toBe(4);
    // The CMD_SYNC Linux writes without MSIs: CS = SEV, MSH = ISH, MSIAttr = OIWB (smmuv3-model.md §3.2).
    const smmu = k.driver.instances[0];
    if (smmu === undefined) throw new Error("no instance");
    expect(k.dwords(smmu.cmdq.base, 8)).toEqual([
      "0x0000000000000004",
      "0x000000000000001f",
      "0x000000000fc02046",
      "0x0000000000000000",
      "0x0000000000000030",
      "0x0000000000000000",
      "0x000000000fc02046",
      "0x0000000000000000",
    ]);
  });

  it("registers the IOMMU as smmu3.0x0000000009050000 and sets the bus ops", () => {
    const k = kernel();
    k.probeSmmu();
    expect(k.iommu.registered.map((r) => r.name)).toEqual(["smmu3.0x0000000009050000"]);
    expect(k.iommu.registered[0]?.fwnode).toBe(k.smmuFwnode);
    expect(k.iommu.busOps.get(k.platform)).toBe(k.driver.ops);
    expect(k.driver.ops.pgsizeBitmap).toBe(0x40201000 + 0x2004000 + 0x20010000);
  });

  it("requests the evtq thread and the GERROR handler on their lines, not priq (no PRI) nor cmdq-sync", () => {
    const k = kernel();
    k.probeSmmu();
    const dev = k.smmuDev;
    if (dev === null) throw new Error("no dev");
    expect(k.driver.irqHandlers(dev).map((h) => [h.irq, h.name])).toEqual([
      [14, "arm-smmu-v3-evtq"],
      [17, "arm-smmu-v3-gerror"],
    ]);
  });
});

describe("hardware probe checks (smmuv3-model.md §1.3)", () => {
  it("refuses a big-endian-only table walker with -ENXIO", () => {
    const k = kernel({}, {}, withRegs({ 0x0: (0x0d44101a & ~(3 << 21)) | (3 << 21) }));
    expect(k.probeSmmu()).toBe(-6);
    expect(k.log()).toEqual(["arm-smmu-v3 9050000.smmuv3: unknown/unsupported TT endianness!"]);
    expect(k.frames.outstanding()).toEqual([]);
  });

  it("refuses an SMMU with neither stage", () => {
    const k = kernel({}, {}, withRegs({ 0x0: 0x0d44101a & ~2 }));
    expect(k.probeSmmu()).toBe(-6);
    expect(k.log()).toEqual(["arm-smmu-v3 9050000.smmuv3: no translation support!"]);
  });

  it("refuses an embedded implementation (IDR1.REL)", () => {
    const k = kernel({}, {}, withRegs({ 0x4: 0x02730010 | (1 << 28) }));
    expect(k.probeSmmu()).toBe(-6);
    expect(k.log()).toEqual(["arm-smmu-v3 9050000.smmuv3: embedded implementation not supported"]);
  });

  it("refuses a command queue of 64 entries or fewer", () => {
    const k = kernel({ cmdqLog2Size: 6 });
    expect(k.probeSmmu()).toBe(-6);
    expect(k.log()).toEqual(["arm-smmu-v3 9050000.smmuv3: command queue size <= 64 entries not supported"]);
  });

  it("warns when firmware and IDR0.COHACC disagree, and drops FEAT_COHERENCY from the features", () => {
    const k = kernel();
    expect(k.probeSmmu(k.resources({ firmware: { kind: "of", iommuCells: 1, dmaCoherent: false, properties: [] } }))).toBe(0);
    expect(k.log().slice(0, 2)).toEqual([
      "arm-smmu-v3 9050000.smmuv3: IDR0.COHACC overridden by FW configuration (false)",
      "arm-smmu-v3 9050000.smmuv3: ias 44-bit, oas 44-bit (features 0x00008205)",
    ]);
  });

  it("uses a linear stream table when SIDSIZE <= 8, every STE abort", () => {
    const k = kernel({ sidBits: 8 });
    expect(k.probeSmmu()).toBe(0);
    expect(k.log()[0]).toBe("arm-smmu-v3 9050000.smmuv3: ias 44-bit, oas 44-bit (features 0x00008304)");
    const smmu = k.driver.instances[0];
    if (smmu === undefined) throw new Error("no instance");
    expect(hwOf().registers().strtabBaseCfg).toBe(0x8);
    expect(k.frames.outstanding("smmu-strtab")[0]?.size).toBe(0x4000);
    for (const sid of [0, 17, 255]) {
      expect(k.dwords(smmu.strtab.strtab + sid * 64, 3)).toEqual(["0x0000000000000001", "0x0000100000000000", "0x0000000000000000"]);
    }
    // Abort STE: the hardware aborts silently.
    expect(k.dma(17, 0x1000)).toEqual({ kind: "abort", reason: expect.any(String), eventId: null });
  });

  it("derives smaller queues from IDR1 when the SMMU offers less than the cap", () => {
    const k = kernel({ cmdqLog2Size: 8, eventqLog2Size: 7 });
    k.probeSmmu();
    expect(k.log().slice(1)).toEqual([
      "arm-smmu-v3 9050000.smmuv3: allocated 256 entries for cmdq",
      "arm-smmu-v3 9050000.smmuv3: allocated 128 entries for evtq",
    ]);
  });

  it("halves a queue that does not fit in memory (arm_smmu_init_one_queue)", () => {
    const k = kernel({}, { frameBytes: 0x100000 + 0x80000 + 0x1000 });
    expect(k.probeSmmu()).toBe(0);
    expect(k.log().slice(1)).toEqual([
      "arm-smmu-v3 9050000.smmuv3: allocated 65536 entries for cmdq",
      "arm-smmu-v3 9050000.smmuv3: allocated 16384 entries for evtq",
    ]);
    expect(hwOf().registers().eventq.log2size).toBe(14);
  });

  it("gives back every devm allocation when probe fails late (no memory for the stream table)", () => {
    const k = kernel({}, { frameBytes: 0x200000 });
    expect(k.probeSmmu()).toBe(-12);
    expect(k.log().at(-1)).toBe("arm-smmu-v3 9050000.smmuv3: failed to allocate l1 stream table (2048 bytes)");
    expect(k.frames.outstanding()).toEqual([]);
    expect(k.iommu.registered).toEqual([]);
  });
});

describe("firmware description", () => {
  it("rejects a region smaller than 128 KiB", () => {
    const k = kernel();
    expect(k.probeSmmu(k.resources({ mem: { start: SMMU_BASE, size: 0x10000 } }))).toBe(-22);
    expect(k.log()).toEqual([
      "arm-smmu-v3 9050000.smmuv3: MMIO region too small ([mem 0x0000000009050000-0x000000000905ffff flags 0x200])",
    ]);
  });

  it("without #iommu-cells keeps the SMMU translating when disable_bypass=1 (6.1 default)", () => {
    const k = kernel();
    expect(k.probeSmmu(k.resources({ firmware: { kind: "of", iommuCells: null, dmaCoherent: true, properties: [] } }))).toBe(0);
    expect(k.log()[0]).toBe("arm-smmu-v3 9050000.smmuv3: missing #iommu-cells property");
    expect(hwOf().registers().cr0).toBe(0xd);
  });

  it("with a bad #iommu-cells and disable_bypass=0 leaves SMMUEN clear and GBPA bypassing", () => {
    const k = kernel({}, { disableBypass: false });
    expect(k.probeSmmu(k.resources({ firmware: { kind: "of", iommuCells: 2, dmaCoherent: true, properties: [] } }))).toBe(0);
    expect(k.log()[0]).toBe("arm-smmu-v3 9050000.smmuv3: invalid #iommu-cells value (2)");
    const r = hwOf().registers();
    expect(r.cr0).toBe(0xc);
    expect(r.gbpa & (1 << 20)).toBe(0);
    expect(k.dma(5, 0x4000_1000)).toEqual({ kind: "bypass", pa: 0x4000_1000 });
  });

  it("takes the HiSilicon prefetch quirk from DT (no PREFETCH_CONFIG later)", () => {
    const k = kernel();
    k.probeSmmu(k.resources({ firmware: { kind: "of", iommuCells: 1, dmaCoherent: true, properties: ["hisilicon,broken-prefetch-cmd"] } }));
    expect(k.log()[0]).toBe("arm-smmu-v3 9050000.smmuv3: option hisilicon,broken-prefetch-cmd");
  });

  it("sets GBPA.ABORT (Update protocol) before disabling an SMMU that firmware left enabled", () => {
    const k = kernel();
    // Firmware left the SMMU on.
    k.mmio.write32(SMMU_BASE + 0x20, 1);
    k.probeSmmu();
    // The warning comes from arm_smmu_device_reset, after the hardware probe and the queue allocation lines.
    expect(k.log()[3]).toBe("arm-smmu-v3 9050000.smmuv3: SMMU currently enabled! Resetting...");
    const gbpaWrites = k.events("smmu-reg-write").filter((e) => (e as unknown as { reg: string }).reg === "GBPA");
    expect(gbpaWrites.map((e) => (e as unknown as { value: string }).value)).toEqual(["0x80101000"]);
    expect(hwOf().registers().gbpa).toBe(0x101000);
    expect(hwOf().registers().cr0).toBe(0xd);
  });
});

describe("v4.7 driver", () => {
  it("caps the queues at 256/128 entries without logging them, writes CR2 with E2H, and bypasses by default", () => {
    const k = kernel({}, { era: ARM_SMMU_V3_ERAS["v4.7"] });
    expect(k.probeSmmu()).toBe(0);
    expect(k.log()).toEqual(["arm-smmu-v3 9050000.smmuv3: ias 44-bit, oas 44-bit (features 0x00000305)"]);
    const r = hwOf().registers();
    expect(r.cmdq.log2size).toBe(8);
    expect(r.eventq.log2size).toBe(7);
    expect(r.cr2).toBe(0x7);
    // The v4.7 CMD_SYNC is CS = SEV only.
    const smmu = k.driver.instances[0];
    if (smmu === undefined) throw new Error("no instance");
    expect(k.dwords(smmu.cmdq.base + 16, 1)).toEqual(["0x0000000000002046"]);
  });
});
