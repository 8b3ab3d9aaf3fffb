/**
 * dma-direct and arm64's swiotlb ops: the DMA address is the physical address translated by the device's
 * `dma-ranges`, and when the device cannot reach it (mask, bus limit) the data bounces through a swiotlb slot.
 * `swiotlb_dma_ops` (v4.x arm64) and dma-direct (modern, used when `dev->dma_ops` is NULL) share this code and
 * differ where the kernels differ: the ops name and kind, `mapping_error`, the overflow buffer v4.x returned when the
 * pool was full, and whether map always copies into the slot.
 *
 * Cache maintenance is not modelled: QEMU's devices are coherent.
 *
 * @see kernel/dma/direct.c dma_direct_map_page, dma_direct_unmap_page, dma_direct_alloc
 * @see include/linux/dma-direct.h translate_phys_to_dma, dma_capable
 * @see lib/swiotlb.c swiotlb_map_page, swiotlb_alloc_coherent (v4.x)
 */
import type { Device } from "@dmasim/driver-core";
import type { DmaContext } from "../context";
import type { DeviceDmaState } from "../device-dma";
import { makeDmaMapOps, type DmaMapOps } from "../dma-map-ops";
import { DMA_MAPPING_ERROR, DmaAttr, pageAlign, type DmaAddr, type DmaDirection } from "../types";
import { bouncesFromDevice, bouncesToDevice } from "./swiotlb";

/**
 * `translate_phys_to_dma` / `phys_to_dma`: the physical address through the `dma-ranges` map (identity without one);
 * `DMA_MAPPING_ERROR` when no range covers it.
 *
 * @see include/linux/dma-direct.h translate_phys_to_dma
 */
export function physToDma(st: DeviceDmaState, pa: number): DmaAddr {
  const map = st.dmaRangeMap;
  if (map === null) return pa;
  for (const m of map) {
    if (pa >= m.cpuStart && pa - m.cpuStart < m.size) return pa - m.cpuStart + m.dmaStart;
  }
  return DMA_MAPPING_ERROR;
}

/**
 * `translate_dma_to_phys` / `dma_to_phys`.
 *
 * @see include/linux/dma-direct.h translate_dma_to_phys
 */
export function dmaToPhys(st: DeviceDmaState, dmaAddr: DmaAddr): number {
  const map = st.dmaRangeMap;
  if (map === null) return dmaAddr;
  for (const m of map) {
    if (dmaAddr >= m.dmaStart && dmaAddr - m.dmaStart < m.size) return dmaAddr - m.dmaStart + m.cpuStart;
  }
  return -1;
}

/**
 * `dma_capable(dev, addr, size)`: the whole buffer lies below the mask (and the bus limit, when one is set).
 *
 * @see include/linux/dma-direct.h dma_capable
 */
export function dmaCapable(st: DeviceDmaState, dmaAddr: DmaAddr, size: number, mask: number = st.dmaMask): boolean {
  if (dmaAddr < 0) return false;
  const limit = st.busDmaLimit > 0 ? Math.min(mask, st.busDmaLimit) : mask;
  return dmaAddr + size - 1 <= limit;
}

/** Which flavour of the direct path to build. */
export type DirectFlavour = "dma-direct" | "swiotlb";

/**
 * Builds the direct ops of a kernel: `"swiotlb"` gives arm64's `swiotlb_dma_ops` (kind `swiotlb`, v4.x), `"dma-direct"`
 * the modern NULL-ops path (kind `direct`).
 */
export function makeDirectOps(ctx: DmaContext, flavour: DirectFlavour): DmaMapOps {
  const v4 = flavour === "swiotlb";
  const pool = ctx.swiotlb;
  const copyOnMapAlways = ctx.era.swiotlbBounceOnMapAlways;
  const overflow = v4 && pool !== null && pool.overflowBuffer >= 0 ? pool.overflowBuffer : -1;

  /** The v4.x failure value: the overflow buffer's bus address, which `mapping_error` recognises. */
  const failValue = (st: DeviceDmaState): DmaAddr => (overflow >= 0 ? physToDma(st, overflow) : DMA_MAPPING_ERROR);

  const bounce = (dev: Device, st: DeviceDmaState, pa: number, size: number, dir: DmaDirection, attrs: number): DmaAddr => {
    if (pool === null) return DMA_MAPPING_ERROR;
    const copyIn = (attrs & DmaAttr.SKIP_CPU_SYNC) === 0 && (copyOnMapAlways || bouncesToDevice(dir));
    const tlb = pool.map(pa, size, false);
    if (tlb < 0) {
      ctx.trace.emit({ type: "swiotlb-map-failed", device: dev.name, origPa: pa, size });
      return failValue(st);
    }
    ctx.trace.emit({ type: "swiotlb-map", device: dev.name, origPa: pa, tlbAddr: tlb, size, slots: Math.ceil(size / 2048) });
    if (copyIn) {
      pool.bounce(tlb, size, "tlb");
      ctx.trace.emit({ type: "swiotlb-bounce", device: dev.name, copy: "to-tlb", origPa: pa, tlbAddr: tlb, size });
    }
    const dma = physToDma(st, tlb);
    if (!dmaCapable(st, dma, size)) {
      pool.unmap(tlb, false);
      ctx.trace.emit({ type: "swiotlb-unmap", device: dev.name, tlbAddr: tlb, size });
      return failValue(st);
    }
    return dma;
  };

  const unbounce = (dev: Device, tlb: number, size: number, dir: DmaDirection, attrs: number): void => {
    if (pool === null || !pool.contains(tlb)) return;
    const copyOut = (attrs & DmaAttr.SKIP_CPU_SYNC) === 0 && bouncesFromDevice(dir);
    if (copyOut) {
      const orig = pool.origAddr(tlb);
      ctx.trace.emit({ type: "swiotlb-bounce", device: dev.name, copy: "from-tlb", origPa: orig, tlbAddr: tlb, size });
    }
    pool.unmap(tlb, copyOut);
    ctx.trace.emit({ type: "swiotlb-unmap", device: dev.name, tlbAddr: tlb, size });
  };

  return makeDmaMapOps({
    name: v4 ? "swiotlb_dma_ops" : "dma-direct",
    kind: v4 ? "swiotlb" : "direct",
    mapPage: (dev, pa, size, dir, attrs) => {
      const st = ctx.state(dev);
      const dma = physToDma(st, pa);
      if (dmaCapable(st, dma, size)) return dma;
      return bounce(dev, st, pa, size, dir, attrs);
    },
    unmapPage: (dev, dmaAddr, size, dir, attrs) => {
      const st = ctx.state(dev);
      unbounce(dev, dmaToPhys(st, dmaAddr), size, dir, attrs);
    },
    syncSingleForCpu: (dev, dmaAddr, size, dir) => {
      const tlb = dmaToPhys(ctx.state(dev), dmaAddr);
      if (pool === null || !pool.contains(tlb) || !bouncesFromDevice(dir)) return;
      pool.bounce(tlb, size, "cpu");
      ctx.trace.emit({ type: "swiotlb-bounce", device: dev.name, copy: "from-tlb", origPa: pool.origAddr(tlb), tlbAddr: tlb, size });
    },
    syncSingleForDevice: (dev, dmaAddr, size, dir) => {
      const tlb = dmaToPhys(ctx.state(dev), dmaAddr);
      if (pool === null || !pool.contains(tlb) || !bouncesToDevice(dir)) return;
      pool.bounce(tlb, size, "tlb");
      ctx.trace.emit({ type: "swiotlb-bounce", device: dev.name, copy: "to-tlb", origPa: pool.origAddr(tlb), tlbAddr: tlb, size });
    },
    alloc: (dev, size) => {
      const st = ctx.state(dev);
      const bytes = pageAlign(size);
      const pa = ctx.frames.alloc(bytes, `dma-coherent:${dev.name}`, 4096);
      if (pa !== null) {
        const dma = physToDma(st, pa);
        if (dmaCapable(st, dma, bytes, st.coherentDmaMask)) return { cpuPa: pa, dmaAddr: dma, size: bytes };
        ctx.frames.free(pa);
      }
      // v4.x swiotlb_alloc_coherent: "fall back on map_single(), which will grab memory from the lowest available
      // address range". Modern dma-direct would retry from ZONE_DMA32/ZONE_DMA, which the frame allocator has not.
      if (!v4 || pool === null) return null;
      const tlb = pool.map(0, bytes, false);
      if (tlb < 0) return null;
      const dma = physToDma(st, tlb);
      if (!dmaCapable(st, dma, bytes, st.coherentDmaMask)) {
        pool.unmap(tlb, false);
        return null;
      }
      ctx.memory.writeBytes(tlb, new Uint8Array(bytes));
      return { cpuPa: tlb, dmaAddr: dma, size: bytes };
    },
    free: (_dev, _size, cpuPa) => {
      if (pool !== null && pool.contains(cpuPa)) pool.unmap(cpuPa, false);
      else ctx.frames.free(cpuPa);
    },
    ...(v4
      ? {
          mappingError: (dev: Device, dmaAddr: DmaAddr) =>
            dmaAddr === DMA_MAPPING_ERROR || (overflow >= 0 && dmaAddr === physToDma(ctx.state(dev), overflow)),
        }
      : {}),
    dmaSupported: (dev, mask) => {
      // swiotlb_dma_supported: the pool's last byte must be reachable; dma_direct_supported is at least as lenient.
      if (pool === null) return true;
      return physToDma(ctx.state(dev), pool.end - 1) <= mask;
    },
  });
}
