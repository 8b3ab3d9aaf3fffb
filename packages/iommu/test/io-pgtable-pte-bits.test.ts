/**
 * The exact descriptors io-pgtable-arm writes for ARM_64_LPAE_S1, checked in simulated RAM at the table index the
 * architecture walk would read (smmuv3-model.md §5.1), against the §5.6 table:
 *
 * | bit(s)         | v4.4                        | modern                                  |
 * |----------------|-----------------------------|-----------------------------------------|
 * | nG (11)        | always                      | always                                  |
 * | AP[1] (6)      | always                      | unless IOMMU_PRIV                       |
 * | AP[2] (7)      | read-only mappings          | same (DBM(51) instead with ARM_HD)      |
 * | AttrIndx[4:2]  | 1 CACHE, 2 MMIO, else 0     | same                                    |
 * | XN (53, 54)    | IOMMU_NOEXEC                | same                                    |
 * | AF (10)        | always                      | always                                  |
 * | SH[9:8]        | IS (3) always               | IS with IOMMU_CACHE, else OS (2)        |
 * | NS (5)/NSTable | ARM_NS quirk only           | same                                    |
 * | type[1:0]      | page 0b11 at L3, block 0b01 | same                                    |
 *
 * The expected values below are computed from that table in bigint arithmetic, independently of the model, and a few
 * are also written out by hand.
 */
import { FrameAllocator, PhysicalMemory } from "@dmasim/machine";
import { describe, expect, it } from "vitest";
import {
  allocIoPgtable,
  IommuProt,
  IoPgtableQuirk,
  ioPgtableEras,
  makeNoopIoPgtableTlbOps,
  type IoPgtableCfg,
  type IoPgtableEra,
} from "@dmasim/iommu";

const { IOMMU_READ, IOMMU_WRITE, IOMMU_CACHE, IOMMU_NOEXEC, IOMMU_MMIO, IOMMU_PRIV } = IommuProt;
const SZ_4K = 0x1000;
const SZ_2M = 0x20_0000;
const SZ_1G = 0x4000_0000;
/** Output addresses above 4 GiB, so OA bits land in both halves of the descriptor. */
const PA_BASE = 0x8_1234_5000;

function setup(era: IoPgtableEra, over: Partial<IoPgtableCfg> = {}) {
  const memory = new PhysicalMemory();
  memory.addRam({ name: "dram", base: 0x4000_0000, size: 0x1000_0000 });
  const frames = new FrameAllocator(memory, { base: 0x4000_0000, size: 0x1000_0000 });
  const r = allocIoPgtable(
    "ARM_64_LPAE_S1",
    { pgsizeBitmap: SZ_4K | SZ_2M | SZ_1G, ias: 48, oas: 48, quirks: 0, coherentWalk: true, era, ...over },
    { memory, frames, tlb: makeNoopIoPgtableTlbOps() },
  );
  if (!r.ok) throw new Error(r.error.message);
  return { ops: r.value, memory };
}

/** Reads the descriptor the hardware would use at `lvl` for `iova`, walking from TTBR with §5.1 index arithmetic. */
function descriptorAt(memory: PhysicalMemory, ttbr: number, iova: number, lvl: number, granuleShift = 12, startLevel = 0) {
  const stride = granuleShift - 3;
  let table = BigInt(ttbr);
  for (let l = startLevel; ; l++) {
    const shift = BigInt(granuleShift + (3 - l) * stride);
    const index = (BigInt(iova) >> shift) & ((1n << BigInt(stride)) - 1n);
    const ptep = table + index * 8n;
    const pte = memory.read64(Number(ptep));
    if (pte === null) throw new Error("descriptor read hit unbacked memory");
    if (l === lvl) return { pte, ptep: Number(ptep), index: Number(index) };
    table = pte & 0x0000_ffff_ffff_f000n & ~((1n << BigInt(granuleShift)) - 1n);
  }
}

/** §5.6, independently: the stage-1 leaf io-pgtable writes for `prot`, or 0 when it writes nothing. */
function expectedLeaf(prot: number, modern: boolean, pa: number, level: number, quirks = 0): bigint {
  if ((prot & (IOMMU_READ | IOMMU_WRITE)) === 0) return 0n;
  let pte = BigInt(pa);
  pte |= level === 3 ? 0b11n : 0b01n;
  pte |= 1n << 11n; // nG
  pte |= 1n << 10n; // AF
  if (!modern || (prot & IOMMU_PRIV) === 0) pte |= 1n << 6n; // AP[1]
  const readOnly = (prot & IOMMU_READ) !== 0 && (prot & IOMMU_WRITE) === 0;
  if (readOnly) pte |= 1n << 7n; // AP[2]
  else if (modern && (quirks & IoPgtableQuirk.ARM_HD) !== 0) pte |= 1n << 51n; // DBM
  if ((prot & IOMMU_MMIO) !== 0) pte |= 2n << 2n;
  else if ((prot & IOMMU_CACHE) !== 0) pte |= 1n << 2n;
  pte |= !modern || (prot & IOMMU_CACHE) !== 0 ? 3n << 8n : 2n << 8n; // SH
  if ((prot & IOMMU_NOEXEC) !== 0) pte |= 3n << 53n; // XN
  if ((quirks & IoPgtableQuirk.ARM_NS) !== 0) pte |= 1n << 5n;
  return pte;
}

const ERAS = [
  ["v4.4", ioPgtableEras["v4.4"], false],
  ["modern (v6.1)", ioPgtableEras["v6.1"], true],
] as const;

describe.each(ERAS)("%s descriptor bits", (_name, era, modern) => {
  it("maps every combination of READ, WRITE, CACHE, NOEXEC, MMIO, PRIV to the §5.6 page descriptor at its L3 index", () => {
    const { ops, memory } = setup(era);
    // Combination p (0..63) is mapped at IOVA p × 4K: entry p of one level-3 table.
    const iovaBase = 0x12_3400_0000;
    for (let prot = 0; prot < 64; prot++) {
      expect(ops.map(iovaBase + prot * SZ_4K, PA_BASE + prot * SZ_4K, SZ_4K, prot)).toBe(0);
    }
    const l3 = descriptorAt(memory, ops.cfg.s1.ttbr, iovaBase, 3);
    const l3Table = l3.ptep - l3.index * 8;
    for (let index = 0; index < 512; index++) {
      const want = index < 64 ? expectedLeaf(index, modern, PA_BASE + index * SZ_4K, 3) : 0n;
      expect(memory.read64(l3Table + index * 8), `entry ${index}`).toBe(want);
    }
  });

  it("writes block descriptors (type 0b01) at L2 for 2M and at L1 for 1G", () => {
    const { ops, memory } = setup(era);
    const prot = IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE;
    expect(ops.map(0x4000_0000 + 5 * SZ_2M, 0x9_0000_0000 + 7 * SZ_2M, SZ_2M, prot)).toBe(0);
    expect(ops.map(3 * SZ_1G, 0x6_0000_0000, SZ_1G, IOMMU_READ)).toBe(0);
    const l2 = descriptorAt(memory, ops.cfg.s1.ttbr, 0x4000_0000 + 5 * SZ_2M, 2);
    expect(l2.index).toBe(5);
    expect(l2.pte).toBe(expectedLeaf(prot, modern, 0x9_0000_0000 + 7 * SZ_2M, 2));
    const l1 = descriptorAt(memory, ops.cfg.s1.ttbr, 3 * SZ_1G, 1);
    expect(l1.index).toBe(3);
    expect(l1.pte).toBe(expectedLeaf(IOMMU_READ, modern, 0x6_0000_0000, 1));
  });

  it("writes table descriptors as next-table PA | 0b11 and nothing else", () => {
    const { ops, memory } = setup(era);
    ops.map(0x1000, PA_BASE, SZ_4K, IOMMU_READ);
    for (const lvl of [0, 1, 2]) {
      const { pte } = descriptorAt(memory, ops.cfg.s1.ttbr, 0x1000, lvl);
      expect(pte & 0b11n).toBe(0b11n);
      expect(pte & ~0x0000_ffff_ffff_f000n).toBe(0b11n);
    }
  });

  it("sets NS in leaves and NSTable in table descriptors with the ARM_NS quirk", () => {
    const { ops, memory } = setup(era, { quirks: IoPgtableQuirk.ARM_NS });
    const prot = IOMMU_READ | IOMMU_WRITE;
    ops.map(0x2000, PA_BASE, SZ_4K, prot);
    expect(descriptorAt(memory, ops.cfg.s1.ttbr, 0x2000, 3).pte).toBe(
      expectedLeaf(prot, modern, PA_BASE, 3, IoPgtableQuirk.ARM_NS),
    );
    for (const lvl of [0, 1, 2]) {
      expect(descriptorAt(memory, ops.cfg.s1.ttbr, 0x2000, lvl).pte >> 63n).toBe(1n);
    }
  });
});

describe("hand-computed descriptors", () => {
  // PA 0x8_1234_5000: OA bits give 0x0000_0008_1234_5000.
  const cases = [
    // selftest prot R|W|NOEXEC|CACHE: XN | nG AF SH=IS AP[1] AttrIndx=1 | page — the same in both eras.
    ["v4.4", IOMMU_READ | IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_CACHE, 0x0060_0008_1234_5f47n],
    ["modern", IOMMU_READ | IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_CACHE, 0x0060_0008_1234_5f47n],
    // Read-only, not cacheable: AP[2]; SH stays IS in v4.4 but is OS in modern kernels.
    ["v4.4", IOMMU_READ, 0x0000_0008_1234_5fc3n],
    ["modern", IOMMU_READ, 0x0000_0008_1234_5ec3n],
    // MMIO (an MSI doorbell mapping): AttrIndx=2.
    ["v4.4", IOMMU_READ | IOMMU_WRITE | IOMMU_MMIO, 0x0000_0008_1234_5f4bn],
    ["modern", IOMMU_READ | IOMMU_WRITE | IOMMU_MMIO, 0x0000_0008_1234_5e4bn],
    // PRIV: ignored by v4.4, clears AP[1] in modern kernels.
    ["v4.4", IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE | IOMMU_PRIV, 0x0000_0008_1234_5f47n],
    ["modern", IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE | IOMMU_PRIV, 0x0000_0008_1234_5f07n],
  ] as const;
  it.each(cases)("%s, prot %i → %s", (eraName, prot, want) => {
    const era = eraName === "v4.4" ? ioPgtableEras["v4.4"] : ioPgtableEras["v6.1"];
    const { ops, memory } = setup(era);
    expect(ops.map(0x5000, PA_BASE, SZ_4K, prot)).toBe(0);
    expect(descriptorAt(memory, ops.cfg.s1.ttbr, 0x5000, 3)).toMatchObject({ index: 5, pte: want });
  });
});

describe("modern-only descriptor bits", () => {
  it("uses DBM (bit 51) instead of leaving writable mappings clean with ARM_HD; read-only ones keep AP[2]", () => {
    const { ops, memory } = setup(ioPgtableEras["v6.1"], { quirks: IoPgtableQuirk.ARM_HD });
    ops.map(0x1000, PA_BASE, SZ_4K, IOMMU_READ | IOMMU_WRITE);
    ops.map(0x2000, PA_BASE, SZ_4K, IOMMU_READ);
    expect(descriptorAt(memory, ops.cfg.s1.ttbr, 0x1000, 3).pte).toBe(0x0008_0008_1234_5e43n);
    expect(descriptorAt(memory, ops.cfg.s1.ttbr, 0x2000, 3).pte).toBe(0x0000_0008_1234_5ec3n);
  });

  it("marks table descriptors with the software bit 55 (SW_SYNC) for a non-coherent walker", () => {
    // arm_lpae_install_table: without coherent_walk the kernel cleans the new PTE and sets ARM_LPAE_PTE_SW_SYNC.
    const { ops, memory } = setup(ioPgtableEras["v6.1"], { coherentWalk: false });
    ops.map(0x1000, PA_BASE, SZ_4K, IOMMU_READ);
    for (const lvl of [0, 1, 2]) {
      expect((descriptorAt(memory, ops.cfg.s1.ttbr, 0x1000, lvl).pte >> 55n) & 1n).toBe(1n);
    }
    expect(descriptorAt(memory, ops.cfg.s1.ttbr, 0x1000, 3).pte).toBe(expectedLeaf(IOMMU_READ, true, PA_BASE, 3));
  });
});

describe("other granules", () => {
  it.each([
    [0x4000 | 0x200_0000, 14, 0, 0x4000],
    [0x1_0000 | 0x2000_0000, 16, 1, 0x1_0000],
  ] as const)("pgsize %i: the page descriptor sits at the §5.1 index of each level", (bitmap, shift, start, page) => {
    for (const [name, era, modern] of ERAS) {
      const { ops, memory } = setup(era, { pgsizeBitmap: bitmap });
      const iova = 0x7_89ab_0000 + 3 * page;
      const pa = 0x8_0000_0000 + 9 * page;
      expect(ops.map(iova, pa, page, IOMMU_READ | IOMMU_WRITE), name).toBe(0);
      const { pte, index } = descriptorAt(memory, ops.cfg.s1.ttbr, iova, 3, shift, start);
      expect(index, name).toBe(Number((BigInt(iova) >> BigInt(shift)) & ((1n << BigInt(shift - 3)) - 1n)));
      expect(pte, name).toBe(expectedLeaf(IOMMU_READ | IOMMU_WRITE, modern, pa, 3));
    }
  });
});
