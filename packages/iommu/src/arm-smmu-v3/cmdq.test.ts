/**
 * The bytes a strict invalidation leaves in the command queue in RAM, read back from simulated memory: the words
 * the driver wrote at PROD are the kernel's encodings (`arm_smmu_cmdq_build_cmd`) of a range TLBI_NH_VA and the
 * 6.1 CMD_SYNC, and the hardware consumed both (CONS caught up with PROD). Also a batch holding more than
 * CMDQ_BATCH_ENTRIES commands, which the driver issues in two writes of PROD, and the order of the CMD_SYNC wait (CONS
 * read before any interrupt poll).
 */
import { describe, expect, it } from "vitest";
import { createSmmuV3 } from "../smmuv3-hw/index";
import { IommuDomainType } from "../core/iommu-ops";
import { IommuProt, makeIotlbGather } from "../io-pgtable-arm/index";
import type { ArmSmmuDomain } from "./domain";
import type { ArmSmmuDevice } from "./device";
import { qEnt, queueIncN } from "./device";
import { ARM_SMMU_FEAT } from "./regs";
import { SmmuDriverTestKernel } from "./test-support";
import { tlbInvRangeDomain } from "./tlb";

const RW = IommuProt.IOMMU_READ | IommuProt.IOMMU_WRITE;

function setup(): { k: SmmuDriverTestKernel; d: ArmSmmuDomain; smmu: ArmSmmuDevice } {
  const k = new SmmuDriverTestKernel({ createHw: (memory, irq) => createSmmuV3({ name: "9050000.smmuv3", memory, irq }) });
  if (k.probeSmmu() !== 0) throw new Error("probe");
  const dev = k.addMaster("dma0", [0x10]);
  if (k.probeMaster(dev) !== 0) throw new Error("probe_device");
  const d = k.driver.ops.domainAlloc(IommuDomainType.DMA) as ArmSmmuDomain;
  d.pgsizeBitmap = k.driver.ops.pgsizeBitmap;
  if (k.driver.domainOps.attachDev(d, dev) !== 0) throw new Error("attach");
  const smmu = k.driver.instances[0];
  if (smmu === undefined) throw new Error("no SMMU instance");
  return { k, d, smmu };
}

/** The 64-bit dwords of the `n` queue entries from `prod` on, as the kernel would print them. */
function entries(k: SmmuDriverTestKernel, smmu: ArmSmmuDevice, prod: number, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const pa = qEnt(smmu.cmdq, queueIncN(smmu.cmdq, prod, i));
    for (const off of [0, 8]) {
      const lo = k.memory.read32(pa + off);
      const hi = k.memory.read32(pa + off + 4);
      out.push(`0x${hi.toString(16).padStart(8, "0")}${lo.toString(16).padStart(8, "0")}`);
    }
  }
  return out;
}

describe("command queue contents after a strict unmap (6.1, QEMU 7.2 SMMU with RIL)", () => {
  it("holds TLBI_NH_VA (ASID 1, TG 4K, TTL 3, one page, leaf) then CMD_SYNC (CS=SEV, MSH=ISH, MSIAttr=OIWB)", () => {
    const { k, d, smmu } = setup();
    const iova = 0xffff_e000;
    expect(k.driver.domainOps.mapPages?.(d, iova, 0x5000_0000, 0x1000, 1, RW)).toEqual({ ret: 0, mapped: 0x1000 });
    const gather = makeIotlbGather();
    expect(k.driver.domainOps.unmapPages?.(d, iova, 0x1000, 1, gather)).toBe(0x1000);
    const prod = smmu.cmdq.prod;
    k.driver.domainOps.iotlbSync?.(d, gather);
    const asid = d.s1Cfg?.cd.asid ?? -1;
    expect(asid).toBe(1);
    expect(entries(k, smmu, prod, 2)).toEqual([
      // dword0: ASID [63:48], NUM [16:12] = 0, SCALE [24:20] = 0, opcode 0x12; dword1: addr | TG=1 [11:10] | TTL=3 [9:8] | leaf
      "0x0001000000000012",
      "0x00000000ffffe701",
      "0x000000000fc02046",
      "0x0000000000000000",
    ]);
    expect(smmu.cmdq.prod).toBe(queueIncN(smmu.cmdq, prod, 2));
    expect(smmu.readReg(smmu.cmdq.consReg)).toBe(smmu.cmdq.prod);
  });

  it("issues a range of 65 pages without RANGE_INV as 64 commands, then 1 + CMD_SYNC", () => {
    const { k, d, smmu } = setup();
    smmu.features &= ~ARM_SMMU_FEAT.RANGE_INV; // as an SMMU without IDR3.RIL: one command per granule
    const prod = smmu.cmdq.prod;
    tlbInvRangeDomain(smmu, d, 0x10_0000, 65 * 0x1000, 0x1000, true);
    expect(smmu.cmdq.prod).toBe(queueIncN(smmu.cmdq, prod, 66));
    const words = entries(k, smmu, prod, 66);
    expect(words[0]).toBe("0x0001000000000012");
    expect(words[1]).toBe("0x0000000000100001");
    expect(words[2 * 64]).toBe("0x0001000000000012");
    expect(words[2 * 64 + 1]).toBe(`0x00000000${(0x10_0000 + 64 * 0x1000 + 1).toString(16).padStart(8, "0")}`);
    expect(words[2 * 65]).toBe("0x000000000fc02046");
    expect(smmu.readReg(smmu.cmdq.consReg)).toBe(smmu.cmdq.prod);
  });

  it("reads CONS once after publishing PROD, before any interrupt poll, when the CMD_SYNC has completed", () => {
    // __arm_smmu_cmdq_poll_until_consumed: readl(cons_reg) first, queue_poll (where interrupts may run) only when
    // CONS has not yet passed the CMD_SYNC. The model's SMMU consumes inside the PROD write, so one read suffices.
    const { k, d, smmu } = setup();
    const reads: number[] = [];
    const readReg = smmu.readReg.bind(smmu);
    smmu.readReg = (pa) => {
      reads.push(pa);
      return readReg(pa);
    };
    let polls = 0;
    const deliver = k.deliverIrqs.bind(k);
    k.deliverIrqs = () => {
      polls++;
      deliver();
    };
    tlbInvRangeDomain(smmu, d, 0x10_0000, 0x1000, 0x1000, true);
    expect(reads).toEqual([smmu.cmdq.consReg]);
    expect(polls).toBe(0);
    expect(smmu.cmdq.cons).toBe(smmu.cmdq.prod);
  });
});
