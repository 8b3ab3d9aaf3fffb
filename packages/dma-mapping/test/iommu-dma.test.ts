/**
 * iommu-dma over an io-pgtable port: IOVAs, PTEs, strict invalidation per unmap vs the flush queue, MSI doorbell
 * pages, 32-bit-first allocation for PCI, init_domain checks and reservations.
 */
import { IommuDomainType } from "@dmasim/iommu";
import { describe, expect, it } from "vitest";
import { DMA_MAPPING_ERROR, dmaBitMask, IOVA_FQ_SIZE, IOVA_FQ_TIMEOUT_US, liveDmaMappings, makeScatterList } from "../src/index";
import { testKernel, type TestDomain, type TestKernel } from "./helpers";

function iommuDevice(k: TestKernel, name: string, options: { pci?: boolean; type?: number } = {}): { dev: ReturnType<TestKernel["device"]>; domain: TestDomain } {
  const dev = k.device(name, { pci: options.pci ?? false });
  const domain = k.port.newDomain(options.type ?? IommuDomainType.DMA);
  k.port.attach(dev, domain);
  expect(k.dma.iommuDmaInitDomain(domain, 0, dmaBitMask(48), dev)).toBe(0);
  k.dma.setDmaOps(dev, k.dma.ops.iommu, "explicit");
  return { dev, domain };
}

describe("iommu-dma map/unmap (strict)", () => {
  it("maps through the domain's page tables at a fresh IOVA, keeping the offset, and unmaps with a sync", () => {
    const k = testKernel("v6.1");
    const { dev, domain } = iommuDevice(k, "9000000.dma", { pci: false });
    k.dma.dmaSetMask(dev, dmaBitMask(64));
    const dma = k.dma.dmaMapSingle(dev, 0x40123456, 0x100, "to-device");
    // A platform device with a 64-bit mask gets the top of the 48-bit aperture.
    expect(dma).toBe(0xfffffffff000 + 0x456);
    expect(domain.pgtable.iovaToPhys(dma)).toBe(0x40123456);
    k.dma.dmaUnmapSingle(dev, dma, 0x100, "to-device");
    expect(domain.pgtable.iovaToPhys(dma)).toBe(0);
    expect(k.port.calls.map((c) => c.op)).toEqual(["map", "unmap", "iotlb-sync"]);
    expect(k.events("iova-free")).toMatchObject([{ to: "rcache", pages: 1 }]);
  });

  it("PCI devices try below 4 GiB first; a buffer crossing pages gets two pages", () => {
    const k = testKernel("v6.1");
    const { dev } = iommuDevice(k, "0000:01:00.0", { pci: true });
    k.dma.dmaSetMask(dev, dmaBitMask(64));
    expect(k.dma.dmaMapSingle(dev, 0x40000ff0, 0x20, "bidirectional")).toBe(0xffffeff0);
    expect(k.events("iova-alloc").at(-1)).toMatchObject({ pages: 2, limitPfn: 0xfffff, from: "tree" });
  });

  it("v4.7 has no range caches and no 32-bit-first rule; it frees to the tree", () => {
    const k = testKernel("v4.7");
    const { dev } = iommuDevice(k, "0000:01:00.0", { pci: true });
    k.dma.dmaSetMask(dev, dmaBitMask(64));
    const a = k.dma.dmaMapSingle(dev, 0x40000000, 0x3000, "to-device");
    // 3 pages (not rounded up), size-aligned to 4, at the top of the 48-bit aperture although the device is PCI.
    expect(a).toBe(0xffffffffc000);
    expect(k.dma.cookieOf(k.port.getDomainForDev(dev))?.iovad?.ranges()).toEqual([{ pfnLo: 0xffffffffc, pfnHi: 0xffffffffe }]);
    k.dma.dmaUnmapSingle(dev, a, 0x3000, "to-device");
    expect(k.events("iova-free")).toMatchObject([{ to: "tree", pages: 3 }]);
    expect(k.dma.cookieOf(k.port.getDomainForDev(dev))?.iovad?.size).toBe(0);
  });

  it("a mapping on a device whose domain was never initialised fails and says why", () => {
    const k = testKernel("v6.1");
    const dev = k.device("d");
    k.port.attach(dev, k.port.newDomain());
    k.dma.setDmaOps(dev, k.dma.ops.iommu, "explicit");
    expect(k.dma.dmaMapSingle(dev, 0x40000000, 64, "to-device")).toBe(DMA_MAPPING_ERROR);
    expect(k.events("iommu-dma-error")[0]?.message).toMatch(/without an initialised iova cookie/);
  });

  it("scatterlists: one IOVA range, one iommu_map per physically contiguous run, merged DMA segments", () => {
    const k = testKernel("v6.1");
    const { dev, domain } = iommuDevice(k, "0000:01:00.0", { pci: true });
    const sg = makeScatterList([
      [0x40010000, 0x1000],
      [0x40011000, 0x1000], // contiguous with the first
      [0x40020200, 0x200], // not page-aligned: starts a new DMA segment
    ]);
    expect(k.dma.dmaMapSg(dev, sg, "to-device")).toBe(2);
    expect(k.port.calls.filter((c) => c.op === "map").map((c) => [c.iova, c.pa, (c as { size: number }).size])).toEqual([
      [0xffffc000, 0x40010000, 0x2000],
      [0xffffe000, 0x40020000, 0x1000],
    ]);
    expect(sg.map((s) => [s.dmaAddress, s.dmaLength])).toEqual([
      [0xffffc000, 0x2000],
      [0xffffe200, 0x200],
      [DMA_MAPPING_ERROR, 0],
    ]);
    expect(domain.pgtable.iovaToPhys(0xffffe2ff)).toBe(0x400202ff);
    k.dma.dmaUnmapSg(dev, sg, "to-device");
    expect(domain.pgtable.iovaToPhys(0xffffc000)).toBe(0);
    expect(k.port.calls.filter((c) => c.op === "unmap")).toMatchObject([{ iova: 0xffffc000, size: 0x3000 }]);
    expect(liveDmaMappings(dev)).toEqual([]);
  });

  it("coherent allocations are pages from the kernel allocator mapped at an IOVA", () => {
    const k = testKernel("v6.1");
    const { dev, domain } = iommuDevice(k, "0000:01:00.0", { pci: true });
    const got = k.dma.dmaAllocCoherent(dev, 5000);
    expect(got?.size).toBe(0x2000);
    expect(domain.pgtable.iovaToPhys(got?.dmaAddr as number)).toBe(got?.cpuPa);
    expect(k.frames.outstanding("dma-coherent:0000:01:00.0").length).toBe(1);
    k.dma.dmaFreeCoherent(dev, 5000, got?.cpuPa as number, got?.dmaAddr as number);
    expect(k.frames.outstanding("dma-coherent:0000:01:00.0").length).toBe(0);
    expect(domain.pgtable.iovaToPhys(got?.dmaAddr as number)).toBe(0);
  });
});

describe("iommu_dma_init_domain", () => {
  it("reserves PCI host bridge windows, skips the SW_MSI window, reserves other regions", () => {
    const k = testKernel("v6.1");
    k.port.resv = [
      { start: 0x08000000, length: 0x100000, prot: 0, type: "sw-msi" },
      { start: 0x7f000000, length: 0x10000, prot: 0, type: "reserved" },
    ];
    const { domain } = iommuDevice(k, "0000:00:01.0", { pci: true });
    expect(k.events("iova-reserve").map((e) => [e.pfnLo, e.pfnHi, e.reason])).toEqual([
      [0x10000, 0x3efef, "pci-window"],
      [0x8000000, 0xfffffff, "pci-window"],
      [0x7f000, 0x7f00f, "resv-region"],
    ]);
    expect(k.dma.cookieOf(domain)?.iovad?.startPfn).toBe(1);
    // A second device of the group: already initialised, same range, nothing reserved again.
    const other = k.device("0000:00:01.1", { pci: true });
    k.port.attach(other, domain);
    expect(k.dma.iommuDmaInitDomain(domain, 0, dmaBitMask(48), other)).toBe(0);
    expect(k.events("iova-reserve").length).toBe(3);
    expect(k.events("iommu-dma-init-domain").map((e) => e.fresh)).toEqual([true, false]);
  });

  it("rejects a range outside a forced aperture and an incompatible re-init, with the kernel's warnings", () => {
    const k = testKernel("v6.1");
    const dev = k.device("d");
    const domain = k.port.newDomain();
    domain.geometry.apertureStart = 0x100000;
    expect(k.dma.iommuDmaInitDomain(domain, 0x1000000000000, dmaBitMask(52), dev)).toBe(-14);
    expect(k.dma.iommuDmaInitDomain(domain, 0, dmaBitMask(48), dev)).toBe(0);
    expect(k.dma.cookieOf(domain)?.iovad?.startPfn).toBe(0x100);
    expect(k.dma.iommuDmaInitDomain(domain, 0x200000, dmaBitMask(48), dev)).toBe(-14);
    const text = k.trace.records.filter((r) => r.type === "printk").map((r) => (r as { text: string }).text);
    expect(text).toEqual(["specified DMA range outside IOMMU capability", "Incompatible range for DMA domain"]);
  });

  it("a domain without an iommu-dma cookie (identity) cannot be initialised", () => {
    const k = testKernel("v6.1");
    const domain = k.port.newDomain(IommuDomainType.IDENTITY);
    expect(domain.iovaCookie).toBeNull();
    expect(k.dma.iommuDmaInitDomain(domain, 0, dmaBitMask(48), null)).toBe(-22);
    expect(testKernel("v4.7").dma.iommuDmaInitDomain(domain, 0, dmaBitMask(48), null)).toBe(-19);
  });
});

describe("MSI doorbell pages", () => {
  it("maps the doorbell page once per domain at the first IOVA of a fresh PCI domain (0xfffff000)", () => {
    const k = testKernel("v6.1");
    const { dev, domain } = iommuDevice(k, "0000:00:03.0", { pci: true });
    expect(k.dma.iommuDmaPrepareMsi(dev, 0x08090040)).toEqual({ ok: true, value: 0xfffff040 });
    expect(k.port.calls).toEqual([{ op: "map", domain: domain.id, iova: 0xfffff000, pa: 0x08090000, size: 0x1000, prot: 0x1a }]);
    const other = k.device("0000:01:00.0", { pci: true });
    k.port.attach(other, domain);
    expect(k.dma.iommuDmaPrepareMsi(other, 0x08090040)).toEqual({ ok: true, value: 0xfffff040 });
    expect(k.port.calls.length).toBe(1);
    expect(k.events("iommu-dma-msi-page").map((e) => e.reused)).toEqual([false, true]);
  });

  it("leaves the address physical for identity domains and before v4.8", () => {
    const k = testKernel("v6.1");
    const dev = k.device("0000:00:03.0", { pci: true });
    k.port.attach(dev, k.port.newDomain(IommuDomainType.IDENTITY));
    expect(k.dma.iommuDmaPrepareMsi(dev, 0x08090040)).toEqual({ ok: true, value: 0x08090040 });
    const old = testKernel("v4.7");
    const { dev: d7 } = iommuDevice(old, "0000:00:03.0", { pci: true });
    expect(old.dma.iommuDmaPrepareMsi(d7, 0x08090040)).toEqual({ ok: true, value: 0x08090040 });
  });
});

describe("flush queue (DMA-FQ)", () => {
  it("defers the invalidation and the IOVA free until the 10 ms timer flushes the whole domain", () => {
    const k = testKernel("v6.1");
    const { dev, domain } = iommuDevice(k, "0000:01:00.0", { pci: true, type: IommuDomainType.DMA_FQ });
    const a = k.dma.dmaMapSingle(dev, 0x40000000, 4096, "to-device");
    k.dma.dmaUnmapSingle(dev, a, 4096, "to-device");
    expect(domain.pgtable.iovaToPhys(a)).toBe(0); // PTE cleared at once...
    expect(k.port.calls.map((c) => c.op)).toEqual(["map", "unmap"]); // ...but no TLB sync
    expect(k.dma.cookieOf(domain)?.fq?.pending()).toEqual([{ pfn: 0xfffff, pages: 1 }]);
    // The IOVA is still allocated: the next map gets a different one.
    const b = k.dma.dmaMapSingle(dev, 0x40001000, 4096, "to-device");
    expect(b).toBe(0xffffe000);
    k.core.scheduler.advanceBy(IOVA_FQ_TIMEOUT_US - 1);
    k.core.scheduler.runPending();
    expect(k.port.calls.filter((c) => c.op === "flush-all").length).toBe(0);
    k.core.scheduler.runUntilIdle();
    expect(k.port.calls.filter((c) => c.op === "flush-all").length).toBe(1);
    expect(k.events("fq-flush")).toMatchObject([{ reason: "timeout", freed: 1 }]);
    expect(k.dma.dmaMapSingle(dev, 0x40002000, 4096, "to-device")).toBe(a); // back from the range cache
  });

  it("flushes early when the 256-entry ring is full (255 usable)", () => {
    const k = testKernel("v6.1");
    const { dev } = iommuDevice(k, "0000:01:00.0", { pci: true, type: IommuDomainType.DMA_FQ });
    const addrs: number[] = [];
    for (let i = 0; i < IOVA_FQ_SIZE; i++) addrs.push(k.dma.dmaMapSingle(dev, 0x40000000 + i * 4096, 4096, "to-device"));
    for (const a of addrs) k.dma.dmaUnmapSingle(dev, a, 4096, "to-device");
    expect(k.events("fq-flush")).toMatchObject([{ reason: "full", freed: 255 }]);
    expect(k.port.calls.filter((c) => c.op === "iotlb-sync").length).toBe(0);
  });

  it("v4.12 has no flush queue: a DMA-FQ domain is invalidated strictly", () => {
    const k = testKernel("v4.12");
    const { dev } = iommuDevice(k, "0000:01:00.0", { pci: true, type: IommuDomainType.DMA_FQ });
    const a = k.dma.dmaMapSingle(dev, 0x40000000, 4096, "to-device");
    k.dma.dmaUnmapSingle(dev, a, 4096, "to-device");
    expect(k.port.calls.map((c) => c.op)).toEqual(["map", "unmap", "iotlb-sync"]);
  });
});
