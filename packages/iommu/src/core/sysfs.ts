/**
 * `/sys/kernel/iommu_groups`: each group's `type`, `devices/` and `reserved_regions`, as the real boots' /init
 * printed them (what the QEMU topology tests compare).
 *
 * @see drivers/iommu/iommu.c iommu_group_show_type, iommu_group_show_resv_regions
 */
import type { IommuCore } from "./iommu-core";
import { iommuDomainTypeName } from "./iommu-ops";
import { formatResvRegions, groupResvRegions } from "./resv";

/**
 * One row of `/sys/kernel/iommu_groups`.
 *
 * @see drivers/iommu/iommu.c iommu_group_show_type, iommu_group_show_resv_regions
 */
export interface IommuGroupSysfs {
  readonly id: number;
  /** `type`: the default domain's sysfs type name, "unknown" without one. */
  readonly type: string;
  readonly devices: readonly string[];
  /** `reserved_regions` lines. */
  readonly reservedRegions: readonly string[];
}

/** Every live group, by id. */
export function sysfsGroups(core: IommuCore): IommuGroupSysfs[] {
  return core.groups.map((g) => {
    const impl = core.groupImpl(g);
    return {
      id: g.id,
      type: impl.defaultDomain === null ? "unknown" : iommuDomainTypeName(impl.defaultDomain.type),
      devices: impl.devices.map((d) => d.name).sort(),
      reservedRegions: formatResvRegions(groupResvRegions(core, impl)),
    };
  });
}
