/**
 * The IOMMU driver contract: `struct iommu_ops`, `struct iommu_domain_ops`, `struct iommu_domain`,
 * `struct iommu_fwspec`, `struct iommu_device` and the reserved-region and group shapes an IOMMU driver
 * (arm-smmu-v3) implements or receives. The core (`IommuCore`) calls the ops; the driver calls the core through
 * {@link IommuDriverApi}.
 *
 * One interface covers the eras: v4.7/v4.12 drivers fill `addDevice`/`removeDevice`, v5.8+ drivers fill
 * `probeDevice`/`releaseDevice`/`probeFinalize`; the core calls whichever its era's probe path uses.
 *
 * @see include/linux/iommu.h struct iommu_ops, struct iommu_domain_ops, struct iommu_domain
 * @see include/linux/iommu.h struct iommu_fwspec, struct iommu_device, struct iommu_resv_region
 */
import type { Bus, Device, Fwnode } from "@dmasim/driver-core";
import type { IommuIotlbGather, IommuProtFlags } from "../io-pgtable-arm/index";

// ---- domain types ---------------------------------------------------------------------------------------------

/** `__IOMMU_DOMAIN_PAGING`: the domain supports `iommu_map`/`iommu_unmap`. @see include/linux/iommu.h */
export const IOMMU_DOMAIN_PAGING_BIT = 1 << 0;
/** `__IOMMU_DOMAIN_DMA_API`: the domain backs the DMA API. @see include/linux/iommu.h */
export const IOMMU_DOMAIN_DMA_API_BIT = 1 << 1;
/** `__IOMMU_DOMAIN_PT`: identity (pass-through). @see include/linux/iommu.h */
export const IOMMU_DOMAIN_PT_BIT = 1 << 2;
/** `__IOMMU_DOMAIN_DMA_FQ`: the DMA API uses a flush queue (lazy invalidation; v5.15+). @see include/linux/iommu.h */
export const IOMMU_DOMAIN_DMA_FQ_BIT = 1 << 3;

/**
 * `IOMMU_DOMAIN_*` values (the same numbers in every era that has them; DMA_FQ from v5.15).
 *
 * @see include/linux/iommu.h IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_IDENTITY, IOMMU_DOMAIN_UNMANAGED,
 *   IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ
 */
export const IommuDomainType = {
  /** All DMA is blocked. */
  BLOCKED: 0,
  /** DMA addresses are system physical addresses. */
  IDENTITY: IOMMU_DOMAIN_PT_BIT,
  /** Paging domain managed by its user (VFIO). */
  UNMANAGED: IOMMU_DOMAIN_PAGING_BIT,
  /** Paging domain used by the DMA API, strict invalidation. */
  DMA: IOMMU_DOMAIN_PAGING_BIT | IOMMU_DOMAIN_DMA_API_BIT,
  /** Paging domain used by the DMA API with a flush queue. */
  DMA_FQ: IOMMU_DOMAIN_PAGING_BIT | IOMMU_DOMAIN_DMA_API_BIT | IOMMU_DOMAIN_DMA_FQ_BIT,
} as const;

/**
 * A domain type value.
 *
 * @see include/linux/iommu.h IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_IDENTITY, IOMMU_DOMAIN_UNMANAGED, IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ
 */
export type IommuDomainTypeValue = (typeof IommuDomainType)[keyof typeof IommuDomainType];

/**
 * The sysfs spelling of a domain type (`/sys/kernel/iommu_groups/N/type`).
 *
 * @see drivers/iommu/iommu.c iommu_group_show_type
 */
export type IommuDomainTypeName = "blocked" | "identity" | "unmanaged" | "DMA" | "DMA-FQ";

/**
 * The sysfs name of a domain type, as `iommu_group_show_type` prints it ("unknown" for anything else).
 *
 * @see drivers/iommu/iommu.c iommu_group_show_type
 */
export function iommuDomainTypeName(type: number): IommuDomainTypeName | "unknown" {
  switch (type) {
    case IommuDomainType.BLOCKED:
      return "blocked";
    case IommuDomainType.IDENTITY:
      return "identity";
    case IommuDomainType.UNMANAGED:
      return "unmanaged";
    case IommuDomainType.DMA:
      return "DMA";
    case IommuDomainType.DMA_FQ:
      return "DMA-FQ";
    default:
      return "unknown";
  }
}

/** `iommu_is_dma_domain(domain)`: the DMA API bit is set. @see include/linux/iommu.h iommu_is_dma_domain */
export function iommuIsDmaType(type: number): boolean {
  return (type & IOMMU_DOMAIN_DMA_API_BIT) !== 0;
}

// ---- domains --------------------------------------------------------------------------------------------------

/**
 * `struct iommu_domain_geometry`: the IOVA aperture.
 *
 * @see include/linux/iommu.h struct iommu_domain_geometry
 */
export interface IommuDomainGeometry {
  apertureStart: number;
  apertureEnd: number;
  /** DMA is only allowed inside the aperture. */
  forceAperture: boolean;
}

/**
 * `struct iommu_domain`. A driver embeds it in its own domain (arm-smmu-v3's `struct arm_smmu_domain`): in TypeScript
 * the driver's domain class implements this interface, and its ops recover the driver type with `instanceof` (the
 * `container_of` of the C code).
 *
 * Ownership of the fields: the driver creates the object in {@link IommuOps.domainAlloc} (any initial values); the
 * core then sets `type`, `id`, `pgsizeBitmap` (from {@link IommuOps.pgsizeBitmap}) and, for DMA domains, `iovaCookie`
 * (6.1 `__iommu_domain_alloc` + `iommu_get_dma_cookie`). The driver may narrow `pgsizeBitmap` and `geometry` when it
 * finalises the domain at first attach (`arm_smmu_domain_finalise`).
 *
 * @see include/linux/iommu.h struct iommu_domain
 * @see drivers/iommu/iommu.c __iommu_domain_alloc
 */
export interface IommuDomain {
  /** An `IOMMU_DOMAIN_*` value ({@link IommuDomainType}); set by the core. */
  type: number;
  /** The core's number for the domain (trace names domains by it); set by the core, -1 until then. */
  id: number;
  /** `domain->ops`: 6.1 fills it from `ops->default_domain_ops` when the driver left it null. */
  ops: IommuDomainOps | null;
  /** `domain->pgsize_bitmap`: the page sizes `iommu_map` may use. */
  pgsizeBitmap: number;
  geometry: IommuDomainGeometry;
  /** `domain->iova_cookie`: the dma-iommu layer's state for DMA domains (filled by an injected factory). */
  iovaCookie: unknown;
}

/**
 * `struct iommu_domain_ops` (6.1). In v4.7/v4.12 the same functions sat in `struct iommu_ops` and the core called
 * them through `domain->ops`, which pointed at the whole iommu_ops; a per-domain table models both.
 *
 * @see include/linux/iommu.h struct iommu_domain_ops
 */
export interface IommuDomainOps {
  /** `attach_dev(domain, dev)`: 0 or a negative errno. */
  readonly attachDev: (domain: IommuDomain, dev: Device) => number;
  /** `detach_dev(domain, dev)` (v4.7 … v6.1; later kernels attach a blocking domain instead). */
  readonly detachDev?: (domain: IommuDomain, dev: Device) => void;
  /** `map(domain, iova, paddr, size, prot)`: map one page of a size from `pgsizeBitmap`; 0 or a negative errno. */
  readonly map?: (domain: IommuDomain, iova: number, paddr: number, size: number, prot: IommuProtFlags) => number;
  /**
   * `map_pages(domain, iova, paddr, pgsize, pgcount, prot, gfp, &mapped)` (v5.15+): map up to `pgcount` pages; the
   * core loops on a short count.
   */
  readonly mapPages?: (
    domain: IommuDomain,
    iova: number,
    paddr: number,
    pgsize: number,
    pgcount: number,
    prot: IommuProtFlags,
  ) => { readonly ret: number; readonly mapped: number };
  /** `unmap(domain, iova, size, gather)`: bytes unmapped (0 on failure). */
  readonly unmap?: (domain: IommuDomain, iova: number, size: number, gather: IommuIotlbGather) => number;
  /** `unmap_pages(domain, iova, pgsize, pgcount, gather)` (v5.15+): bytes unmapped. */
  readonly unmapPages?: (domain: IommuDomain, iova: number, pgsize: number, pgcount: number, gather: IommuIotlbGather) => number;
  /** `flush_iotlb_all(domain)`. */
  readonly flushIotlbAll?: (domain: IommuDomain) => void;
  /** `iotlb_sync_map(domain, iova, size)`. */
  readonly iotlbSyncMap?: (domain: IommuDomain, iova: number, size: number) => void;
  /** `iotlb_sync(domain, gather)`: complete the invalidations gathered during an unmap. */
  readonly iotlbSync?: (domain: IommuDomain, gather: IommuIotlbGather) => void;
  /** `iova_to_phys(domain, iova)`: 0 when unmapped. */
  readonly iovaToPhys?: (domain: IommuDomain, iova: number) => number;
  /** `free(domain)` (6.1; `ops->domain_free` before). */
  readonly free: (domain: IommuDomain) => void;
}

// ---- firmware spec, iommu_device, reserved regions --------------------------------------------------------------

/**
 * `struct of_phandle_args` as `of_xlate` sees it: the IOMMU's firmware node and the specifier cells after the phandle
 * (`#iommu-cells` of them; for `iommu-map` one cell, the mapped ID).
 *
 * @see include/linux/of.h struct of_phandle_args
 */
export interface IommuOfXlateArgs {
  readonly fwnode: Fwnode;
  readonly args: readonly number[];
}

/**
 * `struct iommu_fwspec`: which IOMMU (ops + firmware node) a device sits behind and its IDs (StreamIDs).
 * v4.12 kept `iommu_priv` here; 6.1 moved the driver's per-device data to `dev->iommu->priv`
 * ({@link IommuDriverApi.devIommuPrivSet}).
 *
 * @see include/linux/iommu.h struct iommu_fwspec
 */
export interface IommuFwspec {
  /** `fwspec->ops`: null after an `of_iommu_xlate` that deferred (v4.12 kept such a fwspec; I-FWSPEC). */
  readonly ops: IommuOps | null;
  /** `fwspec->iommu_fwnode`. */
  readonly iommuFwnode: Fwnode;
  /** `fwspec->ids[]`, in the order they were added. */
  readonly ids: readonly number[];
  /** `fwspec->flags` (IOMMU_FWSPEC_PCI_RC_ATS = 1: the root complex supports ATS). */
  readonly flags: number;
}

/** `IOMMU_FWSPEC_PCI_RC_ATS`. @see include/linux/iommu.h */
export const IOMMU_FWSPEC_PCI_RC_ATS = 1 << 0;

/**
 * `struct iommu_device`: one IOMMU instance as registered with the core (`iommu_device_register`), found by firmware
 * node (`iommu_ops_from_fwnode`) and listed in `/sys/class/iommu` under `name`.
 *
 * @see include/linux/iommu.h struct iommu_device
 * @see drivers/iommu/iommu.c iommu_device_register
 */
export interface IommuDevice {
  /** The sysfs name (`iommu_device_sysfs_add`), e.g. `"smmu3.0x0000000009050000"`. */
  readonly name: string;
  /** The IOMMU's own device (`9050000.smmuv3`, `arm-smmu-v3.0.auto`), if any. */
  readonly dev: Device | null;
  /** Set by the core at registration. */
  ops: IommuOps | null;
  /** Set by the core at registration from the hardware device's fwnode. */
  fwnode: Fwnode | null;
}

/**
 * `enum iommu_resv_type`.
 *
 * @see include/linux/iommu.h enum iommu_resv_type
 */
export type IommuResvType = "direct" | "direct-relaxable" | "reserved" | "msi" | "sw-msi";

/**
 * `struct iommu_resv_region`.
 *
 * @see include/linux/iommu.h struct iommu_resv_region
 */
export interface IommuResvRegion {
  readonly start: number;
  readonly length: number;
  /** IOMMU_READ/WRITE/MMIO/... ({@link IommuProtFlags}). */
  readonly prot: number;
  readonly type: IommuResvType;
}

/** `MSI_IOVA_BASE` of arm-smmu-v3 (and arm-smmu): the software-managed MSI window. @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h */
export const MSI_IOVA_BASE = 0x08000000;
/** `MSI_IOVA_LENGTH`. @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h */
export const MSI_IOVA_LENGTH = 0x100000;

// ---- groups -----------------------------------------------------------------------------------------------------

/**
 * `struct iommu_group` as drivers and upper layers see it. `devices` is in the order they joined
 * (`list_add_tail(&device->list, &group->devices)`).
 *
 * @see drivers/iommu/iommu.c struct iommu_group
 */
export interface IommuGroup {
  /** `group->id`, from the lowest-free allocator (`ida_alloc`): `/sys/kernel/iommu_groups/<id>`. */
  readonly id: number;
  readonly devices: readonly Device[];
  /** `group->default_domain`. */
  readonly defaultDomain: IommuDomain | null;
  /** `group->domain`: the domain the group is attached to now. */
  readonly domain: IommuDomain | null;
  /** `group->owner_cnt` (v5.19+ DMA ownership: `iommu_device_use_default_domain` counts up). */
  readonly ownerCnt: number;
  /** Whether the group still exists (false after its last device left and it was released). */
  readonly live: boolean;
}

/** A group, or a negative errno (`ERR_PTR`). */
export type IommuGroupResult = { readonly ok: true; readonly value: IommuGroup } | { readonly ok: false; readonly error: number };

/** What `ops->probe_device` returns: the instance the device sits behind, or a negative errno (`ERR_PTR`). */
export type IommuProbeDeviceResult =
  | { readonly ok: true; readonly value: IommuDevice }
  | { readonly ok: false; readonly error: number };

// ---- the ops table ----------------------------------------------------------------------------------------------

/**
 * `struct iommu_ops`: what an IOMMU driver gives the core. Era-specific members are optional; the core calls the ones
 * its era uses (`IommuEra.probePath`).
 *
 * @see include/linux/iommu.h struct iommu_ops (v4.7, v4.12, v6.1)
 */
export interface IommuOps {
  /** The driver name, for traces (`"arm-smmu-v3"`). */
  readonly name: string;
  /** `capable(cap)` (v4.7 … v5.x) / `capable(dev, cap)` (6.1). */
  readonly capable?: (dev: Device | null, cap: "cache-coherency" | "intr-remap" | "noexec") => boolean;
  /** `domain_alloc(type)`: a new domain of `type`, or null when the type is unsupported (or no memory). */
  readonly domainAlloc: (type: number) => IommuDomain | null;
  /** v4.7/v4.12 `add_device(dev)`: 0 or a negative errno (-ENODEV: not behind this IOMMU). */
  readonly addDevice?: (dev: Device) => number;
  /** v4.7/v4.12 `remove_device(dev)`. */
  readonly removeDevice?: (dev: Device) => void;
  /** v5.8+ `probe_device(dev)`: the instance, or -ENODEV / -EINVAL / ... */
  readonly probeDevice?: (dev: Device) => IommuProbeDeviceResult;
  /** v5.8+ `release_device(dev)`. */
  readonly releaseDevice?: (dev: Device) => void;
  /** v5.8+ `probe_finalize(dev)`: after the default domain is attached (arm64 sets up iommu-dma there via the core). */
  readonly probeFinalize?: (dev: Device) => void;
  /** `device_group(dev)`: usually the core's `pciDeviceGroup` or `genericDeviceGroup`. */
  readonly deviceGroup: (dev: Device) => IommuGroupResult;
  /** `get_resv_regions(dev, list)` (v4.12+; v4.7 `get_dm_regions`). */
  readonly getResvRegions?: (dev: Device) => IommuResvRegion[];
  /** `of_xlate(dev, args)`: record the IDs of one `iommus`/`iommu-map` entry; 0 or a negative errno. */
  readonly ofXlate?: (dev: Device, args: IommuOfXlateArgs) => number;
  /** `def_domain_type(dev)` (v5.8+): a required type for this device, or 0 for no preference. */
  readonly defDomainType?: (dev: Device) => number;
  /** `is_attach_deferred(dev)` (kdump); absent means false. */
  readonly isAttachDeferred?: (dev: Device) => boolean;
  /** `default_domain_ops` (6.1): put on a domain whose driver left `ops` null. */
  readonly defaultDomainOps?: IommuDomainOps;
  /** `pgsize_bitmap`: page sizes the hardware supports (the driver narrows it at probe). */
  readonly pgsizeBitmap: number;
  /** `owner` (module name); null/absent for built-in drivers. */
  readonly owner?: string | null;
}

// ---- what the core offers drivers -------------------------------------------------------------------------------

/**
 * The IOMMU core functions an IOMMU driver calls (global functions in Linux, methods of the one `IommuCore` of a
 * simulated kernel here). The arm-smmu-v3 driver is written against this interface.
 *
 * @see drivers/iommu/iommu.c
 */
export interface IommuDriverApi {
  /** `iommu_device_register(iommu, ops, hwdev)` (v4.12+; v4.12 set ops/fwnode before the call): 0. */
  iommuDeviceRegister(iommu: IommuDevice, ops: IommuOps, hwdev: Device | null): number;
  /** `iommu_device_unregister(iommu)`. */
  iommuDeviceUnregister(iommu: IommuDevice): void;
  /** v4.7 `of_iommu_set_ops(np, ops)`, called from the `IOMMU_OF_DECLARE` init function. */
  ofIommuSetOps(fwnode: Fwnode, ops: IommuOps): void;
  /** `bus_set_iommu(bus, ops)` (v4.7 … v6.1): 0, -EBUSY if the bus has ops, or what `iommu_bus_init` returned. */
  busSetIommu(bus: Bus, ops: IommuOps): number;
  /** `pci_device_group(dev)`. */
  pciDeviceGroup(dev: Device): IommuGroupResult;
  /** `generic_device_group(dev)`: a new group per device. */
  genericDeviceGroup(dev: Device): IommuGroupResult;
  /** `dev_iommu_fwspec_get(dev)` (v4.12: `dev->iommu_fwspec`). */
  devIommuFwspecGet(dev: Device): IommuFwspec | null;
  /** `iommu_fwspec_add_ids(dev, ids, num)`: 0, or -EINVAL without a fwspec. */
  iommuFwspecAddIds(dev: Device, ids: readonly number[]): number;
  /** `dev_iommu_priv_get(dev)` (6.1; v4.12 `fwspec->iommu_priv`; v4.7 `dev->archdata.iommu`). */
  devIommuPrivGet(dev: Device): unknown;
  /** `dev_iommu_priv_set(dev, priv)`. */
  devIommuPrivSet(dev: Device, priv: unknown): void;
  /** `iommu_get_domain_for_dev(dev)`: `group->domain`, or null without a group. */
  iommuGetDomainForDev(dev: Device): IommuDomain | null;
  /** `iommu_group_get(dev)`: the device's group (no refcount in the model). */
  iommuGroupGet(dev: Device): IommuGroup | null;
  /**
   * `iommu_dma_get_resv_regions(dev, list)`: the regions the DMA layer adds (PCI host bridge windows on some
   * platforms, ITS doorbells with the IORT `iort_iommu_msi_get_resv_regions`); none on the QEMU virt boards.
   */
  iommuDmaGetResvRegions(dev: Device): IommuResvRegion[];
  /**
   * v4.x: `iommu_group_get_for_dev(dev)`, which `add_device` calls (it also makes the group's default domain and
   * attaches the device). Optional in the contract because 6.1 drivers never call it.
   */
  iommuGroupGetForDev?(dev: Device): IommuGroupResult;
  /** v4.x: `iommu_group_remove_device(dev)`, which `remove_device` calls. */
  iommuGroupRemoveDevice?(dev: Device): void;
  /** v4.x: `iommu_fwspec_free(dev)`, which v4.12's `remove_device` calls last. */
  iommuFwspecFree?(dev: Device): void;
}
