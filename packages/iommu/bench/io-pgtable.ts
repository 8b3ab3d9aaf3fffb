/**
 * Benchmark: `map` + `unmap` of one 4K page in io-pgtable-arm (ARM_64_LPAE_S1, 4K granule, 48-bit IAS: a four-level
 * table in simulated RAM), against the floor of any IOVA bookkeeping: one `Map.set` + `Map.delete`. Steady state, as
 * for streaming DMA: the upper tables exist, so each iteration writes and clears one level-3 descriptor (in RAM and
 * in io-pgtable's CPU view) with a no-op TLB. Target: ≤ 10× the Map baseline.
 *
 * The two are measured in alternating rounds and the ratio is the median of the per-round ratios, so that load on a
 * shared machine affects both sides alike.
 *
 * Run: pnpm --filter @dmasim/iommu bench   (or: pnpm --filter @dmasim/iommu exec tsx --conditions=@dmasim/source bench/io-pgtable.ts)
 */
import { FrameAllocator, PhysicalMemory } from "@dmasim/machine";
import {
  allocIoPgtable,
  IommuProt,
  ioPgtableEras,
  makeIotlbGather,
  makeNoopIoPgtableTlbOps,
  type IoPgtableEra,
  type IoPgtableOps,
} from "../src/index";
import { median, nsPerIteration } from "./support/measure";

const SZ_4K = 0x1000;
const ITERATIONS = 100_000;
const ROUNDS = 21;
const IOVA_BASE = 0xff_fe00_0000; // high in a 48-bit space: all four levels are walked
const PA_BASE = 0x8_0000_0000;
const RW = IommuProt.IOMMU_READ | IommuProt.IOMMU_WRITE;

function makePgtable(era: IoPgtableEra): IoPgtableOps {
  const memory = new PhysicalMemory();
  memory.addRam({ name: "dram", base: 0x4000_0000, size: 0x4000_0000 });
  const frames = new FrameAllocator(memory, { base: 0x4000_0000, size: 0x4000_0000 });
  const r = allocIoPgtable(
    "ARM_64_LPAE_S1",
    { pgsizeBitmap: 0x4020_1000, ias: 48, oas: 48, quirks: 0, coherentWalk: true, era },
    { memory, frames, tlb: makeNoopIoPgtableTlbOps() },
  );
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function mapUnmapLoop(ops: IoPgtableOps): () => void {
  const gather = makeIotlbGather();
  return () => {
    let failures = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const off = (i & 511) * SZ_4K;
      if (ops.map(IOVA_BASE + off, PA_BASE + off, SZ_4K, RW) !== 0) failures++;
      if (ops.unmap(IOVA_BASE + off, SZ_4K, gather) !== SZ_4K) failures++;
    }
    if (failures !== 0) throw new Error(`benchmark broke: ${failures} failed calls`);
  };
}

function iovaToPhysLoop(ops: IoPgtableOps): () => void {
  ops.map(IOVA_BASE, PA_BASE, SZ_4K, RW);
  return () => {
    let sink = 0;
    for (let i = 0; i < ITERATIONS; i++) sink += ops.iovaToPhys(IOVA_BASE + (i & 0xfff));
    if (sink === 0) throw new Error("benchmark broke");
  };
}

/** The baseline: a Map from IOVA page number (a small integer) to PA, one entry set and deleted per iteration. */
function mapLoop(): () => void {
  const m = new Map<number, number>();
  for (let i = 0; i < 64; i++) m.set(0x10_0000 + i, i);
  return () => {
    let sink = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const pfn = (IOVA_BASE / SZ_4K + (i & 511)) & 0x3fff_ffff;
      m.set(pfn, PA_BASE + i);
      if (m.delete(pfn)) sink++;
    }
    if (sink !== ITERATIONS) throw new Error("baseline broke");
  };
}

const baseline = mapLoop();
const eras = [
  ["v4.4", ioPgtableEras["v4.4"]],
  ["v6.13", ioPgtableEras["v6.13"]],
] as const;
const subjects = eras.map(([name, era]) => ({ name, mapUnmap: mapUnmapLoop(makePgtable(era)), walk: iovaToPhysLoop(makePgtable(era)) }));

// Warm-up, then alternate.
for (let r = 0; r < 3; r++) {
  baseline();
  for (const s of subjects) {
    s.mapUnmap();
    s.walk();
  }
}
const base: number[] = [];
const results = subjects.map(() => ({ mapUnmap: [] as number[], ratio: [] as number[], walk: [] as number[] }));
for (let r = 0; r < ROUNDS; r++) {
  subjects.forEach((s, i) => {
    const b = nsPerIteration(baseline, ITERATIONS);
    const m = nsPerIteration(s.mapUnmap, ITERATIONS);
    base.push(b);
    const out = results[i] as (typeof results)[number];
    out.mapUnmap.push(m);
    out.ratio.push(m / b);
    out.walk.push(nsPerIteration(s.walk, ITERATIONS));
  });
}

const min = (xs: number[]) => Math.min(...xs);
console.log(`node ${process.version}; ${ROUNDS} alternating rounds of ${ITERATIONS} iterations; min (median) ns/op`);
console.log(`Map.set + Map.delete (baseline):     ${min(base).toFixed(1)} (${median(base).toFixed(1)})`);
subjects.forEach((s, i) => {
  const out = results[i] as (typeof results)[number];
  const ratio = median(out.ratio);
  console.log(
    `io-pgtable ${s.name.padEnd(5)} map + unmap of 4K: ${min(out.mapUnmap).toFixed(1)} (${median(out.mapUnmap).toFixed(1)})  ` +
      `ratio ${(min(out.mapUnmap) / min(base)).toFixed(2)}x of mins, ${ratio.toFixed(2)}x median per round ` +
      `(target <= 10x: ${ratio <= 10 ? "met" : "MISSED"})`,
  );
  console.log(`io-pgtable ${s.name.padEnd(5)} iova_to_phys:      ${min(out.walk).toFixed(1)} (${median(out.walk).toFixed(1)})`);
});
