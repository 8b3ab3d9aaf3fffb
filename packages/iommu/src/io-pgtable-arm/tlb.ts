/**
 * TLB-maintenance helpers around {@link IoPgtableTlbOps}: the empty gather the IOMMU core starts an unmap with, and a
 * no-op ops table for tests and for callers that model no TLB.
 */
import type { IommuIotlbGather, IoPgtableTlbOps } from "./types";

/**
 * An empty gather (`iommu_iotlb_gather_init`: start = ULONG_MAX, end = 0).
 *
 * @see include/linux/iommu.h iommu_iotlb_gather_init
 */
export function makeIotlbGather(): IommuIotlbGather {
  return { start: Number.MAX_SAFE_INTEGER, end: 0, pgsize: 0, queued: false };
}

/**
 * TLB ops that do nothing, with any member overridable (as the kernel selftest's dummy ops, which only assert).
 *
 * @example
 * const flushes: number[] = [];
 * const tlb = makeNoopIoPgtableTlbOps({ tlbAddPage: (_g, iova) => flushes.push(iova) });
 *
 * @see drivers/iommu/io-pgtable-arm.c dummy_tlb_ops (the selftest's flush ops)
 */
export function makeNoopIoPgtableTlbOps(overrides: Partial<IoPgtableTlbOps> = {}): IoPgtableTlbOps {
  return {
    tlbFlushAll: () => {},
    tlbFlushWalk: () => {},
    tlbAddPage: () => {},
    ...overrides,
  };
}
