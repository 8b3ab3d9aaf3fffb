/**
 * `iommu_map` / `iommu_unmap`: splitting a range into the largest page sizes the domain supports at each step, the
 * driver's `map_pages`/`map` and `unmap_pages`/`unmap`, the unwind on failure, the gather and `iotlb_sync`, with the
 * core's pr_debug lines ("map: iova ... pa ... size ...", "mapping: ... pgsize ... count ...", "unmap this: ...",
 * "unmapped: ...") as 6.1 prints them.
 *
 * @see drivers/iommu/iommu.c iommu_pgsize, __iommu_map_pages, __iommu_map, _iommu_map, __iommu_unmap_pages,
 *   __iommu_unmap, iommu_unmap, iommu_unmap_fast, iommu_iotlb_sync, iommu_flush_iotlb_all, iommu_iova_to_phys
 */
import { printk } from "@dmasim/driver-core";
import { makeIotlbGather } from "../io-pgtable-arm/index";
import type { IommuIotlbGather } from "../io-pgtable-arm/index";
import type { IommuCore } from "./iommu-core";
import { IOMMU_DOMAIN_PAGING_BIT, IommuDomainType, type IommuDomain } from "./iommu-ops";

const IOMMU_C = "drivers/iommu/iommu.c";
const EINVAL = -22;
const ENODEV = -19;

/** Index of the lowest set bit (`__ffs`) of an integer 0 < n < 2^53. */
function ffs(n: number): number {
  const lo = n >>> 0;
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  const hi = Math.floor(n / 2 ** 32) >>> 0;
  return 63 - Math.clz32(hi & -hi);
}

/** Index of the highest set bit (`__fls`); `n` > 0. */
function fls(n: number): number {
  return Math.floor(Math.log2(n));
}

/** `GENMASK(h, 0)` as a number (h ≤ 52). */
function genmask(h: number): number {
  return 2 ** (h + 1) - 1;
}

/** Bitwise AND on non-negative integers below 2^53 (the page-size bitmap and addresses exceed 32 bits). */
function and(a: number, b: number): number {
  const hi = (Math.floor(a / 2 ** 32) & Math.floor(b / 2 ** 32)) >>> 0;
  return hi * 2 ** 32 + ((a & b) >>> 0);
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function hexPa(n: number): string {
  return `0x${n.toString(16).padStart(16, "0")}`;
}

/**
 * `iommu_pgsize(domain, iova, paddr, size, &count)`: the largest supported page size that fits `size` and the
 * alignment of `iova | paddr`, and how many of them to map before a larger size becomes usable.
 *
 * @see drivers/iommu/iommu.c iommu_pgsize
 */
export function iommuPgsize(domain: IommuDomain, iova: number, paddr: number, size: number): { readonly pgsize: number; readonly count: number } {
  const addrMerge = or(iova, paddr);
  let pgsizes = and(domain.pgsizeBitmap, genmask(fls(size)));
  if (addrMerge !== 0) pgsizes = and(pgsizes, genmask(ffs(addrMerge)));
  if (pgsizes === 0) throw new Error(`iommu_pgsize: no page size for iova ${hex(iova)} pa ${hex(paddr)} size ${hex(size)}`);
  const idx = fls(pgsizes);
  const pgsize = 2 ** idx;
  let count = size;
  const larger = domain.pgsizeBitmap - and(domain.pgsizeBitmap, genmask(idx));
  if (larger !== 0) {
    const next = 2 ** ffs(larger);
    const offsetDiffers = and(xor(iova, paddr), next - 1) !== 0;
    if (!offsetDiffers) {
      const offset = next - and(addrMerge, next - 1);
      if (offset + next <= size) count = offset;
    }
  }
  return { pgsize, count: Math.floor(count / pgsize) };
}

function or(a: number, b: number): number {
  const hi = (Math.floor(a / 2 ** 32) | Math.floor(b / 2 ** 32)) >>> 0;
  return hi * 2 ** 32 + ((a | b) >>> 0);
}

function xor(a: number, b: number): number {
  const hi = (Math.floor(a / 2 ** 32) ^ Math.floor(b / 2 ** 32)) >>> 0;
  return hi * 2 ** 32 + ((a ^ b) >>> 0);
}

/**
 * `iommu_map(domain, iova, paddr, size, prot)` (`_iommu_map`): 0 or a negative errno; partial mappings are unwound on
 * failure; `iotlb_sync_map` on success.
 *
 * @see drivers/iommu/iommu.c __iommu_map, _iommu_map
 */
export function iommuMap(core: IommuCore, domain: IommuDomain, iova: number, paddr: number, size: number, prot: number): number {
  const ops = domain.ops;
  const emit = (ret: number): number => {
    core.trace.emit({ type: "iommu-map", domain: domain.id, iova, pa: paddr, size, prot, ret });
    return ret;
  };
  if (ops === null || (ops.map === undefined && ops.mapPages === undefined) || domain.pgsizeBitmap === 0) return emit(ENODEV);
  if ((domain.type & IOMMU_DOMAIN_PAGING_BIT) === 0) return emit(EINVAL);
  const minPagesz = 2 ** ffs(domain.pgsizeBitmap);
  if ((iova % minPagesz) + (paddr % minPagesz) + (size % minPagesz) !== 0) {
    printk(core.trace, "err", "iommu", IOMMU_C, `unaligned: iova ${hex(iova)} pa ${hexPa(paddr)} size ${hex(size)} min_pagesz ${hex(minPagesz)}`);
    return emit(EINVAL);
  }
  printk(core.trace, "debug", "iommu", IOMMU_C, `map: iova ${hex(iova)} pa ${hexPa(paddr)} size ${hex(size)}`);
  let left = size;
  let cur = iova;
  let pa = paddr;
  let ret = 0;
  while (left > 0) {
    const split = iommuPgsize(domain, cur, pa, left);
    const pgsize = split.pgsize;
    // Before v5.15 the core mapped one page per driver call and logged no count.
    const count = core.era.mapPages ? split.count : 1;
    const what = `mapping: iova ${hex(cur)} pa ${hexPa(pa)} pgsize ${hex(pgsize)}`;
    printk(core.trace, "debug", "iommu", IOMMU_C, core.era.mapPages ? `${what} count ${count}` : what);
    let mapped: number;
    if (core.era.mapPages && ops.mapPages !== undefined) {
      const r = ops.mapPages(domain, cur, pa, pgsize, count, prot);
      ret = r.ret;
      mapped = r.mapped;
    } else if (ops.map !== undefined) {
      ret = ops.map(domain, cur, pa, pgsize, prot);
      mapped = ret === 0 ? pgsize : 0;
    } else {
      const r = (ops.mapPages as NonNullable<typeof ops.mapPages>)(domain, cur, pa, pgsize, 1, prot);
      ret = r.ret;
      mapped = r.mapped;
    }
    left -= mapped;
    if (ret !== 0) break;
    cur += mapped;
    pa += mapped;
  }
  if (ret !== 0) {
    iommuUnmap(core, domain, iova, size - left);
    return emit(ret);
  }
  ops.iotlbSyncMap?.(domain, iova, size);
  return emit(0);
}

/**
 * `__iommu_unmap(domain, iova, size, gather)` (= `iommu_unmap_fast`): bytes unmapped, stopping at the first hole;
 * 0 for a misaligned request.
 *
 * @see drivers/iommu/iommu.c __iommu_unmap
 */
export function iommuUnmapFast(core: IommuCore, domain: IommuDomain, iova: number, size: number, gather: IommuIotlbGather): number {
  const ops = domain.ops;
  if (ops === null || (ops.unmap === undefined && ops.unmapPages === undefined) || domain.pgsizeBitmap === 0) return 0;
  if ((domain.type & IOMMU_DOMAIN_PAGING_BIT) === 0) return 0;
  const minPagesz = 2 ** ffs(domain.pgsizeBitmap);
  if ((iova % minPagesz) + (size % minPagesz) !== 0) {
    printk(core.trace, "err", "iommu", IOMMU_C, `unaligned: iova ${hex(iova)} size ${hex(size)} min_pagesz ${hex(minPagesz)}`);
    return 0;
  }
  printk(core.trace, "debug", "iommu", IOMMU_C, `unmap this: iova ${hex(iova)} size ${hex(size)}`);
  let unmapped = 0;
  let cur = iova;
  while (unmapped < size) {
    const split = iommuPgsize(domain, cur, cur, size - unmapped);
    const pgsize = split.pgsize;
    const count = core.era.mapPages ? split.count : 1;
    let page: number;
    if (core.era.mapPages && ops.unmapPages !== undefined) page = ops.unmapPages(domain, cur, pgsize, count, gather);
    else if (ops.unmap !== undefined) page = ops.unmap(domain, cur, pgsize, gather);
    else page = (ops.unmapPages as NonNullable<typeof ops.unmapPages>)(domain, cur, pgsize, 1, gather);
    if (page === 0) break;
    printk(core.trace, "debug", "iommu", IOMMU_C, `unmapped: iova ${hex(cur)} size ${hex(page)}`);
    cur += page;
    unmapped += page;
  }
  core.trace.emit({ type: "iommu-unmap", domain: domain.id, iova, size, unmapped });
  return unmapped;
}

/**
 * `iommu_iotlb_sync(domain, gather)`: the driver completes the gathered invalidation, then the gather is reset.
 *
 * @see include/linux/iommu.h iommu_iotlb_sync
 */
export function iommuIotlbSync(core: IommuCore, domain: IommuDomain, gather: IommuIotlbGather): void {
  if (domain.ops?.iotlbSync !== undefined) {
    core.trace.emit({ type: "iommu-iotlb-sync", domain: domain.id, start: gather.start, end: gather.end, pgsize: gather.pgsize });
    domain.ops.iotlbSync(domain, gather);
  }
  const fresh = makeIotlbGather();
  gather.start = fresh.start;
  gather.end = fresh.end;
  gather.pgsize = fresh.pgsize;
  gather.queued = fresh.queued;
}

/**
 * `iommu_unmap(domain, iova, size)`: unmap with a fresh gather, then `iommu_iotlb_sync`.
 *
 * @see drivers/iommu/iommu.c iommu_unmap
 */
export function iommuUnmap(core: IommuCore, domain: IommuDomain, iova: number, size: number): number {
  const gather = makeIotlbGather();
  const ret = iommuUnmapFast(core, domain, iova, size, gather);
  iommuIotlbSync(core, domain, gather);
  return ret;
}

/** `iommu_flush_iotlb_all(domain)`. @see include/linux/iommu.h iommu_flush_iotlb_all */
export function iommuFlushIotlbAll(core: IommuCore, domain: IommuDomain): void {
  if (domain.ops?.flushIotlbAll === undefined) return;
  core.trace.emit({ type: "iommu-flush-iotlb-all", domain: domain.id });
  domain.ops.flushIotlbAll(domain);
}

/**
 * `iommu_iova_to_phys(domain, iova)`: identity domains return the IOVA; paging domains ask the driver (0 when
 * unmapped or without `iova_to_phys`).
 *
 * @see drivers/iommu/iommu.c iommu_iova_to_phys
 */
export function iommuIovaToPhys(domain: IommuDomain, iova: number): number {
  if (domain.type === IommuDomainType.IDENTITY) return iova;
  return domain.ops?.iovaToPhys?.(domain, iova) ?? 0;
}
