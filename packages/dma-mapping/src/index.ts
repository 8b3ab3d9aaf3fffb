/**
 * @dmasim/dma-mapping: the DMA API (kernel/dma), its implementations — dma-direct with `dma-ranges` and masks,
 * swiotlb bouncing in simulated memory, iommu-dma with an iova.c allocator, range caches, strict and flush-queue
 * invalidation and MSI doorbell mapping, and arm64's dummy ops — and the arm64 DMA setup of each kernel generation
 * (the v4.7/v4.8 attach queue and its bus notifier, probe-time setup in v4.12 and v6.1).
 */

// Vocabulary
export { DMA_MAPPING_ERROR, DMA_MASK_MAX, DmaAttr, PAGE_SIZE, PAGE_SHIFT, dmaBitMask, makeScatterList, pageAlign } from "./types";
export type { DmaAddr, DmaCoherentAlloc, DmaDirection, ScatterEntry } from "./types";

// Ops tables
export { makeDmaMapOps } from "./dma-map-ops";
export type { DmaMapOps, DmaMapOpsCore, DmaOpsKind } from "./dma-map-ops";
export { dummyDmaOps } from "./dummy-ops";

// Per-device state
export { DMA_DEVICE, deviceDmaState, dmaMappingKey, getDmaOps, dmaOpsKind, rawDmaOpsKind, liveDmaMappings } from "./device-dma";
export type {
  ArchSetupDmaArgs,
  DeviceDmaState,
  DmaMappingApi,
  DmaMappingRecord,
  DmaRangeMapEntry,
} from "./device-dma";

// Generations
export { DMA_ERAS } from "./era";
export type { DmaEra, IommuDmaEra, KernelGeneration } from "./era";

// The subsystem and the DMA API
export { DmaSubsystem, defaultDmaOwner } from "./subsystem";
export type { DmaSubsystemOptions } from "./subsystem";

// The IOMMU core port
export { iommuDmaBackendFromCore } from "./iommu-backend";
export type { DmaPlatformHooks, IommuCoreForDma, IommuDmaBackend, PciBridgeWindow } from "./iommu-backend";

// dma-direct and swiotlb
export { physToDma, dmaToPhys, dmaCapable } from "./direct/dma-direct";
export { SwiotlbPool, IO_TLB_SIZE, IO_TLB_SHIFT, IO_TLB_SEGSIZE } from "./direct/swiotlb";
export type { SwiotlbPoolOptions } from "./direct/swiotlb";

// iommu-dma and the IOVA allocator
export { IommuDmaCookie } from "./iommu-dma/cookie";
export type { IommuDmaMsiPage } from "./iommu-dma/cookie";
export { dmaInfoToProt } from "./iommu-dma/iova-ops";
export type { MsiPrepareResult } from "./iommu-dma/msi";
export { FlushQueue, IOVA_FQ_SIZE, IOVA_FQ_TIMEOUT_US } from "./iommu-dma/flush-queue";
export { IovaDomain, IOVA_ANCHOR } from "./iova/iova-domain";
export type { IovaRange } from "./iova/iova-domain";
export { IovaRcaches, IOVA_RANGE_CACHE_MAX_SIZE, RCACHE_V6_1, RCACHE_V6_7 } from "./iova/rcache";
export type { IovaRcacheConfig } from "./iova/rcache";

// arm64 DMA setup per generation
export { createArm64DmaSetup } from "./arm64/setup";
export type { Arm64DmaSetupDeps } from "./arm64/setup";
export type { Arm64DmaSetup, Arm64DmaSetupPolicyName, IommuDmaMasterEntry, NotBoundCleanupOptions } from "./arm64/types";

// Trace events
export type {
  Arm64DmaEvent,
  DmaApiEvent,
  DmaCaller,
  DmaEvent,
  DmaEventType,
  DmaOpsSetReason,
  IommuDmaEvent,
  SwiotlbEvent,
} from "./events";
