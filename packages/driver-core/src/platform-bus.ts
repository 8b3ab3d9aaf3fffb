/**
 * The platform bus: matching by `driver_override`, OF compatible, ACPI ID, id table or name, and
 * `platform_drv_probe`'s handling of `prevent_deferred_probe`.
 *
 * @see drivers/base/platform.c platform_match, platform_drv_probe (v4.7), platform_probe (modern)
 */
import type { BusSpec } from "./bus";
import { defineDeviceData, type Device } from "./device";
import type { Driver } from "./driver";
import { Errno } from "./errno";

/** What the platform bus knows of a device (`struct platform_device` + its firmware node's IDs). */
export interface PlatformDeviceInfo {
  /** `pdev->name` (the base name, e.g. `"arm-smmu-v3"` for `arm-smmu-v3.0.auto`); default: the device name. */
  readonly name?: string;
  /** The OF node's `compatible` list, most specific first. */
  readonly compatible?: readonly string[];
  /** The ACPI companion's `_HID`/`_CID`s. */
  readonly acpiIds?: readonly string[];
  /** `pdev->driver_override`: bind only the driver of this name. */
  readonly driverOverride?: string;
}

/**
 * The platform slot of the device data area.
 *
 * @see include/linux/platform_device.h struct platform_device
 */
export const PLATFORM_DEVICE = defineDeviceData<PlatformDeviceInfo>("platform");

/**
 * Options of {@link makePlatformBus}: the DMA hooks the kernel composition supplies for the era.
 *
 * @see drivers/base/platform.c platform_dma_configure
 */
export interface PlatformBusOptions {
  /** Bus name; default `"platform"` (the same code models `amba` closely enough for ordering). */
  readonly name?: string;
  /** `platform_dma_configure` (→ `of_dma_configure`/`acpi_dma_configure`). */
  readonly dmaConfigure?: BusSpec["dmaConfigure"];
  /** `platform_dma_cleanup` (modern). */
  readonly dmaCleanup?: BusSpec["dmaCleanup"];
}

/** Whether `drv` lists `<prefix><value>` for one of `values`. */
function listsAny(drv: Driver, prefix: string, values: readonly string[] | undefined): boolean {
  if (values === undefined || values.length === 0) return false;
  for (const id of drv.spec.matchIds ?? []) {
    if (id.startsWith(prefix) && values.includes(id.slice(prefix.length))) return true;
  }
  return false;
}

/**
 * `platform_match`: `driver_override` wins outright; then an OF `compatible` match (driver ids `"of:<compat>"`),
 * an ACPI match (`"acpi:<HID>"`), the id table (`"platform:<name>"`), and only for drivers without an id table,
 * the driver name against `pdev->name`.
 *
 * @see drivers/base/platform.c platform_match
 */
export function platformMatch(dev: Device, drv: Driver): number {
  const info = dev.getData(PLATFORM_DEVICE) ?? {};
  if (info.driverOverride !== undefined) return info.driverOverride === drv.name ? 1 : 0;
  if (listsAny(drv, "of:", info.compatible)) return 1;
  if (listsAny(drv, "acpi:", info.acpiIds)) return 1;
  const pdevName = info.name ?? dev.name;
  const hasIdTable = (drv.spec.matchIds ?? []).some((id) => id.startsWith("platform:"));
  if (hasIdTable) return listsAny(drv, "platform:", [pdevName]) ? 1 : 0;
  return pdevName === drv.name ? 1 : 0;
}

/**
 * The platform probe wrapper: calls the driver's probe and maps -EPROBE_DEFER to -ENXIO when the driver has
 * `prevent_deferred_probe` ("probe deferral not supported").
 *
 * @see drivers/base/platform.c platform_drv_probe
 */
export function platformProbe(dev: Device): number {
  const drv = dev.driver;
  if (drv === null) return -Errno.ENODEV;
  const ret = drv.probe(dev);
  if (drv.preventDeferredProbe && ret === -Errno.EPROBE_DEFER) return -Errno.ENXIO;
  return ret;
}

/** `platform_remove`: calls the driver's remove. @see drivers/base/platform.c platform_remove */
export function platformRemove(dev: Device): void {
  dev.driver?.remove(dev);
}

/**
 * A platform bus type. In v4.7 the wrapper was a per-driver `probe` (`platform_drv_probe`); modern kernels put it
 * on the bus (`platform_probe`); the ordering inside `really_probe` is the same.
 *
 * @example
 * ```ts
 * const platform = core.busRegister(makePlatformBus()).value;
 * ```
 */
export function makePlatformBus(options: PlatformBusOptions = {}): BusSpec {
  return {
    name: options.name ?? "platform",
    match: platformMatch,
    probe: platformProbe,
    remove: platformRemove,
    ...(options.dmaConfigure ? { dmaConfigure: options.dmaConfigure } : {}),
    ...(options.dmaCleanup ? { dmaCleanup: options.dmaCleanup } : {}),
  };
}
