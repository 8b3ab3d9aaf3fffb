/**
 * What the kernel composition itself writes to the trace: firmware glue steps, what the device saw at
 * `drv->probe`, driver DMA actions with their outcome, MSIs, runtime actions and the boot phases. Plain JSON,
 * devices by kernel name.
 */

/** How a driver's DMA ended (DESIGN.md, per-device outcome). */
export type DmaOutcomeKind = "ok" | "fault" | "untranslated" | "failed";

/** Why an `untranslated` transfer is wrong. */
export type UntranslatedDetail = "wrong-buffer" | "bypass" | "other-device-mapping" | "unmapped-memory";

/** The DMA ops kinds of the DMA layer (`dma-mapping`'s `DmaOpsKind`). */
export type OpsKind = "iommu" | "direct" | "swiotlb" | "dummy" | "none";

/** Kernel-composition events. */
export type KernelEvent =
  | {
      /** A boot phase boundary (initcalls done, modules loaded, actions done, idle). */
      readonly type: "boot-phase";
      readonly phase: "hardware" | "initcalls" | "modules" | "actions" | "idle";
    }
  | {
      /** A device created by firmware glue or a driver (`of_platform_device_create`, IORT, ACPI scan, children). */
      readonly type: "fw-device-create";
      readonly device: string;
      readonly bus: string | null;
      readonly by: "of_platform_populate" | "of_platform_device_create" | "iort" | "acpi_scan" | "pci_scan" | "device_register";
    }
  | {
      /** `of_dma_configure` / `acpi_dma_configure` / `pci_dma_configure` result for a device. */
      readonly type: "fw-dma-configure";
      readonly device: string;
      readonly fn: "of_dma_configure" | "acpi_dma_configure" | "pci_dma_configure";
      readonly at: "creation" | "probe";
      /** The IOMMU the firmware puts the device behind (its kernel device name), or null. */
      readonly iommu: string | null;
      readonly coherent: boolean;
      /** 0, or the errno returned (-EPROBE_DEFER while the IOMMU driver has not registered). */
      readonly ret: number;
    }
  | {
      /**
       * The device's DMA state when `drv->probe` starts: what I-PROBE checks. `behindIommu` is the SMMU the
       * hardware routes its stream through (firmware-described), `expectDomain` the default-domain type the
       * profile's policy gives it.
       */
      readonly type: "probe-dma-state";
      readonly device: string;
      readonly driver: string;
      readonly ops: OpsKind;
      readonly behindIommu: string | null;
      readonly group: number | null;
      readonly domainType: string | null;
      readonly expectDomain: string | null;
      /** The probe attempt number of this driver on this device (1-based). */
      readonly attempt: number;
    }
  | {
      /** One driver DMA operation: the API result and what the device's transfer reached. */
      readonly type: "dma-action";
      readonly device: string;
      readonly driver: string | null;
      readonly bound: boolean;
      readonly op: "alloc-coherent" | "map-single" | "map-sg";
      readonly api: "dma-api" | "phys";
      readonly ops: OpsKind;
      readonly size: number;
      /** Buffer physical address (null when the API call failed before giving one). */
      readonly pa: number | null;
      /** The address the device was given (null on failure). */
      readonly dmaAddr: number | null;
      readonly outcome: DmaOutcomeKind;
      readonly detail: string | null;
      /** The SMMU event id of a fault (0x10 F_TRANSLATION ...). */
      readonly eventId: number | null;
      /** Where the transfer landed (null if nowhere). */
      readonly reachedPa: number | null;
      readonly route: "iommu-translated" | "iommu-bypass" | "direct" | null;
      /** The StreamID the transaction used, when an IOMMU was on its path. */
      readonly streamId: number | null;
    }
  | {
      /** An MSI the device raised: the address programmed and what the write did. */
      readonly type: "msi-action";
      readonly device: string;
      readonly address: number;
      readonly outcome: "delivered" | "fault" | "aborted";
      readonly eventId: number | null;
      readonly streamId: number | null;
    }
  | {
      /** A scripted runtime action. */
      readonly type: "runtime-action";
      readonly action: "unbind" | "bind" | "remove" | "dma" | "msi" | "load-module" | "register" | "rescan" | "advance";
      readonly target: string;
      readonly ret: number;
    }
  | {
      /** The arm64 `iommu_dma_masters` queue when the boot went idle (head first; empty from v4.12). */
      readonly type: "attach-queue-final";
      readonly queue: readonly string[];
    }
  | {
      /** A probe script attempt chosen for this call of `drv->probe`. */
      readonly type: "probe-script";
      readonly device: string;
      readonly driver: string;
      readonly attempt: number;
      readonly step: number;
      readonly result: number;
    };

/** The kernel composition's event types. */
export type KernelEventType = KernelEvent["type"];
