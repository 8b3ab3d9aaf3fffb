import { describe, expect, it } from "vitest";
import { BUS_ERROR, FrameAllocator, MmioSpace, PhysicalMemory, join64 } from "./index";

function ram(): PhysicalMemory {
  const m = new PhysicalMemory();
  m.addRam({ name: "ram", base: 0x4000_0000, size: 0x100_0000 });
  return m;
}

describe("PhysicalMemory", () => {
  it("pageWords is the storage read32/write32 use: null off RAM and for an unwritten page unless writing", () => {
    const m = ram();
    expect(m.pageWords(0x1000, true)).toBeNull();
    expect(m.pageWords(0x4000_3010, false)).toBeNull();
    expect(m.residentPages).toBe(0);
    const w = m.pageWords(0x4000_3010, true) as Uint32Array;
    expect(m.residentPages).toBe(1);
    expect(w.length).toBe(1024);
    w[(0x4000_3010 & 0xfff) >>> 2] = 0x0fc0_2046;
    w[((0x4000_3014 & 0xfff) >>> 2)] = 0xffff_ffff;
    expect(m.read32(0x4000_3010)).toBe(0x0fc0_2046);
    expect(m.read64(0x4000_3010)).toBe(0xffff_ffff_0fc0_2046n);
    expect(m.write32(0x4000_3ffc, 0x1234_5678)).toBe(true);
    expect(m.pageWords(0x4000_3000, false)?.[1023]).toBe(0x1234_5678);
  });

  it("reads back little-endian values of every width, across a page boundary too", () => {
    const m = ram();
    expect(m.write32(0x4000_0ffe, 0xdeadbeef)).toBe(true);
    expect(m.read8(0x4000_0ffe)).toBe(0xef);
    expect(m.read16(0x4000_0fff)).toBe(0xadbe);
    expect(m.read32(0x4000_0ffe)).toBe(0xdeadbeef);
    expect(m.write64(0x4000_2000, 0x8000_0000_4e4d_1003n)).toBe(true);
    expect(m.read32(0x4000_2000)).toBe(0x4e4d1003);
    expect(m.read32(0x4000_2004)).toBe(0x8000_0000);
    expect(m.read64(0x4000_2000)).toBe(0x8000_0000_4e4d_1003n);
  });

  it("reads never-written RAM as zero without allocating it", () => {
    const m = ram();
    expect(m.read32(0x4080_0000)).toBe(0);
    expect(m.residentPages).toBe(0);
  });

  it("reports a bus error for unbacked addresses and for accesses straddling the end of RAM", () => {
    const m = ram();
    expect(m.read32(0x1000)).toBe(BUS_ERROR);
    expect(m.read64(0x1000)).toBeNull();
    expect(m.read32(0x40ff_fffe)).toBe(BUS_ERROR);
    expect(m.write32(0x40ff_fffe, 1)).toBe(false);
    expect(m.readBytes(0x40ff_fff0, 0x20)).toBeNull();
    expect(m.writeBytes(0x40ff_fff0, new Uint8Array(0x20))).toBe(false);
    expect(m.read32(0x40ff_fff0)).toBe(0);
  });

  it("handles addresses above 4 GiB", () => {
    const m = new PhysicalMemory();
    m.addRam({ name: "high", base: 0x80_0000_0000, size: 0x1000_0000 });
    expect(m.write32(0x80_0000_0104, 0x12345678)).toBe(true);
    expect(m.read32(0x80_0000_0104)).toBe(0x12345678);
    expect(join64(0x4ecba567, 0x80)).toBe(0x80_4ecb_a567);
  });

  it("rejects overlapping RAM regions", () => {
    const m = ram();
    expect(() => m.addRam({ name: "dup", base: 0x40ff_0000, size: 0x2_0000 })).toThrow(/overlaps/);
  });
});

describe("MmioSpace", () => {
  it("routes accesses to the register block by offset and reports unmapped accesses", () => {
    const writes: [number, number][] = [];
    const mmio = new MmioSpace();
    mmio.register("dev", 0x0905_0000, 0x2_0000, {
      read32: (off) => (off === 0 ? 0x0d44101a : 0),
      write32: (off, v) => void writes.push([off, v]),
      read64: () => 0n,
      write64: () => undefined,
    });
    expect(mmio.read32(0x0905_0000)).toBe(0x0d44101a);
    expect(mmio.write32(0x0905_0020, 0xc)).toBe(true);
    expect(writes).toEqual([[0x20, 0xc]]);
    expect(mmio.read32(0x0907_0000)).toBe(BUS_ERROR);
    expect(mmio.write64(0x0800_0000, 1n)).toBe(false);
  });
});

describe("FrameAllocator", () => {
  it("hands out zeroed, aligned frames deterministically and reuses freed ones", () => {
    const m = ram();
    const a = new FrameAllocator(m, { base: 0x4010_0000, size: 0x10_0000 });
    const p1 = a.alloc(4096, "pgtable");
    const p2 = a.alloc(0x4000, "strtab");
    expect(p1).toBe(0x4010_0000);
    expect(p2).toBe(0x4010_4000);
    m.write32(p1 as number, 0xffff_ffff);
    a.free(p1 as number);
    expect(a.outstanding().map((x) => x.owner)).toEqual(["strtab"]);
    const p3 = a.alloc(100, "pgtable");
    expect(p3).toBe(p1);
    expect(m.read32(p3 as number)).toBe(0);
    expect(a.allocatedBytes).toBe(0x5000);
    expect(() => a.free(0x4000_0000)).toThrow(/not allocated/);
  });

  it("returns null when the range is exhausted", () => {
    const a = new FrameAllocator(ram(), { base: 0x4000_0000, size: 0x2000 });
    expect(a.alloc(0x1000, "x")).not.toBeNull();
    expect(a.alloc(0x2000, "x")).toBeNull();
  });
});
