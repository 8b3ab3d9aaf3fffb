/**
 * DMA through a stage-1 domain and TLB invalidation: map a page, DMA reaches the PA through the hardware's walk and
 * IOTLB; strict unmap issues TLBI_NH_VA (range-encoded, smmuv3-model.md §3.5) + CMD_SYNC and the next DMA faults
 * with F_TRANSLATION, read back by the event thread; the lazy path keeps the stale entry until flush_iotlb_all's
 * TLBI_NH_ASID + SYNC; v4.x issues one TLBI per granule with io-pgtable's CMD_SYNC.
 */
import { describe, expect, it } from "vitest";
import { createSmmuV3, type SmmuHwEvent } from "@dmasim/iommu/smmuv3-hw";
import type { Device } from "@dmasim/driver-core";
import { IommuDomainType } from "../src/core/iommu-ops";
import { IommuProt, makeIotlbGather } from "../src/io-pgtable-arm/index";
import type { ArmSmmuDomain } from "../src/arm-smmu-v3/domain";
import { ARM_SMMU_V3_ERAS, type ArmSmmuV3Era } from "../src/arm-smmu-v3/era";
import { SmmuDriverTestKernel } from "../src/arm-smmu-v3/test-support";

const RW = IommuProt.IOMMU_READ | IommuProt.IOMMU_WRITE;
const PA = 0x5000_0000;
const SID = 0x10;

function setup(opts: { era?: ArmSmmuV3Era; rangeInvalidation?: boolean } = {}): { k: SmmuDriverTestKernel; d: ArmSmmuDomain; dev: Device } {
  let k: SmmuDriverTestKernel | null = null;
  const config = opts.rangeInvalidation === false ? { rangeInvalidation: false } : {};
  k = new SmmuDriverTestKernel({
    createHw: (memory, irq) => createSmmuV3({ name: "9050000.smmuv3", memory, irq, config, trace: { emit: (e: SmmuHwEvent) => k?.trace.emit(e) } }),
    ...(opts.era === undefined ? {} : { era: opts.era }),
  });
  if (k.probeSmmu() !== 0) throw new Error("probe");
  const dev = k.addMaster("dma0", [SID]);
  if (k.probeMaster(dev) !== 0) throw new Error("probe_device");
  const d = k.driver.ops.domainAlloc(IommuDomainType.DMA) as ArmSmmuDomain;
  d.id = 1;
  d.pgsizeBitmap = k.driver.ops.pgsizeBitmap;
  if (k.driver.domainOps.attachDev(d, dev) !== 0) throw new Error("attach");
  return { k, d, dev };
}

interface Cmd {
  readonly name: string;
  readonly fields: Record<string, number | boolean>;
}

/** The commands executed from trace position `from` on, with their fields. */
function cmds(k: SmmuDriverTestKernel, from: number): Cmd[] {
  return k.trace.records.slice(from).filter((r) => r.type === "smmu-cmd") as unknown as Cmd[];
}

function tlbi(c: Cmd): string {
  const f = c.fields;
  if (c.name === "CMD_SYNC") return "SYNC";
  if (c.name === "CMD_TLBI_NH_ASID") return `NH_ASID asid=${String(f["asid"])}`;
  const addr = `0x${Number(f["addr"]).toString(16)}`;
  return `NH_VA asid=${String(f["asid"])} addr=${addr} leaf=${String(f["leaf"])} tg=${String(f["tg"])} ttl=${String(f["ttl"])} scale=${String(f["scale"])} num=${String(f["num"])}`;
}

function map(k: SmmuDriverTestKernel, d: ArmSmmuDomain, iova: number, pa: number, pages: number, pgsize = 0x1000): void {
  const r = k.driver.domainOps.mapPages?.(d, iova, pa, pgsize, pages, RW);
  expect(r).toEqual({ ret: 0, mapped: pages * pgsize });
}

describe("strict invalidation (6.1)", () => {
  it("maps a page; DMA reaches the PA; unmap + iotlb_sync issues TLBI_NH_VA + SYNC; the next DMA faults and is logged", () => {
    const { k, d } = setup();
    map(k, d, 0x10000, PA, 1);
    expect(k.dma(SID, 0x10abc, "read")).toEqual({ kind: "translated", pa: PA + 0xabc });
    expect(k.driver.domainOps.iovaToPhys?.(d, 0x10abc)).toBe(PA + 0xabc);
    // The IOTLB now holds the page: only the TLBI can make the next DMA fault.
    expect((k.hw as unknown as { iotlbSize: number }).iotlbSize).toBe(1);

    const from = k.trace.records.length;
    const gather = makeIotlbGather();
    expect(k.driver.domainOps.unmapPages?.(d, 0x10000, 0x1000, 1, gather)).toBe(0x1000);
    expect(cmds(k, from)).toEqual([]);
    expect(gather).toMatchObject({ start: 0x10000, end: 0x10fff, pgsize: 0x1000 });
    k.driver.domainOps.iotlbSync?.(d, gather);
    expect(cmds(k, from).map(tlbi)).toEqual(["NH_VA asid=1 addr=0x10000 leaf=true tg=1 ttl=3 scale=0 num=0", "SYNC"]);
    expect((k.hw as unknown as { iotlbSize: number }).iotlbSize).toBe(0);

    const before = k.log().length;
    expect(k.dma(SID, 0x10abc, "read")).toMatchObject({ kind: "abort", eventId: 0x10 });
    expect(k.log().slice(before)).toEqual([
      "arm-smmu-v3 9050000.smmuv3: event 0x10 received:",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000001000000010",
      // RnW = 1 (a read): bit 35.
      "arm-smmu-v3 9050000.smmuv3: \t0x0000000800000000",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000000000010abc",
      "arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000",
    ]);
    expect(k.events("arm-smmu-evt")).toEqual([
      expect.objectContaining({ id: 0x10, sid: SID, ssid: null, inputAddr: 0x10abc, read: true, stage2: false, device: "dma0", logged: true }),
    ]);
    // The thread consumed the record: EVENTQ_CONS (page 1) caught up with PROD.
    const r = (k.hw as unknown as { registers(): { eventq: { prod: number; cons: number } } }).registers();
    expect(r.eventq.cons).toBe(r.eventq.prod);
    expect(r.eventq.prod).toBe(1);
  });

  it("invalidates 8 pages with one range command: TG=1, TTL=3, SCALE=3, NUM=0 (§3.5's example)", () => {
    const { k, d } = setup();
    map(k, d, 0x10000, PA, 8);
    const from = k.trace.records.length;
    const g = makeIotlbGather();
    expect(k.driver.domainOps.unmapPages?.(d, 0x10000, 0x1000, 8, g)).toBe(0x8000);
    k.driver.domainOps.iotlbSync?.(d, g);
    expect(cmds(k, from).map(tlbi)).toEqual(["NH_VA asid=1 addr=0x10000 leaf=true tg=1 ttl=3 scale=3 num=0", "SYNC"]);
  });

  it("splits 37 pages (0b100101) into 5-bit chunks: 5 pages (SCALE 0, NUM 4), then 32 (SCALE 5, NUM 0)", () => {
    const { k, d } = setup();
    map(k, d, 0x100000, PA, 37);
    const from = k.trace.records.length;
    const g = makeIotlbGather();
    k.driver.domainOps.unmapPages?.(d, 0x100000, 0x1000, 37, g);
    k.driver.domainOps.iotlbSync?.(d, g);
    expect(cmds(k, from).map(tlbi)).toEqual([
      "NH_VA asid=1 addr=0x100000 leaf=true tg=1 ttl=3 scale=0 num=4",
      "NH_VA asid=1 addr=0x105000 leaf=true tg=1 ttl=3 scale=5 num=0",
      "SYNC",
    ]);
  });

  it("without IDR3.RIL issues one single-page TLBI per page", () => {
    const { k, d } = setup({ rangeInvalidation: false });
    map(k, d, 0x10000, PA, 3);
    const from = k.trace.records.length;
    const g = makeIotlbGather();
    k.driver.domainOps.unmapPages?.(d, 0x10000, 0x1000, 3, g);
    k.driver.domainOps.iotlbSync?.(d, g);
    expect(cmds(k, from).map(tlbi)).toEqual([
      "NH_VA asid=1 addr=0x10000 leaf=true tg=0 ttl=0 scale=0 num=0",
      "NH_VA asid=1 addr=0x11000 leaf=true tg=0 ttl=0 scale=0 num=0",
      "NH_VA asid=1 addr=0x12000 leaf=true tg=0 ttl=0 scale=0 num=0",
      "SYNC",
    ]);
  });

  it("syncs the gathered range first when the next page is disjoint (iommu_iotlb_gather_add_page)", () => {
    const { k, d } = setup();
    map(k, d, 0x10000, PA, 1);
    map(k, d, 0x40000, PA + 0x1000, 1);
    const from = k.trace.records.length;
    const g = makeIotlbGather();
    k.driver.domainOps.unmapPages?.(d, 0x10000, 0x1000, 1, g);
    k.driver.domainOps.unmapPages?.(d, 0x40000, 0x1000, 1, g);
    k.driver.domainOps.iotlbSync?.(d, g);
    expect(cmds(k, from).map(tlbi)).toEqual([
      "NH_VA asid=1 addr=0x10000 leaf=true tg=1 ttl=3 scale=0 num=0",
      "SYNC",
      "NH_VA asid=1 addr=0x40000 leaf=true tg=1 ttl=3 scale=0 num=0",
      "SYNC",
    ]);
  });

  it("invalidates walks (non-leaf, TTL of the level) synchronously when a whole table is unmapped", () => {
    const { k, d } = setup();
    map(k, d, 0x200000, PA, 512);
    const from = k.trace.records.length;
    const g = makeIotlbGather();
    expect(k.driver.domainOps.unmapPages?.(d, 0x200000, 0x200000, 1, g)).toBe(0x200000);
    expect(cmds(k, from).map(tlbi)).toEqual(["NH_VA asid=1 addr=0x200000 leaf=false tg=1 ttl=3 scale=9 num=0", "SYNC"]);
    expect(g.pgsize).toBe(0);
  });
});

describe("lazy invalidation (DMA-FQ): flush_iotlb_all", () => {
  it("leaves the stale translation until TLBI_NH_ASID + SYNC", () => {
    const { k, d } = setup();
    map(k, d, 0x10000, PA, 1);
    expect(k.dma(SID, 0x10000, "write")).toEqual({ kind: "translated", pa: PA });
    const from = k.trace.records.length;
    const g = makeIotlbGather();
    g.queued = true;
    k.driver.domainOps.unmapPages?.(d, 0x10000, 0x1000, 1, g);
    expect(cmds(k, from)).toEqual([]);
    // The flush queue's window: the walk would fault, but the IOTLB still translates.
    expect(k.dma(SID, 0x10000, "write")).toEqual({ kind: "translated", pa: PA });
    k.driver.domainOps.flushIotlbAll?.(d);
    expect(cmds(k, from).map(tlbi)).toEqual(["NH_ASID asid=1", "SYNC"]);
    expect(k.dma(SID, 0x10000, "write")).toMatchObject({ kind: "abort", eventId: 0x10 });
  });

  it("does nothing for a domain never attached", () => {
    const { k } = setup();
    const d = k.driver.ops.domainAlloc(IommuDomainType.DMA_FQ) as ArmSmmuDomain;
    const from = k.trace.records.length;
    k.driver.domainOps.flushIotlbAll?.(d);
    expect(cmds(k, from)).toEqual([]);
  });
});

describe("v4.x (tlb_add_flush + tlb_sync)", () => {
  it("issues one TLBI_NH_VA per page as io-pgtable unmaps, then io-pgtable's CMD_SYNC", () => {
    const { k, d } = setup({ era: ARM_SMMU_V3_ERAS["v4.12"] });
    expect(k.driver.domainOps.map?.(d, 0x10000, PA, 0x1000, RW)).toBe(0);
    expect(k.driver.domainOps.map?.(d, 0x11000, PA + 0x1000, 0x1000, RW)).toBe(0);
    expect(k.dma(SID, 0x11000, "read")).toEqual({ kind: "translated", pa: PA + 0x1000 });
    // v4.x allocates ASIDs from 0.
    expect(d.s1Cfg?.cd.asid).toBe(0);
    const from = k.trace.records.length;
    expect(k.driver.domainOps.unmap?.(d, 0x11000, 0x1000, makeIotlbGather())).toBe(0x1000);
    expect(cmds(k, from).map(tlbi)).toEqual(["NH_VA asid=0 addr=0x11000 leaf=true tg=0 ttl=0 scale=0 num=0", "SYNC"]);
    expect(k.dma(SID, 0x11000, "read")).toMatchObject({ kind: "abort", eventId: 0x10 });
    // v4.x printed every event, with no handler or rate limit in between.
    expect(k.log().filter((l) => l.endsWith("event 0x10 received:"))).toHaveLength(1);
  });

  it("writes the CD at attach without invalidation, dword 0 first (no SYNC before the STE install)", () => {
    const { k, d } = setup({ era: ARM_SMMU_V3_ERAS["v4.12"] });
    const cdtab = d.s1Cfg?.cdtab ?? 0;
    expect(k.dwords(cdtab, 1)).toEqual(["0x0000e204c0003510"]);
    const first = k.trace.records.findIndex((r) => r.type === "arm-smmu-cd");
    const next = cmds(k, first).map((c) => c.name);
    expect(next.slice(0, 2)).toEqual(["CMD_CFGI_STE", "CMD_SYNC"]);
  });
});
