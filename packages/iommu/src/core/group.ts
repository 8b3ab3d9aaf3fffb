/**
 * `struct iommu_group`: allocation from the lowest-free id allocator, adding and removing devices (with the era's
 * log line and the attach to the group's current domain), and the release when the last member leaves.
 *
 * @see drivers/iommu/iommu.c iommu_group_alloc, iommu_group_add_device, iommu_group_remove_device,
 *   iommu_group_release
 */
import { devPrintk, NotifierChain, printk, type Device } from "@dmasim/driver-core";
import type { IommuCore } from "./iommu-core";
import type { IommuDomain, IommuGroup } from "./iommu-ops";
import { DEV_IOMMU_GROUP, devGroup } from "./state";
import { attachDevice, domainFree } from "./domain";

const IOMMU_C = "drivers/iommu/iommu.c";

/** The group notifier's actions (`IOMMU_GROUP_NOTIFY_*`, v4.7 … v5.17). @see include/linux/iommu.h */
export type IommuGroupNotifyAction =
  | "ADD_DEVICE"
  | "DEL_DEVICE"
  | "BIND_DRIVER"
  | "BOUND_DRIVER"
  | "UNBIND_DRIVER"
  | "UNBOUND_DRIVER";

/** The core's group object. Read it through {@link IommuGroup}; only the core mutates it. */
export class GroupImpl implements IommuGroup {
  readonly id: number;
  readonly devices: Device[] = [];
  defaultDomain: IommuDomain | null = null;
  domain: IommuDomain | null = null;
  ownerCnt = 0;
  /** `group->owner`: set when a user (VFIO) claimed DMA ownership; not modelled beyond being null. */
  owner: unknown = null;
  live = true;
  /** `group->iommu_data` (`iommu_group_set_iommudata`). */
  iommuData: unknown = null;
  /** `group->notifier` (v4.7 … v5.17): VFIO-style listeners; the core publishes the bus events it forwards. */
  readonly notifier: NotifierChain<IommuGroupNotifyAction, Device>;

  /** @internal Use {@link iommuGroupAlloc}. */
  constructor(id: number) {
    this.id = id;
    this.notifier = new NotifierChain<IommuGroupNotifyAction, Device>({
      name: `iommu_group:${id}`,
      describeData: (dev) => dev.name,
    });
  }
}

/**
 * `iommu_group_alloc()`: a new group with the lowest free id; "iommu: Allocated group N" at debug level.
 *
 * @see drivers/iommu/iommu.c iommu_group_alloc
 */
export function iommuGroupAlloc(core: IommuCore): GroupImpl {
  const group = new GroupImpl(core.groupIda.alloc());
  core.liveGroups.push(group);
  core.trace.emit({ type: "iommu-group-alloc", group: group.id });
  if (core.debugLines) printk(core.trace, "debug", "iommu", IOMMU_C, `Allocated group ${group.id}`);
  return group;
}

/**
 * `iommu_group_add_device(group, dev)`: sets `dev->iommu_group`, appends the device, attaches it to the group's
 * current domain (6.1: unless `is_attach_deferred`; v4.x after `iommu_group_create_direct_mappings`), then logs the
 * era's "Adding ..." line. An attach failure undoes the membership and returns the errno.
 *
 * @see drivers/iommu/iommu.c iommu_group_add_device
 */
export function iommuGroupAddDevice(core: IommuCore, group: GroupImpl, dev: Device): number {
  dev.setData(DEV_IOMMU_GROUP, group);
  if (core.era.probePath === "add_device") core.createDirectMappings(group, dev);
  group.devices.push(dev);
  let ret = 0;
  if (group.domain !== null && !(core.opsForDev(dev)?.isAttachDeferred?.(dev) ?? false)) {
    ret = attachDevice(core, group.domain, dev);
  }
  if (ret !== 0) {
    group.devices.splice(group.devices.indexOf(dev), 1);
    dev.deleteData(DEV_IOMMU_GROUP);
    return ret;
  }
  if (core.era.groupNotifier) group.notifier.callChain("ADD_DEVICE", dev);
  core.trace.emit({ type: "iommu-group-add", group: group.id, device: dev.name });
  if (core.era.groupJoinLog === "dev-info") devPrintk(core.trace, "info", dev, IOMMU_C, `Adding to iommu group ${group.id}`);
  else printk(core.trace, "info", "iommu", IOMMU_C, `Adding device ${dev.name} to group ${group.id}`);
  return 0;
}

/**
 * `iommu_group_remove_device(dev)`: logs, unlinks the device, clears `dev->iommu_group`, and drops the device's
 * reference on the group (the group is released with its default domain when no member is left). It does not
 * detach the device: the driver's `release_device`/`remove_device` has done that.
 *
 * @see drivers/iommu/iommu.c iommu_group_remove_device
 */
export function iommuGroupRemoveDevice(core: IommuCore, dev: Device): void {
  const group = devGroup(dev);
  if (group === null) return;
  if (core.era.groupJoinLog === "dev-info") devPrintk(core.trace, "info", dev, IOMMU_C, `Removing from iommu group ${group.id}`);
  else printk(core.trace, "info", "iommu", IOMMU_C, `Removing device ${dev.name} from group ${group.id}`);
  if (core.era.groupNotifier) group.notifier.callChain("DEL_DEVICE", dev);
  const at = group.devices.indexOf(dev);
  if (at < 0) return;
  group.devices.splice(at, 1);
  dev.deleteData(DEV_IOMMU_GROUP);
  core.trace.emit({ type: "iommu-group-remove", group: group.id, device: dev.name });
  iommuGroupPutIfUnused(core, group);
}

/**
 * The last `iommu_group_put`: with no member left (the model counts only member references; external holders such
 * as VFIO are not modelled), `iommu_group_release` frees the id and the default domain ("Releasing group N").
 *
 * @see drivers/iommu/iommu.c iommu_group_release
 */
export function iommuGroupPutIfUnused(core: IommuCore, group: GroupImpl): void {
  if (!group.live || group.devices.length > 0) return;
  if (core.debugLines) printk(core.trace, "debug", "iommu", IOMMU_C, `Releasing group ${group.id}`);
  group.live = false;
  core.groupIda.free(group.id);
  const at = core.liveGroups.indexOf(group);
  if (at >= 0) core.liveGroups.splice(at, 1);
  if (group.defaultDomain !== null) domainFree(core, group.defaultDomain);
  group.defaultDomain = null;
  group.domain = null;
  core.trace.emit({ type: "iommu-group-release", group: group.id });
}
