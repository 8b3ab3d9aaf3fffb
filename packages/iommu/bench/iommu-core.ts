/**
 * Benchmark of the IOMMU core's hot path, `iommu_map` + `iommu_unmap` of one 4K page on a DMA domain whose ops
 * are io-pgtable-arm's (ARM_64_LPAE_S1, 4K granule, 48-bit IAS, tables in simulated RAM), against the baseline of
 * calling the same io-pgtable `map`/`unmap` directly: the ratio is what the core adds (`iommu_pgsize`, the page
 * split loop, the gather and `iotlb_sync`, its trace events and, with dyndbg on, four formatted pr_debug lines).
 * Three variants: debug lines on (what the conformance runs need), off (a kernel booted without dyndbg for
 * drivers/iommu), and off without a recording trace (the core's own cost; the rest is driver-core's `Trace` keeping
 * three records per iteration). Target for the untraced variant: ≤ 5× the baseline.
 *
 * Measured in alternating rounds; the ratio is the median of the per-round ratios.
 *
 * Run: pnpm --filter @dmasim/iommu exec tsx --conditions=@dmasim/source bench/iommu-core.ts
 */
import { DRIVER_CORE_ERAS, DriverCore, NULL_TRACE_SINK, Trace, makePlatformBus, type DriverCoreEvent } from "@dmasim/driver-core";
import { FrameAllocator, PhysicalMemory } from "@dmasim/machine";
import {
  allocIoPgtable,
  IOMMU_ERAS,
  IommuCore,
  IommuDomainType,
  IommuProt,
  ioPgtableEras,
  makeIotlbGather,
  makeNoopIoPgtableTlbOps,
  type IommuDomain,
  type IommuDomainOps,
  type IommuTraceEvent,
  type IoPgtableOps,
} from "../src/index";
import { median, nsPerIteration } from "./support/measure";

const SZ_4K = 0x1000;
const ITERATIONS = 50_000;
const ROUNDS = 15;
const IOVA_BASE = 0xff_fe00_0000;
const PA_BASE = 0x8_0000_0000;
const RW = IommuProt.IOMMU_READ | IommuProt.IOMMU_WRITE;

function makePgtable(): IoPgtableOps {
  const memory = new PhysicalMemory();
  memory.addRam({ name: "dram", base: 0x4000_0000, size: 0x4000_0000 });
  const frames = new FrameAllocator(memory, { base: 0x4000_0000, size: 0x4000_0000 });
  const r = allocIoPgtable(
    "ARM_64_LPAE_S1",
    { pgsizeBitmap: 0x4020_1000, ias: 48, oas: 48, quirks: 0, coherentWalk: true, era: ioPgtableEras["v6.1"] },
    { memory, frames, tlb: makeNoopIoPgtableTlbOps() },
  );
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** A DMA domain of the core whose ops are a fresh io-pgtable, and the core that owns it. */
function makeCoreDomain(dyndbg: boolean, traced: boolean): { core: IommuCore; domain: IommuDomain; trace: Trace<DriverCoreEvent | IommuTraceEvent> } {
  const trace = traced ? new Trace<DriverCoreEvent | IommuTraceEvent>() : (NULL_TRACE_SINK as unknown as Trace<DriverCoreEvent | IommuTraceEvent>);
  const dc = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace });
  const bus = dc.busRegister(makePlatformBus());
  if (!bus.ok) throw new Error("bus");
  const core = new IommuCore({ era: IOMMU_ERAS["v6.1"], driverCore: dc, trace, dyndbg: () => dyndbg });
  const pgt = makePgtable();
  const ops: IommuDomainOps = {
    attachDev: () => 0,
    mapPages: (_d, iova, pa, pgsize, count, prot) => pgt.mapPages(iova, pa, pgsize, count, prot),
    unmapPages: (_d, iova, pgsize, count, gather) => pgt.unmapPages(iova, pgsize, count, gather),
    iotlbSync: () => {},
    iovaToPhys: (_d, iova) => pgt.iovaToPhys(iova),
    free: () => pgt.free(),
  };
  core.busSetIommu(bus.value, {
    name: "bench",
    pgsizeBitmap: 0x4020_1000,
    domainAlloc: () => ({
      type: 0,
      id: -1,
      ops,
      pgsizeBitmap: 0,
      geometry: { apertureStart: 0, apertureEnd: 2 ** 48 - 1, forceAperture: true },
      iovaCookie: null,
    }),
    deviceGroup: () => ({ ok: false, error: -19 }),
  });
  const domain = core.iommuDomainAlloc(bus.value, IommuDomainType.DMA);
  if (domain === null) throw new Error("domain");
  return { core, domain, trace };
}

function coreLoop(dyndbg: boolean, traced = true): () => void {
  return () => {
    const { core, domain } = makeCoreDomain(dyndbg, traced);
    let failures = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const off = (i & 511) * SZ_4K;
      if (core.iommuMap(domain, IOVA_BASE + off, PA_BASE + off, SZ_4K, RW) !== 0) failures++;
      if (core.iommuUnmap(domain, IOVA_BASE + off, SZ_4K) !== SZ_4K) failures++;
    }
    if (failures !== 0) throw new Error(`benchmark broke: ${failures} failed calls`);
  };
}

function directLoop(): () => void {
  return () => {
    const ops = makePgtable();
    const gather = makeIotlbGather();
    let failures = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const off = (i & 511) * SZ_4K;
      if (ops.map(IOVA_BASE + off, PA_BASE + off, SZ_4K, RW) !== 0) failures++;
      if (ops.unmap(IOVA_BASE + off, SZ_4K, gather) !== SZ_4K) failures++;
    }
    if (failures !== 0) throw new Error(`benchmark broke: ${failures} failed calls`);
  };
}

const variants = [
  { name: "iommu_map + iommu_unmap, traced, dyndbg on (4 pr_debug lines)", loop: coreLoop(true) },
  { name: "iommu_map + iommu_unmap, traced, dyndbg off", loop: coreLoop(false) },
  { name: "iommu_map + iommu_unmap, untraced (NULL sink), dyndbg off", loop: coreLoop(false, false) },
];
const direct = directLoop();
direct();
for (const v of variants) v.loop();
const results = variants.map(() => ({ ns: [] as number[], ratios: [] as number[] }));
const directNs: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const d = nsPerIteration(direct, ITERATIONS);
  directNs.push(d);
  variants.forEach((v, i) => {
    const c = nsPerIteration(v.loop, ITERATIONS);
    results[i]?.ns.push(c);
    results[i]?.ratios.push(c / d);
  });
}
console.log(`baseline: io-pgtable map + unmap called directly: ${median(directNs).toFixed(0)} ns/iteration`);
variants.forEach((v, i) => {
  const res = results[i];
  if (res === undefined) return;
  console.log(`${v.name}: ${median(res.ns).toFixed(0)} ns/iteration, ratio ${median(res.ratios).toFixed(2)}x`);
});
