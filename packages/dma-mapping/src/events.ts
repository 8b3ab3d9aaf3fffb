/**
 * What the DMA layer writes to the trace. Devices and domains are named (kernel device names, domain labels), never
 * referenced; each event is a fresh plain object.
 */
import type { PrintkEvent } from "@dmasim/driver-core";
import type { DmaOpsKind } from "./dma-map-ops";
import type { DmaDirection } from "./types";

/** Who made a DMA API call, as the checker needs it (I-DRIVERLESS, I-CLEAN, I-LEAK). */
export interface DmaCaller {
  readonly device: string;
  /** The ops kind the call went through. */
  readonly ops: DmaOpsKind;
  /** `dev->driver` at the time (set during probe as well as while bound). */
  readonly driver: string | null;
  /** `device_is_bound(dev)` at the time. */
  readonly bound: boolean;
  /** The owner tag the mapping is booked under (see `DmaSubsystemOptions.ownerOf`). */
  readonly owner: string;
}

/** Why a device's DMA ops changed. */
export type DmaOpsSetReason =
  | "arch_setup_dma_ops"
  | "do_iommu_attach"
  | "iommu_setup_dma_ops"
  | "arch_teardown_dma_ops"
  | "not-bound-cleanup"
  | "explicit";

/** DMA API calls and their results (kernel/dma/mapping.c). */
export type DmaApiEvent =
  | (DmaCaller & {
      readonly type: "dma-alloc";
      readonly size: number;
      /** `null` when the allocation failed. */
      readonly cpuPa: number | null;
      readonly dmaAddr: number | null;
    })
  | (DmaCaller & { readonly type: "dma-free"; readonly size: number; readonly cpuPa: number; readonly dmaAddr: number })
  | (DmaCaller & {
      readonly type: "dma-map";
      readonly api: "single" | "page" | "sg";
      readonly pa: number;
      readonly size: number;
      readonly dir: DmaDirection;
      /** The address returned; -1 (`DMA_MAPPING_ERROR`) on failure. For sg: the first segment's. */
      readonly dmaAddr: number;
      /** For sg: entries in and entries mapped. */
      readonly nents?: number;
      readonly mapped?: number;
    })
  | (DmaCaller & {
      readonly type: "dma-unmap";
      readonly api: "single" | "page" | "sg";
      readonly dmaAddr: number;
      readonly size: number;
      readonly dir: DmaDirection;
      /** Whether the mapping was live in the device's bookkeeping (false: unmapping something never mapped). */
      readonly found: boolean;
      /**
       * The ops kind that made the mapping (null when not found). Differs from `ops` when the device's ops changed
       * in between: the kernel unmaps through the current ops anyway.
       */
      readonly mappedBy: DmaOpsKind | null;
    })
  | (DmaCaller & {
      readonly type: "dma-sync";
      readonly to: "cpu" | "device";
      readonly dmaAddr: number;
      readonly size: number;
      readonly dir: DmaDirection;
    })
  | {
      readonly type: "dma-mask-set";
      readonly device: string;
      readonly which: "dma" | "coherent";
      readonly mask: number;
      /** 0 or -EIO (`dma_set_mask` on ops that do not support the mask, e.g. dummy ops). */
      readonly ret: number;
    }
  | {
      readonly type: "dma-ops-set";
      readonly device: string;
      readonly from: DmaOpsKind;
      readonly to: DmaOpsKind;
      /** The ops symbol now set, or null when the pointer was cleared. */
      readonly ops: string | null;
      readonly reason: DmaOpsSetReason;
      readonly bound: boolean;
    };

/** swiotlb bounce buffering (kernel/dma/swiotlb.c). */
export type SwiotlbEvent =
  | {
      readonly type: "swiotlb-map";
      readonly device: string;
      readonly origPa: number;
      readonly tlbAddr: number;
      readonly size: number;
      readonly slots: number;
    }
  | { readonly type: "swiotlb-map-failed"; readonly device: string; readonly origPa: number; readonly size: number }
  | { readonly type: "swiotlb-unmap"; readonly device: string; readonly tlbAddr: number; readonly size: number }
  | {
      readonly type: "swiotlb-bounce";
      readonly device: string;
      /** `to-tlb`: CPU buffer → bounce slot (before the device reads); `from-tlb`: slot → CPU buffer. */
      readonly copy: "to-tlb" | "from-tlb";
      readonly origPa: number;
      readonly tlbAddr: number;
      readonly size: number;
    };

/** iommu-dma and the IOVA allocator (drivers/iommu/dma-iommu.c, iova.c). */
export type IommuDmaEvent =
  | {
      readonly type: "iommu-dma-init-domain";
      readonly device: string;
      readonly domain: number;
      readonly base: number;
      readonly limit: number;
      /** 0, -EINVAL (no cookie), -EFAULT (range outside the aperture / incompatible re-init). */
      readonly ret: number;
      readonly granule: number | null;
      readonly startPfn: number | null;
      /** False when the iovad already existed (re-init for another device of the group). */
      readonly fresh: boolean;
    }
  | {
      readonly type: "iova-reserve";
      readonly domain: number;
      readonly pfnLo: number;
      readonly pfnHi: number;
      readonly reason: "pci-window" | "pci-dma-range-gap" | "resv-region" | "hw-msi";
    }
  | {
      readonly type: "iova-alloc";
      readonly domain: number;
      readonly device: string;
      /** IOVA page frames requested (before power-of-two rounding). */
      readonly pages: number;
      readonly limitPfn: number;
      /** The IOVA, or 0 when the allocation failed. */
      readonly iova: number;
      readonly from: "rcache" | "tree" | "msi-cookie" | "failed";
    }
  | {
      readonly type: "iova-free";
      readonly domain: number;
      readonly iova: number;
      readonly pages: number;
      readonly to: "rcache" | "tree" | "flush-queue" | "msi-cookie";
    }
  | { readonly type: "fq-queue"; readonly domain: number; readonly iova: number; readonly pages: number; readonly counter: number }
  | {
      readonly type: "fq-flush";
      readonly domain: number;
      readonly reason: "timeout" | "full";
      /** Entries whose IOVAs went back to the allocator after this flush. */
      readonly freed: number;
    }
  | {
      readonly type: "iommu-dma-msi-page";
      readonly device: string;
      readonly domain: number;
      readonly doorbell: number;
      readonly iova: number;
      /** True when the domain already had the page mapped (no new mapping). */
      readonly reused: boolean;
    }
  | {
      readonly type: "iommu-dma-error";
      readonly device: string;
      /** What went wrong where the kernel would oops or WARN (e.g. iommu ops on a device with no domain). */
      readonly message: string;
    };

/** The arm64 attach queue of v4.7–v4.11 (arch/arm64/mm/dma-mapping.c). */
export type Arm64DmaEvent =
  | {
      readonly type: "iommu-dma-queue";
      readonly op: "add" | "remove" | "requeue";
      readonly device: string;
      /** The queue after the operation, head first (device names). */
      readonly queue: readonly string[];
    }
  | {
      readonly type: "iommu-dma-queue-drain";
      readonly action: string;
      /** The device the notifier was called for (null for the arch_initcall drain). */
      readonly data: string | null;
      /** Entries looked at, in walk order. */
      readonly visited: readonly string[];
      readonly attached: readonly string[];
      readonly queue: readonly string[];
    }
  | {
      readonly type: "iommu-dma-attach";
      readonly device: string;
      readonly ok: boolean;
      /** The core's domain id, or null when the device had no domain. */
      readonly domain: number | null;
      readonly via: "do_iommu_attach" | "__iommu_setup_dma_ops" | "iommu_setup_dma_ops";
    };

/** Every event this package emits (printk lines included). */
export type DmaEvent = DmaApiEvent | SwiotlbEvent | IommuDmaEvent | Arm64DmaEvent | PrintkEvent;

/** The `type` strings of {@link DmaEvent}. */
export type DmaEventType = DmaEvent["type"];
