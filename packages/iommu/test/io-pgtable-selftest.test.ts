/**
 * The kernel's io-pgtable-arm self-test (`arm_lpae_run_tests` / `arm_lpae_do_selftests`, smmuv3-model.md §5.7) run
 * against the model for ARM_64_LPAE_S1, in both of its historical forms:
 *
 * - v4.4 (drivers/iommu/io-pgtable-arm.c @ 02d8f11d): IAS ∈ {32..48} × 3 granules, OAS 48, with the "Partial unmap"
 *   step that splits a block; run in the v4.4 era and in the v6.1 era (modern bits, still splitting).
 * - modern (io-pgtable-arm-selftests.c, 2025): every IAS ≤ OAS from the same list (63 configs), no partial unmap, plus
 *   "map/unmap the last largest supported page of the IAS"; run in the v6.13 era (no split).
 *
 * ARM_64_LPAE_S2 (the kernel runs each config for S2 too) is not modelled.
 */
import { FrameAllocator, PhysicalMemory } from "@dmasim/machine";
import { describe, expect, it } from "vitest";
import {
  allocIoPgtable,
  IommuProt,
  ioPgtableEras,
  makeNoopIoPgtableTlbOps,
  type IoPgtableEra,
  type IoPgtableOps,
} from "@dmasim/iommu";

const SZ_1G = 0x4000_0000;
const SZ_2G = 0x8000_0000;
const { IOMMU_READ, IOMMU_WRITE, IOMMU_NOEXEC, IOMMU_CACHE } = IommuProt;
const EEXIST = -17;

/** `arm_lpae_do_selftests`: pgsize[] and ias[] / address_size[]. */
const PGSIZES = [0x1000 | 0x20_0000 | 0x4000_0000, 0x4000 | 0x200_0000, 0x1_0000 | 0x2000_0000];
const SIZES = [32, 36, 40, 42, 44, 48];

interface SelftestCfg {
  readonly pgsizeBitmap: number;
  readonly ias: number;
  readonly oas: number;
  /** `pgsize_bitmap 0x%08lx`, as the kernel prints it. */
  readonly label: string;
}

const label = (bitmap: number) => `pgsize_bitmap 0x${bitmap.toString(16).padStart(8, "0")}`;

/** v4.4: one OAS (48) for every IAS. */
const OLD_MATRIX: SelftestCfg[] = PGSIZES.flatMap((pgsizeBitmap) =>
  SIZES.map((ias) => ({ pgsizeBitmap, ias, oas: 48, label: label(pgsizeBitmap) })),
);
/** 2025: "Don't use ias > oas as it is not valid for stage-2" — every IAS ≤ OAS. */
const NEW_MATRIX: SelftestCfg[] = PGSIZES.flatMap((pgsizeBitmap) =>
  SIZES.flatMap((oas, j) => SIZES.slice(0, j + 1).map((ias) => ({ pgsizeBitmap, ias, oas, label: label(pgsizeBitmap) }))),
);

/** Page sizes of a bitmap in ascending order (`for_each_set_bit`). */
function sizesOf(bitmap: number): number[] {
  const out: number[] = [];
  for (let bit = 0; bit < 31; bit++) if ((bitmap & (1 << bit)) !== 0) out.push(1 << bit);
  return out;
}

/**
 * Allocates the table with the selftest's dummy TLB ops, which only check that every flushed size is in the page-size
 * bitmap (`dummy_tlb_add_flush` in v4.4, `dummy_tlb_flush` / `dummy_tlb_add_page` later).
 */
function setup(cfg: SelftestCfg, era: IoPgtableEra) {
  // RAM above 4 GiB, so table descriptors carry address bits in their high word.
  const memory = new PhysicalMemory();
  memory.addRam({ name: "dram", base: 0x8_8000_0000, size: 0x1000_0000 });
  const frames = new FrameAllocator(memory, { base: 0x8_8000_0000, size: 0x1000_0000 });
  const badFlushes: string[] = [];
  const flushes = { walk: 0, page: 0 };
  const check = (what: string, size: number) => {
    if ((size & cfg.pgsizeBitmap) === 0) badFlushes.push(`${what} of 0x${size.toString(16)}`);
  };
  const tlb = makeNoopIoPgtableTlbOps({
    tlbFlushWalk: (_iova, size) => {
      flushes.walk++;
      check("flush_walk", size);
    },
    tlbAddPage: (_gather, _iova, granule) => {
      flushes.page++;
      check("add_page", granule);
    },
  });
  const r = allocIoPgtable(
    "ARM_64_LPAE_S1",
    { ...cfg, quirks: 0, coherentWalk: true, era },
    { memory, frames, tlb, owner: "io-pgtable-test" },
  );
  if (!r.ok) throw new Error(`alloc_io_pgtable_ops failed: ${r.error.message}`);
  return { ops: r.value, frames, badFlushes, flushes };
}

/** "Initial sanity checks. Empty page tables shouldn't provide any translations." */
function emptyTableChecks(ops: IoPgtableOps): void {
  expect(ops.iovaToPhys(42), "empty: iova_to_phys(42)").toBe(0);
  expect(ops.iovaToPhys(SZ_1G + 42), "empty: iova_to_phys(SZ_1G + 42)").toBe(0);
  expect(ops.iovaToPhys(SZ_2G + 42), "empty: iova_to_phys(SZ_2G + 42)").toBe(0);
}

/** "Distinct mappings of different granule sizes", each at its own GiB, with the "Overlapping mappings" check. */
function distinctMappings(ops: IoPgtableOps, bitmap: number): void {
  let iova = 0;
  for (const size of sizesOf(bitmap)) {
    expect(ops.map(iova, iova, size, IOMMU_READ | IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_CACHE), `map 0x${size.toString(16)}`).toBe(0);
    // Overlapping mappings: the kernel only requires failure; the model fails the way the kernel does (-EEXIST).
    expect(ops.map(iova, iova + size, size, IOMMU_READ | IOMMU_NOEXEC), "overlapping map").toBe(EEXIST);
    expect(ops.iovaToPhys(iova + 42), "iova_to_phys after map").toBe(iova + 42);
    iova += SZ_1G;
  }
}

/** "Partial unmap" of the smallest page inside the block at 1 GiB, then "Remap of partial unmap" (v4.4 … v6.12). */
function partialUnmap(ops: IoPgtableOps, bitmap: number): void {
  const size = sizesOf(bitmap)[0] as number;
  expect(ops.unmap(SZ_1G + size, size), "partial unmap").toBe(size);
  expect(ops.map(SZ_1G + size, size, size, IOMMU_READ), "remap of partial unmap").toBe(0);
  expect(ops.iovaToPhys(SZ_1G + size + 42), "iova_to_phys of the remapped page").toBe(size + 42);
}

/** "Full unmap" of each mapping, then "Remap full block". */
function fullUnmap(ops: IoPgtableOps, bitmap: number): void {
  let iova = 0;
  for (const size of sizesOf(bitmap)) {
    expect(ops.unmap(iova, size), `unmap 0x${size.toString(16)}`).toBe(size);
    expect(ops.iovaToPhys(iova + 42), "iova_to_phys after unmap").toBe(0);
    expect(ops.map(iova, iova, size, IOMMU_WRITE), "remap full block").toBe(0);
    expect(ops.iovaToPhys(iova + 42), "iova_to_phys after remap").toBe(iova + 42);
    iova += SZ_1G;
  }
}

/** "Map/unmap the last largest supported page of the IAS, this can trigger corner cases in the concatenated tables." */
function lastLargestPage(ops: IoPgtableOps, bitmap: number, ias: number): void {
  const sizes = sizesOf(bitmap);
  const size = sizes[sizes.length - 1] as number;
  const iova = 2 ** ias - size;
  const r = ops.mapPages(iova, iova, size, 1, IOMMU_READ | IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_CACHE);
  expect(r, "map_pages of the top page").toEqual({ ret: 0, mapped: size });
  expect(ops.unmapPages(iova, size, 1), "unmap_pages of the top page").toBe(size);
}

describe.each(OLD_MATRIX)("v4.4 selftest: $label, IAS $ias", (cfg) => {
  it.each([
    ["v4.4", ioPgtableEras["v4.4"]],
    ["v6.1", ioPgtableEras["v6.1"]],
  ] as const)("passes arm_lpae_run_tests in the %s era", (_name, era) => {
    const { ops, frames, badFlushes, flushes } = setup(cfg, era);
    emptyTableChecks(ops);
    distinctMappings(ops, cfg.pgsizeBitmap);
    partialUnmap(ops, cfg.pgsizeBitmap);
    fullUnmap(ops, cfg.pgsizeBitmap);
    expect(badFlushes).toEqual([]);
    expect(flushes.page).toBeGreaterThan(0);
    // free_io_pgtable_ops: every table frame goes back.
    ops.free();
    expect(ops.tablePages).toBe(0);
    expect(frames.outstanding("io-pgtable-test")).toEqual([]);
  });

  it("without split-on-unmap (v6.13) the partial unmap step fails and the block stays", () => {
    const { ops } = setup(cfg, ioPgtableEras["v6.13"]);
    distinctMappings(ops, cfg.pgsizeBitmap);
    const size = sizesOf(cfg.pgsizeBitmap)[0] as number;
    const tables = ops.tablePages;
    expect(ops.unmap(SZ_1G + size, size)).toBe(0);
    expect(ops.iovaToPhys(SZ_1G + size + 42)).toBe(SZ_1G + size + 42);
    expect(ops.tablePages).toBe(tables);
  });
});

describe.each(NEW_MATRIX)("modern selftest: $label, IAS $ias, OAS $oas", (cfg) => {
  it("passes arm_lpae_run_tests in the v6.13 era", () => {
    const { ops, frames, badFlushes } = setup(cfg, ioPgtableEras["v6.13"]);
    emptyTableChecks(ops);
    distinctMappings(ops, cfg.pgsizeBitmap);
    fullUnmap(ops, cfg.pgsizeBitmap);
    lastLargestPage(ops, cfg.pgsizeBitmap, cfg.ias);
    expect(badFlushes).toEqual([]);
    ops.free();
    expect(frames.outstanding("io-pgtable-test")).toEqual([]);
  });
});

describe("the matrices", () => {
  it("have the kernel's sizes: 18 configs in v4.4, 63 in the modern form", () => {
    expect(OLD_MATRIX).toHaveLength(18);
    expect(NEW_MATRIX).toHaveLength(63);
  });
});
