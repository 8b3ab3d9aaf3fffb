/**
 * Per-device IOMMU state in the driver-core device's data area: `dev->iommu` (6.1 `struct dev_iommu`: fwspec,
 * iommu_dev, priv; in v4.12 the fwspec hung off `dev->iommu_fwspec` and the driver's data off `fwspec->iommu_priv`,
 * in v4.7 `dev->archdata.iommu`) and `dev->iommu_group`.
 *
 * @see include/linux/iommu.h struct dev_iommu
 * @see include/linux/device.h struct device (iommu, iommu_group)
 */
import { defineDeviceData, type Device, type Fwnode } from "@dmasim/driver-core";
import type { IommuDevice, IommuFwspec, IommuOps } from "./iommu-ops";
import type { GroupImpl } from "./group";

/** The mutable fwspec the core keeps (`struct iommu_fwspec`). */
export interface FwspecImpl extends IommuFwspec {
  ops: IommuOps | null;
  readonly iommuFwnode: Fwnode;
  readonly ids: number[];
  flags: number;
}

/** `struct dev_iommu`. */
export interface DevIommu {
  fwspec: FwspecImpl | null;
  /** `dev->iommu->iommu_dev`: set by a successful `probe_device`. */
  iommuDev: IommuDevice | null;
  /** `dev->iommu->priv` (the driver's master). */
  priv: unknown;
}

/** `dev->iommu`. */
export const DEV_IOMMU = defineDeviceData<DevIommu>("iommu");
/** `dev->iommu_group`. */
export const DEV_IOMMU_GROUP = defineDeviceData<GroupImpl>("iommu_group");

/** `dev->iommu`, or undefined. */
export function devIommu(dev: Device): DevIommu | undefined {
  return dev.getData(DEV_IOMMU);
}

/** `dev_iommu_get(dev)`: allocates `dev->iommu` if needed. */
export function devIommuGet(dev: Device): DevIommu {
  let param = dev.getData(DEV_IOMMU);
  if (param === undefined) {
    param = { fwspec: null, iommuDev: null, priv: null };
    dev.setData(DEV_IOMMU, param);
  }
  return param;
}

/** `dev->iommu_group`, or null. */
export function devGroup(dev: Device): GroupImpl | null {
  return dev.getData(DEV_IOMMU_GROUP) ?? null;
}

/** `device_iommu_mapped(dev)`: the device is in a group. @see include/linux/device.h device_iommu_mapped */
export function deviceIommuMapped(dev: Device): boolean {
  return dev.hasData(DEV_IOMMU_GROUP);
}
