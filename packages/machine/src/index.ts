export { PhysicalMemory, BUS_ERROR, join64 } from "./memory";
export type { PhysAddr, PhysicalMemoryPort, RamRegion } from "./memory";
export { MmioSpace } from "./mmio";
export type { MmioHandler, MmioRegion } from "./mmio";
export type { IommuTransaction, TranslateOutcome, IommuTranslateHook } from "./translate";
export { FrameAllocator } from "./frame-allocator";
export type { FrameAllocation, FrameAllocatorOptions } from "./frame-allocator";
