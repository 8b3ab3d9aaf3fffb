/**
 * DMA ownership of a group by the kernel's DMA API (v5.19+): `pci_dma_configure` and the platform bus call
 * `iommu_device_use_default_domain` for drivers that do not manage DMA themselves; `-EBUSY` when a user (VFIO) owns
 * the group or it is attached to another domain.
 *
 * @see drivers/iommu/iommu.c iommu_device_use_default_domain, iommu_device_unuse_default_domain
 */
import type { Device } from "@dmasim/driver-core";
import type { IommuCore } from "./iommu-core";
import { devGroup } from "./state";

/** `iommu_device_use_default_domain(dev)`: 0 without a group (or before v5.19). */
export function useDefaultDomain(core: IommuCore, dev: Device): number {
  const group = devGroup(dev);
  if (group === null || !core.era.dmaOwnership) return 0;
  let ret = 0;
  if (group.ownerCnt > 0 && (group.domain !== group.defaultDomain || group.owner !== null)) ret = -16;
  else group.ownerCnt += 1;
  core.trace.emit({ type: "iommu-group-owner", group: group.id, device: dev.name, op: "use", ownerCnt: group.ownerCnt, ret });
  return ret;
}

/** `iommu_device_unuse_default_domain(dev)`: WARNs (and does nothing) when the count is already 0. */
export function unuseDefaultDomain(core: IommuCore, dev: Device): void {
  const group = devGroup(dev);
  if (group === null || !core.era.dmaOwnership) return;
  if (group.ownerCnt > 0) group.ownerCnt -= 1;
  core.trace.emit({ type: "iommu-group-owner", group: group.id, device: dev.name, op: "unuse", ownerCnt: group.ownerCnt, ret: 0 });
}
