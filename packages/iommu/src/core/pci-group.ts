/**
 * Which devices must share an IOMMU group: `pci_device_group` (DMA aliases, ACS on the path upstream,
 * multifunction slots without ACS) and `generic_device_group` (one group per device) as 6.1 has them. The answers
 * come from `@dmasim/pci`'s alias walk and ACS checks, which read the ACS control words from configuration space,
 * so whatever ACS state the kernel left there decides the grouping.
 *
 * @see drivers/iommu/iommu.c pci_device_group, get_pci_alias_or_group, get_pci_alias_group,
 *   get_pci_function_alias_group, generic_device_group, REQ_ACS_FLAGS
 */
import type { Device } from "@dmasim/driver-core";
import { PciAcs } from "@dmasim/machine";
import {
  pciAcsEnabled,
  pciAcsPathEnabled,
  pciDevsAreDmaAliases,
  pciForEachDmaAlias,
  pciIsRootBus,
  toPciDev,
  type PciDev,
} from "@dmasim/pci";
import { iommuGroupAlloc, type GroupImpl } from "./group";
import type { IommuCore } from "./iommu-core";
import type { IommuGroupResult } from "./iommu-ops";
import { devGroup } from "./state";

/**
 * `REQ_ACS_FLAGS`: Source Validation, P2P Request Redirect, P2P Completion Redirect, Upstream Forwarding.
 *
 * @see drivers/iommu/iommu.c REQ_ACS_FLAGS
 */
export const REQ_ACS_FLAGS = PciAcs.SV | PciAcs.RR | PciAcs.CR | PciAcs.UF;

/**
 * The functions `for_each_pci_dev` yields that the grouping loops below look at. Those loops skip every function
 * not on `pdev`'s own bus, so walking `pdev->bus->devices` (same insertion order: `pci_device_add` appends to both
 * lists) visits the same functions in the same order — without the kernel's whole-system scan, which would make a
 * boot of n endpoints O(n²) here.
 *
 * @see include/linux/pci.h for_each_pci_dev
 */
function sameBusPciDevs(pdev: PciDev): readonly PciDev[] {
  return pdev.bus.devices;
}

const slot = (devfn: number): number => devfn >> 3;

/**
 * `get_pci_function_alias_group(pdev, devfns)`: for a multifunction function without ACS, a group of another
 * non-isolated function of the same slot (or of its aliases).
 *
 * @see drivers/iommu/iommu.c get_pci_function_alias_group
 */
function functionAliasGroup(core: IommuCore, pdev: PciDev, seen: Set<number>): GroupImpl | null {
  if (!pdev.multifunction || pciAcsEnabled(pdev, REQ_ACS_FLAGS)) return null;
  for (const tmp of sameBusPciDevs(pdev)) {
    if (tmp === pdev || tmp.bus !== pdev.bus || slot(tmp.devfn) !== slot(pdev.devfn) || pciAcsEnabled(tmp, REQ_ACS_FLAGS)) continue;
    const group = aliasGroup(core, tmp, seen);
    if (group !== null) return group;
  }
  return null;
}

/**
 * `get_pci_alias_group(pdev, devfns)`: the group of `pdev`, or of a same-bus device it aliases or that aliases it
 * (recursively, with a visited bitmap of devfns).
 *
 * @see drivers/iommu/iommu.c get_pci_alias_group
 */
function aliasGroup(core: IommuCore, pdev: PciDev, seen: Set<number>): GroupImpl | null {
  const bit = pdev.devfn & 0xff;
  if (seen.has(bit)) return null;
  seen.add(bit);
  const own = devGroup(pdev.dev);
  if (own !== null) return own;
  for (const tmp of sameBusPciDevs(pdev)) {
    if (tmp === pdev || tmp.bus !== pdev.bus) continue;
    if (!pciDevsAreDmaAliases(pdev, tmp)) continue;
    const group = aliasGroup(core, tmp, seen) ?? functionAliasGroup(core, tmp, seen);
    if (group !== null) return group;
  }
  return null;
}

/**
 * `pci_device_group(dev)`: walk the DMA aliases (stopping at the first alias device that has a group), continue
 * upstream from the last alias while ACS is not enabled on the path (joining any group found), then look at
 * same-bus aliases and non-isolated functions of the slot; else a new group.
 *
 * @see drivers/iommu/iommu.c pci_device_group
 */
export function pciDeviceGroup(core: IommuCore, dev: Device): IommuGroupResult {
  const start = toPciDev(dev);
  if (start === undefined) return { ok: false, error: -22 };
  let last: PciDev = start;
  let found: GroupImpl | null = null;
  const stopped = pciForEachDmaAlias(start, (p) => {
    last = p;
    found = devGroup(p.dev);
    return found !== null ? 1 : 0;
  });
  if (stopped !== 0 && found !== null) return { ok: true, value: found };
  let pdev: PciDev = last;
  for (let bus = pdev.bus; !pciIsRootBus(bus); bus = bus.parent ?? bus) {
    const self = bus.self;
    if (self === null) continue;
    if (pciAcsPathEnabled(self, null, REQ_ACS_FLAGS)) break;
    pdev = self;
    const group = devGroup(pdev.dev);
    if (group !== null) return { ok: true, value: group };
  }
  const seen = new Set<number>();
  const group = aliasGroup(core, pdev, seen) ?? functionAliasGroup(core, pdev, seen);
  if (group !== null) return { ok: true, value: group };
  return { ok: true, value: iommuGroupAlloc(core) };
}

/**
 * `generic_device_group(dev)`: a new group for the device (platform masters).
 *
 * @see drivers/iommu/iommu.c generic_device_group
 */
export function genericDeviceGroup(core: IommuCore, _dev: Device): IommuGroupResult {
  return { ok: true, value: iommuGroupAlloc(core) };
}
