/**
 * The interrupt side: the event-queue thread (drain until empty, CONS through page 1, OVFLG → "EVTQ overflow
 * detected -- events lost" and OVACKFLG sync, rate limit, fault handlers), and the GERROR handler with the command
 * queue's error recovery (`__arm_smmu_cmdq_skip_err`, smmuv3-model.md §3.4).
 */
import { describe, expect, it, vi } from "vitest";
import { createSmmuV3, type SmmuHwEvent, type SmmuV3, type SmmuV3ConfigInput } from "@dmasim/iommu/smmuv3-hw";
import { IommuDomainType } from "../src/core/iommu-ops";
import { IommuProt } from "../src/io-pgtable-arm/index";
import { issueCmdlist, issueCmdWithSync } from "../src/arm-smmu-v3/cmdq";
import type { ArmSmmuDomain } from "../src/arm-smmu-v3/domain";
import { SMMU_BASE, SmmuDriverTestKernel } from "../src/arm-smmu-v3/test-support";

const SID = 0x10;

function setup(config: SmmuV3ConfigInput = {}, irqsWhilePolling = true): { k: SmmuDriverTestKernel; hw: () => SmmuV3; d: ArmSmmuDomain } {
  let k: SmmuDriverTestKernel | null = null;
  let hw: SmmuV3 | null = null;
  k = new SmmuDriverTestKernel({
    createHw: (memory, irq) => {
      hw = createSmmuV3({ name: "9050000.smmuv3", memory, irq, config, trace: { emit: (e: SmmuHwEvent) => k?.trace.emit(e) } });
      return hw;
    },
    irqsWhilePolling,
  });
  if (k.probeSmmu() !== 0) throw new Error("probe");
  const dev = k.addMaster("dma0", [SID]);
  k.probeMaster(dev);
  const d = k.driver.ops.domainAlloc(IommuDomainType.DMA) as ArmSmmuDomain;
  d.pgsizeBitmap = k.driver.ops.pgsizeBitmap;
  k.driver.domainOps.attachDev(d, dev);
  return {
    k,
    d,
    hw: () => {
      if (hw === null) throw new Error("hw");
      return hw;
    },
  };
}

/** Faulting DMAs without running the interrupt handlers (the thread has not been scheduled yet). */
function faults(k: SmmuDriverTestKernel, n: number, base = 0x100000): void {
  for (let i = 0; i < n; i++) k.hw.translate({ streamId: SID, iova: base + i * 0x1000, access: "write", size: 4 });
}

const received = (k: SmmuDriverTestKernel): number => k.log().filter((l) => l.endsWith("event 0x10 received:")).length;

describe("arm_smmu_evtq_thread", () => {
  it("drains every record in one run, advancing EVENTQ_CONS through page 1 (0x100ac)", () => {
    const { k, hw } = setup();
    faults(k, 3);
    expect(k.pending).toEqual(["eventq", "eventq", "eventq"]);
    const write32 = vi.spyOn(k.mmio, "write32");
    k.deliverIrqs();
    const consWrites = write32.mock.calls.filter(([pa]) => pa === SMMU_BASE + 0x100ac).map(([, v]) => v);
    expect(received(k)).toBe(3);
    expect(k.events("arm-smmu-evt").map((e) => (e as unknown as { inputAddr: number }).inputAddr)).toEqual([0x100000, 0x101000, 0x102000]);
    expect(hw().registers().eventq.cons).toBe(3);
    expect(consWrites).toEqual([1, 2, 3]);
  });

  it("on a spec-compliant SMMU reports the overflow, prints the records that made it, and acknowledges OVFLG", () => {
    const { k, hw } = setup({ eventqLog2Size: 2, compat: { eventqFullRaisesGerror: false } });
    faults(k, 6);
    const r = hw().registers();
    expect(r.eventq.prod >>> 31).toBe(1);
    k.deliverIrqs();
    expect(received(k)).toBe(4);
    expect(k.log()).toContain("arm-smmu-v3 9050000.smmuv3: EVTQ overflow detected -- events lost");
    const after = hw().registers();
    // OVACKFLG (bit 31 of CONS) now matches OVFLG: no overflow pending, new events are recorded again.
    expect(after.eventq.cons >>> 31).toBe(1);
    faults(k, 1, 0x900000);
    k.deliverIrqs();
    expect(received(k)).toBe(5);
  });

  it("on QEMU (full queue = GERROR.EVTQ_ABT_ERR) the GERROR handler reports the lost events", () => {
    const { k } = setup({ eventqLog2Size: 2 });
    faults(k, 5);
    k.deliverIrqs();
    expect(received(k)).toBe(4);
    expect(k.log()).toEqual(
      expect.arrayContaining([
        "arm-smmu-v3 9050000.smmuv3: unexpected global error reported (0x00000004), this could be serious",
        "arm-smmu-v3 9050000.smmuv3: EVTQ write aborted -- events may have been lost",
      ]),
    );
  });

  it("rate-limits the log to 10 records per 5 s and reports the suppressed ones when the interval ends", () => {
    const { k } = setup();
    faults(k, 13);
    k.deliverIrqs();
    expect(received(k)).toBe(10);
    expect(k.events("arm-smmu-evt")).toHaveLength(13);
    k.clock.advanceBy(5_000_001);
    faults(k, 1, 0x800000);
    k.deliverIrqs();
    expect(k.log().slice(-6)).toEqual([
      "arm_smmu_evtq_thread: 3 callbacks suppressed",
      "arm-smmu-v3 9050000.smmuv3: event 0x10 received:",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000001000000010",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000000000800000",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000",
    ]);
  });

  it("does not print a fault that the master's fault handler took (iommu_report_device_fault returned 0)", () => {
    const { k } = setup();
    const dev = k.driver.instances[0]?.streams[0]?.master.dev;
    if (dev === undefined) throw new Error("master");
    k.iommu.faultHandlers.set(dev, () => 0);
    faults(k, 1);
    k.deliverIrqs();
    expect(received(k)).toBe(0);
    expect(k.iommu.faults).toEqual([{ dev: "dma0", fault: { reason: "pte-fetch", addr: 0x100000, read: false, exec: false, priv: false, pasid: null } }]);
  });

  it("prints records that are not translation faults without asking a handler (C_BAD_STREAMID here)", () => {
    const { k } = setup();
    k.hw.translate({ streamId: 0x20000, iova: 0, access: "read", size: 4 });
    k.deliverIrqs();
    expect(k.log().slice(-5)).toEqual([
      "arm-smmu-v3 9050000.smmuv3: event 0x02 received:",
      "arm-smmu-v3 9050000.smmuv3: \t0x0002000000000002",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000",
    ]);
    expect(k.iommu.faults).toEqual([]);
  });
});

describe("command queue errors and the GERROR handler", () => {
  it("turns an illegal command into a CMD_SYNC and completes the batch (interrupt taken while polling)", () => {
    const { k, d, hw } = setup();
    const smmu = k.driver.instances[0];
    if (smmu === undefined) throw new Error("smmu");
    k.driver.domainOps.mapPages?.(d, 0x10000, 0x5000_0000, 0x1000, 1, IommuProt.IOMMU_READ);
    const prod = hw().registers().cmdq.prod;
    // An opcode the SMMU does not implement (0x7f), then a real TLBI: the TLBI must still run.
    const ret = issueCmdlist(smmu, [[0x7f, 0, 0, 0], [0x11, 0x00010000, 0, 0]], true);
    expect(ret).toBe(0);
    const cons = (prod | (1 << 24)) >>> 0;
    expect(k.log().slice(-5)).toEqual([
      "arm-smmu-v3 9050000.smmuv3: unexpected global error reported (0x00000001), this could be serious",
      `arm-smmu-v3 9050000.smmuv3: CMDQ error (cons 0x${cons.toString(16).padStart(8, "0")}): Illegal command`,
      "arm-smmu-v3 9050000.smmuv3: skipping command in error state:",
      "arm-smmu-v3 9050000.smmuv3: \t0x000000000000007f",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000",
    ]);
    const r = hw().registers();
    expect(r.gerror).toBe(r.gerrorn);
    // CONS keeps the last CERROR code in [30:24] (QEMU never clears it); the index has caught up with PROD.
    expect(r.cmdq.cons).toBe((r.cmdq.prod | (1 << 24)) >>> 0);
    const names = k.events("smmu-cmd").slice(-3).map((e) => (e as unknown as { name: string }).name);
    expect(names).toEqual(["CMD_SYNC", "CMD_TLBI_NH_ASID", "CMD_SYNC"]);
    // The queue works normally afterwards.
    expect(issueCmdWithSync(smmu, { op: "CFGI_ALL" })).toBe(0);
  });

  it("times out the CMD_SYNC when nobody services the GERROR interrupt", () => {
    const { k, hw } = setup({}, false);
    const smmu = k.driver.instances[0];
    if (smmu === undefined) throw new Error("smmu");
    const prod = hw().registers().cmdq.prod;
    expect(issueCmdlist(smmu, [[0x7f, 0, 0, 0]], true)).toBe(-110);
    const h = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, "0")}`;
    expect(k.log().at(-1)).toBe(
      `arm-smmu-v3 9050000.smmuv3: CMD_SYNC timeout at ${h(prod + 1)} [hwprod ${h(prod + 2)}, hwcons ${h(prod | (1 << 24))}]`,
    );
    // Delivering the interrupt later recovers the queue.
    k.deliverIrqs();
    const r = hw().registers();
    expect(r.cmdq.cons & 0xffffff).toBe(r.cmdq.prod);
  });

  it("ignores a GERROR interrupt with nothing pending (IRQ_NONE)", () => {
    const { k } = setup();
    const dev = k.smmuDev;
    if (dev === null) throw new Error("dev");
    expect(k.driver.gerrorHandler(dev)).toBe(false);
  });
});
