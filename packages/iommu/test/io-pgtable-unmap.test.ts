/**
 * Unmap, split-on-unmap and TLB maintenance, and the behaviours that differ between io-pgtable-arm generations
 * (drivers/iommu/io-pgtable-arm.c: v4.4 @ 02d8f11d, v4.19 @ f8d80575, and the 2025 file), checked through the
 * tables left in simulated RAM and the TLB callbacks io-pgtable makes.
 */
import { FrameAllocator, PhysicalMemory } from "@dmasim/machine";
import { describe, expect, it } from "vitest";
import {
  allocIoPgtable,
  IommuProt,
  IoPgtableQuirk,
  ioPgtableEras,
  makeIotlbGather,
  makeNoopIoPgtableTlbOps,
  type IommuIotlbGather,
  type IoPgtableCfg,
  type IoPgtableEra,
} from "@dmasim/iommu";

const { IOMMU_READ, IOMMU_WRITE, IOMMU_NOEXEC, IOMMU_CACHE } = IommuProt;
const RW = IOMMU_READ | IOMMU_WRITE;
const SZ_4K = 0x1000;
const SZ_2M = 0x20_0000;
const SZ_1G = 0x4000_0000;
const RAM = 0x8000_0000;

type TlbEvent = readonly ["add_page", number, number] | readonly ["flush_walk", number, number, number] | readonly ["sync"];

function setup(era: IoPgtableEra, over: Partial<IoPgtableCfg> = {}) {
  const memory = new PhysicalMemory();
  memory.addRam({ name: "dram", base: RAM, size: 0x2000_0000 });
  // Tables come from the top half; the bottom half is "DMA buffer" memory.
  const frames = new FrameAllocator(memory, { base: RAM + 0x1000_0000, size: 0x1000_0000 });
  const events: TlbEvent[] = [];
  const gathers: IommuIotlbGather[] = [];
  const warnings: string[] = [];
  const tlb = makeNoopIoPgtableTlbOps({
    tlbAddPage: (gather, iova, granule) => {
      gathers.push(gather);
      events.push(["add_page", iova, granule]);
    },
    tlbFlushWalk: (iova, size, granule) => events.push(["flush_walk", iova, size, granule]),
    tlbSync: () => events.push(["sync"]),
  });
  const r = allocIoPgtable(
    "ARM_64_LPAE_S1",
    { pgsizeBitmap: SZ_4K | SZ_2M | SZ_1G, ias: 48, oas: 48, quirks: 0, coherentWalk: true, era, ...over },
    { memory, frames, tlb, warn: (m) => warnings.push(m) },
  );
  if (!r.ok) throw new Error(r.error.message);
  return { ops: r.value, memory, events, gathers, warnings, frames };
}

const V44 = ioPgtableEras["v4.4"];
const V61 = ioPgtableEras["v6.1"];
const V613 = ioPgtableEras["v6.13"];

describe("unmap and TLB maintenance", () => {
  it("v4.4 unmaps a page with tlb_add_flush(leaf) then tlb_sync", () => {
    const { ops, events } = setup(V44);
    ops.map(0x1000, RAM, SZ_4K, RW);
    expect(ops.unmap(0x1000, SZ_4K)).toBe(SZ_4K);
    expect(events).toEqual([["add_page", 0x1000, SZ_4K], ["sync"]]);
    expect(ops.iovaToPhys(0x1000)).toBe(0);
  });

  it("modern kernels add the page to the caller's gather and leave the sync to the IOMMU core", () => {
    const { ops, events, gathers } = setup(V61);
    ops.map(0x1000, RAM, SZ_4K, RW);
    const gather = makeIotlbGather();
    expect(ops.unmap(0x1000, SZ_4K, gather)).toBe(SZ_4K);
    expect(events).toEqual([["add_page", 0x1000, SZ_4K]]);
    expect(gathers[0]).toBe(gather);
  });

  it("modern kernels add nothing when a flush queue owns the gather (lazy mode)", () => {
    const { ops, events } = setup(V61);
    ops.map(0x1000, RAM, SZ_4K, RW);
    expect(ops.unmap(0x1000, SZ_4K, { ...makeIotlbGather(), queued: true })).toBe(SZ_4K);
    expect(events).toEqual([]);
  });

  it.each([
    ["v4.4", V44, [["flush_walk", SZ_2M, SZ_2M, SZ_4K], ["sync"], ["sync"]]],
    ["v6.1", V61, [["flush_walk", SZ_2M, SZ_2M, SZ_4K]]],
  ] as const)("%s: unmapping a table-sized range flushes the walk and frees the table", (_n, era, want) => {
    const { ops, events, frames } = setup(era);
    ops.map(SZ_2M, RAM, SZ_4K, RW);
    ops.map(SZ_2M + SZ_4K, RAM + SZ_4K, SZ_4K, RW);
    const tables = ops.tablePages;
    expect(ops.unmap(SZ_2M, SZ_2M)).toBe(SZ_2M);
    expect(events).toEqual(want);
    expect(ops.tablePages).toBe(tables - 1);
    expect(frames.outstanding("io-pgtable")).toHaveLength(tables - 1);
    expect(ops.iovaToPhys(SZ_2M + SZ_4K)).toBe(0);
  });

  it.each([
    ["v4.4", V44],
    ["v6.1", V61],
  ] as const)("%s: a block mapped over a table replaces it (the table is unmapped and freed first)", (_n, era) => {
    const { ops, events } = setup(era);
    ops.map(2 * SZ_2M + SZ_4K, RAM, SZ_4K, RW);
    const tables = ops.tablePages;
    expect(ops.map(2 * SZ_2M, RAM + SZ_2M, SZ_2M, RW)).toBe(0);
    expect(events[0]).toEqual(["flush_walk", 2 * SZ_2M, SZ_2M, SZ_4K]);
    expect(ops.tablePages).toBe(tables - 1);
    expect(ops.iovaToPhys(2 * SZ_2M + 42)).toBe(RAM + SZ_2M + 42);
  });

  it("unmapping nothing returns 0 and WARNs (modern: unless NO_WARN)", () => {
    for (const [era, quirks, warned] of [
      [V44, 0, true],
      [V61, 0, true],
      [V61, IoPgtableQuirk.NO_WARN, false],
    ] as const) {
      const { ops, warnings } = setup(era, { quirks });
      expect(ops.unmap(0x1000, SZ_4K)).toBe(0);
      expect(warnings.length > 0).toBe(warned);
    }
  });
});

describe("partial unmap of a block", () => {
  const prot = IOMMU_READ | IOMMU_NOEXEC | IOMMU_CACHE;

  it("v4.4 splits a 2M block into 4K pages carrying the block's attributes, flushing the whole block", () => {
    const { ops, events, memory } = setup(V44);
    ops.map(SZ_1G, RAM, SZ_2M, prot);
    const tables = ops.tablePages;
    expect(ops.unmap(SZ_1G + 5 * SZ_4K, SZ_4K)).toBe(SZ_4K);
    expect(events).toEqual([["add_page", SZ_1G, SZ_2M], ["sync"]]);
    expect(ops.tablePages).toBe(tables + 1);
    expect(ops.iovaToPhys(SZ_1G + 5 * SZ_4K)).toBe(0);
    expect(ops.iovaToPhys(SZ_1G + 6 * SZ_4K + 42)).toBe(RAM + 6 * SZ_4K + 42);
    // The new L3 table: every entry but 5 is a page with the block's attributes (XN, AP[2], AttrIndx 1, SH IS).
    const l2 = memory.read64(l2TableOf(memory, ops.cfg.s1.ttbr, SZ_1G)) as bigint;
    const l3 = Number(l2 & 0xffff_ffff_f000n);
    expect(memory.read64(l3 + 5 * 8)).toBe(0n);
    expect(memory.read64(l3 + 6 * 8)).toBe(0x0060_0000_8000_6fc7n);
  });

  it("v6.1 splits one level at a time and flushes only the page it unmapped", () => {
    const { ops, events } = setup(V61);
    ops.map(SZ_1G, RAM, SZ_2M, prot);
    const tables = ops.tablePages;
    expect(ops.unmap(SZ_1G + 5 * SZ_4K, SZ_4K)).toBe(SZ_4K);
    expect(events).toEqual([["add_page", SZ_1G + 5 * SZ_4K, SZ_4K]]);
    expect(ops.tablePages).toBe(tables + 1);
    expect(ops.iovaToPhys(SZ_1G + 5 * SZ_4K)).toBe(0);
    expect(ops.iovaToPhys(SZ_1G + SZ_2M - 1)).toBe(RAM + SZ_2M - 1);
  });

  it("a 4K hole in a 1G block: v4.4 remaps the rest as 4K pages (513 tables), v6.1 splits 1G→2M→4K (2 tables)", () => {
    const v44 = setup(V44);
    const v61 = setup(V61);
    for (const { ops } of [v44, v61]) {
      ops.map(2 * SZ_1G, 4 * SZ_1G, SZ_1G, RW);
      expect(ops.unmap(2 * SZ_1G + 0x1234_5000, SZ_4K)).toBe(SZ_4K);
      for (const off of [0, 0x1234_4fff, 0x1234_6000, SZ_1G - 1]) {
        expect(ops.iovaToPhys(2 * SZ_1G + off)).toBe(4 * SZ_1G + off);
      }
      expect(ops.iovaToPhys(2 * SZ_1G + 0x1234_5678)).toBe(0);
    }
    // PGD + L1 + (v4.4: one L2 and 512 L3 tables | v6.1: one L2 of 2M blocks and one L3 table).
    expect(v44.ops.tablePages).toBe(2 + 1 + 512);
    expect(v61.ops.tablePages).toBe(2 + 2);
  });

  it("v6.13 refuses: 0 bytes unmapped, a WARN, the block untouched and no TLB maintenance", () => {
    const { ops, events, warnings } = setup(V613);
    ops.map(SZ_1G, RAM, SZ_2M, prot);
    const tables = ops.tablePages;
    expect(ops.unmap(SZ_1G + 5 * SZ_4K, SZ_4K)).toBe(0);
    expect(warnings).toEqual(["Unmap of a partial large IOPTE is not allowed"]);
    expect(events).toEqual([]);
    expect(ops.tablePages).toBe(tables);
    expect(ops.iovaToPhys(SZ_1G + 5 * SZ_4K)).toBe(RAM + 5 * SZ_4K);
  });

  it("v4.4: a split at a size that is not a page size fails, frees its table and unmaps nothing", () => {
    const { ops } = setup(V44);
    ops.map(SZ_1G, RAM, SZ_2M, RW);
    const tables = ops.tablePages;
    expect(ops.unmap(SZ_1G + 0x4000, 0x2000)).toBe(0);
    expect(ops.tablePages).toBe(tables);
    expect(ops.iovaToPhys(SZ_1G + 42)).toBe(RAM + 42);
    expect(ops.unmap(SZ_1G, SZ_2M)).toBe(SZ_2M);
  });
});

describe("map_pages / unmap_pages runs", () => {
  it("modern map_pages stops at the end of the leaf table; the caller loops", () => {
    const { ops } = setup(V61);
    const iova = 510 * SZ_4K;
    expect(ops.mapPages(iova, RAM, SZ_4K, 4, RW)).toEqual({ ret: 0, mapped: 2 * SZ_4K });
    expect(ops.mapPages(iova + 2 * SZ_4K, RAM + 2 * SZ_4K, SZ_4K, 2, RW)).toEqual({ ret: 0, mapped: 2 * SZ_4K });
    expect(ops.unmapPages(iova, SZ_4K, 4)).toBe(2 * SZ_4K);
    expect(ops.unmapPages(iova + 2 * SZ_4K, SZ_4K, 2)).toBe(2 * SZ_4K);
  });

  it("v4.4 had no map_pages: the run is mapped one page per call, across tables", () => {
    const { ops } = setup(V44);
    expect(ops.mapPages(510 * SZ_4K, RAM, SZ_4K, 4, RW)).toEqual({ ret: 0, mapped: 4 * SZ_4K });
    expect(ops.iovaToPhys(513 * SZ_4K)).toBe(RAM + 3 * SZ_4K);
    expect(ops.unmapPages(510 * SZ_4K, SZ_4K, 4)).toBe(4 * SZ_4K);
  });

  it("modern map_pages fails a run that meets an existing leaf, and rejects sizes outside the bitmap", () => {
    const { ops } = setup(V61);
    ops.map(3 * SZ_4K, RAM, SZ_4K, RW);
    expect(ops.mapPages(0, RAM, SZ_4K, 8, RW).ret).toBe(-17);
    expect(ops.mapPages(0, RAM, 0x2000, 1, RW).ret).toBe(-22);
    expect(ops.unmapPages(0, 0x2000, 1)).toBe(0);
  });
});

describe("differences between generations", () => {
  it("iova_to_phys inside a block: v4.4 adds only the granule offset, later kernels the block offset", () => {
    const v44 = setup(V44).ops;
    const v61 = setup(V61).ops;
    for (const ops of [v44, v61]) ops.map(SZ_1G, RAM, SZ_2M, RW);
    expect(v44.iovaToPhys(SZ_1G + 0x5042)).toBe(RAM + 0x42);
    expect(v61.iovaToPhys(SZ_1G + 0x5042)).toBe(RAM + 0x5042);
  });

  it("mapping a page inside a block: v4.4 walks into the block's memory as if it were a table; modern -EEXIST", () => {
    const buffer = RAM + 0x60_0000; // a 2M DMA buffer, mapped as one block
    const v44 = setup(V44);
    v44.ops.map(SZ_1G, buffer, SZ_2M, RW);
    expect(v44.ops.map(SZ_1G + 3 * SZ_4K, RAM, SZ_4K, RW)).toBe(0);
    // The "L3 table" v4.4 wrote into is the buffer: entry 3 now holds a page descriptor.
    expect(v44.memory.read64(buffer + 3 * 8)).toBe(0x0000_0000_8000_0f43n);
    // The block still translates (v4.4 iova_to_phys adds only the granule offset inside a block).
    expect(v44.ops.iovaToPhys(SZ_1G + 3 * SZ_4K + 42)).toBe(buffer + 42);

    const v61 = setup(V61);
    v61.ops.map(SZ_1G, buffer, SZ_2M, RW);
    expect(v61.ops.map(SZ_1G + 3 * SZ_4K, RAM, SZ_4K, RW)).toBe(-17);
    expect(v61.memory.read64(buffer + 3 * 8)).toBe(0n);
  });

  it("IOVA/PA beyond IAS/OAS: modern -ERANGE; v4.4 has no check and writes past a sub-page PGD", () => {
    const v61 = setup(V61, { ias: 32, oas: 40 }).ops;
    expect(v61.map(2 ** 32, RAM, SZ_4K, RW)).toBe(-34);
    expect(v61.map(0x1000, 2 ** 40, SZ_4K, RW)).toBe(-34);
    expect(v61.unmap(2 ** 32, SZ_4K)).toBe(0);

    const v44 = setup(V44, { ias: 32 });
    expect(v44.ops.cfg.pgdSize).toBe(32);
    expect(v44.ops.map(2 ** 32 + 0x1000, RAM, SZ_4K, RW)).toBe(0);
    // PGD index 4 of a 4-entry (32-byte) PGD: the table descriptor lands in the rest of the PGD's frame.
    const pte = v44.memory.read64(v44.ops.cfg.s1.ttbr + 4 * 8) as bigint;
    expect(pte & 3n).toBe(3n);
  });

  it("a mapping with neither READ nor WRITE maps nothing and reports success", () => {
    for (const era of [V44, V61]) {
      const { ops } = setup(era);
      expect(ops.map(0x1000, RAM, SZ_4K, IOMMU_CACHE | IOMMU_NOEXEC)).toBe(0);
      expect(ops.tablePages).toBe(1);
      expect(ops.iovaToPhys(0x1000)).toBe(0);
    }
  });
});

describe("free_io_pgtable_ops", () => {
  it("returns every table frame; later calls do nothing but WARN", () => {
    const { ops, frames, warnings } = setup(V61);
    ops.map(0x1000, RAM, SZ_4K, RW);
    ops.map(SZ_1G, RAM, SZ_2M, RW);
    expect(frames.outstanding("io-pgtable").length).toBe(ops.tablePages);
    ops.free();
    ops.free();
    expect(frames.outstanding("io-pgtable")).toEqual([]);
    expect(ops.map(0x1000, RAM, SZ_4K, RW)).toBe(-22);
    expect(ops.unmap(0x1000, SZ_4K)).toBe(0);
    expect(ops.iovaToPhys(0x1000)).toBe(0);
    expect(warnings).toEqual(["map after free_io_pgtable_ops", "unmap after free_io_pgtable_ops"]);
  });
});

/** Address of the level-2 table covering `iova` (4K granule, walk from level 0). */
function l2TableOf(memory: PhysicalMemory, ttbr: number, iova: number): number {
  let table = ttbr;
  for (const shift of [39, 30]) {
    const pte = memory.read64(table + (Math.floor(iova / 2 ** shift) % 512) * 8) as bigint;
    table = Number(pte & 0xffff_ffff_f000n);
  }
  return table;
}
