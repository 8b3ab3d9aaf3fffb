/**
 * One simulated kernel's DMA layer: the ops tables (iommu-dma, swiotlb/dma-direct, dummy), the swiotlb pool, the
 * per-device DMA state, the DMA API entry points, and the hooks the IOMMU core and the arch code call (cookie
 * factory, `iommu_dma_init_domain`, MSI doorbell mapping). No module-level state: every booted kernel gets its own.
 *
 * @see kernel/dma/mapping.c
 * @see drivers/iommu/dma-iommu.c
 */
import { Errno, NULL_TRACE_SINK, type Device, type Scheduler, type TraceSink } from "@dmasim/driver-core";
import type { FrameAllocator, PhysicalMemoryPort } from "@dmasim/machine";
import type { DmaContext } from "./context";
import { DMA_DEVICE, type DeviceDmaState, type DmaRangeMapEntry } from "./device-dma";
import {
  dmaAllocCoherent,
  dmaFreeCoherent,
  dmaMapPage,
  dmaMappingError,
  dmaMapSg,
  dmaSetMask,
  dmaSyncSingle,
  dmaUnmapPage,
  dmaUnmapSg,
} from "./dma-api";
import type { DmaMapOps } from "./dma-map-ops";
import { makeDirectOps } from "./direct/dma-direct";
import { SwiotlbPool, type SwiotlbPoolOptions } from "./direct/swiotlb";
import { dummyDmaOps } from "./dummy-ops";
import type { DmaEra } from "./era";
import type { DmaEvent, DmaOpsSetReason } from "./events";
import { cookieOf, iommuDmaInitDomain, IommuDmaCookie } from "./iommu-dma/cookie";
import { iommuDmaPrepareMsi, type MsiPrepareResult } from "./iommu-dma/msi";
import { makeIommuDmaOps } from "./iommu-dma/ops";
import type { IommuDomain } from "@dmasim/iommu";
import type { DmaPlatformHooks, IommuDmaBackend } from "./iommu-backend";
import { dmaBitMask, type DmaAddr, type DmaCoherentAlloc, type DmaDirection, type ScatterEntry } from "./types";

/** What a {@link DmaSubsystem} is built from. */
export interface DmaSubsystemOptions {
  readonly era: DmaEra;
  readonly trace: TraceSink<DmaEvent>;
  /** RAM as the CPU sees it. */
  readonly memory: PhysicalMemoryPort;
  /** The kernel's page allocator (coherent buffers, the swiotlb pool). */
  readonly frames: FrameAllocator;
  /** For the flush queue's 10 ms timer (the driver core's scheduler). */
  readonly scheduler?: Scheduler;
  /** The IOMMU core port; without it iommu-dma ops fail every call. */
  readonly iommu?: IommuDmaBackend | null;
  readonly platform?: DmaPlatformHooks;
  /** The swiotlb pool (`false`: none, as with `swiotlb=noforce`); allocated now, so early, at the bottom of RAM. */
  readonly swiotlb?: SwiotlbPoolOptions | false;
  /**
   * The owner tag each mapping is booked under. Default: `bound:<driver>` while bound, `probe:<driver>` during a
   * probe (the driver pointer is set before BIND_DRIVER), `driverless` otherwise. A kernel composition may add the
   * probe attempt number.
   */
  readonly ownerOf?: (dev: Device) => string;
}

/** The default mapping owner tag. */
export function defaultDmaOwner(dev: Device): string {
  const drv = dev.driver;
  if (drv === null) return "driverless";
  return dev.isBound ? `bound:${drv.name}` : `probe:${drv.name}`;
}

/**
 * The DMA layer of one simulated kernel.
 *
 * @see kernel/dma/mapping.c, drivers/iommu/dma-iommu.c
 */
export class DmaSubsystem {
  readonly era: DmaEra;
  /** The ops tables of this kernel. `direct` is dma-direct (modern NULL ops), `swiotlb` arm64's v4.x default. */
  readonly ops: { readonly iommu: DmaMapOps; readonly swiotlb: DmaMapOps; readonly direct: DmaMapOps; readonly dummy: DmaMapOps };
  readonly swiotlb: SwiotlbPool | null;
  /** Shared with the arm64 setup policies of this kernel. @internal */
  readonly ctx: DmaContext;
  readonly #fallback: DmaMapOps;
  #cookies = 0;
  #mappingSeq = 0;

  constructor(options: DmaSubsystemOptions) {
    this.era = options.era;
    const v4 = options.era.nullOps === "dummy";
    this.swiotlb =
      options.swiotlb === false
        ? null
        : SwiotlbPool.create(options.memory, options.frames, { overflowBuffer: v4, ...(options.swiotlb ?? {}) });
    const ownerOf = options.ownerOf ?? defaultDmaOwner;
    let lastDev: Device | null = null;
    let lastState: DeviceDmaState | null = null;
    const ctx: DmaContext = {
      era: options.era,
      trace: options.trace,
      tracing: (options.trace as unknown) !== NULL_TRACE_SINK,
      memory: options.memory,
      frames: options.frames,
      scheduler: options.scheduler ?? null,
      iommu: options.iommu ?? null,
      platform: options.platform ?? {},
      swiotlb: this.swiotlb,
      state: (dev) => {
        // One-entry cache: a device's DMA slot is created once and never replaced or cleared, and DMA API calls come
        // in runs on one device (map, then unmap), so the slot lookup in the device's data area is skipped.
        if (dev === lastDev) return lastState as DeviceDmaState;
        const st = dev.getData(DMA_DEVICE) ?? this.deviceInit(dev);
        lastDev = dev;
        lastState = st;
        return st;
      },
      isPci: (dev, st) => st.isPci ?? (st.isPci = options.platform?.isPci?.(dev) ?? false),
      ownerOf,
      nextMappingSeq: () => ++this.#mappingSeq,
    };
    this.ctx = ctx;
    this.ops = {
      iommu: makeIommuDmaOps(ctx),
      swiotlb: makeDirectOps(ctx, "swiotlb"),
      direct: makeDirectOps(ctx, "dma-direct"),
      dummy: dummyDmaOps,
    };
    this.#fallback = v4 ? dummyDmaOps : this.ops.direct;
  }

  // ---- per-device state --------------------------------------------------------------------------------------

  /**
   * The device's DMA state, created on first use with the kernel's defaults: NULL ops, 32-bit masks
   * (`of_dma_configure`/`pci_setup_device` set them so), not coherent, no `dma-ranges`.
   */
  deviceInit(dev: Device): DeviceDmaState {
    let st = dev.getData(DMA_DEVICE);
    if (st === undefined) {
      st = {
        ops: null,
        fallback: this.#fallback,
        dmaMask: dmaBitMask(32),
        coherentDmaMask: dmaBitMask(32),
        maxSegSize: 0x10000,
        busDmaLimit: 0,
        coherent: false,
        dmaRangeMap: null,
        isPci: null,
        archSetup: null,
        mappings: new Map(),
      };
      dev.setData(DMA_DEVICE, st);
    }
    return st;
  }

  /** Sets `dev->dma_ops` (traced as `dma-ops-set` with the old and new kind). */
  setDmaOps(dev: Device, ops: DmaMapOps | null, reason: DmaOpsSetReason): void {
    const st = this.deviceInit(dev);
    const from = (st.ops ?? st.fallback).kind;
    st.ops = ops;
    const to = (ops ?? st.fallback).kind;
    this.ctx.trace.emit({ type: "dma-ops-set", device: dev.name, from, to, ops: ops?.name ?? null, reason, bound: dev.isBound });
  }

  /** `dev->dma_range_map` (from `dma-ranges`; null for identity). */
  setDmaRangeMap(dev: Device, map: readonly DmaRangeMapEntry[] | null): void {
    this.deviceInit(dev).dmaRangeMap = map === null ? null : map.map((m) => ({ ...m }));
  }

  /** `dev->bus_dma_limit` (0 for none). */
  setBusDmaLimit(dev: Device, limit: number): void {
    this.deviceInit(dev).busDmaLimit = limit;
  }

  /** `dev->dma_coherent`. */
  setCoherent(dev: Device, coherent: boolean): void {
    this.deviceInit(dev).coherent = coherent;
  }

  // ---- DMA API (kernel/dma/mapping.c) ------------------------------------------------------------------------

  /** `dma_alloc_coherent(dev, size, &handle, gfp)`: a buffer or null. */
  dmaAllocCoherent(dev: Device, size: number, attrs = 0): DmaCoherentAlloc | null {
    return dmaAllocCoherent(this.ctx, dev, size, attrs);
  }

  /** `dma_free_coherent(dev, size, cpu_addr, handle)`. */
  dmaFreeCoherent(dev: Device, size: number, cpuPa: number, dmaAddr: DmaAddr, attrs = 0): void {
    dmaFreeCoherent(this.ctx, dev, size, cpuPa, dmaAddr, attrs);
  }

  /** `dma_map_single(dev, ptr, size, dir)` for a buffer at physical address `pa`: a bus address or `DMA_MAPPING_ERROR`. */
  dmaMapSingle(dev: Device, pa: number, size: number, dir: DmaDirection, attrs = 0): DmaAddr {
    return dmaMapPage(this.ctx, dev, pa, size, dir, attrs, "single");
  }

  /** `dma_map_page(dev, page, offset, size, dir)` with `pa = page_to_phys(page) + offset`. */
  dmaMapPage(dev: Device, pa: number, size: number, dir: DmaDirection, attrs = 0): DmaAddr {
    return dmaMapPage(this.ctx, dev, pa, size, dir, attrs, "page");
  }

  /** `dma_unmap_single`. */
  dmaUnmapSingle(dev: Device, dmaAddr: DmaAddr, size: number, dir: DmaDirection, attrs = 0): void {
    dmaUnmapPage(this.ctx, dev, dmaAddr, size, dir, attrs, "single");
  }

  /** `dma_unmap_page`. */
  dmaUnmapPage(dev: Device, dmaAddr: DmaAddr, size: number, dir: DmaDirection, attrs = 0): void {
    dmaUnmapPage(this.ctx, dev, dmaAddr, size, dir, attrs, "page");
  }

  /** `dma_map_sg`: DMA segments used (>0), or 0 on failure; fills each entry's `dmaAddress`/`dmaLength`. */
  dmaMapSg(dev: Device, sg: ScatterEntry[], dir: DmaDirection, attrs = 0): number {
    return dmaMapSg(this.ctx, dev, sg, dir, attrs);
  }

  /** `dma_unmap_sg` (the list as passed to `dma_map_sg`). */
  dmaUnmapSg(dev: Device, sg: ScatterEntry[], dir: DmaDirection, attrs = 0): void {
    dmaUnmapSg(this.ctx, dev, sg, dir, attrs);
  }

  /** `dma_sync_single_for_cpu`: make device writes visible to the CPU (swiotlb copies back). */
  dmaSyncSingleForCpu(dev: Device, dmaAddr: DmaAddr, size: number, dir: DmaDirection): void {
    dmaSyncSingle(this.ctx, dev, dmaAddr, size, dir, "cpu");
  }

  /** `dma_sync_single_for_device`: make CPU writes visible to the device (swiotlb copies in). */
  dmaSyncSingleForDevice(dev: Device, dmaAddr: DmaAddr, size: number, dir: DmaDirection): void {
    dmaSyncSingle(this.ctx, dev, dmaAddr, size, dir, "device");
  }

  /** `dma_mapping_error(dev, addr)`. */
  dmaMappingError(dev: Device, dmaAddr: DmaAddr): boolean {
    return dmaMappingError(this.ctx, dev, dmaAddr);
  }

  /** `dma_set_mask(dev, mask)`: 0 or -EIO. */
  dmaSetMask(dev: Device, mask: number): number {
    return dmaSetMask(this.ctx, dev, mask, "dma");
  }

  /** `dma_set_coherent_mask(dev, mask)`: 0 or -EIO. */
  dmaSetCoherentMask(dev: Device, mask: number): number {
    return dmaSetMask(this.ctx, dev, mask, "coherent");
  }

  /** `dma_set_mask_and_coherent(dev, mask)`. */
  dmaSetMaskAndCoherent(dev: Device, mask: number): number {
    const ret = this.dmaSetMask(dev, mask);
    return ret === 0 ? this.dmaSetCoherentMask(dev, mask) : ret;
  }

  /** `dma_set_max_seg_size(dev, size)`. */
  dmaSetMaxSegSize(dev: Device, size: number): number {
    if (!Number.isInteger(size) || size <= 0) return -Errno.EINVAL;
    this.deviceInit(dev).maxSegSize = size;
    return 0;
  }

  // ---- iommu-dma hooks -----------------------------------------------------------------------------------------

  /**
   * `iommu_get_dma_cookie(domain)`: gives a DMA / DMA-FQ domain its iommu-dma cookie (the IOMMU core calls this
   * when it allocates such a domain). 0, or -EEXIST when the domain already has one.
   *
   * @see drivers/iommu/dma-iommu.c iommu_get_dma_cookie
   */
  iommuGetDmaCookie(domain: IommuDomain): number {
    if (domain.iovaCookie !== null && domain.iovaCookie !== undefined) return -Errno.EEXIST;
    domain.iovaCookie = new IommuDmaCookie(++this.#cookies, domain.id);
    return 0;
  }

  /**
   * The cookie factory in the shape the IOMMU core's `dmaCookieAlloc` hook takes: a fresh cookie for `domain`
   * (`iommu_get_dma_cookie`), which the core stores in `domain.iovaCookie`.
   *
   * @see drivers/iommu/dma-iommu.c iommu_get_dma_cookie
   */
  iommuDmaCookieAlloc(domain: IommuDomain): IommuDmaCookie {
    return new IommuDmaCookie(++this.#cookies, domain.id);
  }

  /**
   * `iommu_put_dma_cookie(domain)`: drops the cookie (the allocator and any queued IOVAs go with it).
   *
   * @see drivers/iommu/dma-iommu.c iommu_put_dma_cookie
   */
  iommuPutDmaCookie(domain: IommuDomain): void {
    cookieOf(domain)?.fq?.destroy();
    domain.iovaCookie = null;
  }

  /** `iommu_dma_init_domain(domain, base, limit, dev)`: 0 or a negative errno. */
  iommuDmaInitDomain(domain: IommuDomain, base: number, limit: number, dev: Device | null): number {
    return iommuDmaInitDomain(this.ctx, domain, base, limit, dev);
  }

  /**
   * `iommu_dma_prepare_msi` + `iommu_dma_compose_msi_msg`: the address `dev` must write its MSI to for a doorbell
   * at physical `msiAddr` (the doorbell page mapped in its domain once), or -ENOMEM. Before v4.8 (no MSI mapping)
   * and for devices without an iommu-dma domain, the physical address.
   */
  iommuDmaPrepareMsi(dev: Device, msiAddr: number): MsiPrepareResult {
    return iommuDmaPrepareMsi(this.ctx, dev, msiAddr);
  }

  /** The iommu-dma cookie of a domain (allocator state for tests and leak accounting), or null. */
  cookieOf(domain: IommuDomain | null): IommuDmaCookie | null {
    return cookieOf(domain);
  }
}
