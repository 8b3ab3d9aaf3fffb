/**
 * What an `IommuCore` is built from: era, driver core, trace, command line, Kconfig, the PCI subsystem and the hooks
 * of the layers above.
 */
import type { Device, DriverCore, TraceSink } from "@dmasim/driver-core";
import type { PciSubsystem } from "@dmasim/pci";
import type { IommuCmdline, IommuKconfig } from "./defaults";
import type { IommuEra } from "./era";
import type { IommuTraceEvent } from "./events";
import type { IommuDomain, IommuResvRegion } from "./iommu-ops";

/**
 * Hooks the kernel composition fills for the layers above the core.
 */
export interface IommuCoreHooks {
  /**
   * `iommu_get_dma_cookie(domain)`: the dma-iommu layer's state for a new DMA/DMA-FQ domain (stored in
   * `iovaCookie`); null fails the allocation (-ENOMEM). Default: no cookie.
   */
  readonly dmaCookieAlloc?: (domain: IommuDomain) => unknown;
  /** `iommu_put_dma_cookie(domain)`. */
  readonly dmaCookieFree?: (domain: IommuDomain) => void;
  /**
   * The firmware part of `iommu_dma_get_resv_regions(dev, list)`: IORT RMRs / ITS doorbells
   * (`iort_iommu_get_resv_regions`) or OF `reserved-memory` with `iommu-addresses`. Default: none (the QEMU boards).
   */
  readonly dmaResvRegions?: (dev: Device) => IommuResvRegion[];
}

/** What an {@link IommuCore} is built from. */
export interface IommuCoreOptions {
  readonly era: IommuEra;
  readonly driverCore: DriverCore;
  readonly trace: TraceSink<IommuTraceEvent>;
  /** `iommu.passthrough=` / `iommu.strict=` (early params). */
  readonly cmdline?: IommuCmdline;
  /** Default: Debian 6.1's (`CONFIG_IOMMU_DEFAULT_DMA_STRICT=y`): `{ defaultDomain: "DMA", strictDefault: true }`. */
  readonly kconfig?: IommuKconfig;
  /** The PCI subsystem (`for_each_pci_dev` walks its bus). */
  readonly pci?: PciSubsystem;
  readonly hooks?: IommuCoreHooks;
  /**
   * Dynamic debug: whether `pr_debug`/`dev_dbg` of a source file are enabled (the kernel composition derives it
   * from `dyndbg=`). Default: every debug line is emitted, for the report to filter later. The `iommu_map` /
   * `iommu_unmap` lines of drivers/iommu/iommu.c are the hot path; with them disabled the core formats nothing.
   */
  readonly dyndbg?: (file: string) => boolean;
}
