/**
 * iommu-dma end to end on the real arm-smmu-v3 driver and the SMMUv3 hardware model: the IOVA a map returns is
 * translated by the SMMU to the buffer in a real transaction on the machine's interconnect; after a strict unmap the
 * next transaction faults with F_TRANSLATION (and the driver's event thread logs it); in a DMA-FQ domain the stale
 * IOTLB entry keeps translating until the flush queue's timer flushes the domain; the MSI doorbell is reached through
 * its mapped page.
 */
import { describe, expect, it } from "vitest";
import { IOVA_FQ_TIMEOUT_US, dmaOpsKind } from "../src/index";
import { bootSmmuStack, ITS_BASE, type SmmuStack } from "./smmu-stack";

const BUF = 0x48000000;

function cmdNames(s: SmmuStack, from: number): string[] {
  return (s.trace?.records ?? [])
    .slice(from)
    .filter((r) => r.type === "smmu-cmd")
    .map((r) => (r as unknown as { name: string }).name);
}

function logLines(s: SmmuStack, from = 0): string[] {
  return (s.trace?.records ?? [])
    .slice(from)
    .filter((r) => r.type === "printk")
    .map((r) => {
      const p = r as unknown as { prefix: string | null; text: string };
      return p.prefix === null ? p.text : `${p.prefix}: ${p.text}`;
    });
}

describe("iommu-dma through arm-smmu-v3 and the SMMUv3 hardware (strict)", () => {
  it("the returned IOVA reaches the buffer; after unmap the same IOVA faults F_TRANSLATION", () => {
    const s = bootSmmuStack();
    expect(dmaOpsKind(s.master)).toBe("iommu");
    const iova = s.dma.dmaMapSingle(s.master, BUF + 0x80, 256, "from-device");
    expect(iova).toBe(0xfffff080);
    const ok = s.write(iova, 64, 0x3c);
    expect(ok).toMatchObject({ outcome: "completed", pa: BUF + 0x80, via: "iommu-translated", streamId: 0x20 });
    expect(s.machine.memory.readBytes(BUF + 0x80, 64)).toEqual(new Uint8Array(64).fill(0x3c));

    const from = s.trace?.records.length ?? 0;
    s.dma.dmaUnmapSingle(s.master, iova, 256, "from-device");
    // The driver invalidated the leaf and waited: TLBI_NH_VA then CMD_SYNC, executed by the hardware.
    expect(cmdNames(s, from)).toEqual(["CMD_TLBI_NH_VA", "CMD_SYNC"]);
    const logAt = s.trace?.records.length ?? 0;
    const bad = s.write(iova, 64, 0x55);
    expect(bad).toMatchObject({ outcome: "aborted", at: "iommu", eventId: 0x10 });
    expect(s.machine.memory.readBytes(BUF + 0x80, 1)?.[0]).toBe(0x3c);
    s.deliverIrqs();
    expect(logLines(s, logAt)[0]).toBe("arm-smmu-v3 9050000.smmuv3: event 0x10 received:");
  });

  it("the IOMMU core prints the map/unmap debug lines the real kernel does", () => {
    const s = bootSmmuStack();
    const from = s.trace?.records.length ?? 0;
    const iova = s.dma.dmaMapSingle(s.master, BUF, 4096, "to-device");
    s.dma.dmaUnmapSingle(s.master, iova, 4096, "to-device");
    expect(logLines(s, from)).toEqual([
      "iommu: map: iova 0xfffff000 pa 0x0000000048000000 size 0x1000",
      "iommu: mapping: iova 0xfffff000 pa 0x0000000048000000 pgsize 0x1000 count 1",
      "iommu: unmap this: iova 0xfffff000 size 0x1000",
      "iommu: unmapped: iova 0xfffff000 size 0x1000",
    ]);
  });

  it("coherent buffers and scatterlists are reachable at their bus addresses", () => {
    const s = bootSmmuStack();
    const c = s.dma.dmaAllocCoherent(s.master, 8192);
    expect(c).not.toBeNull();
    expect(s.write((c?.dmaAddr as number) + 4096, 8, 0x77)).toMatchObject({ outcome: "completed", pa: (c?.cpuPa as number) + 4096 });
    const sg = [
      { pa: BUF, length: 4096, dmaAddress: -1, dmaLength: 0 },
      { pa: BUF + 0x10000, length: 4096, dmaAddress: -1, dmaLength: 0 },
    ];
    expect(s.dma.dmaMapSg(s.master, sg, "from-device")).toBe(1);
    expect(s.write(sg[0]?.dmaAddress as number, 4, 1)).toMatchObject({ pa: BUF });
    expect(s.write((sg[0]?.dmaAddress as number) + 4096, 4, 1)).toMatchObject({ pa: BUF + 0x10000 });
  });

  it("the direction is the permission: a device write into a to-device mapping faults F_PERMISSION", () => {
    const s = bootSmmuStack();
    const tx = s.dma.dmaMapSingle(s.master, BUF, 4096, "to-device");
    expect(s.write(tx, 4, 1)).toMatchObject({ outcome: "aborted", eventId: 0x13, reason: "F_PERMISSION" });
    const read = s.machine.interconnect.dma({ master: { kind: "platform", name: "10000000.dma" }, address: tx, size: 4, access: "read" });
    expect(read).toMatchObject({ outcome: "completed", pa: BUF });
  });
});

describe("DMA-FQ (lazy) through arm-smmu-v3", () => {
  it("defers the invalidation: the stale IOTLB entry translates until the 10 ms flush (TLBI_NH_ASID + SYNC)", () => {
    const s = bootSmmuStack({ defaultDomain: "DMA-FQ" });
    const iova = s.dma.dmaMapSingle(s.master, BUF, 4096, "from-device");
    expect(s.write(iova, 8, 0x11)).toMatchObject({ outcome: "completed", pa: BUF }); // fills the IOTLB
    const from = s.trace?.records.length ?? 0;
    s.dma.dmaUnmapSingle(s.master, iova, 4096, "from-device");
    expect(cmdNames(s, from)).toEqual([]);
    // The page-table entry is gone, but the IOTLB still holds the translation: the device can still reach the buffer.
    expect(s.write(iova, 8, 0x22)).toMatchObject({ outcome: "completed", pa: BUF });
    s.core.scheduler.advanceBy(IOVA_FQ_TIMEOUT_US);
    s.core.scheduler.runPending();
    expect(cmdNames(s, from)).toEqual(["CMD_TLBI_NH_ASID", "CMD_SYNC"]);
    expect(s.write(iova, 8, 0x33)).toMatchObject({ outcome: "aborted", eventId: 0x10 });
  });
});

describe("MSI doorbell through the domain", () => {
  it("maps the ITS translater page once; the MSI write at the returned address reaches the doorbell", () => {
    const s = bootSmmuStack();
    const doorbell = ITS_BASE + 0x10040;
    // Without the mapping, the physical doorbell address is not an IOVA of the domain: the write faults.
    const raw = s.machine.interconnect.dma({ master: { kind: "platform", name: "10000000.dma" }, address: doorbell, size: 4, access: "write", pattern: 0, kind: "msi" });
    expect(raw).toMatchObject({ outcome: "aborted", eventId: 0x10 });
    const r = s.dma.iommuDmaPrepareMsi(s.master, doorbell);
    expect(r).toEqual({ ok: true, value: 0xfffff040 });
    const msi = s.machine.interconnect.dma({ master: { kind: "platform", name: "10000000.dma" }, address: 0xfffff040, size: 4, access: "write", pattern: 0, kind: "msi" });
    expect(msi).toMatchObject({ outcome: "completed", pa: doorbell, target: "mmio" });
  });
});
