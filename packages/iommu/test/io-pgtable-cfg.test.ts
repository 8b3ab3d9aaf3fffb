/**
 * What `alloc_io_pgtable_ops(ARM_64_LPAE_S1, ...)` derives and hands the SMMU driver: the geometry of §5.1/§5.6, the
 * stage-1 TCR, MAIR and TTBR, and the configurations the kernel refuses.
 */
import { FrameAllocator, PhysicalMemory } from "@dmasim/machine";
import { describe, expect, it } from "vitest";
import {
  allocIoPgtable,
  IoPgtableQuirk,
  ioPgtableEras,
  makeNoopIoPgtableTlbOps,
  type IoPgtableCfg,
} from "@dmasim/iommu";

const BITMAP_4K = 0x1000 | 0x20_0000 | 0x4000_0000;
const BITMAP_16K = 0x4000 | 0x200_0000;
const BITMAP_64K = 0x1_0000 | 0x2000_0000;
/** What an SMMUv3 offering every granule advertises (IDR5 GRAN4K/16K/64K). */
const BITMAP_ALL = BITMAP_4K | BITMAP_16K | BITMAP_64K;

function alloc(over: Partial<IoPgtableCfg> = {}, ramSize = 0x100_0000) {
  const memory = new PhysicalMemory();
  memory.addRam({ name: "dram", base: 0x8000_0000, size: ramSize });
  const frames = new FrameAllocator(memory, { base: 0x8000_0000, size: ramSize });
  const cfg: IoPgtableCfg = {
    pgsizeBitmap: BITMAP_4K,
    ias: 48,
    oas: 48,
    quirks: 0,
    coherentWalk: true,
    era: ioPgtableEras["v4.4"],
    ...over,
  };
  return { r: allocIoPgtable("ARM_64_LPAE_S1", cfg, { memory, frames, tlb: makeNoopIoPgtableTlbOps() }), frames };
}

describe("geometry (arm_lpae_alloc_pgtable)", () => {
  // §5.1: 4K start level 0 for 48-bit / 1 for 39-bit; 16K L0 has 1 bit at 48-bit; 64K starts at L1 with 6 bits.
  it.each([
    [BITMAP_4K, 48, 0x1000, 4, 0, 4096],
    [BITMAP_4K, 39, 0x1000, 3, 1, 4096],
    [BITMAP_4K, 32, 0x1000, 3, 1, 32],
    [BITMAP_16K, 48, 0x4000, 4, 0, 16],
    [BITMAP_16K, 36, 0x4000, 2, 2, 0x4000],
    [BITMAP_64K, 48, 0x1_0000, 3, 1, 512],
    [BITMAP_64K, 42, 0x1_0000, 2, 2, 0x1_0000],
  ])("bitmap %i IAS %i: granule %i, %i levels from level %i, PGD of %i bytes", (bitmap, ias, granule, levels, start, pgd) => {
    const { r } = alloc({ pgsizeBitmap: bitmap, ias });
    expect(r.ok && r.value.cfg).toMatchObject({ granule, levels, startLevel: start, pgdSize: pgd });
  });

  it("restricts an SMMU's bitmap to the CPU page size's granule and its blocks", () => {
    expect(alloc({ pgsizeBitmap: BITMAP_ALL }).r).toMatchObject({ ok: true, value: { cfg: { pgsizeBitmap: BITMAP_4K } } });
    expect(alloc({ pgsizeBitmap: BITMAP_ALL, cpuPageSize: 0x1_0000 }).r).toMatchObject({
      value: { cfg: { pgsizeBitmap: BITMAP_64K, granule: 0x1_0000 } },
    });
    // No 4K offered with 4K CPU pages: the smallest granule above the page size.
    expect(alloc({ pgsizeBitmap: BITMAP_16K | BITMAP_64K }).r).toMatchObject({ value: { cfg: { pgsizeBitmap: BITMAP_16K } } });
  });

  it("allocates the PGD as one zeroed frame tagged for leak accounting, and TTBR0 points at it", () => {
    const { r, frames } = alloc({ ias: 32 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(frames.outstanding("io-pgtable")).toEqual([{ pa: r.value.cfg.s1.ttbr, size: 4096, owner: "io-pgtable" }]);
    expect(r.value.tablePages).toBe(1);
  });
});

describe("stage-1 TCR, MAIR and TTBR (arm_64_lpae_alloc_pgtable_s1)", () => {
  it("v4.4: SH0=IS, IRGN0=ORGN0=WBWA, TG0, T0SZ = 64 - IAS, IPS from OAS, EPD1 — one TCR_EL1-layout word", () => {
    const { r } = alloc();
    expect(r.ok && r.value.cfg.s1.tcr).toEqual({ tsz: 16, tg: 0, irgn: 1, orgn: 1, sh: 3, ips: 5, epd1: true });
    // T0SZ 0x10 | IRGN0 1<<8 | ORGN0 1<<10 | SH0 3<<12 | EPD1 1<<23 | IPS 5<<32.
    expect(r.ok && r.value.cfg.s1.tcrReg).toBe(0x5_0080_3510);
  });

  it.each([
    [BITMAP_4K, 48, 48, 16, 0, 5],
    [BITMAP_16K, 36, 40, 28, 2, 2],
    [BITMAP_64K, 42, 44, 22, 1, 4],
    [BITMAP_4K, 32, 32, 32, 0, 0],
  ])("bitmap %i IAS %i OAS %i: T0SZ %i, TG0 %i, IPS %i", (bitmap, ias, oas, tsz, tg, ips) => {
    const { r } = alloc({ pgsizeBitmap: bitmap, ias, oas });
    expect(r.ok && r.value.cfg.s1.tcr).toMatchObject({ tsz, tg, ips });
  });

  it("MAIR is 0x0004FF44 in v4.4 (NC@0, WBRWA@1, DEVICE@2) and 0xF404FF44 in modern kernels (INC_OWBRWA@3)", () => {
    expect(alloc().r).toMatchObject({ value: { cfg: { s1: { mair: 0x0004_ff44 } } } });
    expect(alloc({ era: ioPgtableEras["v6.1"] }).r).toMatchObject({ value: { cfg: { s1: { mair: 0xf404_ff44 } } } });
  });

  it("modern: no EPD1 from io-pgtable (the SMMUv3 driver sets it in the CD); walk attributes follow coherent_walk", () => {
    const coherent = alloc({ era: ioPgtableEras["v6.13"] }).r;
    expect(coherent.ok && coherent.value.cfg.s1.tcr).toEqual({ tsz: 16, tg: 0, irgn: 1, orgn: 1, sh: 3, ips: 5, epd1: false });
    expect(coherent.ok && coherent.value.cfg.s1.tcrReg).toBe(0x5_0000_3510);
    const nc = alloc({ era: ioPgtableEras["v6.13"], coherentWalk: false }).r;
    expect(nc.ok && nc.value.cfg.s1.tcr).toMatchObject({ irgn: 0, orgn: 0, sh: 2 });
    const outer = alloc({ era: ioPgtableEras["v6.13"], coherentWalk: false, quirks: IoPgtableQuirk.ARM_OUTER_WBWA }).r;
    expect(outer.ok && outer.value.cfg.s1.tcr).toMatchObject({ irgn: 0, orgn: 1, sh: 2 });
  });

  it("v4.4 has no coherent_walk: the TCR is the same either way", () => {
    const nc = alloc({ coherentWalk: false }).r;
    expect(nc.ok && nc.value.cfg.s1.tcr).toMatchObject({ irgn: 1, orgn: 1, sh: 3 });
  });
});

describe("configurations the kernel refuses (NULL from alloc_io_pgtable_ops)", () => {
  it.each([
    ["an OAS with no IPS encoding", { oas: 34 }, "oas-unsupported"],
    ["v4.4: OAS above 48", { oas: 52 }, "oas-unsupported"],
    ["v4.4: IAS above 48", { ias: 49 }, "ias-unsupported"],
    ["no 4K/16K/64K granule", { pgsizeBitmap: 0x800 }, "bad-pgsize"],
    ["v4.4: a quirk other than ARM_NS", { quirks: IoPgtableQuirk.ARM_HD }, "quirks-unsupported"],
    ["the TTBR1 quirk (not modelled)", { quirks: IoPgtableQuirk.ARM_TTBR1, era: ioPgtableEras["v6.1"] }, "quirks-unsupported"],
    ["OUTER_WBWA with a coherent walker", { quirks: IoPgtableQuirk.ARM_OUTER_WBWA, era: ioPgtableEras["v6.1"] }, "quirks-unsupported"],
    ["an IAS with no index bits", { ias: 12 }, "ias-unsupported"],
    ["a non-integer IAS", { ias: Number.NaN }, "bad-config"],
    ["a negative bitmap", { pgsizeBitmap: -1 }, "bad-config"],
  ] as const)("%s", (_what, over, code) => {
    expect(alloc(over).r).toMatchObject({ ok: false, error: { code } });
  });

  it("modern kernels clamp IAS and OAS to the granule's 48 bits instead of failing", () => {
    const { r } = alloc({ ias: 52, oas: 52, era: ioPgtableEras["v6.1"] });
    expect(r.ok && [r.value.cfg.ias, r.value.cfg.oas, r.value.cfg.s1.tcr.tsz]).toEqual([48, 48, 16]);
  });

  it("no frame for the PGD: no-memory, and nothing is left allocated", () => {
    const memory = new PhysicalMemory();
    memory.addRam({ name: "dram", base: 0, size: 0x2000 });
    const frames = new FrameAllocator(memory, { base: 0, size: 0x1000 });
    frames.alloc(0x1000, "someone-else");
    const r = allocIoPgtable(
      "ARM_64_LPAE_S1",
      { pgsizeBitmap: BITMAP_4K, ias: 48, oas: 48, quirks: 0, coherentWalk: true, era: ioPgtableEras["v4.4"] },
      { memory, frames, tlb: makeNoopIoPgtableTlbOps() },
    );
    expect(r).toMatchObject({ ok: false, error: { code: "no-memory" } });
    expect(frames.outstanding("io-pgtable")).toEqual([]);
  });
});
