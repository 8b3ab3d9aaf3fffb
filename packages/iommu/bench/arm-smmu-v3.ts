/**
 * Benchmark: what the arm-smmu-v3 driver adds to a DMA unmap. One 4K page mapped and unmapped in a stage-1 domain of
 * the driver on the SMMUv3 hardware model (QEMU 7.2 configuration), against the baseline of the same io-pgtable
 * (ARM_64_LPAE_S1, IAS 48, OAS 44, 4K) with a no-op TLB:
 *
 * - strict: `map_pages` + `unmap_pages` + `iotlb_sync` = one range TLBI_NH_VA + CMD_SYNC written into the command
 *   queue in RAM, PROD written through MMIO, the hardware consuming both, CONS polled;
 * - lazy: `map_pages` + `unmap_pages` with a queued gather, and one `flush_iotlb_all` (TLBI_NH_ASID + SYNC) per 256
 *   unmaps, as the DMA-FQ flush queue (IOVA_DEFAULT_FQ_SIZE) would.
 *
 * Alternating rounds; the ratio is the median of per-round ratios.
 *
 * Run: pnpm --filter @dmasim/iommu exec tsx --conditions=@dmasim/source bench/arm-smmu-v3.ts
 */
import { createSmmuV3 } from "@dmasim/iommu/smmuv3-hw";
import { FrameAllocator, PhysicalMemory } from "@dmasim/machine";
import { IommuDomainType } from "../src/core/iommu-ops";
import { allocIoPgtable, IommuProt, ioPgtableEras, makeIotlbGather, makeNoopIoPgtableTlbOps } from "../src/io-pgtable-arm/index";
import type { ArmSmmuDomain } from "../src/arm-smmu-v3/domain";
import { SmmuDriverTestKernel } from "../src/arm-smmu-v3/test-support";
import { median, nsPerIteration } from "./support/measure";

const SZ_4K = 0x1000;
const ITERATIONS = 50_000;
const ROUNDS = 15;
const IOVA_BASE = 0xff_fe00_0000;
const PA_BASE = 0x5000_0000;
const RW = IommuProt.IOMMU_READ | IommuProt.IOMMU_WRITE;

function baselineLoop(): () => void {
  const memory = new PhysicalMemory();
  memory.addRam({ name: "dram", base: 0x4000_0000, size: 0x4000_0000 });
  const frames = new FrameAllocator(memory, { base: 0x4000_0000, size: 0x1000_0000 });
  const r = allocIoPgtable(
    "ARM_64_LPAE_S1",
    { pgsizeBitmap: 0x4020_1000, ias: 48, oas: 44, quirks: 0, coherentWalk: true, era: ioPgtableEras["v6.1"] },
    { memory, frames, tlb: makeNoopIoPgtableTlbOps() },
  );
  if (!r.ok) throw new Error(r.error.message);
  const ops = r.value;
  const gather = makeIotlbGather();
  return () => {
    let failures = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const off = (i & 511) * SZ_4K;
      if (ops.mapPages(IOVA_BASE + off, PA_BASE + off, SZ_4K, 1, RW).ret !== 0) failures++;
      if (ops.unmapPages(IOVA_BASE + off, SZ_4K, 1, gather) !== SZ_4K) failures++;
    }
    if (failures !== 0) throw new Error(`baseline broke: ${failures}`);
  };
}

function driverDomain(): { k: SmmuDriverTestKernel; d: ArmSmmuDomain } {
  const k = new SmmuDriverTestKernel({ createHw: (memory, irq) => createSmmuV3({ name: "9050000.smmuv3", memory, irq }) });
  if (k.probeSmmu() !== 0) throw new Error("probe");
  const dev = k.addMaster("dma0", [0x10]);
  if (k.probeMaster(dev) !== 0) throw new Error("probe_device");
  const d = k.driver.ops.domainAlloc(IommuDomainType.DMA) as ArmSmmuDomain;
  d.pgsizeBitmap = k.driver.ops.pgsizeBitmap;
  if (k.driver.domainOps.attachDev(d, dev) !== 0) throw new Error("attach");
  return { k, d };
}

function strictLoop(): () => void {
  const { k, d } = driverDomain();
  const ops = k.driver.domainOps;
  const gather = makeIotlbGather();
  return () => {
    let failures = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const off = (i & 511) * SZ_4K;
      if (ops.mapPages?.(d, IOVA_BASE + off, PA_BASE + off, SZ_4K, 1, RW).ret !== 0) failures++;
      gather.start = Number.MAX_SAFE_INTEGER;
      gather.end = 0;
      gather.pgsize = 0;
      if (ops.unmapPages?.(d, IOVA_BASE + off, SZ_4K, 1, gather) !== SZ_4K) failures++;
      ops.iotlbSync?.(d, gather);
    }
    if (failures !== 0) throw new Error(`strict broke: ${failures}`);
  };
}

function lazyLoop(): () => void {
  const { k, d } = driverDomain();
  const ops = k.driver.domainOps;
  const gather = makeIotlbGather();
  gather.queued = true;
  return () => {
    let failures = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const off = (i & 511) * SZ_4K;
      if (ops.mapPages?.(d, IOVA_BASE + off, PA_BASE + off, SZ_4K, 1, RW).ret !== 0) failures++;
      if (ops.unmapPages?.(d, IOVA_BASE + off, SZ_4K, 1, gather) !== SZ_4K) failures++;
      if ((i & 255) === 255) ops.flushIotlbAll?.(d);
    }
    if (failures !== 0) throw new Error(`lazy broke: ${failures}`);
  };
}

const baseline = baselineLoop();
const subjects = [
  { name: "strict (TLBI_NH_VA + SYNC per unmap)", run: strictLoop() },
  { name: "lazy (TLBI_NH_ASID + SYNC per 256)  ", run: lazyLoop() },
];
for (let r = 0; r < 3; r++) {
  baseline();
  for (const s of subjects) s.run();
}
const base: number[] = [];
const results = subjects.map(() => ({ ns: [] as number[], ratio: [] as number[] }));
for (let r = 0; r < ROUNDS; r++) {
  subjects.forEach((s, i) => {
    const b = nsPerIteration(baseline, ITERATIONS);
    const m = nsPerIteration(s.run, ITERATIONS);
    base.push(b);
    const out = results[i] as (typeof results)[number];
    out.ns.push(m);
    out.ratio.push(m / b);
  });
}
const min = (xs: number[]) => Math.min(...xs);
console.log(`node ${process.version}; ${ROUNDS} alternating rounds of ${ITERATIONS} iterations; min (median) ns/op`);
console.log(`io-pgtable map + unmap, no-op TLB (baseline): ${min(base).toFixed(1)} (${median(base).toFixed(1)})`);
subjects.forEach((s, i) => {
  const out = results[i] as (typeof results)[number];
  console.log(`arm-smmu-v3 ${s.name}: ${min(out.ns).toFixed(1)} (${median(out.ns).toFixed(1)})  ratio ${median(out.ratio).toFixed(2)}x median per round`);
});
