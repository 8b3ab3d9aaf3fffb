/**
 * Cross-check of the Linux side against the hardware side: page tables built by io-pgtable-arm (the §5.7 selftest
 * sequence) are handed to the SMMUv3 model exactly as the arm-smmu-v3 driver hands them — a stage-1 STE and CD written
 * into RAM, the registers programmed through MMIO (smmuv3-model.md §1.4, §2.7), TLB maintenance as CMD_TLBI_* and
 * CMD_SYNC through the command queue — and the hardware's translation of every probed IOVA must be the PA the
 * selftest mapped there, the PA `iova_to_phys` reports, or F_TRANSLATION where nothing is mapped.
 */
import { FrameAllocator, MmioSpace, PhysicalMemory } from "@dmasim/machine";
import { describe, expect, it } from "vitest";
import {
  allocIoPgtable,
  IommuProt,
  ioPgtableEras,
  type IoPgtableEra,
  type IoPgtableOps,
  type IoPgtableResolvedCfg,
  type IoPgtableTlbOps,
} from "@dmasim/iommu";
import { createSmmuV3, SMMU_MMIO_SIZE, SMMU_REG, type SmmuV3 } from "@dmasim/iommu/smmuv3-hw";

const SMMU_BASE = 0x905_0000;
const STRTAB = 0x4000_0000; // 32 STEs, linear
const CD = 0x4000_1000;
const CMDQ = 0x4001_0000; // 256 commands
const EVTQ = 0x4002_0000; // 1024 events
const Q_LOG2 = 8;
const EQ_LOG2 = 10;
const SID = 8;
const ASID = 1;
const F_TRANSLATION = 0x10;
const F_PERMISSION = 0x13;
const SZ_1G = 0x4000_0000;
const { IOMMU_READ, IOMMU_WRITE, IOMMU_NOEXEC, IOMMU_CACHE } = IommuProt;

/** The CD dword0 arm_smmu_write_ctx_desc builds: TCR fields, EPD1, V, IPS, AA64, R, A, ASET, ASID (§2.4, §2.7). */
function cdDword0(tcr: IoPgtableResolvedCfg["s1"]["tcr"], asid: number): bigint {
  return (
    BigInt(tcr.tsz) |
    (BigInt(tcr.tg) << 6n) |
    (BigInt(tcr.irgn) << 8n) |
    (BigInt(tcr.orgn) << 10n) |
    (BigInt(tcr.sh) << 12n) |
    (1n << 30n) | // EPD1
    (1n << 31n) | // V
    (BigInt(tcr.ips) << 32n) |
    (1n << 41n) | // AA64
    (1n << 45n) | // R: record faults
    (1n << 46n) | // A
    (1n << 47n) | // ASET
    (BigInt(asid) << 48n)
  );
}

/** The driver half: bring-up, the stage-1 STE/CD, and `iommu_flush_ops` issued as commands. */
class SmmuDriver {
  readonly mmio = new MmioSpace();
  readonly smmu: SmmuV3;
  #prod = 0;

  constructor(readonly memory: PhysicalMemory) {
    this.smmu = createSmmuV3({ name: "9050000.smmuv3", memory, config: { oas: 48 } });
    this.mmio.register("smmuv3", SMMU_BASE, SMMU_MMIO_SIZE, this.smmu);
  }

  w32(off: number, v: number): void {
    this.mmio.write32(SMMU_BASE + off, v);
  }
  r32(off: number): number {
    return this.mmio.read32(SMMU_BASE + off);
  }

  /** arm_smmu_device_reset (§1.4) with a linear stream table of 32 entries. */
  reset(): void {
    this.w32(SMMU_REG.CR0, 0);
    this.w32(SMMU_REG.CR1, 0xd75);
    this.w32(SMMU_REG.CR2, 0x6);
    this.mmio.write64(SMMU_BASE + SMMU_REG.STRTAB_BASE, BigInt(STRTAB) | (1n << 62n));
    this.w32(SMMU_REG.STRTAB_BASE_CFG, 5);
    this.mmio.write64(SMMU_BASE + SMMU_REG.CMDQ_BASE, BigInt(CMDQ) | BigInt(Q_LOG2) | (1n << 62n));
    this.w32(SMMU_REG.CMDQ_PROD, 0);
    this.w32(SMMU_REG.CMDQ_CONS, 0);
    this.w32(SMMU_REG.CR0, 0x8);
    this.submit([0x4, 0, 0x1f, 0], SYNC); // CMD_CFGI_ALL
    this.submit([0x30, 0, 0, 0], SYNC); // CMD_TLBI_NSNH_ALL
    this.mmio.write64(SMMU_BASE + SMMU_REG.EVENTQ_BASE, BigInt(EVTQ) | BigInt(EQ_LOG2) | (1n << 62n));
    this.w32(0x100a8, 0);
    this.w32(0x100ac, 0);
    this.w32(SMMU_REG.CR0, 0xc);
    this.w32(SMMU_REG.IRQ_CTRL, 0x5);
    this.w32(SMMU_REG.CR0, 0xd);
    expect(this.r32(SMMU_REG.CR0ACK)).toBe(0xd);
  }

  /** Writes command words at PROD and publishes them; QEMU's model consumes them at once. */
  submit(...cmds: number[][]): void {
    for (const words of cmds) {
      const addr = CMDQ + 16 * (this.#prod & ((1 << Q_LOG2) - 1));
      words.forEach((w, i) => this.memory.write32(addr + 4 * i, w >>> 0));
      this.#prod = (this.#prod + 1) & ((2 << Q_LOG2) - 1);
    }
    this.w32(SMMU_REG.CMDQ_PROD, this.#prod);
    expect(this.r32(SMMU_REG.CMDQ_CONS)).toBe(this.#prod);
  }

  /** arm_smmu_write_strtab_ent + arm_smmu_write_ctx_desc for a stage-1 domain (§2.7), with CFGI after each. */
  attachS1(cfg: IoPgtableResolvedCfg): void {
    const cd = [cdDword0(cfg.s1.tcr, ASID), BigInt(cfg.s1.ttbr) & 0x000f_ffff_ffff_fff0n, 0n, BigInt(cfg.s1.mair)];
    for (let i = 1; i < 4; i++) this.memory.write64(CD + 8 * i, cd[i] as bigint);
    this.memory.write64(CD, cd[0] as bigint);
    this.submit([0x5, SID, 1, 0], SYNC); // CMD_CFGI_CD
    const ste = STRTAB + SID * 64;
    this.memory.write64(ste + 8, 0xd6n); // S1DSS=SSID0, CD fetch WBRA/WBRA/ISH
    this.memory.write64(ste, 0xbn | BigInt(CD)); // V | Config = S1 translate | S1ContextPtr
    this.submit([0x3, SID, 1, 0], SYNC); // CMD_CFGI_STE
  }

  /** arm_smmu_flush_ops: leaf invalidation by VA, walk flush by ASID, CMD_SYNC. */
  tlbOps(): IoPgtableTlbOps {
    return {
      tlbFlushAll: () => this.submit([0x11, ASID << 16, 0, 0], SYNC),
      tlbFlushWalk: () => this.submit([0x11, ASID << 16, 0, 0], SYNC),
      tlbAddPage: (_gather, iova) => this.submit([0x12, ASID << 16, ((iova >>> 0) & 0xffff_f000) | 1, Math.floor(iova / 2 ** 32)]),
      tlbSync: () => this.submit(SYNC),
    };
  }

  /** The IOMMU core's iotlb_sync after a modern unmap. */
  sync(): void {
    this.submit(SYNC);
  }

  /** Reads every pending event (EVENTQ_PROD/CONS on page 1) and returns their IDs. */
  drainEvents(): number[] {
    const prod = this.r32(0x100a8);
    let cons = this.r32(0x100ac);
    const ids: number[] = [];
    const mask = (2 << EQ_LOG2) - 1;
    while ((cons & mask) !== (prod & mask)) {
      ids.push(this.memory.read32(EVTQ + 32 * (cons & ((1 << EQ_LOG2) - 1))) & 0xff);
      cons = (cons + 1) & mask;
    }
    this.w32(0x100ac, cons);
    return ids;
  }
}

/** Linux's CMD_SYNC without MSI: CS = SEV, MSH = ISH, MSIAttr = 0xF. */
const SYNC = [0x0fc0_2046, 0, 0, 0];

interface Mapping {
  readonly iova: number;
  readonly pa: number;
  readonly size: number;
  /** Size of the leaves covering it: the mapped size, or the granule for what a split left of a block. */
  readonly leaf: number;
}

/** What the selftest has mapped so far, to know the PA each probe must reach. */
class Mappings {
  live: Mapping[] = [];
  readonly probes = new Set<number>();

  constructor(
    readonly granule: number,
    readonly ias: number,
  ) {
    for (const p of [42, SZ_1G + 42, 2 * SZ_1G + 42]) this.probes.add(p);
  }

  add(iova: number, pa: number, size: number): void {
    this.live.push({ iova, pa, size, leaf: size });
    for (const off of [42, size / 2 + 42, size - this.granule + 42, size + 42]) {
      // Beyond the IAS the hardware faults (T0SZ) while iova_to_phys wraps its index; checked separately.
      if (iova + off < 2 ** this.ias) this.probes.add(iova + off);
    }
  }

  /** An unmap; what remains of a partly unmapped block was split into granule-sized pages. */
  remove(iova: number, size: number): void {
    const out: Mapping[] = [];
    const g = this.granule;
    for (const m of this.live) {
      const end = m.iova + m.size;
      if (end <= iova || m.iova >= iova + size) out.push(m);
      else {
        if (m.iova < iova) out.push({ iova: m.iova, pa: m.pa, size: iova - m.iova, leaf: g });
        if (end > iova + size) out.push({ iova: iova + size, pa: m.pa + (iova + size - m.iova), size: end - iova - size, leaf: g });
      }
    }
    this.live = out;
  }

  /** The PA `iova` maps to, and its offset inside the leaf that maps it; null when unmapped. */
  lookup(iova: number): { pa: number; leafOffset: number } | null {
    const m = this.live.find((x) => iova >= x.iova && iova < x.iova + x.size);
    return m === undefined ? null : { pa: m.pa + (iova - m.iova), leafOffset: (iova - m.iova) % m.leaf };
  }
}

function setup(era: IoPgtableEra, pgsizeBitmap: number, ias: number) {
  const memory = new PhysicalMemory();
  memory.addRam({ name: "dram", base: 0x4000_0000, size: 0x4000_0000 });
  const frames = new FrameAllocator(memory, { base: 0x4100_0000, size: 0x3f00_0000 });
  const driver = new SmmuDriver(memory);
  driver.reset();
  const r = allocIoPgtable(
    "ARM_64_LPAE_S1",
    { pgsizeBitmap, ias, oas: 48, quirks: 0, coherentWalk: true, era },
    { memory, frames, tlb: driver.tlbOps() },
  );
  if (!r.ok) throw new Error(r.error.message);
  driver.attachS1(r.value.cfg);
  return { ops: r.value, driver, maps: new Mappings(r.value.cfg.granule, ias) };
}

/**
 * Every probe: the hardware's read translation equals the selftest's mapping (F_TRANSLATION when there is none), and
 * `iova_to_phys` agrees — except that v4.4's adds only the granule offset inside a block, which is checked as such.
 */
function crossCheck(ops: IoPgtableOps, driver: SmmuDriver, maps: Mappings, step: string): void {
  let faults = 0;
  for (const iova of [...maps.probes].sort((a, b) => a - b)) {
    const want = maps.lookup(iova);
    const hw = driver.smmu.translate({ streamId: SID, iova, access: "read", size: 4 });
    const sw = ops.iovaToPhys(iova);
    const where = `${step}: IOVA 0x${iova.toString(16)}`;
    if (want === null) {
      expect(hw, where).toMatchObject({ kind: "abort", eventId: F_TRANSLATION });
      expect(sw, where).toBe(0);
      faults++;
      continue;
    }
    expect(hw, where).toEqual({ kind: "translated", pa: want.pa });
    // v4.4's arm_lpae_iova_to_phys ORs only the offset inside the granule into the leaf's address.
    const v44 = ops.cfg.era.pteBits === "v4.4";
    expect(sw, where).toBe(v44 ? want.pa - want.leafOffset + (iova % maps.granule) : want.pa);
  }
  expect(driver.drainEvents(), `${step}: one F_TRANSLATION event per unmapped probe`).toEqual(
    Array.from({ length: faults }, () => F_TRANSLATION),
  );
}

/** Page sizes of a bitmap, ascending (`for_each_set_bit`). */
const sizesOf = (bitmap: number) => Array.from({ length: 31 }, (_, b) => 1 << b).filter((s) => (bitmap & s) !== 0);

const GRANULES = [
  { granule: "4K", bitmap: 0x1000 | 0x20_0000 | 0x4000_0000, ias: 48 },
  { granule: "4K", bitmap: 0x1000 | 0x20_0000 | 0x4000_0000, ias: 39 },
  { granule: "16K", bitmap: 0x4000 | 0x200_0000, ias: 48 },
  { granule: "64K", bitmap: 0x1_0000 | 0x2000_0000, ias: 48 },
] as const;

describe.each(GRANULES)("io-pgtable-arm tables walked by the SMMUv3 model: $granule granule, IAS $ias", ({ bitmap, ias }) => {
  it.each([
    ["v4.4", ioPgtableEras["v4.4"]],
    ["v6.1", ioPgtableEras["v6.1"]],
  ] as const)("the v4.4 selftest sequence (with the partial-unmap split), %s era", (_n, era) => {
    const { ops, driver, maps } = setup(era, bitmap, ias);
    const sizes = sizesOf(bitmap);
    const sync = () => (era.pteBits === "modern" ? driver.sync() : undefined);
    crossCheck(ops, driver, maps, "empty tables");

    let iova = 0;
    for (const size of sizes) {
      expect(ops.map(iova, iova, size, IOMMU_READ | IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_CACHE)).toBe(0);
      maps.add(iova, iova, size);
      expect(ops.map(iova, iova + size, size, IOMMU_READ | IOMMU_NOEXEC)).not.toBe(0);
      iova += SZ_1G;
    }
    crossCheck(ops, driver, maps, "distinct mappings");

    const g = sizes[0] as number;
    expect(ops.unmap(SZ_1G + g, g)).toBe(g);
    sync();
    maps.remove(SZ_1G + g, g);
    crossCheck(ops, driver, maps, "partial unmap");
    expect(ops.map(SZ_1G + g, g, g, IOMMU_READ)).toBe(0);
    maps.add(SZ_1G + g, g, g);
    crossCheck(ops, driver, maps, "remap of partial unmap");
    // The remapped page is read-only (AP[2]): the hardware refuses a write with F_PERMISSION.
    expect(driver.smmu.translate({ streamId: SID, iova: SZ_1G + g, access: "write", size: 4 })).toMatchObject({
      kind: "abort",
      eventId: F_PERMISSION,
    });
    expect(driver.drainEvents()).toEqual([F_PERMISSION]);

    iova = 0;
    for (const size of sizes) {
      expect(ops.unmap(iova, size)).toBe(size);
      sync();
      maps.remove(iova, size);
      crossCheck(ops, driver, maps, `full unmap of 0x${size.toString(16)}`);
      expect(ops.map(iova, iova, size, IOMMU_WRITE)).toBe(0);
      maps.add(iova, iova, size);
      iova += SZ_1G;
    }
    crossCheck(ops, driver, maps, "remap full block");
  });

  it("the modern selftest sequence (no split; the largest page at the top of the IAS), v6.13 era", () => {
    const { ops, driver, maps } = setup(ioPgtableEras["v6.13"], bitmap, ias);
    const sizes = sizesOf(bitmap);
    crossCheck(ops, driver, maps, "empty tables");
    let iova = 0;
    for (const size of sizes) {
      expect(ops.map(iova, iova, size, IOMMU_READ | IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_CACHE)).toBe(0);
      maps.add(iova, iova, size);
      iova += SZ_1G;
    }
    crossCheck(ops, driver, maps, "distinct mappings");
    iova = 0;
    for (const size of sizes) {
      expect(ops.unmap(iova, size)).toBe(size);
      driver.sync();
      maps.remove(iova, size);
      crossCheck(ops, driver, maps, `full unmap of 0x${size.toString(16)}`);
      expect(ops.map(iova, iova, size, IOMMU_WRITE)).toBe(0);
      maps.add(iova, iova, size);
      iova += SZ_1G;
    }
    crossCheck(ops, driver, maps, "remap full block");
    const top = sizes[sizes.length - 1] as number;
    const topIova = 2 ** ias - top;
    expect(ops.mapPages(topIova, topIova, top, 1, IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE)).toEqual({ ret: 0, mapped: top });
    maps.add(topIova, topIova, top);
    crossCheck(ops, driver, maps, "largest page at the top of the IAS");
    // Just past the IAS: the SMMU faults (input beyond T0SZ), while the kernel's software walk masks the index with
    // the PGD's bits and wraps around to IOVA 42 (mapped by the first step) — callers never pass such IOVAs.
    expect(driver.smmu.translate({ streamId: SID, iova: 2 ** ias + 42, access: "read", size: 4 })).toMatchObject({
      kind: "abort",
      eventId: F_TRANSLATION,
    });
    expect(driver.drainEvents()).toEqual([F_TRANSLATION]);
    expect(ops.iovaToPhys(2 ** ias + 42)).toBe(ops.iovaToPhys(42));
    expect(ops.unmapPages(topIova, top, 1)).toBe(top);
    driver.sync();
    maps.remove(topIova, top);
    crossCheck(ops, driver, maps, "unmap of the top page");
  });
});

describe("the driver half of this test", () => {
  it("encodes §2.7's example CD dword0 (48-bit VA, IPS 4, 4K, ASID 1) as 0x0001E204C0003510", () => {
    expect(cdDword0({ tsz: 16, tg: 0, irgn: 1, orgn: 1, sh: 3, ips: 4, epd1: false }, 1)).toBe(0x0001_e204_c000_3510n);
  });
});
