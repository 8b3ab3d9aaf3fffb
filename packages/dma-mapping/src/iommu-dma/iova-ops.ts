/**
 * iommu-dma's IOVA handling and the map/unmap core every `iommu_dma_ops` member goes through: allocate an IOVA
 * range (rcache, then the tree; PCI devices below 4 GiB first), map it with `iommu_map`, and on unmap clear the PTEs
 * with `iommu_unmap_fast`, then either invalidate now (`iommu_iotlb_sync`: strict) or hand the range to the flush
 * queue (DMA-FQ).
 *
 * @see drivers/iommu/dma-iommu.c iommu_dma_alloc_iova, iommu_dma_free_iova, __iommu_dma_map, __iommu_dma_unmap
 */
import { makeIotlbGather, IommuProt, type IommuDomain, type IommuIotlbGather } from "@dmasim/iommu";
import type { Device } from "@dmasim/driver-core";
import type { DmaContext } from "../context";
import type { DeviceDmaState } from "../device-dma";
import type { IovaDomain } from "../iova/iova-domain";
import { IOVA_RANGE_CACHE_MAX_SIZE } from "../iova/rcache";
import { DMA_MAPPING_ERROR, DmaAttr, dmaBitMask, type DmaAddr, type DmaDirection } from "../types";
import { cookieOf, type IommuDmaCookie } from "./cookie";

const MASK_32 = dmaBitMask(32);

/** `roundup_pow_of_two(n)` for the small sizes iommu-dma rounds (below 2^5 pages). */
function roundupPow2(n: number): number {
  return n <= 1 ? 1 : n <= 0x4000_0000 ? 1 << (32 - Math.clz32(n - 1)) : 2 ** (32 - Math.clz32(n - 1));
}

/** Sizes (in granules) below this are rounded up to a power of two for the range caches. */
const RCACHE_ROUND_BELOW = 2 ** (IOVA_RANGE_CACHE_MAX_SIZE - 1);

/**
 * `dma_info_to_prot(dir, coherent, attrs)`: IOMMU_READ for to-device, IOMMU_WRITE for from-device, both for
 * bidirectional; IOMMU_CACHE for a coherent master; IOMMU_PRIV for DMA_ATTR_PRIVILEGED.
 *
 * @see drivers/iommu/dma-iommu.c dma_info_to_prot
 */
export function dmaInfoToProt(dir: DmaDirection, coherent: boolean, attrs: number): number {
  let prot = coherent ? IommuProt.IOMMU_CACHE : 0;
  if ((attrs & DmaAttr.PRIVILEGED) !== 0) prot |= IommuProt.IOMMU_PRIV;
  switch (dir) {
    case "bidirectional":
      return prot | IommuProt.IOMMU_READ | IommuProt.IOMMU_WRITE;
    case "to-device":
      return prot | IommuProt.IOMMU_READ;
    case "from-device":
      return prot | IommuProt.IOMMU_WRITE;
    case "none":
      return 0;
  }
}

/** The domain iommu-dma maps `dev`'s DMA through in this era (default domain modern, current domain v4.x). */
export function dmaDomainOf(ctx: DmaContext, dev: Device): IommuDomain | null {
  const iommu = ctx.iommu;
  if (iommu === null) return null;
  return ctx.era.iommuDma.dmaDomain === "default" ? iommu.getDmaDomain(dev) : iommu.getDomainForDev(dev);
}

/**
 * The domain a DMA on `dev` goes through, provided it carries an initialised iommu-dma cookie; otherwise null after
 * tracing why (the kernel would oops). The cookie is then `cookieOf(domain)`, non-null.
 */
export function dmaCookieDomain(ctx: DmaContext, dev: Device): IommuDomain | null {
  const domain = dmaDomainOf(ctx, dev);
  const cookie = cookieOf(domain);
  if (domain === null || cookie === null || cookie.iovad === null) return noCookie(ctx, dev, domain);
  return domain;
}

/** {@link dmaCookieDomain}'s failure: traced, then null. */
function noCookie(ctx: DmaContext, dev: Device, domain: IommuDomain | null): null {
  ctx.trace.emit({
    type: "iommu-dma-error",
    device: dev.name,
    message: domain === null ? "iommu_dma_ops on a device with no IOMMU domain" : "iommu_dma_ops on a domain without an initialised iova cookie",
  });
  return null;
}

/** The domain and initialised cookie for a DMA on `dev`, or null after tracing why (the kernel would oops). */
export function dmaCookieFor(ctx: DmaContext, dev: Device): { domain: IommuDomain; cookie: IommuDmaCookie } | null {
  const domain = dmaCookieDomain(ctx, dev);
  return domain === null ? null : { domain, cookie: cookieOf(domain) as IommuDmaCookie };
}

/**
 * `iommu_dma_alloc_iova(domain, size, dma_limit, dev)`: an IOVA for `size` bytes (already granule-aligned) below the
 * device's limit, or 0. Sizes that the range caches hold are rounded up to a power of two so a freed range goes back
 * into the right cache.
 *
 * @see drivers/iommu/dma-iommu.c iommu_dma_alloc_iova
 */
export function iommuDmaAllocIova(
  ctx: DmaContext,
  dev: Device,
  st: DeviceDmaState,
  domain: IommuDomain,
  cookie: IommuDmaCookie,
  size: number,
  dmaLimit: number,
): number {
  const iovad = cookie.iovad;
  if (iovad === null) return 0;
  const pages = size / iovad.granule;
  let limit = dmaLimit;
  if (st.busDmaLimit > 0) limit = Math.min(limit, st.busDmaLimit);
  if (domain.geometry.forceAperture) limit = Math.min(limit, domain.geometry.apertureEnd);
  const era = ctx.era.iommuDma;
  if (era.rcache === null) return allocIovaNoCache(ctx, dev, cookie, iovad, pages, limit);
  const len = pages < RCACHE_ROUND_BELOW ? roundupPow2(pages) : pages;
  let pfn = 0;
  let limitPfn = Math.floor(limit / iovad.granule);
  if (era.pciSacFirst && limit > MASK_32 && ctx.isPci(dev, st)) {
    pfn = iovad.allocIovaFastPfn(len, Math.floor(MASK_32 / iovad.granule), false);
    if (pfn !== 0) limitPfn = Math.floor(MASK_32 / iovad.granule);
  }
  if (pfn === 0) pfn = iovad.allocIovaFastPfn(len, limitPfn, true);
  const iova = pfn * iovad.granule;
  if (ctx.tracing) traceIovaAlloc(ctx, cookie, dev, pages, limitPfn, iova, pfn === 0 ? "failed" : iovad.lastAllocFrom);
  return iova;
}

/** v4.7 `__alloc_iova`: `alloc_iova(iovad, length, dma_limit >> shift, true)`, no caches, no 32-bit first. */
function allocIovaNoCache(ctx: DmaContext, dev: Device, cookie: IommuDmaCookie, iovad: IovaDomain, pages: number, limit: number): number {
  const limitPfn = Math.floor(limit / iovad.granule);
  const node = iovad.allocIova(pages, limitPfn, true);
  const iova = node === null ? 0 : node.pfnLo * iovad.granule;
  if (ctx.tracing) traceIovaAlloc(ctx, cookie, dev, pages, limitPfn, iova, node === null ? "failed" : "tree");
  return iova;
}

function traceIovaAlloc(
  ctx: DmaContext,
  cookie: IommuDmaCookie,
  dev: Device,
  pages: number,
  limitPfn: number,
  iova: number,
  from: "rcache" | "tree" | "failed",
): void {
  ctx.trace.emit({ type: "iova-alloc", domain: cookie.label, device: dev.name, pages, limitPfn, iova, from });
}

/**
 * `iommu_dma_free_iova(cookie, iova, size, gather)`: to the flush queue when the unmap was queued, else back to the
 * allocator (range cache first when the era has them).
 *
 * @see drivers/iommu/dma-iommu.c iommu_dma_free_iova
 */
export function iommuDmaFreeIova(ctx: DmaContext, cookie: IommuDmaCookie, iova: number, size: number, gather: IommuIotlbGather | null): void {
  const iovad = cookie.iovad;
  if (iovad === null) return;
  const pfn = iovad.pfn(iova);
  const pages = size / iovad.granule;
  if (gather !== null && gather.queued && cookie.fq !== null) {
    cookie.fq.queue(pfn, pages);
    if (ctx.tracing) traceIovaFree(ctx, cookie, iova, pages, "flush-queue");
    return;
  }
  let to: "rcache" | "tree";
  if (iovad.rcaches !== null) to = iovad.freeIovaFast(pfn, pages);
  else {
    iovad.freeIova(pfn);
    to = "tree";
  }
  if (ctx.tracing) traceIovaFree(ctx, cookie, iova, pages, to);
}

function traceIovaFree(ctx: DmaContext, cookie: IommuDmaCookie, iova: number, pages: number, to: "rcache" | "tree" | "flush-queue"): void {
  ctx.trace.emit({ type: "iova-free", domain: cookie.label, iova, pages, to });
}

/**
 * `__iommu_dma_map(dev, phys, size, prot, dma_mask)`: IOVA + `iommu_map`; returns the bus address (IOVA plus the
 * buffer's offset in its granule) or `DMA_MAPPING_ERROR`.
 *
 * @see drivers/iommu/dma-iommu.c __iommu_dma_map
 */
export function iommuDmaMap(
  ctx: DmaContext,
  dev: Device,
  st: DeviceDmaState,
  pa: number,
  size: number,
  prot: number,
  dmaMask: number,
): DmaAddr {
  const domain = dmaCookieDomain(ctx, dev);
  if (domain === null) return DMA_MAPPING_ERROR;
  const cookie = domain.iovaCookie as IommuDmaCookie;
  const iovad = cookie.iovad;
  if (iovad === null || ctx.iommu === null) return DMA_MAPPING_ERROR;
  const off = iovad.offset(pa);
  const len = iovad.align(size + off);
  const iova = iommuDmaAllocIova(ctx, dev, st, domain, cookie, len, dmaMask);
  if (iova === 0) return DMA_MAPPING_ERROR;
  if (ctx.iommu.map(domain, iova, pa - off, len, prot) !== 0) {
    iommuDmaFreeIova(ctx, cookie, iova, len, null);
    return DMA_MAPPING_ERROR;
  }
  return iova + off;
}

/** `WARN_ON(unmapped != size)` in {@link iommuDmaUnmap}. */
function warnUnmapped(ctx: DmaContext, dev: Device, unmapped: number, len: number, iova: number): void {
  ctx.trace.emit({
    type: "iommu-dma-error",
    device: dev.name,
    message: `WARN_ON(unmapped != size): unmapped 0x${unmapped.toString(16)} of 0x${len.toString(16)} at 0x${iova.toString(16)}`,
  });
}

/**
 * `__iommu_dma_unmap(dev, dma_addr, size)`: clear the PTEs (leaf invalidations gathered), then either sync now or let
 * the flush queue do it; then free the IOVA.
 *
 * @see drivers/iommu/dma-iommu.c __iommu_dma_unmap
 */
export function iommuDmaUnmap(ctx: DmaContext, dev: Device, dmaAddr: DmaAddr, size: number): void {
  const domain = dmaCookieDomain(ctx, dev);
  if (domain === null || ctx.iommu === null) return;
  const cookie = domain.iovaCookie as IommuDmaCookie;
  const iovad = cookie.iovad;
  if (iovad === null) return;
  const off = iovad.offset(dmaAddr);
  const iova = dmaAddr - off;
  const len = iovad.align(size + off);
  const gather = makeIotlbGather();
  gather.queued = cookie.fq !== null;
  const unmapped = ctx.iommu.unmap(domain, iova, len, gather);
  if (unmapped !== len) warnUnmapped(ctx, dev, unmapped, len, iova);
  if (!gather.queued) ctx.iommu.iotlbSync(domain, gather);
  iommuDmaFreeIova(ctx, cookie, iova, len, gather);
}
