/**
 * `pci_alloc_irq_vectors` / `pci_free_irq_vectors` as this package's PCI drivers call them. The vectors come from the
 * device's MSI irq domain (`dev->msi.domain`, set by `pci_set_msi_domain` in `pci_device_add`): the GIC's ITS or
 * GICv2m, whose allocation composes the message and maps the doorbell through the IOMMU (`iommu_dma_prepare_msi`).
 * Those live above this package, so the composition puts them in the device's {@link PCI_MSI_DOMAIN} slot; a device
 * without one has no MSI (as an arm64 kernel without an MSI domain) and gets INTx when the caller allows it.
 *
 * The slot is a well-known one (`Symbol.for`): the layer that provides the domain declares the same key, as a
 * kernel's irqchip code and PCI core share `struct dev_msi_info` without one including the other.
 *
 * @see drivers/pci/msi/api.c pci_alloc_irq_vectors, pci_alloc_irq_vectors_affinity, pci_free_irq_vectors
 * @see include/linux/device.h struct dev_msi_info
 */
import { Errno, type DeviceDataKey } from "@dmasim/driver-core";
import { PciReg } from "@dmasim/machine";
import { pciReadConfig } from "../config";
import type { PciDev } from "../pci-dev";

/** `PCI_IRQ_LEGACY` / `PCI_IRQ_MSI` / `PCI_IRQ_MSIX` flags of `pci_alloc_irq_vectors`. */
export const PciIrq = { LEGACY: 1, MSI: 2, MSIX: 4, ALL_TYPES: 7 } as const;

/**
 * What `pci_alloc_irq_vectors` reaches through `dev->msi.domain`: MSI-X then MSI (each as `__pci_enable_msix_range` /
 * `__pci_enable_msi_range` decide from the capability), composing each vector's message in the irq domain.
 */
export interface PciMsiDomain {
  /** Allocates between `min` and `max` MSI-X or MSI vectors (per `flags`): the count, or a negative errno. */
  readonly allocIrqVectors: (pdev: PciDev, min: number, max: number, flags: number) => number;
  /** Frees the function's vectors (the doorbell page stays mapped in its domain, as iommu-dma keeps it). */
  readonly freeIrqVectors: (pdev: PciDev) => void;
}

/** `dev->msi.domain`, as a well-known device-data slot (see the file comment). */
export const PCI_MSI_DOMAIN: DeviceDataKey<PciMsiDomain> = { name: "msi-domain", id: Symbol.for("@dmasim/dev.msi.domain") };

/**
 * `pci_alloc_irq_vectors(dev, min, max, flags)`: MSI-X/MSI through the device's MSI domain, then (with
 * `PCI_IRQ_LEGACY`, `min == 1` and an interrupt pin) the INTx line. Returns the vector count or a negative errno
 * (-ENOSPC when nothing fits).
 *
 * @see drivers/pci/msi/api.c pci_alloc_irq_vectors_affinity
 */
export function pciAllocIrqVectors(pdev: PciDev, min: number, max: number, flags: number): number {
  let nvecs = -Errno.ENOSPC;
  const domain = pdev.dev.getData(PCI_MSI_DOMAIN);
  if (domain !== undefined && (flags & (PciIrq.MSI | PciIrq.MSIX)) !== 0) {
    nvecs = domain.allocIrqVectors(pdev, min, max, flags);
    if (nvecs > 0) return nvecs;
  }
  if ((flags & PciIrq.LEGACY) !== 0 && min === 1 && pciReadConfig(pdev, PciReg.INTERRUPT_PIN, 1) !== 0) return 1;
  return nvecs;
}

/** `pci_free_irq_vectors(dev)`. */
export function pciFreeIrqVectors(pdev: PciDev): void {
  pdev.dev.getData(PCI_MSI_DOMAIN)?.freeIrqVectors(pdev);
}
