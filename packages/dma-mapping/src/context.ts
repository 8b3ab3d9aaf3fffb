/**
 * What the DMA implementations of one simulated kernel share (the kernel's globals, made per instance). Internal:
 * built by `DmaSubsystem`.
 */
import type { Device, Scheduler, TraceSink } from "@dmasim/driver-core";
import type { FrameAllocator, PhysicalMemoryPort } from "@dmasim/machine";
import type { DeviceDmaState } from "./device-dma";
import type { SwiotlbPool } from "./direct/swiotlb";
import type { DmaEra } from "./era";
import type { DmaEvent } from "./events";
import type { DmaPlatformHooks, IommuDmaBackend } from "./iommu-backend";

/** The shared state of one kernel's DMA layer. */
export interface DmaContext {
  readonly era: DmaEra;
  readonly trace: TraceSink<DmaEvent>;
  /** False when the trace is driver-core's `NULL_TRACE_SINK`: hot paths then skip building events. */
  readonly tracing: boolean;
  /** RAM as the CPU sees it (swiotlb copies, test reads). */
  readonly memory: PhysicalMemoryPort;
  /** Kernel page allocator: coherent buffers, the swiotlb pool. */
  readonly frames: FrameAllocator;
  /** For the flush queue's timer; null when no scheduler was given (the queue then flushes only when full). */
  readonly scheduler: Scheduler | null;
  readonly iommu: IommuDmaBackend | null;
  readonly platform: DmaPlatformHooks;
  readonly swiotlb: SwiotlbPool | null;
  /** The device's DMA state, created with the defaults on first use. */
  state(dev: Device): DeviceDmaState;
  /** `dev_is_pci(dev)`, asked of the platform hook once per device. */
  isPci(dev: Device, st: DeviceDmaState): boolean;
  /** The owner tag a new mapping is booked under. */
  ownerOf(dev: Device): string;
  /** The next mapping sequence number. */
  nextMappingSeq(): number;
}
