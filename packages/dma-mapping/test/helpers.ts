/**
 * Test kernels for the DMA layer: driver core + RAM + frame allocator + a DmaSubsystem of a generation, over an IOMMU
 * port implemented directly with io-pgtable (page tables in simulated RAM, TLB maintenance counted). The SMMUv3
 * end-to-end tests use the real driver instead (test/smmu-*.test.ts).
 */
import {
  DRIVER_CORE_ERAS,
  DriverCore,
  Trace,
  makePlatformBus,
  type Bus,
  type Device,
  type DriverCoreEvent,
} from "@dmasim/driver-core";
import {
  allocIoPgtable,
  ioPgtableEras,
  IommuDomainType,
  type IommuDomain,
  type IommuIotlbGather,
  type IommuResvRegion,
  type IoPgtableOps,
} from "@dmasim/iommu";
import { FrameAllocator, PhysicalMemory } from "@dmasim/machine";
import { DMA_ERAS, DmaSubsystem, type DmaEvent, type IommuDmaBackend, type KernelGeneration, type PciBridgeWindow } from "../src/index";

/** A record of what the port was asked to do, in order. */
export type PortCall =
  | { readonly op: "map"; readonly domain: number; readonly iova: number; readonly pa: number; readonly size: number; readonly prot: number }
  | { readonly op: "unmap"; readonly domain: number; readonly iova: number; readonly size: number; readonly unmapped: number }
  | { readonly op: "iotlb-sync"; readonly domain: number; readonly start: number; readonly end: number }
  | { readonly op: "flush-all"; readonly domain: number };

/** An IOMMU domain over io-pgtable with its device list. */
export interface TestDomain extends IommuDomain {
  readonly pgtable: IoPgtableOps;
}

/** The IOMMU core port over io-pgtable, with groups as "devices sharing a domain". */
export class PgtablePort implements IommuDmaBackend {
  readonly calls: PortCall[] = [];
  readonly #groups = new Map<Device, { domain: TestDomain; defaultDomain: TestDomain }>();
  #ids = 0;
  resv: IommuResvRegion[] = [{ start: 0x08000000, length: 0x100000, prot: 0, type: "sw-msi" }];

  constructor(
    readonly memory: PhysicalMemory,
    readonly frames: FrameAllocator,
    readonly cookieAlloc: (d: IommuDomain) => unknown,
  ) {}

  /** A new domain of `type` (a DMA-type domain gets an iommu-dma cookie, as the core's domain alloc does). */
  newDomain(type: number = IommuDomainType.DMA): TestDomain {
    const r = allocIoPgtable("ARM_64_LPAE_S1", { pgsizeBitmap: 0x40201000, ias: 48, oas: 48, quirks: 0, coherentWalk: true, era: ioPgtableEras["v6.1"] }, {
      memory: this.memory,
      frames: this.frames,
      tlb: { tlbFlushAll: () => undefined, tlbFlushWalk: () => undefined, tlbAddPage: (g, iova, granule) => {
        g.start = Math.min(g.start, iova);
        g.end = Math.max(g.end, iova + granule - 1);
      } },
    });
    if (!r.ok) throw new Error(r.error.message);
    const domain: TestDomain = {
      type,
      id: ++this.#ids,
      ops: null,
      pgsizeBitmap: 0x40201000,
      geometry: { apertureStart: 0, apertureEnd: 2 ** 48 - 1, forceAperture: true },
      iovaCookie: null,
      pgtable: r.value,
    };
    if ((type & 2) !== 0) domain.iovaCookie = this.cookieAlloc(domain);
    return domain;
  }

  /** Puts `dev` in the group of `domain` (current and default). */
  attach(dev: Device, domain: TestDomain): void {
    this.#groups.set(dev, { domain, defaultDomain: domain });
  }

  hasGroup = (dev: Device): boolean => this.#groups.has(dev);
  getDomainForDev = (dev: Device): IommuDomain | null => this.#groups.get(dev)?.domain ?? null;
  getDmaDomain = (dev: Device): IommuDomain | null => this.#groups.get(dev)?.defaultDomain ?? null;
  map = (domain: IommuDomain, iova: number, pa: number, size: number, prot: number): number => {
    this.calls.push({ op: "map", domain: domain.id, iova, pa, size, prot });
    const r = (domain as TestDomain).pgtable.mapPages(iova, pa, 4096, size / 4096, prot);
    return r.ret;
  };
  unmap = (domain: IommuDomain, iova: number, size: number, gather: IommuIotlbGather): number => {
    const unmapped = (domain as TestDomain).pgtable.unmapPages(iova, 4096, size / 4096, gather);
    this.calls.push({ op: "unmap", domain: domain.id, iova, size, unmapped });
    return unmapped;
  };
  iotlbSync = (domain: IommuDomain, gather: IommuIotlbGather): void => {
    this.calls.push({ op: "iotlb-sync", domain: domain.id, start: gather.start, end: gather.end });
  };
  flushIotlbAll = (domain: IommuDomain): void => {
    this.calls.push({ op: "flush-all", domain: domain.id });
  };
  iovaToPhys = (domain: IommuDomain, iova: number): number => (domain as TestDomain).pgtable.iovaToPhys(iova);
  getResvRegions = (): readonly IommuResvRegion[] => this.resv;
}

/** QEMU virt's PCIe MMIO windows (32-bit and high), as the host bridge lists them. */
export const QEMU_VIRT_PCI_WINDOWS: readonly PciBridgeWindow[] = [
  { start: 0x10000000, end: 0x3efeffff, offset: 0 },
  { start: 0x8000000000, end: 0xffffffffff, offset: 0 },
];

/** Base of the optional RAM above 4 GiB. */
export const HIGH_RAM = 0x1_0000_0000;

/** One test kernel. */
export interface TestKernel {
  readonly trace: Trace<DriverCoreEvent | DmaEvent>;
  readonly core: DriverCore;
  readonly platform: Bus;
  readonly memory: PhysicalMemory;
  readonly frames: FrameAllocator;
  readonly dma: DmaSubsystem;
  readonly port: PgtablePort;
  /** Devices flagged as PCI for `dev_is_pci`. */
  readonly pci: Set<Device>;
  device(name: string, options?: { readonly pci?: boolean }): Device;
  events<T extends DmaEvent["type"]>(type: T): Extract<DmaEvent, { type: T }>[];
}

/** Builds a test kernel of `generation` (RAM 0x40000000–0x7fffffff, as QEMU virt with 1 GiB). */
export function testKernel(
  generation: KernelGeneration,
  options: { readonly swiotlbSize?: number; readonly highRam?: boolean } = {},
): TestKernel {
  const trace = new Trace<DriverCoreEvent | DmaEvent>();
  const dcEra = generation === "v6.1" ? DRIVER_CORE_ERAS["v6.1"] : generation === "v4.12" ? DRIVER_CORE_ERAS["v4.12"] : DRIVER_CORE_ERAS["v4.7"];
  const core = new DriverCore({ era: dcEra, trace });
  const bus = core.busRegister(makePlatformBus());
  if (!bus.ok) throw new Error("platform bus");
  const memory = new PhysicalMemory();
  const ramBase = 0x40000000;
  memory.addRam({ name: "ram", base: ramBase, size: 0x40000000 });
  // RAM above 4 GiB that no allocator hands out: buffers a 32-bit device cannot reach.
  if (options.highRam === true) memory.addRam({ name: "high", base: HIGH_RAM, size: 0x10000000 });
  const frames = new FrameAllocator(memory, { base: ramBase, size: 0x40000000 });
  const pci = new Set<Device>();
  let dmaRef: DmaSubsystem | null = null;
  const port = new PgtablePort(memory, frames, (d) => (dmaRef as DmaSubsystem).iommuDmaCookieAlloc(d));
  const dma = new DmaSubsystem({
    era: DMA_ERAS[generation],
    trace,
    memory,
    frames,
    scheduler: core.scheduler,
    iommu: port,
    platform: { isPci: (d) => pci.has(d), pciHostBridgeWindows: () => QEMU_VIRT_PCI_WINDOWS },
    swiotlb: { size: options.swiotlbSize ?? 0x100000 },
  });
  dmaRef = dma;
  return {
    trace,
    core,
    platform: bus.value,
    memory,
    frames,
    dma,
    port,
    pci,
    device(name, o = {}) {
      const dev = core.deviceInitialize({ name, bus: bus.value });
      if (o.pci === true) pci.add(dev);
      dma.deviceInit(dev);
      return dev;
    },
    events(type) {
      return trace.records.filter((r) => r.type === type) as never;
    },
  };
}
