/**
 * DMA aliases: which requester IDs a function's DMA can carry once it reaches the root complex, as
 * `pci_for_each_dma_alias` computes them from the topology the kernel enumerated (not from the hardware's
 * routing), plus the helpers the IOMMU core's grouping uses.
 *
 * @see drivers/pci/search.c pci_for_each_dma_alias
 * @see drivers/pci/pci.c pci_add_dma_alias, pci_devs_are_dma_aliases, pci_real_dma_dev
 */
import { PcieType } from "@dmasim/machine";
import { MAX_NR_DEVFNS } from "./constants";
import { pciDevId, pciDevRid, pciIsRootBus, type PciBus, type PciDev } from "./pci-dev";

/**
 * The callback of {@link pciForEachDmaAlias}: a non-zero return stops the walk and is returned.
 *
 * @see drivers/pci/search.c pci_for_each_dma_alias
 */
export type PciDmaAliasFn = (pdev: PciDev, alias: number) => number;

/**
 * `pci_real_dma_dev(dev)`: the function whose requester ID is used for `pdev` (VMD only; identity here).
 *
 * @see drivers/pci/pci.c pci_real_dma_dev
 */
export function pciRealDmaDev(pdev: PciDev): PciDev {
  return pdev;
}

/**
 * `pci_for_each_dma_alias(pdev, fn, data)`: calls `fn` for the function's own RID, then each devfn of its
 * `dma_alias_mask` on its bus, then walks up the buses to the root bus: a PCIe root/upstream/downstream port adds
 * nothing; a PCIe-to-PCI(-X) bridge adds (its secondary bus, devfn 0) — the bridge takes ownership of the
 * transactions, PCIe-to-PCI bridge spec §2.3; a PCI-to-PCIe bridge adds its own RID; a conventional bridge adds its
 * own RID (or secondary bus/devfn 0 with `PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS`). A bridge flagged
 * `PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT` ends the walk. The last alias is what reaches the IOMMU.
 *
 * @see drivers/pci/search.c pci_for_each_dma_alias
 */
export function pciForEachDmaAlias(start: PciDev, fn: PciDmaAliasFn): number {
  const pdev = pciRealDmaDev(start);
  let ret = fn(pdev, pciDevRid(pdev));
  if (ret !== 0) return ret;
  for (const devfn of pdev.dmaAliasDevfns) {
    ret = fn(pdev, pciDevId(pdev.bus.number, devfn));
    if (ret !== 0) return ret;
  }
  for (let bus: PciBus = pdev.bus; !pciIsRootBus(bus); bus = bus.parent as PciBus) {
    const tmp = bus.self;
    if (tmp === null) continue; // a virtual bus
    if (tmp.devFlags.bridgeXlateRoot) return ret;
    if (tmp.isPcie) {
      switch (tmp.pcieTypeCode) {
        case PcieType.ROOT_PORT:
        case PcieType.UPSTREAM:
        case PcieType.DOWNSTREAM:
          continue;
        case PcieType.PCI_BRIDGE:
          ret = fn(tmp, pciDevId(subordinateNumber(tmp), 0));
          if (ret !== 0) return ret;
          continue;
        case PcieType.PCIE_BRIDGE:
          ret = fn(tmp, pciDevRid(tmp));
          if (ret !== 0) return ret;
          continue;
      }
    } else {
      ret = tmp.devFlags.pcieBridgeAlias ? fn(tmp, pciDevId(subordinateNumber(tmp), 0)) : fn(tmp, pciDevRid(tmp));
      if (ret !== 0) return ret;
    }
  }
  return ret;
}

function subordinateNumber(bridge: PciDev): number {
  if (bridge.subordinate === null) throw new Error(`bridge ${bridge.name} has no subordinate bus`);
  return bridge.subordinate.number;
}

/**
 * Every alias of `pdev` in walk order (a convenience over {@link pciForEachDmaAlias}).
 *
 * @see drivers/pci/search.c pci_for_each_dma_alias
 */
export function pciDmaAliases(pdev: PciDev): { readonly pdev: PciDev; readonly alias: number }[] {
  const out: { pdev: PciDev; alias: number }[] = [];
  pciForEachDmaAlias(pdev, (p, alias) => {
    out.push({ pdev: p, alias });
    return 0;
  });
  return out;
}

/**
 * `pci_add_dma_alias(dev, devfn_from, nr_devfns)`: marks devfns on the function's bus as aliases (quirks for
 * devices that DMA with another function's RID). Out-of-range devfns are clipped to the 256 a bus has.
 *
 * @see drivers/pci/pci.c pci_add_dma_alias
 */
export function pciAddDmaAlias(pdev: PciDev, devfnFrom: number, nrDevfns: number): void {
  const end = Math.min(devfnFrom + nrDevfns, MAX_NR_DEVFNS);
  for (let devfn = Math.max(0, devfnFrom); devfn < end; devfn++) {
    if (!pdev.dmaAliasDevfns.includes(devfn)) pdev.dmaAliasDevfns.push(devfn);
  }
  pdev.dmaAliasDevfns.sort((a, b) => a - b);
}

/**
 * `pci_devs_are_dma_aliases(dev1, dev2)`: either lists the other's devfn in its alias mask, or one is the other's
 * real DMA device.
 *
 * @see drivers/pci/pci.c pci_devs_are_dma_aliases
 */
export function pciDevsAreDmaAliases(a: PciDev, b: PciDev): boolean {
  return a.dmaAliasDevfns.includes(b.devfn) || b.dmaAliasDevfns.includes(a.devfn) || pciRealDmaDev(a) === b || pciRealDmaDev(b) === a;
}

/**
 * Whether a PCIe-to-PCI(-X) bridge sits between the function and its root bus (its DMA then aliases upstream).
 *
 * @see drivers/pci/search.c pci_for_each_dma_alias (PCI_EXP_TYPE_PCI_BRIDGE)
 */
export function pciDeviceIsBehindPcieToPciBridge(pdev: PciDev): boolean {
  for (let bus: PciBus = pdev.bus; !pciIsRootBus(bus); bus = bus.parent as PciBus) {
    const self = bus.self;
    if (self !== null && self.isPcie && self.pcieTypeCode === PcieType.PCI_BRIDGE) return true;
  }
  return false;
}

/**
 * `pci_get_slot(bus, devfn)`.
 *
 * @see drivers/pci/search.c pci_get_slot
 */
export function pciGetSlot(bus: PciBus, devfn: number): PciDev | null {
  return bus.devices.find((d) => d.devfn === devfn) ?? null;
}
