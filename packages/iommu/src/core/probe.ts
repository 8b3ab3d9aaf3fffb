/**
 * How a device reaches its IOMMU driver, per era: v4.7/v4.12 `ops->add_device` (the driver calls back
 * `iommu_group_get_for_dev`, which also makes the default domain) and `ops->remove_device`; v5.8+/6.1
 * `iommu_probe_device` → `__iommu_probe_device` → `ops->probe_device`, then the group, default domain, attach,
 * direct mappings and `probe_finalize` in the core, and `iommu_release_device`.
 *
 * @see drivers/iommu/iommu.c iommu_probe_device, __iommu_probe_device, iommu_release_device,
 *   iommu_group_get_for_dev (v4.7, v4.12, v6.1)
 */
import { devPrintk, type Device } from "@dmasim/driver-core";
import { allocDefaultDomain, attachDevice, domainAlloc } from "./domain";
import type { IommuProbeTrigger } from "./events";
import { iommuGroupAddDevice, iommuGroupPutIfUnused, iommuGroupRemoveDevice, type GroupImpl } from "./group";
import type { IommuCore } from "./iommu-core";
import { IommuDomainType, type IommuGroupResult, type IommuOps } from "./iommu-ops";
import { DEV_IOMMU, devGroup, devIommu, devIommuGet } from "./state";

const ENODEV = -19;
const EINVAL = -22;

/**
 * `dev_iommu_free(dev)`: drops `dev->iommu` and with it the fwspec (so a device whose `probe_device` failed keeps
 * no fwspec in 6.1).
 *
 * @see drivers/iommu/iommu.c dev_iommu_free
 */
export function devIommuFree(core: IommuCore, dev: Device): void {
  const param = devIommu(dev);
  if (param === undefined) return;
  if (param.fwspec !== null) core.trace.emit({ type: "iommu-fwspec-free", device: dev.name });
  dev.deleteData(DEV_IOMMU);
}

/**
 * `iommu_group_get_for_dev(dev)`: the device's group, else `ops->device_group` and `iommu_group_add_device`. In the
 * `add_device` eras it also allocates the group's default domain (v4.7 always DMA; v4.12 `iommu_def_domain_type`
 * with a DMA fallback) before adding the device, which then attaches it.
 *
 * @see drivers/iommu/iommu.c iommu_group_get_for_dev
 */
export function groupGetForDev(core: IommuCore, dev: Device): IommuGroupResult {
  const existing = devGroup(dev);
  if (existing !== null) return { ok: true, value: existing };
  const ops = core.opsForDev(dev);
  if (ops === null) return { ok: false, error: EINVAL };
  const r = ops.deviceGroup(dev);
  if (!r.ok) return r;
  const group = core.groupImpl(r.value);
  if (core.era.probePath === "add_device" && group.defaultDomain === null) {
    const type = core.era.defaultDomainPolicy === "always-dma" ? IommuDomainType.DMA : core.defDomainType;
    let dom = domainAlloc(core, dev.bus, type);
    if (dom === null && type !== IommuDomainType.DMA) {
      devPrintk(core.trace, "warning", dev, "drivers/iommu/iommu.c", `failed to allocate default IOMMU domain of type ${type}; falling back to IOMMU_DOMAIN_DMA`);
      dom = domainAlloc(core, dev.bus, IommuDomainType.DMA);
    }
    group.defaultDomain = dom;
    if (group.domain === null) group.domain = dom;
  }
  const ret = iommuGroupAddDevice(core, group, dev);
  if (ret !== 0) {
    iommuGroupPutIfUnused(core, group);
    return { ok: false, error: ret };
  }
  return { ok: true, value: group };
}

/**
 * `__iommu_probe_device(dev, group_list)` (6.1): -ENODEV when the bus has no IOMMU ops; nothing when already
 * grouped; `ops->probe_device`; the group; and, when probing a whole bus, the group queued for its default domain.
 * Every failure frees `dev->iommu` (fwspec included).
 *
 * @see drivers/iommu/iommu.c __iommu_probe_device
 */
export function probeDeviceInner(core: IommuCore, dev: Device, groupList: GroupImpl[] | null): number {
  const ops = dev.bus === null ? undefined : core.busOps.get(dev.bus);
  if (ops === undefined) return ENODEV;
  if (devGroup(dev) !== null) return 0;
  const param = devIommuGet(dev);
  if (ops.probeDevice === undefined) {
    devIommuFree(core, dev);
    return ENODEV;
  }
  const r = ops.probeDevice(dev);
  if (!r.ok) {
    devIommuFree(core, dev);
    return r.error;
  }
  param.iommuDev = r.value;
  const g = groupGetForDev(core, dev);
  if (!g.ok) {
    ops.releaseDevice?.(dev);
    devIommuFree(core, dev);
    return g.error;
  }
  const group = core.groupImpl(g.value);
  if (groupList !== null && group.defaultDomain === null && !groupList.includes(group)) groupList.push(group);
  return 0;
}

/**
 * `iommu_probe_device(dev)` (6.1): probe, default domain, attach (unless the group is claimed), direct mappings,
 * `probe_finalize`; on failure after probing, `iommu_release_device`.
 *
 * @see drivers/iommu/iommu.c iommu_probe_device
 */
export function iommuProbeDevice(core: IommuCore, dev: Device, trigger: IommuProbeTrigger): number {
  core.trace.emit({ type: "iommu-probe-device", device: dev.name, path: "probe_device", trigger });
  let ret = probeDeviceInner(core, dev, null);
  if (ret === 0) {
    const group = devGroup(dev);
    if (group === null) {
      ret = ENODEV;
      iommuReleaseDevice(core, dev);
    } else {
      allocDefaultDomain(core, group, dev);
      if (group.defaultDomain !== null && group.owner === null) ret = attachDevice(core, group.defaultDomain, dev);
      if (ret !== 0) iommuReleaseDevice(core, dev);
      else {
        core.createDirectMappings(group, dev);
        core.opsForDev(dev)?.probeFinalize?.(dev);
      }
    }
  }
  core.trace.emit({ type: "iommu-probe-device-end", device: dev.name, ret });
  return ret;
}

/**
 * `iommu_release_device(dev)` (6.1): `ops->release_device`, leave the group, free `dev->iommu`. A device whose
 * `dev->iommu` holds only a fwspec (no `iommu_dev`: its probe never ran or was deferred) is only freed here; 6.1
 * would dereference a NULL `iommu_dev` in `dev_iommu_ops` on that path [U], which the model does not reproduce.
 *
 * @see drivers/iommu/iommu.c iommu_release_device
 */
export function iommuReleaseDevice(core: IommuCore, dev: Device): void {
  const param = devIommu(dev);
  if (param === undefined) return;
  core.trace.emit({ type: "iommu-release-device", device: dev.name, path: "release_device" });
  const ops = param.iommuDev?.ops ?? null;
  if (ops !== null) ops.releaseDevice?.(dev);
  iommuGroupRemoveDevice(core, dev);
  devIommuFree(core, dev);
}

/**
 * v4.7/v4.12 `ops->add_device(dev)` as the core calls it (bus notifier, `add_iommu_group`, OF/IORT replay); 0 when
 * the driver has no `add_device`.
 *
 * @see drivers/iommu/iommu.c iommu_bus_notifier, add_iommu_group (v4.7)
 */
export function callAddDevice(core: IommuCore, dev: Device, trigger: IommuProbeTrigger, withOps?: IommuOps): number {
  const ops = withOps ?? (dev.bus === null ? undefined : core.busOps.get(dev.bus));
  const add = ops?.addDevice;
  if (add === undefined) return 0;
  core.trace.emit({ type: "iommu-probe-device", device: dev.name, path: "add_device", trigger });
  const ret = add(dev);
  core.trace.emit({ type: "iommu-probe-device-end", device: dev.name, ret });
  return ret;
}

/**
 * v4.7/v4.12 `ops->remove_device(dev)` for a grouped device (REMOVED_DEVICE, `remove_iommu_group`).
 *
 * @see drivers/iommu/iommu.c iommu_bus_notifier (v4.7)
 */
export function callRemoveDevice(core: IommuCore, dev: Device): void {
  const ops = dev.bus === null ? undefined : core.busOps.get(dev.bus);
  if (ops?.removeDevice === undefined || devGroup(dev) === null) return;
  core.trace.emit({ type: "iommu-release-device", device: dev.name, path: "remove_device" });
  ops.removeDevice(dev);
}

/**
 * The era's probe for `dev`: `iommu_probe_device`, or `ops->add_device` with the given ops (the OF/IORT replays pass
 * `fwspec->ops`; default the bus's).
 */
export function probeForEra(core: IommuCore, dev: Device, trigger: IommuProbeTrigger, ops?: IommuOps): number {
  return core.era.probePath === "probe_device" ? iommuProbeDevice(core, dev, trigger) : callAddDevice(core, dev, trigger, ops);
}
