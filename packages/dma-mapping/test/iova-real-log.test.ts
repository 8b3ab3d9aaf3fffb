/**
 * The IOVA allocator against a real kernel: Debian's 6.1 on QEMU 7.2 (`dt-topo-gic3.log`, dyndbg on
 * drivers/iommu) printed every `iommu_map`/`iommu_unmap` of the NVMe controller 0000:04:00.0, which shares IOMMU
 * group 2 (one DMA domain) with its root port 0000:00:06.0. The root port's MSI doorbell page was mapped first; then
 * nvme's admin queues, identify buffers mapped and unmapped (the range cache hands the same IOVA back), two queue
 * buffers, a 4-page scatterlist (size-aligned: 0xffff4000, skipping 0xffff8000-0xffffa000) and a 16-page one. The
 * addresses, PAs and sizes expected here are parsed from the log; the calls are the DMA API calls those lines imply.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dmaBitMask, makeScatterList } from "../src/index";
import { testKernel } from "./helpers";

const LOG = new URL("../../../fixtures/qemu-boots/dt-topo-gic3.log", import.meta.url);

interface LogLine {
  readonly op: "map" | "unmap";
  readonly iova: number;
  readonly pa?: number;
  readonly size: number;
}

/** The `iommu: map:` / `iommu: unmap this:` lines after `from` (and before `until`, exclusive). */
function mapLines(lines: readonly string[], from: number, until = lines.length): LogLine[] {
  const out: LogLine[] = [];
  for (const line of lines.slice(from, until)) {
    let m = /iommu: map: iova 0x([0-9a-f]+) pa 0x([0-9a-f]+) size 0x([0-9a-f]+)/.exec(line);
    if (m) {
      out.push({ op: "map", iova: parseInt(m[1] as string, 16), pa: parseInt(m[2] as string, 16), size: parseInt(m[3] as string, 16) });
      continue;
    }
    m = /iommu: unmap this: iova 0x([0-9a-f]+) size 0x([0-9a-f]+)/.exec(line);
    if (m) out.push({ op: "unmap", iova: parseInt(m[1] as string, 16), size: parseInt(m[2] as string, 16) });
  }
  return out;
}

describe.skipIf(!existsSync(LOG))("IOVA allocation as the 6.1 kernel did it (dt-topo-gic3.log, nvme in group 2)", () => {
  it("reproduces every map and unmap address of the root port's MSI page and the nvme probe", () => {
    const lines = readFileSync(LOG, "utf8").split("\n");
    const rpStart = lines.findIndex((l) => l.includes("pcieport 0000:00:06.0: enabling device"));
    const nvmeStart = lines.findIndex((l) => l.includes("nvme 0000:04:00.0: enabling device"));
    const msiLine = mapLines(lines, rpStart, rpStart + 6)[0] as LogLine;
    const nvmeLines = mapLines(lines, nvmeStart);
    expect(msiLine.iova).toBe(0xfffff000);
    expect(nvmeLines.length).toBe(25);

    const k = testKernel("v6.1");
    const rp = k.device("0000:00:06.0", { pci: true });
    const nvme = k.device("0000:04:00.0", { pci: true });
    const domain = k.port.newDomain();
    k.port.attach(rp, domain);
    k.port.attach(nvme, domain);
    expect(k.dma.iommuDmaInitDomain(domain, 0, dmaBitMask(48), rp)).toBe(0);
    k.dma.setDmaOps(rp, k.dma.ops.iommu, "explicit");
    k.dma.setDmaOps(nvme, k.dma.ops.iommu, "explicit");
    k.dma.dmaSetMaskAndCoherent(nvme, dmaBitMask(64));
    k.dma.dmaSetMaxSegSize(nvme, 0xffffffff);

    // pcieport's MSI (ITS GITS_TRANSLATER at 0x08090040) on the fresh domain.
    const msi = k.dma.iommuDmaPrepareMsi(rp, 0x08090040);
    expect(msi).toEqual({ ok: true, value: 0xfffff040 });

    // nvme: the lines in order; each map/unmap the log shows, by the call that makes it.
    const l = nvmeLines;
    const pa = (i: number): number => (l[i] as LogLine).pa as number;
    const cq = k.dma.dmaAllocCoherent(nvme, 4096); // admin CQ
    const sq = k.dma.dmaAllocCoherent(nvme, 4096); // admin SQ
    expect([cq?.dmaAddr, sq?.dmaAddr]).toEqual([l[0]?.iova, l[1]?.iova]);
    for (let i = 2; i < 12; i += 2) {
      const a = k.dma.dmaMapSingle(nvme, pa(i), 4096, "from-device"); // identify data
      expect(a).toBe(l[i]?.iova);
      k.dma.dmaUnmapSingle(nvme, a, 4096, "from-device");
    }
    const a12 = k.dma.dmaMapSingle(nvme, pa(12), 4096, "bidirectional");
    const a13 = k.dma.dmaMapSingle(nvme, pa(13), 4096, "bidirectional");
    expect([a12, a13]).toEqual([l[12]?.iova, l[13]?.iova]);
    // Four pages, physically apart: one IOVA range, four iommu_map calls.
    const sg4 = makeScatterList([14, 15, 16, 17].map((i) => [pa(i), 4096] as const));
    expect(k.dma.dmaMapSg(nvme, sg4, "to-device")).toBe(1);
    // Sixteen pages in three physically contiguous runs (1 + 2 + 13 pages).
    const sg16 = makeScatterList([18, 19, 20].map((i) => [pa(i), (l[i] as LogLine).size] as const));
    expect(k.dma.dmaMapSg(nvme, sg16, "to-device")).toBe(1);
    for (let i = 21; i < 25; i += 2) {
      const a = k.dma.dmaMapSingle(nvme, pa(i), 4096, "from-device");
      k.dma.dmaUnmapSingle(nvme, a, 4096, "from-device");
    }

    const got = k.port.calls
      .filter((c) => c.op === "map" || c.op === "unmap")
      .map((c) => (c.op === "map" ? { op: "map", iova: c.iova, pa: c.pa, size: c.size } : { op: "unmap", iova: c.iova, size: c.size }));
    // Coherent buffers come from the model's page allocator: their PAs are ours, their IOVAs the kernel's.
    const expected = nvmeLines.map((line, i) => (i === 0 ? { ...line, pa: cq?.cpuPa } : i === 1 ? { ...line, pa: sq?.cpuPa } : line));
    expect(got).toEqual([{ op: "map", iova: msiLine.iova, pa: msiLine.pa, size: msiLine.size }, ...expected]);
  });
});
