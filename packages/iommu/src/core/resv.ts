/**
 * Reserved regions: what the driver reports per device (`get_resv_regions`: arm-smmu-v3's software MSI window plus
 * the DMA layer's), merged per group for `/sys/kernel/iommu_groups/N/reserved_regions`, and the identity mappings
 * the core creates for DIRECT regions in DMA domains.
 *
 * @see drivers/iommu/iommu.c iommu_get_resv_regions, iommu_alloc_resv_region, iommu_insert_resv_region,
 *   iommu_get_group_resv_regions, iommu_group_show_resv_regions, iommu_create_device_direct_mappings
 */
import type { Device } from "@dmasim/driver-core";
import type { GroupImpl } from "./group";
import type { IommuCore } from "./iommu-core";
import { iommuIsDmaType, type IommuResvRegion, type IommuResvType } from "./iommu-ops";
import { iommuFlushIotlbAll, iommuIovaToPhys, iommuMap } from "./map";
import { devIommu } from "./state";

/** `enum iommu_resv_type` order (the sort key among regions with the same start). */
const TYPE_ORDER: Readonly<Record<IommuResvType, number>> = {
  direct: 0,
  "direct-relaxable": 1,
  reserved: 2,
  msi: 3,
  "sw-msi": 4,
};

/** The sysfs names (`iommu_group_resv_type_string`): SW_MSI prints as "msi". */
const TYPE_STRING: Readonly<Record<IommuResvType, string>> = {
  direct: "direct",
  "direct-relaxable": "direct-relaxable",
  reserved: "reserved",
  msi: "msi",
  "sw-msi": "msi",
};

/** `iommu_alloc_resv_region(start, length, prot, type)`. @see drivers/iommu/iommu.c iommu_alloc_resv_region */
export function iommuAllocResvRegion(start: number, length: number, prot: number, type: IommuResvType): IommuResvRegion {
  return { start, length, prot, type };
}

/**
 * `iommu_get_resv_regions(dev, list)`: the driver's `get_resv_regions`, for a device probed by a driver.
 *
 * @see drivers/iommu/iommu.c iommu_get_resv_regions
 */
export function iommuGetResvRegions(core: IommuCore, dev: Device): IommuResvRegion[] {
  return core.opsForDev(dev)?.getResvRegions?.(dev) ?? [];
}

/**
 * `iommu_insert_resv_region(new, regions)`: inserts sorted by start (then type) and merges overlapping or adjacent
 * regions of the new region's type.
 *
 * @see drivers/iommu/iommu.c iommu_insert_resv_region
 */
export function insertResvRegion(regions: IommuResvRegion[], nr: IommuResvRegion): IommuResvRegion[] {
  let at = regions.findIndex((it) => nr.start < it.start || (nr.start === it.start && TYPE_ORDER[nr.type] <= TYPE_ORDER[it.type]));
  if (at < 0) at = regions.length;
  const list = [...regions.slice(0, at), nr, ...regions.slice(at)];
  const stack: { start: number; length: number; prot: number; type: IommuResvType }[] = [];
  for (const it of list) {
    const iterEnd = it.start + it.length - 1;
    if (it.type !== nr.type) {
      stack.push({ ...it });
      continue;
    }
    let top: (typeof stack)[number] | undefined;
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i]?.type === it.type) {
        top = stack[i];
        break;
      }
    }
    if (top === undefined) {
      stack.push({ ...it });
      continue;
    }
    const topEnd = top.start + top.length - 1;
    if (it.start > topEnd + 1) stack.push({ ...it });
    else top.length = Math.max(topEnd, iterEnd) - top.start + 1;
  }
  return stack;
}

/**
 * `iommu_get_group_resv_regions(group, head)`: every member's regions merged; stops at the first member without
 * `dev->iommu` (6.1).
 *
 * @see drivers/iommu/iommu.c iommu_get_group_resv_regions
 */
export function groupResvRegions(core: IommuCore, group: GroupImpl): IommuResvRegion[] {
  let regions: IommuResvRegion[] = [];
  for (const dev of group.devices) {
    if (core.era.probePath === "probe_device" && devIommu(dev) === undefined) break;
    for (const r of iommuGetResvRegions(core, dev)) regions = insertResvRegion(regions, r);
  }
  return regions;
}

/**
 * The `reserved_regions` sysfs file: `0x%016llx 0x%016llx %s` per region (start, end inclusive, type).
 *
 * @see drivers/iommu/iommu.c iommu_group_show_resv_regions
 */
export function formatResvRegions(regions: readonly IommuResvRegion[]): string[] {
  const hex = (n: number): string => `0x${n.toString(16).padStart(16, "0")}`;
  return regions.map((r) => `${hex(r.start)} ${hex(r.start + r.length - 1)} ${TYPE_STRING[r.type]}`);
}

/**
 * `iommu_create_device_direct_mappings(group, dev)`: in a DMA default domain, identity-maps every DIRECT /
 * DIRECT_RELAXABLE region of the device not yet mapped (page by page at the smallest page size), then flushes.
 *
 * @see drivers/iommu/iommu.c iommu_create_device_direct_mappings
 */
export function createDirectMappings(core: IommuCore, group: GroupImpl, dev: Device): number {
  const domain = group.defaultDomain;
  if (domain === null || !iommuIsDmaType(domain.type)) return 0;
  if (domain.pgsizeBitmap === 0) throw new Error("iommu_create_device_direct_mappings: domain has no page sizes");
  const pgSize = domain.pgsizeBitmap & -domain.pgsizeBitmap;
  const align = (n: number): number => Math.ceil(n / pgSize) * pgSize;
  let any = false;
  for (const entry of iommuGetResvRegions(core, dev)) {
    if (entry.type !== "direct" && entry.type !== "direct-relaxable") continue;
    any = true;
    const start = align(entry.start);
    const end = align(entry.start + entry.length);
    let mapSize = 0;
    for (let addr = start; addr <= end; addr += pgSize) {
      if (addr !== end && iommuIovaToPhys(domain, addr) === 0) {
        mapSize += pgSize;
        continue;
      }
      if (mapSize !== 0) {
        const ret = iommuMap(core, domain, addr - mapSize, addr - mapSize, mapSize, entry.prot);
        if (ret !== 0) return ret;
        mapSize = 0;
      }
    }
  }
  if (any || core.era.probePath === "probe_device") iommuFlushIotlbAll(core, domain);
  return 0;
}
