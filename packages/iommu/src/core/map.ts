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

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function hexPa(n: number): string {
  return `0x${n.toString(16).padStart(16, "0")}`;
}

/** `iommu_pgsize` found no page size: the caller broke the alignment `iommu_map` checked (a model bug). */
function noPgsize(iova: number, pa: number, size: number): never {
  throw new Error(`iommu_pgsize: no page size for iova ${hex(iova)} pa ${hex(pa)} size ${hex(size)}`);
}

// The printk lines below are built out of line: the map and unmap paths then stay small enough for the JIT to
// inline whole when no debug line is printed.

/** `iommu_map`'s "unaligned" error: printed, then -EINVAL. */
function unalignedMap(core: IommuCore, iova: number, paddr: number, size: number, minPagesz: number): number {
  printk(core.trace, "err", "iommu", IOMMU_C, `unaligned: iova ${hex(iova)} pa ${hexPa(paddr)} size ${hex(size)} min_pagesz ${hex(minPagesz)}`);
  return EINVAL;
}

/** `iommu_unmap`'s "unaligned" error: printed, then 0 bytes unmapped. */
function unalignedUnmap(core: IommuCore, iova: number, size: number, minPagesz: number): number {
  printk(core.trace, "err", "iommu", IOMMU_C, `unaligned: iova ${hex(iova)} size ${hex(size)} min_pagesz ${hex(minPagesz)}`);
  return 0;
}

/** `pr_debug("map: iova ... pa ... size ...")`. */
function mapLine(iova: number, paddr: number, size: number): string {
  return `map: iova ${hex(iova)} pa ${hexPa(paddr)} size ${hex(size)}`;
}

/** `pr_debug("mapping: iova ... pa ... pgsize ... count ...")`; `count` < 0 for the pre-5.15 line without it. */
function mappingLine(iova: number, pa: number, pgsize: number, count: number): string {
  const what = `mapping: iova ${hex(iova)} pa ${hexPa(pa)} pgsize ${hex(pgsize)}`;
  return count < 0 ? what : `${what} count ${count}`;
}

/** The page sizes of a bitmap, ascending (cached: a domain's bitmap rarely changes). */
const sizesCache = new Map<number, readonly number[]>();
let lastBitmap = -1;
let lastSizes: readonly number[] = [];
function pageSizes(bitmap: number): readonly number[] {
  if (bitmap === lastBitmap) return lastSizes;
  let sizes = sizesCache.get(bitmap);
  if (sizes === undefined) {
    const out: number[] = [];
    for (let bit = 0, v = bitmap; v > 0; bit++, v = Math.floor(v / 2)) if (v % 2 === 1) out.push(2 ** bit);
    sizes = out;
    sizesCache.set(bitmap, sizes);
  }
  lastBitmap = bitmap;
  lastSizes = sizes;
  return sizes;
}

/** `n % p === 0` for a power of two `p`: a mask test on the low 32 bits when `p` fits in them (exact below 2^53). */
function aligned(n: number, p: number): boolean {
  return p <= 0x4000_0000 ? ((n >>> 0) & (p - 1)) === 0 : n % p === 0;
}

/** `n % p` for a power of two `p` (see {@link aligned}). */
function modPow2(n: number, p: number): number {
  return p <= 0x4000_0000 ? (n >>> 0) & (p - 1) : n % p;
}

/** Index in `sizes` of `iommu_pgsize`'s page size for (iova, paddr, size); -1 when none fits. */
function pgsizeIndex(sizes: readonly number[], iova: number, paddr: number, size: number): number {
  let idx = sizes.length - 1;
  for (; idx >= 0; idx--) {
    const p = sizes[idx] as number;
    if (p <= size && aligned(iova, p) && aligned(paddr, p)) break;
  }
  return idx;
}

/** `iommu_pgsize`'s count for the page size at `idx` (see {@link iommuPgsize}). */
function pgsizeCount(sizes: readonly number[], idx: number, iova: number, paddr: number, size: number): number {
  const pgsize = sizes[idx] as number;
  let count = size;
  const next = sizes[idx + 1];
  if (next !== undefined && modPow2(iova, next) === modPow2(paddr, next)) {
    const offset = next - modPow2(iova, next);
    if (offset + next <= size) count = offset;
  }
  return Math.floor(count / pgsize);
}

/**
 * `iommu_pgsize(domain, iova, paddr, size, &count)`: the largest supported page size that fits `size` and the
 * alignment of `iova | paddr`, and how many of them to map before a larger size becomes usable (only when `iova` and
 * `paddr` sit at the same offset in that larger page). Page sizes are powers of two, so the kernel's bit masks are
 * divisibility tests here (exact for integers below 2^53).
 *
 * @see drivers/iommu/iommu.c iommu_pgsize
 */
export function iommuPgsize(domain: IommuDomain, iova: number, paddr: number, size: number): { readonly pgsize: number; readonly count: number } {
  const sizes = pageSizes(domain.pgsizeBitmap);
  const idx = pgsizeIndex(sizes, iova, paddr, size);
  if (idx < 0) noPgsize(iova, paddr, size);
  return { pgsize: sizes[idx] as number, count: pgsizeCount(sizes, idx, iova, paddr, size) };
}

/** `1 << __ffs(pgsize_bitmap)`: the smallest page size. */
function minPageSize(bitmap: number): number {
  const lo = bitmap >>> 0;
  return lo !== 0 ? (lo & -lo) >>> 0 : 2 ** ffs(bitmap);
}

/**
 * `iommu_map(domain, iova, paddr, size, prot)` (`_iommu_map`): 0 or a negative errno; partial mappings are unwound on
 * failure; `iotlb_sync_map` on success.
 *
 * @see drivers/iommu/iommu.c __iommu_map, _iommu_map
 */
export function iommuMap(core: IommuCore, domain: IommuDomain, iova: number, paddr: number, size: number, prot: number): number {
  const ret = mapRange(core, domain, iova, paddr, size, prot);
  if (core.tracing) core.trace.emit({ type: "iommu-map", domain: domain.id, iova, pa: paddr, size, prot, ret });
  return ret;
}

/** `__iommu_map` + `iotlb_sync_map`, without the trace event. */
function mapRange(core: IommuCore, domain: IommuDomain, iova: number, paddr: number, size: number, prot: number): number {
  const ops = domain.ops;
  if (ops === null || (ops.map === undefined && ops.mapPages === undefined) || domain.pgsizeBitmap === 0) return ENODEV;
  if ((domain.type & IOMMU_DOMAIN_PAGING_BIT) === 0) return EINVAL;
  const minPagesz = minPageSize(domain.pgsizeBitmap);
  if (!aligned(iova, minPagesz) || !aligned(paddr, minPagesz) || !aligned(size, minPagesz)) {
    return unalignedMap(core, iova, paddr, size, minPagesz);
  }
  const debug = core.debugLines;
  if (debug) printk(core.trace, "debug", "iommu", IOMMU_C, mapLine(iova, paddr, size));
  const pages = core.era.mapPages;
  const sizes = pageSizes(domain.pgsizeBitmap);
  let left = size;
  let cur = iova;
  let pa = paddr;
  let ret = 0;
  while (left > 0) {
    const idx = pgsizeIndex(sizes, cur, pa, left);
    if (idx < 0) noPgsize(cur, pa, left);
    const pgsize = sizes[idx] as number;
    // Before v5.15 the core mapped one page per driver call and logged no count.
    const count = pages ? pgsizeCount(sizes, idx, cur, pa, left) : 1;
    if (debug) printk(core.trace, "debug", "iommu", IOMMU_C, mappingLine(cur, pa, pgsize, pages ? count : -1));
    let mapped: number;
    if (pages && ops.mapPages !== undefined) {
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
    return ret;
  }
  ops.iotlbSyncMap?.(domain, iova, size);
  return 0;
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
  const minPagesz = minPageSize(domain.pgsizeBitmap);
  if (!aligned(iova, minPagesz) || !aligned(size, minPagesz)) return unalignedUnmap(core, iova, size, minPagesz);
  const debug = core.debugLines;
  if (debug) printk(core.trace, "debug", "iommu", IOMMU_C, `unmap this: iova ${hex(iova)} size ${hex(size)}`);
  const sizes = pageSizes(domain.pgsizeBitmap);
  let unmapped = 0;
  let cur = iova;
  while (unmapped < size) {
    const left = size - unmapped;
    const idx = pgsizeIndex(sizes, cur, cur, left);
    if (idx < 0) noPgsize(cur, cur, left);
    const pgsize = sizes[idx] as number;
    const count = core.era.mapPages ? pgsizeCount(sizes, idx, cur, cur, left) : 1;
    let page: number;
    if (core.era.mapPages && ops.unmapPages !== undefined) page = ops.unmapPages(domain, cur, pgsize, count, gather);
    else if (ops.unmap !== undefined) page = ops.unmap(domain, cur, pgsize, gather);
    else page = (ops.unmapPages as NonNullable<typeof ops.unmapPages>)(domain, cur, pgsize, 1, gather);
    if (page === 0) break;
    if (debug) printk(core.trace, "debug", "iommu", IOMMU_C, `unmapped: iova ${hex(cur)} size ${hex(page)}`);
    cur += page;
    unmapped += page;
  }
  if (core.tracing) core.trace.emit({ type: "iommu-unmap", domain: domain.id, iova, size, unmapped });
  return unmapped;
}

/**
 * `iommu_iotlb_sync(domain, gather)`: the driver completes the gathered invalidation, then the gather is reset.
 *
 * @see include/linux/iommu.h iommu_iotlb_sync
 */
export function iommuIotlbSync(core: IommuCore, domain: IommuDomain, gather: IommuIotlbGather): void {
  if (domain.ops?.iotlbSync !== undefined) {
    if (core.tracing) core.trace.emit({ type: "iommu-iotlb-sync", domain: domain.id, start: gather.start, end: gather.end, pgsize: gather.pgsize });
    domain.ops.iotlbSync(domain, gather);
  }
  // iommu_iotlb_gather_init
  gather.start = Number.MAX_SAFE_INTEGER;
  gather.end = 0;
  gather.pgsize = 0;
  gather.queued = false;
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
