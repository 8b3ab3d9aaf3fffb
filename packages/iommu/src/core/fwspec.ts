/**
 * `struct iommu_fwspec` and finding an IOMMU's ops from its firmware node: `iommu_fwspec_init`/`add_ids`/`free`,
 * `iommu_ops_from_fwnode` over the registered `iommu_device`s (v4.12+), `of_iommu_get_ops` over the
 * `of_iommu_set_ops` list (v4.7).
 *
 * @see drivers/iommu/iommu.c iommu_fwspec_init, iommu_fwspec_add_ids, iommu_fwspec_free, iommu_ops_from_fwnode
 * @see drivers/iommu/of_iommu.c of_iommu_set_ops, of_iommu_get_ops (v4.7)
 */
import type { Device, Fwnode } from "@dmasim/driver-core";
import type { IommuCore } from "./iommu-core";
import type { IommuOps } from "./iommu-ops";
import { devIommu, devIommuGet, type FwspecImpl } from "./state";

/** `dev_iommu_fwspec_get(dev)`. @see include/linux/iommu.h dev_iommu_fwspec_get */
export function fwspecGet(dev: Device): FwspecImpl | null {
  return devIommu(dev)?.fwspec ?? null;
}

/**
 * `iommu_fwspec_init(dev, fwnode, ops)`: 0 if the device already has a fwspec with the same ops (null included),
 * -EINVAL if it has one with other ops, else a new fwspec with no IDs. -ENODEV in an era without fwspec (v4.7).
 *
 * @see drivers/iommu/iommu.c iommu_fwspec_init
 */
export function fwspecInit(core: IommuCore, dev: Device, fwnode: Fwnode, ops: IommuOps | null): number {
  let ret = 0;
  if (!core.era.fwspec) ret = -19;
  else {
    const existing = fwspecGet(dev);
    if (existing !== null) ret = existing.ops === ops ? 0 : -22;
    else devIommuGet(dev).fwspec = { ops, iommuFwnode: fwnode, ids: [], flags: 0 };
  }
  core.trace.emit({ type: "iommu-fwspec-init", device: dev.name, fwnode: fwnode.name, ops: ops?.name ?? null, ret });
  return ret;
}

/**
 * `iommu_fwspec_add_ids(dev, ids, num)`: appends; -EINVAL without a fwspec.
 *
 * @see drivers/iommu/iommu.c iommu_fwspec_add_ids
 */
export function fwspecAddIds(core: IommuCore, dev: Device, ids: readonly number[]): number {
  const fwspec = fwspecGet(dev);
  const ret = fwspec === null ? -22 : 0;
  if (fwspec !== null) fwspec.ids.push(...ids);
  core.trace.emit({ type: "iommu-fwspec-add-ids", device: dev.name, ids: [...ids], ret });
  return ret;
}

/**
 * `iommu_fwspec_free(dev)`.
 *
 * @see drivers/iommu/iommu.c iommu_fwspec_free
 */
export function fwspecFree(core: IommuCore, dev: Device): void {
  const param = devIommu(dev);
  if (param?.fwspec == null) return;
  param.fwspec = null;
  core.trace.emit({ type: "iommu-fwspec-free", device: dev.name });
}

/**
 * The ops registered for a firmware node, the era's way: `iommu_ops_from_fwnode` (the first `iommu_device` with
 * that fwnode, v4.12+) or `of_iommu_get_ops` (v4.7). Null when the IOMMU driver has not registered.
 *
 * @see drivers/iommu/iommu.c iommu_ops_from_fwnode
 */
export function opsFromFwnode(core: IommuCore, fwnode: Fwnode): IommuOps | null {
  if (core.era.opsLookup === "of-set-ops") return core.ofSetOps.find((e) => e.fwnode === fwnode)?.ops ?? null;
  return core.iommuDevices.find((d) => d.fwnode === fwnode)?.ops ?? null;
}
