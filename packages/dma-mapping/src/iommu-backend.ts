/**
 * What the DMA layer needs from the IOMMU core (drivers/iommu/iommu.c), as a narrow port over `@dmasim/iommu`'s
 * types (`IommuDomain`, whose `iovaCookie` slot this package fills, and `IommuResvRegion`). The kernel composition
 * implements it with the core (groups, `iommu_map`/`iommu_unmap`, `iommu_iotlb_sync`, `iommu_flush_iotlb_all`,
 * reserved regions); tests may implement it over io-pgtable directly. Nothing here knows which IOMMU driver sits
 * underneath: TLB invalidation happens inside `unmap`/`iotlbSync`/`flushIotlbAll`.
 */
import type { Device } from "@dmasim/driver-core";
import type { IommuDomain, IommuIotlbGather, IommuResvRegion } from "@dmasim/iommu";

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
  readonly getDomainForDev: (dev: Device) => IommuDomain | null;
  /**
   * `iommu_get_dma_domain(dev)`: the group's default domain (modern iommu-dma maps through it; v4.x used the current
   * domain). @see drivers/iommu/iommu.c iommu_get_dma_domain
   */
  readonly getDmaDomain: (dev: Device) => IommuDomain | null;
  /** `iommu_map(domain, iova, paddr, size, prot)`: 0 or a negative errno. */
  readonly map: (domain: IommuDomain, iova: number, pa: number, size: number, prot: number) => number;
  /**
   * `iommu_unmap_fast(domain, iova, size, gather)`: bytes unmapped; leaf invalidations are gathered, not issued
   * (strict callers follow with {@link iotlbSync}).
   */
  readonly unmap: (domain: IommuDomain, iova: number, size: number, gather: IommuIotlbGather) => number;
  /** `iommu_iotlb_sync(domain, gather)`: the driver invalidates the gathered range and waits (TLBI + CMD_SYNC). */
  readonly iotlbSync: (domain: IommuDomain, gather: IommuIotlbGather) => void;
  /** `iommu_flush_iotlb_all(domain)` (TLBI by ASID + CMD_SYNC on SMMUv3): the flush queue's flush. */
  readonly flushIotlbAll: (domain: IommuDomain) => void;
  /** `iommu_iova_to_phys(domain, iova)`: 0 when unmapped. */
  readonly iovaToPhys: (domain: IommuDomain, iova: number) => number;
  /** `iommu_get_resv_regions(dev)`. */
  readonly getResvRegions: (dev: Device) => readonly IommuResvRegion[];
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

/**
 * The IOMMU core functions the port is built from (a structural subset of `@dmasim/iommu`'s `IommuCore`, named as
 * there).
 */
export interface IommuCoreForDma {
  iommuGroupGet(dev: Device): object | null;
  iommuGetDomainForDev(dev: Device): IommuDomain | null;
  iommuGetDmaDomain(dev: Device): IommuDomain | null;
  iommuMap(domain: IommuDomain, iova: number, paddr: number, size: number, prot: number): number;
  iommuUnmapFast(domain: IommuDomain, iova: number, size: number, gather: IommuIotlbGather): number;
  iommuIotlbSync(domain: IommuDomain, gather: IommuIotlbGather): void;
  iommuFlushIotlbAll(domain: IommuDomain): void;
  iommuIovaToPhys(domain: IommuDomain, iova: number): number;
  iommuGetResvRegions(dev: Device): readonly IommuResvRegion[];
}

/**
 * The port over the IOMMU core of a simulated kernel: `iommu_map`, `iommu_unmap_fast` + `iommu_iotlb_sync` (which
 * reach the IOMMU driver's page tables and TLB invalidation), `iommu_flush_iotlb_all`, the group's domains and the
 * reserved regions.
 */
export function iommuDmaBackendFromCore(core: IommuCoreForDma): IommuDmaBackend {
  return {
    hasGroup: (dev) => core.iommuGroupGet(dev) !== null,
    getDomainForDev: (dev) => core.iommuGetDomainForDev(dev),
    getDmaDomain: (dev) => core.iommuGetDmaDomain(dev),
    map: (domain, iova, pa, size, prot) => core.iommuMap(domain, iova, pa, size, prot),
    unmap: (domain, iova, size, gather) => core.iommuUnmapFast(domain, iova, size, gather),
    iotlbSync: (domain, gather) => core.iommuIotlbSync(domain, gather),
    flushIotlbAll: (domain) => core.iommuFlushIotlbAll(domain),
    iovaToPhys: (domain, iova) => core.iommuIovaToPhys(domain, iova),
    getResvRegions: (dev) => core.iommuGetResvRegions(dev),
  };
}
