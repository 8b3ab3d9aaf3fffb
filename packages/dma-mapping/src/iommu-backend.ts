/**
 * What the DMA layer needs from the IOMMU core (drivers/iommu/iommu.c), as a narrow port. The kernel composition
 * implements it over `@dmasim/iommu`'s core (domains, groups, `iommu_map`/`iommu_unmap`, `iommu_iotlb_sync`,
 * `iommu_flush_iotlb_all`, reserved regions); tests may implement it over io-pgtable directly. Nothing here knows
 * which IOMMU driver sits underneath: TLB invalidation happens inside `unmap`/`iotlbSync`/`flushIotlbAll`.
 */
import type { Device } from "@dmasim/driver-core";
import type { IommuIotlbGather } from "@dmasim/iommu";

/**
 * `iommu_domain->type` by its sysfs name.
 *
 * @see drivers/iommu/iommu.c iommu_domain_type_str
 */
export type IommuDomainTypeName = "DMA" | "DMA-FQ" | "identity" | "blocked" | "unmanaged";

/**
 * The parts of `struct iommu_domain` the DMA layer reads, plus the cookie slot it owns (`iova_cookie`, which the core
 * fills for DMA and DMA-FQ domains through the factory this package exports).
 *
 * @see include/linux/iommu.h struct iommu_domain
 */
export interface DmaIommuDomain {
  readonly type: IommuDomainTypeName;
  /** `domain->pgsize_bitmap` (after the driver finalised it). */
  readonly pgsizeBitmap: number;
  /** `domain->geometry`. */
  readonly geometry: {
    readonly apertureStart: number;
    readonly apertureEnd: number;
    readonly forceAperture: boolean;
  };
  /** `domain->iova_cookie`: an `IommuDmaCookie` for DMA domains, `null` otherwise. */
  iovaCookie: unknown;
}

/**
 * `struct iommu_resv_region` by type name.
 *
 * @see include/linux/iommu.h enum iommu_resv_type
 */
export interface IommuResvRegion {
  readonly start: number;
  readonly length: number;
  readonly type: "direct" | "direct-relaxable" | "reserved" | "msi" | "sw-msi";
}

/**
 * A PCI host bridge window (`bridge->windows` of type IORESOURCE_MEM) or DMA range (`bridge->dma_ranges`), as CPU
 * addresses with the bus `offset` (`res->start - offset` is the bus address).
 *
 * @see include/linux/pci.h struct pci_host_bridge
 */
export interface PciBridgeWindow {
  readonly start: number;
  readonly end: number;
  readonly offset: number;
}

/**
 * The IOMMU core calls iommu-dma and the arm64 setup make. All total (errno as data).
 */
export interface IommuDmaBackend {
  /** `dev->iommu_group != NULL` (`iommu_group_get(dev)` in v4.7's `__iommu_setup_dma_ops`). */
  readonly hasGroup: (dev: Device) => boolean;
  /** `iommu_get_domain_for_dev(dev)`: the group's current domain. @see drivers/iommu/iommu.c iommu_get_domain_for_dev */
  readonly getDomainForDev: (dev: Device) => DmaIommuDomain | null;
  /**
   * `iommu_get_dma_domain(dev)`: the group's default domain (modern iommu-dma maps through it; v4.x used the current
   * domain). @see drivers/iommu/iommu.c iommu_get_dma_domain
   */
  readonly getDmaDomain: (dev: Device) => DmaIommuDomain | null;
  /** `iommu_map(domain, iova, paddr, size, prot)`: 0 or a negative errno. */
  readonly map: (domain: DmaIommuDomain, iova: number, pa: number, size: number, prot: number) => number;
  /**
   * `iommu_unmap_fast(domain, iova, size, gather)`: bytes unmapped; leaf invalidations are gathered, not issued
   * (strict callers follow with {@link iotlbSync}).
   */
  readonly unmap: (domain: DmaIommuDomain, iova: number, size: number, gather: IommuIotlbGather) => number;
  /** `iommu_iotlb_sync(domain, gather)`: the driver invalidates the gathered range and waits (TLBI + CMD_SYNC). */
  readonly iotlbSync: (domain: DmaIommuDomain, gather: IommuIotlbGather) => void;
  /** `iommu_flush_iotlb_all(domain)` (TLBI by ASID + CMD_SYNC on SMMUv3): the flush queue's flush. */
  readonly flushIotlbAll: (domain: DmaIommuDomain) => void;
  /** `iommu_iova_to_phys(domain, iova)`: 0 when unmapped. */
  readonly iovaToPhys: (domain: DmaIommuDomain, iova: number) => number;
  /** `iommu_get_resv_regions(dev)`. */
  readonly getResvRegions: (dev: Device) => readonly IommuResvRegion[];
  /** A stable label for traces (e.g. `"group 3 default"`); default: the cookie's sequence number. */
  readonly describeDomain?: (domain: DmaIommuDomain) => string;
}

/** Platform facts the DMA layer cannot see from a `Device` (the `pci` package sits beside it, not below). */
export interface DmaPlatformHooks {
  /** `dev_is_pci(dev)`. */
  readonly isPci?: (dev: Device) => boolean;
  /** The host bridge's memory windows (`bridge->windows`), reserved in a PCI device's IOVA space. */
  readonly pciHostBridgeWindows?: (dev: Device) => readonly PciBridgeWindow[];
  /** The host bridge's `dma-ranges` (`bridge->dma_ranges`), sorted; gaps between them are reserved. */
  readonly pciHostBridgeDmaRanges?: (dev: Device) => readonly PciBridgeWindow[];
}
