/**
 * dma-direct with `dma-ranges` and masks, swiotlb bouncing in simulated RAM (data copied both ways according to the
 * direction), the v4.x overflow buffer, dummy ops, and the DMA API's bookkeeping.
 */
import { describe, expect, it } from "vitest";
import {
  DMA_MAPPING_ERROR,
  dmaBitMask,
  dmaOpsKind,
  getDmaOps,
  IO_TLB_SIZE,
  liveDmaMappings,
  makeScatterList,
} from "../src/index";
import { HIGH_RAM, testKernel } from "./helpers";

const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

describe("dma-direct (v6.1, NULL ops)", () => {
  it("returns the physical address translated by dma-ranges, and fails beyond the mask without swiotlb", () => {
    const k = testKernel("v6.1");
    const dev = k.device("10000000.dma-master");
    expect(dmaOpsKind(dev)).toBe("direct");
    // dma-ranges = <0x0 0x0 0x40000000 0x0 0x40000000>: CPU 0x40000000 appears at bus 0x0.
    k.dma.setDmaRangeMap(dev, [{ cpuStart: 0x40000000, dmaStart: 0, size: 0x40000000 }]);
    expect(k.dma.dmaMapSingle(dev, 0x40201000, 512, "to-device")).toBe(0x201000);
    // A 20-bit mask cannot reach bus 0x201000: it bounces; the pool (at the bottom of RAM, bus 0x0) can be reached.
    k.dma.dmaSetMask(dev, dmaBitMask(21));
    const a = k.dma.dmaMapSingle(dev, 0x40201000, 512, "to-device");
    expect(k.dma.swiotlb?.contains(a + 0x40000000)).toBe(true);
    expect(k.events("swiotlb-map").length).toBe(1);
  });

  it("an address outside every dma-range cannot be mapped directly", () => {
    const k = testKernel("v6.1");
    const dev = k.device("d");
    k.dma.setDmaRangeMap(dev, [{ cpuStart: 0x50000000, dmaStart: 0x10000000, size: 0x1000000 }]);
    // 0x40000000 is outside the range: phys_to_dma gives the error cookie, which is not dma_capable, so it bounces
    // into the pool (at 0x40000000) -- which is outside the range too: the map fails.
    expect(k.dma.dmaMapSingle(dev, 0x40000000, 64, "to-device")).toBe(DMA_MAPPING_ERROR);
    expect(k.dma.dmaMappingError(dev, DMA_MAPPING_ERROR)).toBe(true);
  });
});

describe("swiotlb bouncing", () => {
  it("copies in on map (to-device) and back on unmap (from-device), through 2 KiB slots in low RAM", () => {
    const k = testKernel("v4.12", { highRam: true });
    const dev = k.device("d");
    k.dma.setDmaOps(dev, k.dma.ops.swiotlb, "explicit");
    expect(dmaOpsKind(dev)).toBe("swiotlb");
    const buf = HIGH_RAM + 0x3000; // above a 32-bit mask
    k.memory.writeBytes(buf, fill(3000, 0xa5));
    const dma = k.dma.dmaMapSingle(dev, buf, 3000, "bidirectional");
    expect(dma).toBeGreaterThanOrEqual(k.dma.swiotlb?.start as number);
    expect(dma).toBeLessThan(k.dma.swiotlb?.end as number);
    expect(k.dma.swiotlb?.usedSlots).toBe(2);
    expect(k.memory.readBytes(dma, 3000)).toEqual(fill(3000, 0xa5)); // the device sees the CPU's data
    k.memory.writeBytes(dma, fill(3000, 0x5a)); // the device writes its answer into the slot
    expect(k.memory.readBytes(buf, 4)).toEqual(fill(4, 0xa5)); // not visible before unmap/sync
    k.dma.dmaSyncSingleForCpu(dev, dma, 3000, "bidirectional");
    expect(k.memory.readBytes(buf, 3000)).toEqual(fill(3000, 0x5a));
    k.memory.writeBytes(buf, fill(16, 0x11));
    k.dma.dmaSyncSingleForDevice(dev, dma, 16, "bidirectional");
    expect(k.memory.readBytes(dma, 16)).toEqual(fill(16, 0x11));
    k.dma.dmaUnmapSingle(dev, dma, 3000, "bidirectional");
    expect(k.dma.swiotlb?.usedSlots).toBe(0);
    expect(k.events("swiotlb-bounce").map((e) => e.copy)).toEqual(["to-tlb", "from-tlb", "to-tlb", "from-tlb"]);
  });

  it("follows the direction: to-device never copies back, from-device copies in only on modern kernels", () => {
    for (const [gen, copiedIn] of [["v4.12", false], ["v6.1", true]] as const) {
      const k = testKernel(gen, { highRam: true });
      const dev = k.device("d");
      if (gen === "v4.12") k.dma.setDmaOps(dev, k.dma.ops.swiotlb, "explicit");
      const buf = HIGH_RAM;
      k.memory.writeBytes(buf, fill(64, 0x77));
      const rx = k.dma.dmaMapSingle(dev, buf, 64, "from-device");
      expect(k.memory.readBytes(rx, 1)?.[0]).toBe(copiedIn ? 0x77 : 0);
      k.memory.writeBytes(rx, fill(64, 0x33));
      k.dma.dmaUnmapSingle(dev, rx, 64, "from-device");
      expect(k.memory.readBytes(buf, 1)?.[0]).toBe(0x33);
      const tx = k.dma.dmaMapSingle(dev, buf, 64, "to-device");
      k.memory.writeBytes(tx, fill(64, 0x99));
      k.dma.dmaUnmapSingle(dev, tx, 64, "to-device");
      expect(k.memory.readBytes(buf, 1)?.[0]).toBe(0x33);
    }
  });

  it("page-sized mappings start on a page boundary and never cross a 128-slot segment", () => {
    const k = testKernel("v6.1", { highRam: true, swiotlbSize: 0x80000 });
    const dev = k.device("d");
    const small = k.dma.dmaMapSingle(dev, HIGH_RAM, 100, "to-device");
    const page = k.dma.dmaMapSingle(dev, HIGH_RAM + 0x1000, 4096, "to-device");
    expect(small - (k.dma.swiotlb?.start as number)).toBe(0);
    expect(page % 4096).toBe(0);
    expect(page - small).toBe(4096);
    // A whole segment (128 slots = 256 KiB) fits once per segment; the next one takes the second segment.
    const seg = k.dma.dmaMapSingle(dev, HIGH_RAM + 0x10000, 128 * IO_TLB_SIZE, "to-device");
    expect((seg - (k.dma.swiotlb?.start as number)) % (128 * IO_TLB_SIZE)).toBe(0);
    expect(k.dma.dmaMapSingle(dev, HIGH_RAM + 0x80000, 128 * IO_TLB_SIZE, "to-device")).toBe(DMA_MAPPING_ERROR);
  });

  it("v4.x: a full pool returns the overflow buffer's address, which dma_mapping_error recognises", () => {
    const k = testKernel("v4.7", { highRam: true, swiotlbSize: 0x1000 });
    const dev = k.device("d");
    k.dma.setDmaOps(dev, k.dma.ops.swiotlb, "explicit");
    const a = k.dma.dmaMapSingle(dev, HIGH_RAM, 0x1000, "to-device");
    expect(k.dma.dmaMappingError(dev, a)).toBe(false);
    const b = k.dma.dmaMapSingle(dev, HIGH_RAM + 0x1000, 0x1000, "to-device");
    expect(b).toBe(k.dma.swiotlb?.overflowBuffer);
    expect(b).not.toBe(DMA_MAPPING_ERROR);
    expect(k.dma.dmaMappingError(dev, b)).toBe(true);
    expect(liveDmaMappings(dev).map((m) => m.dmaAddr)).toEqual([a]);
  });

  it("v4.x swiotlb_alloc_coherent falls back to the pool when the pages are beyond the coherent mask", () => {
    const k = testKernel("v4.7");
    const dev = k.device("d");
    k.dma.setDmaOps(dev, k.dma.ops.swiotlb, "explicit");
    // Pages come from 0x40000000 up; the pool sits at the bottom. A mask just above the pool forces the fallback.
    k.dma.dmaSetCoherentMask(dev, (k.dma.swiotlb?.end as number) + 0xfff);
    const got = k.dma.dmaAllocCoherent(dev, 8192);
    expect(got).not.toBeNull();
    expect(k.dma.swiotlb?.contains(got?.cpuPa as number)).toBe(true);
    k.dma.dmaFreeCoherent(dev, 8192, got?.cpuPa as number, got?.dmaAddr as number);
    expect(k.dma.swiotlb?.usedSlots).toBe(0);
  });
});

describe("dummy_dma_ops (v4.7–v4.14 fallback for NULL ops)", () => {
  it("fails every call", () => {
    const k = testKernel("v4.12");
    const dev = k.device("unconfigured");
    expect(getDmaOps(dev)?.name).toBe("dummy_dma_ops");
    expect(dmaOpsKind(dev)).toBe("dummy");
    expect(k.dma.dmaAllocCoherent(dev, 4096)).toBeNull();
    const a = k.dma.dmaMapSingle(dev, 0x40000000, 4096, "to-device");
    expect(a).toBe(DMA_MAPPING_ERROR);
    expect(k.dma.dmaMappingError(dev, a)).toBe(true);
    expect(k.dma.dmaMappingError(dev, 0x1000)).toBe(true); // __dummy_mapping_error always says yes
    expect(k.dma.dmaMapSg(dev, makeScatterList([[0x40000000, 4096]]), "to-device")).toBe(0);
    expect(k.dma.dmaSetMask(dev, dmaBitMask(64))).toBe(-5); // -EIO: dma_supported is 0
    expect(liveDmaMappings(dev)).toEqual([]);
    expect(k.events("dma-map").every((e) => e.ops === "dummy" && e.dmaAddr === DMA_MAPPING_ERROR)).toBe(true);
  });
});

describe("DMA API bookkeeping", () => {
  it("books every live mapping with its ops and owner, and notices unmapping what was never mapped", () => {
    const k = testKernel("v6.1");
    const dev = k.device("d");
    const a = k.dma.dmaMapSingle(dev, 0x40010000, 100, "to-device");
    const b = k.dma.dmaMapSingle(dev, 0x40010000, 100, "to-device"); // same buffer twice: same bus address
    expect(a).toBe(b);
    const c = k.dma.dmaAllocCoherent(dev, 100);
    expect(liveDmaMappings(dev).map((m) => [m.api, m.opsKind, m.owner])).toEqual([
      ["single", "direct", "driverless"],
      ["single", "direct", "driverless"],
      ["coherent", "direct", "driverless"],
    ]);
    k.dma.dmaUnmapSingle(dev, a, 100, "to-device");
    k.dma.dmaUnmapSingle(dev, b, 100, "to-device");
    k.dma.dmaUnmapSingle(dev, b, 100, "to-device");
    expect(k.events("dma-unmap").map((e) => e.found)).toEqual([true, true, false]);
    expect(liveDmaMappings(dev).map((m) => m.dmaAddr)).toEqual([c?.dmaAddr]);
    expect(k.events("dma-map")[0]).toMatchObject({ device: "d", ops: "direct", driver: null, bound: false, owner: "driverless" });
  });
});
