/**
 * What the IOMMU core writes to the trace. Devices are named by their kernel names, groups and domains by number,
 * IOMMU instances by their sysfs name: plain JSON, byte-stable.
 */
import type { PrintkEvent } from "@dmasim/driver-core";

/** Why the core ran a device's IOMMU probe (`add_device` or `iommu_probe_device`). */
export type IommuProbeTrigger =
  /** `iommu_bus_notifier` on BUS_NOTIFY_ADD_DEVICE. */
  | "bus-notifier"
  /** `bus_set_iommu` → `iommu_bus_init` walking the devices already on the bus. */
  | "bus-init"
  /** The replay in `of_iommu_configure` (`!device_iommu_mapped(dev)` / `!dev->iommu_group`). */
  | "of-replay"
  /** The replay in `iort_iommu_configure` / `acpi_iommu_configure_id`. */
  | "iort-replay"
  /** A direct call by a test or the kernel composition. */
  | "direct";

/** Group lifecycle and membership (drivers/iommu/iommu.c). */
export type IommuGroupEvent =
  | { readonly type: "iommu-group-alloc"; readonly group: number }
  | { readonly type: "iommu-group-add"; readonly group: number; readonly device: string }
  | { readonly type: "iommu-group-remove"; readonly group: number; readonly device: string }
  | { readonly type: "iommu-group-release"; readonly group: number }
  | {
      /** v4.7 … v5.17: a BUS_NOTIFY_* re-published on the group's notifier chain. */
      readonly type: "iommu-group-notify";
      readonly group: number;
      readonly device: string;
      readonly action: "BIND_DRIVER" | "BOUND_DRIVER" | "UNBIND_DRIVER" | "UNBOUND_DRIVER";
    }
  | {
      /** `iommu_device_use_default_domain` / `unuse` (v5.19+ DMA ownership). */
      readonly type: "iommu-group-owner";
      readonly group: number;
      readonly device: string;
      readonly op: "use" | "unuse";
      readonly ownerCnt: number;
      readonly ret: number;
    };

/** Device probe/release through the IOMMU driver. */
export type IommuProbeEvent =
  | {
      readonly type: "iommu-probe-device";
      readonly device: string;
      readonly path: "add_device" | "probe_device";
      readonly trigger: IommuProbeTrigger;
    }
  | { readonly type: "iommu-probe-device-end"; readonly device: string; readonly ret: number }
  | { readonly type: "iommu-release-device"; readonly device: string; readonly path: "remove_device" | "release_device" };

/** Firmware spec changes. */
export type IommuFwspecEvent =
  | {
      readonly type: "iommu-fwspec-init";
      readonly device: string;
      readonly fwnode: string;
      /** The ops' driver name, null for an ops-less (deferred) fwspec. */
      readonly ops: string | null;
      readonly ret: number;
    }
  | { readonly type: "iommu-fwspec-add-ids"; readonly device: string; readonly ids: readonly number[]; readonly ret: number }
  | { readonly type: "iommu-fwspec-free"; readonly device: string };

/** Domains: allocation, attach/detach, mapping, TLB maintenance. */
export type IommuDomainEvent =
  | { readonly type: "iommu-domain-alloc"; readonly domain: number; readonly domainType: string; readonly driver: string }
  | { readonly type: "iommu-domain-alloc-failed"; readonly domainType: string; readonly driver: string }
  | { readonly type: "iommu-domain-free"; readonly domain: number }
  | { readonly type: "iommu-attach"; readonly domain: number; readonly device: string; readonly ret: number }
  | { readonly type: "iommu-detach"; readonly domain: number; readonly device: string }
  | {
      readonly type: "iommu-map";
      readonly domain: number;
      readonly iova: number;
      readonly pa: number;
      readonly size: number;
      readonly prot: number;
      readonly ret: number;
    }
  | { readonly type: "iommu-unmap"; readonly domain: number; readonly iova: number; readonly size: number; readonly unmapped: number }
  | { readonly type: "iommu-iotlb-sync"; readonly domain: number; readonly start: number; readonly end: number; readonly pgsize: number }
  | { readonly type: "iommu-flush-iotlb-all"; readonly domain: number };

/** IOMMU instances, bus ops and firmware configuration. */
export type IommuSetupEvent =
  | { readonly type: "iommu-device-register"; readonly iommu: string; readonly fwnode: string | null; readonly driver: string; readonly ret: number }
  | { readonly type: "iommu-device-unregister"; readonly iommu: string }
  | { readonly type: "iommu-of-set-ops"; readonly fwnode: string; readonly driver: string }
  | { readonly type: "iommu-bus-set"; readonly bus: string; readonly driver: string; readonly ret: number }
  | {
      readonly type: "iommu-configure";
      readonly device: string;
      /** `of_iommu_configure` or `iort_iommu_configure` (`acpi_iommu_configure_id` in 6.1). */
      readonly firmware: "of" | "iort";
      /** `ops`: IOMMU ops returned; `none`: no IOMMU (NULL); `defer`: -EPROBE_DEFER. */
      readonly result: "ops" | "none" | "defer";
      /** The errno that was swallowed or returned (0 when none). */
      readonly err: number;
    }
  | { readonly type: "iommu-subsys-init"; readonly defaultDomain: string; readonly strict: boolean };

/** Everything the IOMMU core writes (besides kernel log lines), discriminated by `type`. */
export type IommuEvent = IommuGroupEvent | IommuProbeEvent | IommuFwspecEvent | IommuDomainEvent | IommuSetupEvent;

/** What the core's trace sink must accept: its events and `printk` lines. */
export type IommuTraceEvent = IommuEvent | PrintkEvent;

/** The `type` of an IOMMU core event. */
export type IommuEventType = IommuEvent["type"];

const TYPES: Readonly<Record<IommuEventType, true>> = {
  "iommu-group-alloc": true,
  "iommu-group-add": true,
  "iommu-group-remove": true,
  "iommu-group-release": true,
  "iommu-group-notify": true,
  "iommu-group-owner": true,
  "iommu-probe-device": true,
  "iommu-probe-device-end": true,
  "iommu-release-device": true,
  "iommu-fwspec-init": true,
  "iommu-fwspec-add-ids": true,
  "iommu-fwspec-free": true,
  "iommu-domain-alloc": true,
  "iommu-domain-alloc-failed": true,
  "iommu-domain-free": true,
  "iommu-attach": true,
  "iommu-detach": true,
  "iommu-map": true,
  "iommu-unmap": true,
  "iommu-iotlb-sync": true,
  "iommu-flush-iotlb-all": true,
  "iommu-device-register": true,
  "iommu-device-unregister": true,
  "iommu-of-set-ops": true,
  "iommu-bus-set": true,
  "iommu-configure": true,
  "iommu-subsys-init": true,
};

/** Whether `event` is one of the IOMMU core's. */
export function isIommuEvent<TEvent extends { readonly type: string }>(event: TEvent): event is TEvent & IommuEvent {
  return Object.prototype.hasOwnProperty.call(TYPES, event.type);
}
