/**
 * Domains: allocation through the bus's IOMMU driver (the core fills type, page sizes, default ops and, for DMA
 * domains, the dma-iommu cookie), freeing, attach/detach, and the default domain of a group per era.
 *
 * @see drivers/iommu/iommu.c __iommu_domain_alloc, iommu_domain_free, __iommu_attach_device,
 *   iommu_alloc_default_domain, iommu_group_alloc_default_domain, iommu_get_def_domain_type
 */
import { printk, type Bus, type Device } from "@dmasim/driver-core";
import { toPciDev } from "@dmasim/pci";
import type { GroupImpl } from "./group";
import type { IommuCore } from "./iommu-core";
import { iommuDomainTypeName, iommuIsDmaType, IommuDomainType, type IommuDomain } from "./iommu-ops";

const IOMMU_C = "drivers/iommu/iommu.c";

/**
 * `__iommu_domain_alloc(bus, type)`: NULL when the bus has no IOMMU ops or the driver refuses the type; a DMA
 * domain whose cookie cannot be made is freed again.
 *
 * @see drivers/iommu/iommu.c __iommu_domain_alloc
 */
export function domainAlloc(core: IommuCore, bus: Bus | null, type: number): IommuDomain | null {
  const ops = bus === null ? undefined : core.busOps.get(bus);
  if (ops === undefined) return null;
  const domain = ops.domainAlloc(type);
  if (domain === null) {
    core.trace.emit({ type: "iommu-domain-alloc-failed", domainType: iommuDomainTypeName(type), driver: ops.name });
    return null;
  }
  domain.type = type;
  domain.id = core.nextDomainId();
  if (domain.pgsizeBitmap === 0) domain.pgsizeBitmap = ops.pgsizeBitmap;
  if (domain.ops === null) domain.ops = ops.defaultDomainOps ?? null;
  core.trace.emit({ type: "iommu-domain-alloc", domain: domain.id, domainType: iommuDomainTypeName(type), driver: ops.name });
  if (iommuIsDmaType(type) && core.hooks.dmaCookieAlloc !== undefined) {
    const cookie = core.hooks.dmaCookieAlloc(domain);
    if (cookie === null) {
      domainFree(core, domain);
      return null;
    }
    domain.iovaCookie = cookie;
  }
  return domain;
}

/**
 * `iommu_domain_free(domain)`: puts the dma-iommu cookie, then the driver frees the domain.
 *
 * @see drivers/iommu/iommu.c iommu_domain_free
 */
export function domainFree(core: IommuCore, domain: IommuDomain): void {
  if (domain.iovaCookie !== null && domain.iovaCookie !== undefined) core.hooks.dmaCookieFree?.(domain);
  domain.iovaCookie = null;
  domain.ops?.free(domain);
  core.trace.emit({ type: "iommu-domain-free", domain: domain.id });
}

/**
 * `__iommu_attach_device(domain, dev)`: -ENODEV without `attach_dev`, else the driver's result.
 *
 * @see drivers/iommu/iommu.c __iommu_attach_device
 */
export function attachDevice(core: IommuCore, domain: IommuDomain, dev: Device): number {
  const attach = domain.ops?.attachDev;
  const ret = attach === undefined ? -19 : attach(domain, dev);
  core.trace.emit({ type: "iommu-attach", domain: domain.id, device: dev.name, ret });
  return ret;
}

/**
 * `__iommu_detach_device(domain, dev)` (v4.7 … v6.1: `ops->detach_dev`).
 *
 * @see drivers/iommu/iommu.c __iommu_detach_device
 */
export function detachDevice(core: IommuCore, domain: IommuDomain, dev: Device): void {
  domain.ops?.detachDev?.(domain, dev);
  core.trace.emit({ type: "iommu-detach", domain: domain.id, device: dev.name });
}

/**
 * `iommu_get_def_domain_type(dev)` (6.1): DMA for an untrusted PCI device, else the driver's `def_domain_type`, else
 * 0 (no preference).
 *
 * @see drivers/iommu/iommu.c iommu_get_def_domain_type
 */
export function devDefDomainType(core: IommuCore, dev: Device): number {
  if (toPciDev(dev)?.untrusted === true) return IommuDomainType.DMA;
  return core.opsForDev(dev)?.defDomainType?.(dev) ?? 0;
}

/**
 * `iommu_group_alloc_default_domain(bus, group, type)`: the type, falling back to DMA with a warning; -ENOMEM when
 * nothing could be allocated. The default domain becomes the current domain if the group has none.
 *
 * @see drivers/iommu/iommu.c iommu_group_alloc_default_domain
 */
export function groupAllocDefaultDomain(core: IommuCore, bus: Bus | null, group: GroupImpl, type: number): number {
  let dom = domainAlloc(core, bus, type);
  if (dom === null && type !== IommuDomainType.DMA) {
    dom = domainAlloc(core, bus, IommuDomainType.DMA);
    if (dom !== null) {
      printk(
        core.trace,
        "warning",
        "iommu",
        IOMMU_C,
        `Failed to allocate default IOMMU domain of type ${type} for group (null) - Falling back to IOMMU_DOMAIN_DMA`,
      );
    }
  }
  if (dom === null) return -12;
  group.defaultDomain = dom;
  if (group.domain === null) group.domain = dom;
  return 0;
}

/**
 * `iommu_alloc_default_domain(group, dev)` (6.1): nothing if the group has one; else the device's required type or
 * `iommu_def_domain_type`.
 *
 * @see drivers/iommu/iommu.c iommu_alloc_default_domain
 */
export function allocDefaultDomain(core: IommuCore, group: GroupImpl, dev: Device): number {
  if (group.defaultDomain !== null) return 0;
  const type = devDefDomainType(core, dev) || core.defDomainType;
  return groupAllocDefaultDomain(core, dev.bus, group, type);
}
