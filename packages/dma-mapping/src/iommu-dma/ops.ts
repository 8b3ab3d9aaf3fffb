/**
 * `iommu_dma_ops`: the DMA API on top of an IOMMU DMA domain. Single mappings and coherent buffers get their own
 * IOVA range; a scatterlist gets one contiguous IOVA range with each segment laid out at a granule boundary, mapped
 * with one `iommu_map` per physically contiguous run, then merged into as few DMA segments as the device's maximum
 * segment size allows. Cache maintenance is not modelled (coherent masters).
 *
 * @see drivers/iommu/dma-iommu.c iommu_dma_map_page, iommu_dma_map_sg, __finalise_sg, iommu_dma_alloc
 */
import type { DmaContext } from "../context";
import type { DmaMapOps } from "../dma-map-ops";
import { DMA_MAPPING_ERROR, pageAlign, type ScatterEntry } from "../types";
import { dmaCookieFor, dmaInfoToProt, iommuDmaAllocIova, iommuDmaFreeIova, iommuDmaMap, iommuDmaUnmap } from "./iova-ops";

/** `dma_get_seg_boundary(dev)` without `dma_parms`: 4 GiB segments. */
const SEG_BOUNDARY_MASK = 0xffffffff;

/** Builds `iommu_dma_ops` for one kernel. */
export function makeIommuDmaOps(ctx: DmaContext): DmaMapOps {
  return {
    name: "iommu_dma_ops",
    kind: "iommu",
    mapPage: (dev, pa, size, dir, attrs) => {
      const st = ctx.state(dev);
      return iommuDmaMap(ctx, dev, st, pa, size, dmaInfoToProt(dir, st.coherent, attrs), st.dmaMask);
    },
    unmapPage: (dev, dmaAddr, size) => iommuDmaUnmap(ctx, dev, dmaAddr, size),
    mapSg: (dev, sg, dir, attrs) => {
      const st = ctx.state(dev);
      const found = dmaCookieFor(ctx, dev);
      if (found === null || ctx.iommu === null || sg.length === 0) return 0;
      const { domain, cookie } = found;
      const iovad = cookie.iovad;
      if (iovad === null) return 0;
      // Lay every segment out at a granule boundary of one IOVA range (iommu_dma_map_sg).
      const offs: number[] = [];
      const lens: number[] = [];
      let iovaLen = 0;
      for (const s of sg) {
        const off = iovad.offset(s.pa);
        const len = iovad.align(s.length + off);
        offs.push(off);
        lens.push(len);
        iovaLen += len;
      }
      const iova = iommuDmaAllocIova(ctx, dev, st, domain, cookie, iovaLen, st.dmaMask);
      if (iova === 0) return 0;
      // __iommu_map_sg: one iommu_map per run of physically contiguous (granule-aligned) segments.
      const prot = dmaInfoToProt(dir, st.coherent, attrs);
      let mapped = 0;
      let runStart = -1;
      let runLen = 0;
      for (let i = 0; i <= sg.length; i++) {
        const s = sg[i];
        const phys = s === undefined ? -1 : s.pa - (offs[i] as number);
        if (runLen > 0 && phys !== runStart + runLen) {
          if (ctx.iommu.map(domain, iova + mapped, runStart, runLen, prot) !== 0) {
            if (mapped > 0) iommuDmaUnmapRange(ctx, dev, iova, mapped);
            iommuDmaFreeIova(ctx, cookie, iova, iovaLen, null);
            return 0;
          }
          mapped += runLen;
          runLen = 0;
        }
        if (s === undefined) break;
        if (runLen > 0) runLen += lens[i] as number;
        else {
          runStart = phys;
          runLen = lens[i] as number;
        }
      }
      return finaliseSg(sg, offs, lens, iova, st.maxSegSize);
    },
    unmapSg: (dev, sg) => {
      const first = sg[0];
      if (first === undefined || first.dmaLength === 0) return;
      let end = first.dmaAddress + first.dmaLength;
      for (const s of sg) {
        if (s.dmaLength === 0) break;
        end = s.dmaAddress + s.dmaLength;
      }
      iommuDmaUnmap(ctx, dev, first.dmaAddress, end - first.dmaAddress);
    },
    syncSingleForCpu: () => undefined,
    syncSingleForDevice: () => undefined,
    alloc: (dev, size, attrs) => {
      const st = ctx.state(dev);
      const bytes = pageAlign(size);
      const pa = ctx.frames.alloc(bytes, `dma-coherent:${dev.name}`, 4096);
      if (pa === null) return null;
      const dma = iommuDmaMap(ctx, dev, st, pa, bytes, dmaInfoToProt("bidirectional", st.coherent, attrs), st.coherentDmaMask);
      if (dma === DMA_MAPPING_ERROR) {
        ctx.frames.free(pa);
        return null;
      }
      return { cpuPa: pa, dmaAddr: dma, size: bytes };
    },
    free: (dev, size, cpuPa, dmaAddr) => {
      iommuDmaUnmap(ctx, dev, dmaAddr, pageAlign(size));
      ctx.frames.free(cpuPa);
    },
    mappingError: (_dev, dmaAddr) => dmaAddr === DMA_MAPPING_ERROR,
    dmaSupported: () => true,
  };
}

/** Unwinds a partially mapped sg range (the `out_free_iova` path): PTEs cleared and synced. */
function iommuDmaUnmapRange(ctx: DmaContext, dev: Parameters<DmaMapOps["mapPage"]>[0], iova: number, size: number): void {
  const found = dmaCookieFor(ctx, dev);
  if (found === null || ctx.iommu === null) return;
  const gather = { start: Number.MAX_SAFE_INTEGER, end: 0, pgsize: 0, queued: false };
  ctx.iommu.unmap(found.domain, iova, size, gather);
  ctx.iommu.iotlbSync(found.domain, gather);
}

/**
 * `__finalise_sg`: fills the DMA side of the list, concatenating a segment onto the previous output segment when it
 * starts on an IOVA page boundary, does not start a new 4 GiB segment, and fits in the maximum segment size.
 * Returns the number of DMA segments.
 *
 * @see drivers/iommu/dma-iommu.c __finalise_sg
 */
function finaliseSg(sg: ScatterEntry[], offs: number[], lens: number[], iova: number, maxLen: number): number {
  let dmaAddr = iova;
  let curIndex = 0;
  let curLen = 0;
  let count = 0;
  for (const s of sg) {
    s.dmaAddress = DMA_MAPPING_ERROR;
    s.dmaLength = 0;
  }
  for (let i = 0; i < sg.length; i++) {
    const s = sg[i] as ScatterEntry;
    const off = offs[i] as number;
    const iovaLen = lens[i] as number;
    const len = s.length;
    if (curLen > 0 && off === 0 && dmaAddr % (SEG_BOUNDARY_MASK + 1) !== 0 && maxLen - curLen >= len) {
      curLen += len;
    } else {
      if (i > 0) curIndex += 1;
      curLen = len;
      count += 1;
      (sg[curIndex] as ScatterEntry).dmaAddress = dmaAddr + off;
    }
    (sg[curIndex] as ScatterEntry).dmaLength = curLen;
    dmaAddr += iovaLen;
    if (len + off < iovaLen) curLen = 0;
  }
  return count;
}
