import { describe, expect, it } from "vitest";
import { IovaDomain } from "./iova-domain";
import { RCACHE_V6_1, RCACHE_V6_7 } from "./rcache";

const LIMIT32 = 0xfffff; // DMA_BIT_MASK(32) >> 12

describe("IovaDomain (drivers/iommu/iova.c)", () => {
  it("allocates top-down below the limit, each range just under the previous one", () => {
    const iovad = new IovaDomain(4096, 1);
    expect(iovad.dma32bitPfn).toBe(0x100000);
    expect(iovad.allocIova(1, LIMIT32, true)?.pfnLo).toBe(0xfffff);
    expect(iovad.allocIova(1, LIMIT32, true)?.pfnLo).toBe(0xffffe);
    expect(iovad.allocIova(2, LIMIT32, true)?.pfnLo).toBe(0xffffc);
    expect(iovad.ranges()).toEqual([
      { pfnLo: 0xffffc, pfnHi: 0xffffd },
      { pfnLo: 0xffffe, pfnHi: 0xffffe },
      { pfnLo: 0xfffff, pfnHi: 0xfffff },
    ]);
  });

  it("size-aligns power-of-two-rounded sizes (fls_long(size - 1)) and leaves the gap above", () => {
    const iovad = new IovaDomain(4096, 1);
    iovad.allocIova(1, LIMIT32, true); // 0xfffff
    iovad.allocIova(1, LIMIT32, true); // 0xffffe
    expect(iovad.allocIova(4, LIMIT32, true)?.pfnLo).toBe(0xffff8);
    expect(iovad.allocIova(3, LIMIT32, true)?.pfnLo).toBe(0xffff4); // aligned to 4
    expect(iovad.allocIova(3, LIMIT32, false)?.pfnLo).toBe(0xffff1); // unaligned: right below
    expect(iovad.allocIova(16, LIMIT32, true)?.pfnLo).toBe(0xfffe0);
  });

  it("walks down from the cached node, so a hole above it is not revisited until a free moves the cache", () => {
    const iovad = new IovaDomain(4096, 1);
    const a = iovad.allocIova(1, LIMIT32, true); // fffff
    iovad.allocIova(1, LIMIT32, true); // ffffe
    expect(a).not.toBeNull();
    iovad.freeIova(0xfffff);
    // __cached_rbnode_delete_update: freeing at or above cached32 moves it to rb_next (the anchor).
    expect(iovad.allocIova(1, LIMIT32, true)?.pfnLo).toBe(0xfffff);
    iovad.freeIova(0xffffe);
    // ffffe is below cached32 (now fffff): the cache stays, so the next walk starts below fffff and finds ffffe.
    expect(iovad.allocIova(1, LIMIT32, true)?.pfnLo).toBe(0xffffe);
  });

  it("retries once from the limit when the walk below the cached node runs out (iova_find_limit)", () => {
    const iovad = new IovaDomain(4096, 0x7fff0);
    // A 31-bit device fills everything below 2 GiB; the 32-bit cached node ends at the lowest of them.
    for (let i = 0; i < 0x10; i++) iovad.allocIova(1, 0x7ffff, true);
    // A 32-bit allocation starts its walk there, finds nothing below, and retries from the limit down.
    expect(iovad.allocIova(1, LIMIT32, true)?.pfnLo).toBe(0xfffff);
  });

  it("fails when neither walk finds room, remembering the size", () => {
    const iovad = new IovaDomain(4096, 0xffff0);
    for (let i = 0; i < 0x10; i++) iovad.allocIova(1, LIMIT32, true);
    expect(iovad.allocIova(1, LIMIT32, true)).toBeNull();
    expect(iovad.max32AllocSize).toBe(1);
    // Any free below 4 GiB resets max32_alloc_size (and moves the 32-bit cached node up to the freed range's
    // successor, so the next walk starts right above the hole).
    iovad.freeIova(0xffff8);
    expect(iovad.max32AllocSize).toBe(iovad.dma32bitPfn);
    expect(iovad.allocIova(1, LIMIT32, true)?.pfnLo).toBe(0xffff8);
  });

  it("fails fast below 4 GiB for sizes known not to fit (max32_alloc_size)", () => {
    const iovad = new IovaDomain(4096, 0xffff0);
    expect(iovad.allocIova(32, LIMIT32, true)).toBeNull();
    expect(iovad.max32AllocSize).toBe(32);
    expect(iovad.allocIova(64, LIMIT32, true)).toBeNull();
    expect(iovad.allocIova(16, LIMIT32, true)?.pfnLo).toBe(0xffff0);
  });

  it("keeps separate cached nodes above and below 4 GiB", () => {
    const iovad = new IovaDomain(4096, 1);
    expect(iovad.allocIova(1, 0xfffffffff, true)?.pfnLo).toBe(0xfffffffff);
    expect(iovad.allocIova(1, LIMIT32, true)?.pfnLo).toBe(0xfffff);
    expect(iovad.allocIova(1, 0xfffffffff, true)?.pfnLo).toBe(0xffffffffe);
  });

  it("reserve_iova merges with overlapping ranges and allocation steps around reservations", () => {
    const iovad = new IovaDomain(4096, 1);
    iovad.reserveIova(0x10000, 0x3efef); // QEMU virt's 32-bit PCI window
    iovad.reserveIova(0xffff0, 0xfffff);
    iovad.reserveIova(0xfffe8, 0xffff4); // overlaps the one above: extends it downwards
    expect(iovad.ranges()).toEqual([
      { pfnLo: 0x10000, pfnHi: 0x3efef },
      { pfnLo: 0xfffe8, pfnHi: 0xfffff },
    ]);
    expect(iovad.allocIova(1, LIMIT32, true)?.pfnLo).toBe(0xfffe7);
    expect(iovad.findIova(0x20000)).toEqual({ pfnLo: 0x10000, pfnHi: 0x3efef });
    expect(iovad.findIova(0x3eff0)).toBeNull();
  });

  it("never hands out pfn 0 (start_pfn >= 1)", () => {
    const iovad = new IovaDomain(4096, 1);
    iovad.reserveIova(2, 0xfffff);
    expect(iovad.allocIova(1, LIMIT32, true)?.pfnLo).toBe(1);
    expect(iovad.allocIova(1, LIMIT32, true)).toBeNull();
  });
});

describe("IOVA range caches (iova_rcache_*)", () => {
  it("a freed range of a cached order comes back on the next allocation of that order, LIFO", () => {
    const iovad = new IovaDomain(4096, 1, RCACHE_V6_1);
    const a = iovad.allocIovaFast(1, LIMIT32, true);
    const b = iovad.allocIovaFast(1, LIMIT32, true);
    expect([a, b]).toEqual([{ pfn: 0xfffff, from: "tree" }, { pfn: 0xffffe, from: "tree" }]);
    expect(iovad.freeIovaFast(0xfffff, 1)).toBe("rcache");
    expect(iovad.freeIovaFast(0xffffe, 1)).toBe("rcache");
    // still allocated in the tree while cached
    expect(iovad.size).toBe(2);
    expect(iovad.allocIovaFast(1, LIMIT32, true)).toEqual({ pfn: 0xffffe, from: "rcache" });
    expect(iovad.allocIovaFast(1, LIMIT32, true)).toEqual({ pfn: 0xfffff, from: "rcache" });
    expect(iovad.allocIovaFast(1, LIMIT32, true)).toEqual({ pfn: 0xffffd, from: "tree" });
  });

  it("caches by order_base_2 of the size; 3 pages share order 2 with 4", () => {
    const iovad = new IovaDomain(4096, 1, RCACHE_V6_1);
    const r = iovad.allocIovaFast(4, LIMIT32, true);
    expect(r?.pfn).toBe(0xffffc);
    iovad.freeIovaFast(0xffffc, 3);
    expect(iovad.rcaches?.cached(2)).toEqual([0xffffc]);
    expect(iovad.allocIovaFast(4, LIMIT32, true)).toEqual({ pfn: 0xffffc, from: "rcache" });
  });

  it("ranges of 64 pages or more bypass the caches", () => {
    const iovad = new IovaDomain(4096, 1, RCACHE_V6_1);
    const r = iovad.allocIovaFast(64, LIMIT32, true);
    expect(iovad.freeIovaFast(r?.pfn as number, 64)).toBe("tree");
    expect(iovad.size).toBe(0);
  });

  it("skips cached pfns above the requested limit (iova_magazine_pop)", () => {
    const iovad = new IovaDomain(4096, 1, RCACHE_V6_1);
    iovad.allocIovaFast(1, 0xfffffffff, true); // 0xfffffffff
    iovad.freeIovaFast(0xfffffffff, 1);
    expect(iovad.allocIovaFast(1, LIMIT32, false)).toEqual({ pfn: 0xfffff, from: "tree" });
    expect(iovad.allocIovaFast(1, 0xfffffffff, false)).toEqual({ pfn: 0xfffffffff, from: "rcache" });
  });

  it("fills loaded, then prev, then moves full magazines to the depot (128 pfns each in 6.1, 127 in 6.7+)", () => {
    for (const cfg of [RCACHE_V6_1, RCACHE_V6_7]) {
      const iovad = new IovaDomain(4096, 1, cfg);
      const pfns: number[] = [];
      for (let i = 0; i < cfg.magSize * 3 + 1; i++) pfns.push((iovad.allocIovaFast(1, LIMIT32, true) as { pfn: number }).pfn);
      for (const p of pfns) iovad.freeIovaFast(p, 1);
      expect(iovad.rcaches?.depotSize(0)).toBe(2);
      expect(iovad.rcaches?.cached(0).length).toBe(pfns.length);
    }
  });

  it("a full 6.1 depot sends the loaded magazine's ranges back to the tree", () => {
    const iovad = new IovaDomain(4096, 1, { magSize: 2, depotMax: 1 });
    const pfns = [1, 2, 3, 4, 5, 6, 7].map(() => (iovad.allocIovaFast(1, LIMIT32, true) as { pfn: number }).pfn);
    for (const p of pfns) iovad.freeIovaFast(p, 1);
    // loaded+prev hold 4, the depot 1 magazine (2), and one magazine of 2 was freed to the tree: 7 - 2 = 5 remain.
    expect(iovad.size).toBe(5);
    expect(iovad.rcaches?.cached(0).length).toBe(5);
  });

  it("alloc_iova_fast flushes the caches back to the tree before giving up", () => {
    const iovad = new IovaDomain(4096, 0xffffe, RCACHE_V6_1);
    const a = iovad.allocIovaFast(2, LIMIT32, true); // ffffe-fffff
    iovad.freeIovaFast(a?.pfn as number, 2);
    expect(iovad.allocIovaFast(1, LIMIT32, false)).toBeNull();
    expect(iovad.allocIovaFast(1, LIMIT32, true)).toEqual({ pfn: 0xfffff, from: "tree" });
  });
});
