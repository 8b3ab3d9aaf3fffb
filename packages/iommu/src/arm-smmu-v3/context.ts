/**
 * What the driver runs on: the machine's MMIO space and RAM, a frame allocator for `dma_alloc_coherent`, the trace,
 * the IOMMU core, the era and the module parameters. One {@link ArmSmmuV3Context} per simulated kernel.
 */
import type { Bus, Device, PrintkEvent, TraceSink } from "@dmasim/driver-core";
import type { FrameAllocator, PhysAddr, PhysicalMemoryPort } from "@dmasim/machine";
import type { IommuDriverApi, IommuGroupResult } from "../core/iommu-ops";
import type { IoPgtableEra } from "../io-pgtable-arm/index";
import type { ArmSmmuV3Era } from "./era";
import type { ArmSmmuV3Event } from "./events";

/** The CPU's view of MMIO (structurally `@dmasim/machine`'s `MmioSpace`). */
export interface ArmSmmuMmioPort {
  /** `readl`: the value, or -1 (bus error) when nothing answers. */
  read32(pa: PhysAddr): number;
  /** `writel`: false when nothing answers. */
  write32(pa: PhysAddr, value: number): boolean;
  /** `readq`: null when nothing answers. */
  read64(pa: PhysAddr): bigint | null;
  /** `writeq`. */
  write64(pa: PhysAddr, value: bigint): boolean;
}

/**
 * The IOMMU core as the driver calls it: {@link IommuDriverApi}, plus what the v4.x `add_device` path and the event
 * thread need where the core offers it.
 */
export interface ArmSmmuCoreApi extends IommuDriverApi {
  /** v4.x `iommu_group_get_for_dev(dev)` (called by `add_device` itself). Absent: `add_device` skips the group step. */
  iommuGroupGetForDev?(dev: Device): IommuGroupResult;
  /**
   * `iommu_report_device_fault(dev, evt)`: 0 when a registered fault handler took the fault, else a negative errno
   * (-EINVAL without a handler, which is the case for every DMA-API domain). Absent: -EINVAL.
   */
  iommuReportDeviceFault?(dev: Device, fault: ArmSmmuFault): number;
}

/** An unrecoverable DMA fault as `arm_smmu_handle_evt` reports it (`struct iommu_fault_unrecoverable`). */
export interface ArmSmmuFault {
  readonly reason: "pte-fetch" | "oor-address" | "access" | "permission";
  readonly addr: number;
  readonly read: boolean;
  readonly exec: boolean;
  readonly priv: boolean;
  readonly pasid: number | null;
}

/** The buses `arm_smmu_set_bus_ops` / `bus_set_iommu` may be given (absent ones are skipped, like `#ifdef CONFIG_*`). */
export interface ArmSmmuBuses {
  readonly pci?: Bus;
  readonly amba?: Bus;
  readonly platform?: Bus;
}

/** CPU facts the driver reads (`cpus_have_cap`, `VA_BITS`, `PAGE_SIZE`). */
export interface ArmSmmuCpu {
  /** ARM64_HAS_VIRT_HOST_EXTN (the kernel runs at EL2): E2H and EL2 TLBIs. Default false (QEMU TCG, EL1). */
  readonly vhe?: boolean;
  /** VA_BITS (Debian arm64: 48). */
  readonly vaBits?: number;
  /** PAGE_SIZE (4096). */
  readonly pageSize?: number;
}

/** Options of the driver module. */
export interface ArmSmmuV3Options {
  readonly mmio: ArmSmmuMmioPort;
  /** RAM as the CPU writes it (tables, queues). */
  readonly memory: PhysicalMemoryPort;
  /** `dma_alloc_coherent` for the SMMU: tables and queues come from here, tagged "smmu-*". */
  readonly frames: FrameAllocator;
  readonly trace: TraceSink<PrintkEvent | ArmSmmuV3Event>;
  readonly iommu: ArmSmmuCoreApi;
  readonly era: ArmSmmuV3Era;
  /** io-pgtable-arm generation the domains use. */
  readonly ioPgtable: IoPgtableEra;
  /** `arm-smmu-v3.disable_bypass=`; default the era's. */
  readonly disableBypass?: boolean;
  /**
   * Where ops are registered: `"probe"` (`iommu_device_register` + bus ops in `arm_smmu_device_probe`, v4.12+) or
   * `"init"` (v4.7: {@link ArmSmmuV3Driver.init} calls `bus_set_iommu`). Default `"probe"`.
   */
  readonly registration?: "init" | "probe";
  /** Buses for `bus_set_iommu`, in the order pci, amba, platform. */
  readonly buses?: ArmSmmuBuses;
  /** `pci_request_acs()`, called before `bus_set_iommu(&pci_bus_type)` when {@link requestAcsAtBusSetIommu}. */
  readonly pciRequestAcs?: () => void;
  /** v4.x: the SMMU driver requests ACS itself just before setting PCI bus ops (v4.19 moved it to of_iommu). */
  readonly requestAcsAtBusSetIommu?: boolean;
  readonly cpu?: ArmSmmuCpu;
  /** Simulated time in microseconds, for `__ratelimit` of the event log. Absent: no rate limit. */
  readonly clock?: { now(): number };
  /**
   * Called while the CPU spins on CMDQ_CONS, CR0ACK and the like: the composition delivers pending interrupts there
   * (another CPU taking the GERROR IRQ while this one polls). Absent: nothing runs during a poll.
   */
  readonly pollIrqs?: () => void;
}

/** The per-kernel context every part of the driver reads. */
export interface ArmSmmuV3Context {
  readonly mmio: ArmSmmuMmioPort;
  readonly memory: PhysicalMemoryPort;
  readonly frames: FrameAllocator;
  readonly trace: TraceSink<PrintkEvent | ArmSmmuV3Event>;
  readonly iommu: ArmSmmuCoreApi;
  readonly era: ArmSmmuV3Era;
  readonly ioPgtable: IoPgtableEra;
  readonly disableBypass: boolean;
  readonly vhe: boolean;
  readonly vaBits: number;
  readonly pageSize: number;
  readonly clock: { now(): number } | null;
  readonly pollIrqs: () => void;
  /**
   * `DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL, DEFAULT_RATELIMIT_BURST)`, static inside
   * `arm_smmu_evtq_thread`: one state for every SMMU of the kernel.
   */
  readonly evtRatelimit: { begun: boolean; begin: number; printed: number; missed: number };
}

/** The source file every log line of the driver names (what `dyndbg` selects on). */
export const ARM_SMMU_V3_FILE = "drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c";
/** The v4.x location of the same file. */
export const ARM_SMMU_V3_FILE_V4 = "drivers/iommu/arm-smmu-v3.c";

/** The file name for the era (the driver moved in v5.9). */
export function driverFile(era: ArmSmmuV3Era): string {
  return era.probePath === "add_device" ? ARM_SMMU_V3_FILE_V4 : ARM_SMMU_V3_FILE;
}
