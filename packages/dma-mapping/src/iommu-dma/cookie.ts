/**
 * The iommu-dma cookie a DMA domain carries (`domain->iova_cookie`): the IOVA allocator, the MSI doorbell pages
 * mapped in the domain, and the flush queue of a DMA-FQ domain. `iommu_dma_init_domain` sizes the allocator from
 * the domain's page sizes and aperture and reserves what must never be handed out (PCI host bridge windows, the
 * IOMMU's reserved regions except the SW_MSI window, which iommu-dma itself manages).
 *
 * @see drivers/iommu/dma-iommu.c iommu_get_dma_cookie, iommu_dma_init_domain, iova_reserve_iommu_regions
 */
import { Errno, printk, type Device } from "@dmasim/driver-core";
import type { DmaContext } from "../context";
import { IommuDomainType, type IommuDomain } from "@dmasim/iommu";
import { IovaDomain } from "../iova/iova-domain";
import { FlushQueue } from "./flush-queue";

/** One mapped MSI doorbell page (`struct iommu_dma_msi_page`). */
export interface IommuDmaMsiPage {
  readonly phys: number;
  readonly iova: number;
}

/**
 * `struct iommu_dma_cookie` (IOVA type).
 *
 * @see drivers/iommu/dma-iommu.c struct iommu_dma_cookie
 */
export class IommuDmaCookie {
  /** Sequence number of the cookie within the kernel. */
  readonly id: number;
  /** The domain's id in traces (the IOMMU core's `domain.id`, taken when the cookie is attached to it). */
  label: number;
  /** `cookie->iovad`; null until `iommu_dma_init_domain` (the kernel tests `iovad->start_pfn`). */
  iovad: IovaDomain | null = null;
  /** `cookie->msi_page_list`, in insertion order (the kernel adds at the head; lookups are by address). */
  readonly msiPages: IommuDmaMsiPage[] = [];
  /** `cookie->fq_domain` and its queue: set for DMA-FQ domains once initialised. */
  fq: FlushQueue | null = null;

  constructor(id: number, domainId: number) {
    this.id = id;
    this.label = domainId;
  }
}

/** The cookie of `domain`, if it is an iommu-dma cookie. */
export function cookieOf(domain: IommuDomain | null): IommuDmaCookie | null {
  const c = domain?.iovaCookie;
  return c instanceof IommuDmaCookie ? c : null;
}

/** `__ffs(x)` for a positive bitmap that may exceed 32 bits. */
function lowestSetBit(x: number): number {
  let order = 0;
  while (x > 0 && x % 2 === 0) {
    x = Math.floor(x / 2);
    order += 1;
  }
  return order;
}

/**
 * `iommu_dma_init_domain(domain, base, limit, dev)`: sets up (or checks) the domain's IOVA allocator. Returns 0,
 * -ENODEV/-EINVAL when the domain has no iommu-dma cookie, or -EFAULT for a range outside a forced aperture or
 * incompatible with an existing allocator.
 *
 * @see drivers/iommu/dma-iommu.c iommu_dma_init_domain
 */
export function iommuDmaInitDomain(
  ctx: DmaContext,
  domain: IommuDomain,
  base: number,
  limit: number,
  dev: Device | null,
): number {
  const cookie = cookieOf(domain);
  const devName = dev?.name ?? "";
  if (cookie === null) {
    // v4.x: `if (!iovad) return -ENODEV`; modern: `if (!cookie || cookie->type != IOMMU_DMA_IOVA_COOKIE) return -EINVAL`.
    const ret = ctx.era.nullOps === "dummy" ? -Errno.ENODEV : -Errno.EINVAL;
    ctx.trace.emit({ type: "iommu-dma-init-domain", device: devName, domain: domain.id, base, limit, ret, granule: null, startPfn: null, fresh: false });
    return ret;
  }
  cookie.label = domain.id;
  const order = lowestSetBit(domain.pgsizeBitmap);
  const granule = 2 ** order;
  let basePfn = Math.max(1, Math.floor(base / granule));
  const emit = (ret: number, fresh: boolean): number => {
    ctx.trace.emit({
      type: "iommu-dma-init-domain",
      device: devName,
      domain: cookie.label,
      base,
      limit,
      ret,
      granule: ret === 0 ? granule : null,
      startPfn: ret === 0 ? (cookie.iovad?.startPfn ?? null) : null,
      fresh,
    });
    return ret;
  };
  const geo = domain.geometry;
  if (geo.forceAperture) {
    if (base > geo.apertureEnd || limit < geo.apertureStart) {
      printk(ctx.trace, "warning", null, "drivers/iommu/dma-iommu.c", "specified DMA range outside IOMMU capability");
      return emit(-Errno.EFAULT, false);
    }
    basePfn = Math.max(basePfn, Math.floor(geo.apertureStart / granule));
  }
  if (cookie.iovad !== null) {
    if (cookie.iovad.granule !== granule || cookie.iovad.startPfn !== basePfn) {
      printk(ctx.trace, "warning", null, "drivers/iommu/dma-iommu.c", "Incompatible range for DMA domain");
      return emit(-Errno.EFAULT, false);
    }
    return emit(0, false);
  }
  const iommuDma = ctx.era.iommuDma;
  cookie.iovad = new IovaDomain(granule, basePfn, iommuDma.rcache);
  if (domain.type === IommuDomainType.DMA_FQ && iommuDma.flushQueue && ctx.iommu !== null) {
    cookie.fq = new FlushQueue(ctx, domain, cookie);
  }
  if (dev === null) return emit(0, true);
  const ret = iovaReserveIommuRegions(ctx, dev, cookie, cookie.iovad);
  return emit(ret, true);
}

/**
 * `iova_reserve_iommu_regions` (with `iova_reserve_pci_windows` for PCI devices): never hand out IOVAs that alias a
 * host bridge window (peer-to-peer would decode them) or a reserved region; an IOMMU-MSI ("msi", i.e. HW MSI) region
 * also gets identity MSI pages. The SW_MSI window is skipped: "We ARE the software that manages these!".
 *
 * @see drivers/iommu/dma-iommu.c iova_reserve_iommu_regions, iova_reserve_pci_windows
 */
function iovaReserveIommuRegions(
  ctx: DmaContext,
  dev: Device,
  cookie: IommuDmaCookie,
  iovad: IovaDomain,
): number {
  const era = ctx.era.iommuDma;
  const reserve = (lo: number, hi: number, reason: "pci-window" | "pci-dma-range-gap" | "resv-region" | "hw-msi"): void => {
    iovad.reserveIova(lo, hi);
    ctx.trace.emit({ type: "iova-reserve", domain: cookie.label, pfnLo: lo, pfnHi: hi, reason });
  };
  if (era.reservePciWindows && ctx.platform.isPci?.(dev) === true) {
    for (const w of ctx.platform.pciHostBridgeWindows?.(dev) ?? []) {
      reserve(iovad.pfn(w.start - w.offset), iovad.pfn(w.end - w.offset), "pci-window");
    }
    const ranges = ctx.platform.pciHostBridgeDmaRanges?.(dev) ?? [];
    let start = 0;
    for (let i = 0; i < ranges.length; i++) {
      const w = ranges[i] as (typeof ranges)[number];
      const end = w.start - w.offset;
      if (end > start) reserve(iovad.pfn(start), iovad.pfn(end), "pci-dma-range-gap");
      else if (end < start) {
        printk(ctx.trace, "err", null, "drivers/iommu/dma-iommu.c", `${dev.name}: Failed to reserve IOVA`);
        return -Errno.EINVAL;
      }
      start = w.end - w.offset + 1;
      if (i === ranges.length - 1 && start <= Number.MAX_SAFE_INTEGER) {
        reserve(iovad.pfn(start), iovad.pfn(Number.MAX_SAFE_INTEGER), "pci-dma-range-gap");
      }
    }
  }
  if (!era.reserveResvRegions || ctx.iommu === null) return 0;
  for (const region of ctx.iommu.getResvRegions(dev)) {
    if (region.type === "sw-msi") continue;
    const lo = iovad.pfn(region.start);
    const hi = iovad.pfn(region.start + region.length - 1);
    reserve(lo, hi, region.type === "msi" ? "hw-msi" : "resv-region");
    if (region.type === "msi") {
      // cookie_init_hw_msi_region: identity-mapped doorbell pages the ITS driver will find by address.
      const first = region.start - iovad.offset(region.start);
      const pages = iovad.align(region.start + region.length - first) / iovad.granule;
      for (let i = 0; i < pages; i++) {
        const a = first + i * iovad.granule;
        cookie.msiPages.push({ phys: a, iova: a });
      }
    }
  }
  return 0;
}
