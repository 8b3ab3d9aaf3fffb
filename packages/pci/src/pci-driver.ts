/**
 * PCI drivers and the `pci` bus type: id tables with `PCI_ANY_ID` semantics, `pci_bus_match` gated by
 * `match_driver`, `pci_device_probe`/`pci_device_remove` calling the driver with the id that matched, and
 * `pci_dma_configure`/`pci_dma_cleanup` delegating to what the kernel composition injects for the era.
 *
 * @see drivers/pci/pci-driver.c
 */
import { Errno, type BusSpec, type Device, type Driver } from "@dmasim/driver-core";
import { PCI_ANY_ID } from "./constants";
import { toPciDev, type PciDev } from "./pci-dev";
import type { PciSubsystem } from "./subsystem";

/**
 * `struct pci_device_id`. `vendor`/`device` take {@link PCI_ANY_ID}; `subvendor`/`subdevice` default to it;
 * `class`/`classMask` default to 0 (class not compared).
 *
 * @see include/linux/mod_devicetable.h struct pci_device_id
 */
export interface PciDeviceId {
  readonly vendor: number;
  readonly device: number;
  readonly subvendor?: number;
  readonly subdevice?: number;
  readonly class?: number;
  readonly classMask?: number;
  /** `override_only`: matches only a device whose `driver_override` names the driver. */
  readonly overrideOnly?: boolean;
  readonly driverData?: number;
}

/**
 * `PCI_DEVICE_CLASS(class, mask)`.
 *
 * @see include/linux/pci.h PCI_DEVICE_CLASS
 */
export function pciDeviceClass(cls: number, classMask: number): PciDeviceId {
  return { vendor: PCI_ANY_ID, device: PCI_ANY_ID, class: cls, classMask };
}

/**
 * `PCI_DEVICE(vendor, device)`.
 *
 * @see include/linux/pci.h PCI_DEVICE
 */
export function pciDevice(vendor: number, device: number): PciDeviceId {
  return { vendor, device };
}

/** The id `pci_match_device` returns for a `driver_override` match with no table entry (`pci_device_id_any`). */
export const PCI_DEVICE_ID_ANY: PciDeviceId = { vendor: PCI_ANY_ID, device: PCI_ANY_ID };

/**
 * `struct pci_driver`: a driver-core driver plus an id table. `probe` gets the id that matched and returns 0, a
 * negative errno (-ENODEV/-ENXIO reject the match quietly, -EPROBE_DEFER defers), or a positive value (treated as
 * success with a warning, as `local_pci_probe` does).
 *
 * @see include/linux/pci.h struct pci_driver
 */
export interface PciDriverSpec {
  readonly name: string;
  readonly idTable: readonly PciDeviceId[];
  readonly probe?: (pdev: PciDev, id: PciDeviceId) => number;
  readonly remove?: (pdev: PciDev) => void;
  /** `driver_managed_dma`: `pci_dma_configure` skips `iommu_device_use_default_domain` (vfio-pci, pcieport). */
  readonly driverManagedDma?: boolean;
  /** `PROBE_PREFER_ASYNCHRONOUS`. */
  readonly asyncProbe?: boolean;
}

/**
 * Builds a PCI driver description (checked: a name, an id table).
 *
 * @see include/linux/pci.h struct pci_driver
 */
export function definePciDriver(spec: PciDriverSpec): PciDriverSpec {
  if (spec.name.length === 0) throw new Error("a PCI driver needs a name");
  return Object.freeze({ ...spec, idTable: Object.freeze([...spec.idTable]) });
}

/**
 * `pci_match_one_device(id, dev)`.
 *
 * @see drivers/pci/pci.h pci_match_one_device
 */
export function pciMatchOneDevice(id: PciDeviceId, pdev: PciDev): boolean {
  const any = (field: number | undefined, value: number): boolean => (field ?? PCI_ANY_ID) === PCI_ANY_ID || field === value;
  return (
    any(id.vendor, pdev.vendor) &&
    any(id.device, pdev.device) &&
    any(id.subvendor, pdev.subsystemVendor) &&
    any(id.subdevice, pdev.subsystemDevice) &&
    ((((id.class ?? 0) ^ pdev.class) & (id.classMask ?? 0)) >>> 0) === 0
  );
}

/**
 * `pci_match_id(ids, dev)`: the first entry of `ids` (from `from`) that matches, with its index.
 *
 * @see drivers/pci/pci-driver.c pci_match_id
 */
export function pciMatchId(ids: readonly PciDeviceId[], pdev: PciDev, from = 0): { id: PciDeviceId; index: number } | null {
  for (let i = from; i < ids.length; i++) {
    const id = ids[i] as PciDeviceId;
    if (pciMatchOneDevice(id, pdev)) return { id, index: i };
  }
  return null;
}

/**
 * `pci_match_device(drv, dev)`: `driver_override` first (only the named driver may match), dynamic ids, then the
 * static table (an `override_only` entry counts only with an override), and finally `pci_device_id_any` when an
 * override names the driver.
 *
 * @see drivers/pci/pci-driver.c pci_match_device
 */
export function pciMatchDevice(spec: PciDriverSpec, dynids: readonly PciDeviceId[], pdev: PciDev): PciDeviceId | null {
  if (pdev.driverOverride !== null && pdev.driverOverride !== spec.name) return null;
  const dyn = pciMatchId(dynids, pdev);
  if (dyn !== null) return dyn.id;
  for (let found = pciMatchId(spec.idTable, pdev); found !== null; found = pciMatchId(spec.idTable, pdev, found.index + 1)) {
    if (found.id.overrideOnly !== true) return found.id;
    if (pdev.driverOverride !== null) return found.id;
  }
  return pdev.driverOverride !== null ? PCI_DEVICE_ID_ANY : null;
}

/**
 * `pci_bus_match`: 0 while the device's `match_driver` is false (between `pci_device_add` and
 * `pci_bus_add_device`), else 1 when the driver's ids match.
 *
 * @see drivers/pci/pci-driver.c pci_bus_match
 */
export function pciBusMatch(sys: PciSubsystem, dev: Device, drv: Driver): number {
  const pdev = toPciDev(dev);
  if (pdev === undefined || !pdev.matchDriver) return 0;
  const entry = sys.pciDriverOf(drv);
  if (entry === undefined) return 0;
  return pciMatchDevice(entry.spec, entry.dynids, pdev) !== null ? 1 : 0;
}

/**
 * `pci_device_probe` → `__pci_device_probe` → `local_pci_probe`: finds the matching id again and calls the driver's
 * probe with it; -ENODEV when the driver has a probe but no id matches any more. Positive returns become 0 with the
 * kernel's warning.
 *
 * @see drivers/pci/pci-driver.c pci_device_probe, local_pci_probe
 */
export function pciDeviceProbe(sys: PciSubsystem, dev: Device): number {
  const pdev = toPciDev(dev);
  const drv = dev.driver;
  if (pdev === undefined || drv === null) return -Errno.ENODEV;
  const entry = sys.pciDriverOf(drv);
  if (entry?.spec.probe === undefined) return 0;
  const id = pciMatchDevice(entry.spec, entry.dynids, pdev);
  if (id === null) return -Errno.ENODEV;
  const rc = entry.spec.probe(pdev, id) | 0;
  if (rc > 0) {
    sys.warn(pdev, "drivers/pci/pci-driver.c", `Driver probe function unexpectedly returned ${rc}`);
    return 0;
  }
  return rc;
}

/** `pci_device_remove`: the driver's remove. @see drivers/pci/pci-driver.c pci_device_remove */
export function pciDeviceRemove(sys: PciSubsystem, dev: Device): void {
  const pdev = toPciDev(dev);
  const drv = dev.driver;
  if (pdev === undefined || drv === null) return;
  sys.pciDriverOf(drv)?.spec.remove?.(pdev);
}

/**
 * The `pci` bus type for `sys`: match, probe, remove, and per era `dma_configure`/`dma_cleanup`.
 *
 * @see drivers/pci/pci-driver.c pci_bus_type
 */
export function makePciBusSpec(sys: PciSubsystem): BusSpec {
  const probeTime = sys.era.dmaConfigureAt === "probe";
  return {
    name: "pci",
    match: (dev, drv) => pciBusMatch(sys, dev, drv),
    probe: (dev) => pciDeviceProbe(sys, dev),
    remove: (dev) => pciDeviceRemove(sys, dev),
    ...(probeTime ? { dmaConfigure: (dev: Device, drv: Driver) => sys.dmaConfigureAtProbe(dev, drv) } : {}),
    ...(probeTime && sys.era.deviceUseDefaultDomain ? { dmaCleanup: (dev: Device) => sys.dmaCleanup(dev) } : {}),
  };
}
