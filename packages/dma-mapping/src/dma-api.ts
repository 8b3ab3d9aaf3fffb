/**
 * The DMA API entry points (kernel/dma/mapping.c): each looks up the device's current ops (`get_dma_ops`, with the
 * era's fallback for NULL), calls them, books the result in the device's mapping list (as DMA-API debugging does)
 * and traces the call with who made it, so a checker can tell driver-less use (I-DRIVERLESS) and leftovers after a
 * failed probe (I-CLEAN, I-LEAK).
 *
 * @see kernel/dma/mapping.c dma_map_page_attrs, dma_unmap_page_attrs, dma_map_sg_attrs, dma_alloc_attrs
 */
import { Errno, type Device } from "@dmasim/driver-core";
import type { DmaContext } from "./context";
import { dmaMappingKey, type DeviceDmaState, type DmaMappingApi, type DmaMappingRecord } from "./device-dma";
import type { DmaMapOps } from "./dma-map-ops";
import type { DmaCaller } from "./events";
import { DMA_MAPPING_ERROR, type DmaAddr, type DmaCoherentAlloc, type DmaDirection, type ScatterEntry } from "./types";

/** `get_dma_ops(dev)` with the device's state. */
function opsOf(st: DeviceDmaState): DmaMapOps {
  return st.ops ?? st.fallback;
}

function caller(ctx: DmaContext, dev: Device, ops: DmaMapOps): DmaCaller {
  return { device: dev.name, ops: ops.kind, driver: dev.driver?.name ?? null, bound: dev.isBound, owner: ctx.ownerOf(dev) };
}

/** The owner tag of a call (`DmaSubsystemOptions.ownerOf`). */
function ownerOf(ctx: DmaContext, dev: Device): string {
  return ctx.ownerOf(dev);
}

function book(
  ctx: DmaContext,
  st: DeviceDmaState,
  ops: DmaMapOps,
  owner: string,
  dmaAddr: DmaAddr,
  size: number,
  dir: DmaDirection,
  api: DmaMappingApi,
  pa: number,
  sg: readonly ScatterEntry[] | null,
): void {
  const key = dmaMappingKey(dmaAddr);
  const next = st.mappings.get(key) ?? null;
  const rec: DmaMappingRecord = {
    dmaAddr,
    size,
    dir,
    api,
    pa,
    ops: ops.name,
    opsKind: ops.kind,
    owner,
    seq: ctx.nextMappingSeq(),
    sg,
    next,
  };
  st.mappings.set(key, rec);
}

/**
 * While a device's book has at most this many pages, a page whose last mapping goes keeps its entry (null) instead
 * of being deleted: V8 shrinks a Map (a runtime call and a new table) on every delete that leaves it under half
 * full, so a map+unmap loop on one page would pay that on every unmap. At most this many such entries exist.
 */
const EMPTY_PAGES_KEPT = 8;

/** Removes the most recent live mapping at `dmaAddr` and returns it; null when there is none. */
function unbook(st: DeviceDmaState, dmaAddr: DmaAddr): DmaMappingRecord | null {
  const key = dmaMappingKey(dmaAddr);
  const head = st.mappings.get(key);
  if (head === undefined || head === null) return null;
  if (head.dmaAddr === dmaAddr) {
    if (head.next !== null) st.mappings.set(key, head.next);
    else if (st.mappings.size > EMPTY_PAGES_KEPT) st.mappings.delete(key);
    else st.mappings.set(key, null);
    return head;
  }
  for (let prev = head, r = head.next; r !== null; prev = r, r = r.next) {
    if (r.dmaAddr === dmaAddr) {
      prev.next = r.next;
      return r;
    }
  }
  return null;
}

/** `dma_map_page_attrs` (and `dma_map_single_attrs`, which ends there). */
export function dmaMapPage(
  ctx: DmaContext,
  dev: Device,
  pa: number,
  size: number,
  dir: DmaDirection,
  attrs: number,
  api: "single" | "page",
): DmaAddr {
  const st = ctx.state(dev);
  const ops = opsOf(st);
  const addr = ops.mapPage(dev, pa, size, dir, attrs);
  const owner = ownerOf(ctx, dev);
  const failed = addr === DMA_MAPPING_ERROR || (ops.mappingError !== undefined && ops.mappingError(dev, addr));
  if (!failed) book(ctx, st, ops, owner, addr, size, dir, api, pa, null);
  if (ctx.tracing) traceMap(ctx, dev, ops, owner, api, pa, size, dir, addr);
  return addr;
}

/**
 * The `dma-map` event of {@link dmaMapPage}. Out of line so the call path stays small enough for the JIT to inline
 * whole when nothing reads the trace.
 */
function traceMap(
  ctx: DmaContext,
  dev: Device,
  ops: DmaMapOps,
  owner: string,
  api: "single" | "page",
  pa: number,
  size: number,
  dir: DmaDirection,
  dmaAddr: DmaAddr,
): void {
  ctx.trace.emit({
    type: "dma-map",
    device: dev.name,
    ops: ops.kind,
    driver: dev.driver?.name ?? null,
    bound: dev.isBound,
    owner,
    api,
    pa,
    size,
    dir,
    dmaAddr,
  });
}

/** `dma_unmap_page_attrs` (and `dma_unmap_single_attrs`). */
export function dmaUnmapPage(
  ctx: DmaContext,
  dev: Device,
  dmaAddr: DmaAddr,
  size: number,
  dir: DmaDirection,
  attrs: number,
  api: "single" | "page",
): void {
  const st = ctx.state(dev);
  const ops = opsOf(st);
  const rec = unbook(st, dmaAddr);
  ops.unmapPage(dev, dmaAddr, size, dir, attrs);
  if (ctx.tracing) traceUnmap(ctx, dev, ops, api, dmaAddr, size, dir, rec);
}

/** The `dma-unmap` event of {@link dmaUnmapPage} (out of line, as {@link traceMap}). */
function traceUnmap(
  ctx: DmaContext,
  dev: Device,
  ops: DmaMapOps,
  api: "single" | "page",
  dmaAddr: DmaAddr,
  size: number,
  dir: DmaDirection,
  rec: DmaMappingRecord | null,
): void {
  ctx.trace.emit({
    type: "dma-unmap",
    device: dev.name,
    ops: ops.kind,
    driver: dev.driver?.name ?? null,
    bound: dev.isBound,
    owner: ownerOf(ctx, dev),
    api,
    dmaAddr,
    size,
    dir,
    found: rec !== null,
    mappedBy: rec?.opsKind ?? null,
  });
}

/** `dma_map_sg_attrs`: entries mapped, 0 on failure. */
export function dmaMapSg(ctx: DmaContext, dev: Device, sg: ScatterEntry[], dir: DmaDirection, attrs: number): number {
  const st = ctx.state(dev);
  const ops = opsOf(st);
  const n = ops.mapSg(dev, sg, dir, attrs);
  const mapped = n > 0 ? n : 0;
  const who = caller(ctx, dev, ops);
  const owner = who.owner;
  const first = sg[0];
  const total = sg.reduce((a, s) => a + s.length, 0);
  const dmaAddr = mapped > 0 && first !== undefined ? first.dmaAddress : DMA_MAPPING_ERROR;
  if (mapped > 0) {
    book(ctx, st, ops, owner, dmaAddr, total, dir, "sg", first?.pa ?? 0, sg.map((s) => ({ ...s })));
  }
  ctx.trace.emit({ type: "dma-map", ...who, api: "sg", pa: first?.pa ?? 0, size: total, dir, dmaAddr, nents: sg.length, mapped });
  return mapped;
}

/** `dma_unmap_sg_attrs`. */
export function dmaUnmapSg(ctx: DmaContext, dev: Device, sg: ScatterEntry[], dir: DmaDirection, attrs: number): void {
  const st = ctx.state(dev);
  const ops = opsOf(st);
  const first = sg[0];
  const dmaAddr = first?.dmaAddress ?? DMA_MAPPING_ERROR;
  const rec = unbook(st, dmaAddr);
  const who = caller(ctx, dev, ops);
  ops.unmapSg(dev, sg, dir, attrs);
  const size = sg.reduce((a, s) => a + s.length, 0);
  ctx.trace.emit({ type: "dma-unmap", ...who, api: "sg", dmaAddr, size, dir, found: rec !== null, mappedBy: rec?.opsKind ?? null });
}

/** `dma_alloc_attrs` (`dma_alloc_coherent`): a buffer and its bus address, or null. */
export function dmaAllocCoherent(ctx: DmaContext, dev: Device, size: number, attrs: number): DmaCoherentAlloc | null {
  const st = ctx.state(dev);
  const ops = opsOf(st);
  const got = size > 0 ? ops.alloc(dev, size, attrs) : null;
  const who = caller(ctx, dev, ops);
  if (got !== null) book(ctx, st, ops, who.owner, got.dmaAddr, got.size, "bidirectional", "coherent", got.cpuPa, null);
  ctx.trace.emit({ type: "dma-alloc", ...who, size, cpuPa: got?.cpuPa ?? null, dmaAddr: got?.dmaAddr ?? null });
  return got;
}

/** `dma_free_attrs` (`dma_free_coherent`). */
export function dmaFreeCoherent(ctx: DmaContext, dev: Device, size: number, cpuPa: number, dmaAddr: DmaAddr, attrs: number): void {
  const st = ctx.state(dev);
  const ops = opsOf(st);
  unbook(st, dmaAddr);
  const who = caller(ctx, dev, ops);
  ops.free(dev, size, cpuPa, dmaAddr, attrs);
  ctx.trace.emit({ type: "dma-free", ...who, size, cpuPa, dmaAddr });
}

/** `dma_sync_single_for_cpu` / `dma_sync_single_for_device`. */
export function dmaSyncSingle(ctx: DmaContext, dev: Device, dmaAddr: DmaAddr, size: number, dir: DmaDirection, to: "cpu" | "device"): void {
  const st = ctx.state(dev);
  const ops = opsOf(st);
  if (to === "cpu") ops.syncSingleForCpu(dev, dmaAddr, size, dir);
  else ops.syncSingleForDevice(dev, dmaAddr, size, dir);
  ctx.trace.emit({ type: "dma-sync", ...caller(ctx, dev, ops), to, dmaAddr, size, dir });
}

/**
 * `dma_mapping_error(dev, addr)`: v4.x asks the ops (`->mapping_error`; dummy ops always say yes, swiotlb recognises
 * its overflow buffer); modern kernels compare with `DMA_MAPPING_ERROR`.
 */
export function dmaMappingError(ctx: DmaContext, dev: Device, dmaAddr: DmaAddr): boolean {
  const ops = opsOf(ctx.state(dev));
  if (ctx.era.mappingErrorOp && ops.mappingError !== undefined) return ops.mappingError(dev, dmaAddr);
  return dmaAddr === DMA_MAPPING_ERROR;
}

/** `dma_supported(dev, mask)`. */
export function dmaSupported(ctx: DmaContext, dev: Device, mask: number): boolean {
  const ops = opsOf(ctx.state(dev));
  return ops.dmaSupported === undefined ? true : ops.dmaSupported(dev, mask);
}

/** `dma_set_mask` / `dma_set_coherent_mask`: 0 or -EIO. */
export function dmaSetMask(ctx: DmaContext, dev: Device, mask: number, which: "dma" | "coherent"): number {
  const st = ctx.state(dev);
  const ret = mask >= 0 && dmaSupported(ctx, dev, mask) ? 0 : -Errno.EIO;
  if (ret === 0) {
    if (which === "dma") st.dmaMask = mask;
    else st.coherentDmaMask = mask;
  }
  ctx.trace.emit({ type: "dma-mask-set", device: dev.name, which, mask, ret });
  return ret;
}
