/**
 * `bus_set_iommu` and the IOMMU bus notifier, per era: the notifier is registered at priority 0 when a driver sets
 * the bus's ops, then every device already on the bus is offered to the driver (`add_iommu_group` in v4.x,
 * `bus_iommu_probe` in 6.1; -ENODEV "not mine" is ignored, any other error unwinds).
 *
 * @see drivers/iommu/iommu.c bus_set_iommu, iommu_bus_init, iommu_bus_notifier, add_iommu_group,
 *   remove_iommu_group, bus_iommu_probe, probe_alloc_default_domain (v4.7, v4.12, v6.1)
 */
import {
  devPrintk,
  NOTIFY_DONE,
  NOTIFY_OK,
  type Bus,
  type BusNotifyAction,
  type Device,
  type NotifierBlock,
} from "@dmasim/driver-core";
import { attachDevice, devDefDomainType, groupAllocDefaultDomain } from "./domain";
import type { GroupImpl } from "./group";
import type { IommuCore } from "./iommu-core";
import type { IommuOps } from "./iommu-ops";
import { callAddDevice, callRemoveDevice, iommuProbeDevice, iommuReleaseDevice, probeDeviceInner } from "./probe";
import { devGroup } from "./state";

const ENODEV = -19;

/** The bus events the v4.x notifier re-publishes on the group chain. */
const GROUP_ACTIONS: Partial<Record<BusNotifyAction, "BIND_DRIVER" | "BOUND_DRIVER" | "UNBIND_DRIVER" | "UNBOUND_DRIVER">> = {
  BIND_DRIVER: "BIND_DRIVER",
  BOUND_DRIVER: "BOUND_DRIVER",
  UNBIND_DRIVER: "UNBIND_DRIVER",
  UNBOUND_DRIVER: "UNBOUND_DRIVER",
};

/**
 * `iommu_bus_notifier`. 6.1: ADD_DEVICE → `iommu_probe_device` (NOTIFY_DONE on error, else NOTIFY_OK),
 * REMOVED_DEVICE → `iommu_release_device`. v4.x: ADD_DEVICE → `ops->add_device` (v4.7 returns its raw errno — a
 * negative int has 0x8000 set and stops the chain; v4.12 maps it to NOTIFY_DONE/OK), REMOVED_DEVICE →
 * `ops->remove_device` if grouped; BIND/BOUND/UNBIND/UNBOUND re-published on the group chain; DRIVER_NOT_BOUND and
 * DEL_DEVICE not forwarded.
 *
 * @see drivers/iommu/iommu.c iommu_bus_notifier
 */
export function makeIommuBusNotifier(core: IommuCore): NotifierBlock<BusNotifyAction, Device> {
  return {
    name: "iommu_bus_notifier",
    priority: 0,
    notifierCall(action, dev) {
      if (core.era.probePath === "probe_device") {
        if (action === "ADD_DEVICE") return iommuProbeDevice(core, dev, "bus-notifier") !== 0 ? NOTIFY_DONE : NOTIFY_OK;
        if (action === "REMOVED_DEVICE") {
          iommuReleaseDevice(core, dev);
          return NOTIFY_OK;
        }
        return 0;
      }
      const ops = dev.bus === null ? undefined : core.busOps.get(dev.bus);
      if (action === "ADD_DEVICE" && ops?.addDevice !== undefined) {
        const ret = callAddDevice(core, dev, "bus-notifier");
        if (core.era.busNotifierReturn === "raw-errno") return ret;
        return ret !== 0 ? NOTIFY_DONE : NOTIFY_OK;
      }
      if (action === "REMOVED_DEVICE" && ops?.removeDevice !== undefined && devGroup(dev) !== null) {
        callRemoveDevice(core, dev);
        return 0;
      }
      const group = devGroup(dev);
      const groupAction = GROUP_ACTIONS[action];
      if (group === null || groupAction === undefined || !core.era.groupNotifier) return 0;
      core.trace.emit({ type: "iommu-group-notify", group: group.id, device: dev.name, action: groupAction });
      group.notifier.callChain(groupAction, dev);
      return 0;
    },
  };
}

/**
 * `probe_alloc_default_domain(bus, group)` (6.1): the type the group's devices require (conflicts warn and fall
 * back), else `iommu_def_domain_type`.
 *
 * @see drivers/iommu/iommu.c probe_alloc_default_domain, probe_get_default_domain_type
 */
function probeAllocDefaultDomain(core: IommuCore, bus: Bus, group: GroupImpl): void {
  let chosen: { dev: Device; type: number } | null = null;
  let type = 0;
  for (const dev of group.devices) {
    const t = devDefDomainType(core, dev);
    if (t === 0) continue;
    if (chosen !== null && type !== 0 && type !== t) {
      devPrintk(core.trace, "warning", dev, "drivers/iommu/iommu.c", `Device needs domain type ${t}, but device ${chosen.dev.name} in the same iommu group requires type ${chosen.type} - using default`);
      type = 0;
    }
    if (chosen === null) {
      chosen = { dev, type: t };
      type = t;
    }
  }
  groupAllocDefaultDomain(core, bus, group, type || core.defDomainType);
}

/**
 * `bus_iommu_probe(bus)` (6.1): `__iommu_probe_device` for every device (-ENODEV ignored, another error stops),
 * then per new group: default domain, direct mappings, attach every member, `probe_finalize`.
 *
 * @see drivers/iommu/iommu.c bus_iommu_probe
 */
function busIommuProbe(core: IommuCore, bus: Bus): number {
  const groups: GroupImpl[] = [];
  for (const dev of [...bus.devices]) {
    if (devGroup(dev) !== null) continue;
    core.trace.emit({ type: "iommu-probe-device", device: dev.name, path: "probe_device", trigger: "bus-init" });
    let ret = probeDeviceInner(core, dev, groups);
    core.trace.emit({ type: "iommu-probe-device-end", device: dev.name, ret });
    if (ret === ENODEV) ret = 0;
    if (ret !== 0) return ret;
  }
  for (const group of groups) {
    probeAllocDefaultDomain(core, bus, group);
    const domain = group.defaultDomain;
    if (domain === null) continue;
    for (const dev of group.devices) core.createDirectMappings(group, dev);
    for (const dev of group.devices) {
      if (core.opsForDev(dev)?.isAttachDeferred?.(dev) === true) continue;
      const ret = attachDevice(core, domain, dev);
      if (ret !== 0) return ret;
    }
    for (const dev of group.devices) core.opsForDev(dev)?.probeFinalize?.(dev);
  }
  return 0;
}

/**
 * `iommu_bus_init(bus, ops)`: registers the notifier (priority 0), offers the bus's devices to the driver, and on
 * failure removes what was added and unregisters.
 *
 * @see drivers/iommu/iommu.c iommu_bus_init
 */
function iommuBusInit(core: IommuCore, bus: Bus, ops: IommuOps): number {
  const unregister = core.driverCore.busRegisterNotifier(bus, makeIommuBusNotifier(core));
  let err = 0;
  if (core.era.probePath === "probe_device") err = busIommuProbe(core, bus);
  else if (ops.addDevice !== undefined) {
    for (const dev of [...bus.devices]) {
      let ret = callAddDevice(core, dev, "bus-init");
      if (ret === ENODEV) ret = 0;
      if (ret !== 0) {
        err = ret;
        break;
      }
    }
  }
  if (err === 0) return 0;
  for (const dev of [...bus.devices]) {
    if (core.era.probePath === "probe_device") iommuReleaseDevice(core, dev);
    else callRemoveDevice(core, dev);
  }
  unregister();
  return err;
}

/**
 * `bus_set_iommu(bus, ops)`: -EBUSY if the bus already has ops; else sets them and runs `iommu_bus_init` (clearing
 * the ops again on failure). 6.1 accepts NULL ops to clear them.
 *
 * @see drivers/iommu/iommu.c bus_set_iommu
 */
export function busSetIommu(core: IommuCore, bus: Bus, ops: IommuOps | null): number {
  if (ops === null) {
    core.busOps.delete(bus);
    return 0;
  }
  let ret: number;
  if (core.busOps.has(bus)) ret = -16;
  else {
    core.busOps.set(bus, ops);
    ret = iommuBusInit(core, bus, ops);
    if (ret !== 0) core.busOps.delete(bus);
  }
  core.trace.emit({ type: "iommu-bus-set", bus: bus.name, driver: ops.name, ret });
  return ret;
}
