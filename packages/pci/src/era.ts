/**
 * What changes in drivers/pci across the kernel generations dmasim composes. Each switch names the kernel code it
 * follows; make a variant with a spread (`{ ...PCI_ERAS["v6.1"], acsEnableAt: "dma-configure" }`).
 */

/** The PCI layer's era switches. */
export interface PciEra {
  readonly name: string;
  /**
   * Where `pci_dma_configure` runs. `"device-add"`: v4.7–v4.11, called from `pci_device_add` before
   * `pci_init_capabilities` (return value ignored; the bus has no `dma_configure`). `"probe"`: v4.12+, the driver
   * core calls it before `drv->probe` (`dma_configure(dev)` in v4.12, `bus->dma_configure` later).
   *
   * @see drivers/pci/probe.c pci_device_add (v4.7)
   * @see drivers/pci/pci-driver.c pci_dma_configure (v4.16+)
   */
  readonly dmaConfigureAt: "device-add" | "probe";
  /**
   * v5.19+: after the firmware configure succeeds, `pci_dma_configure` calls `iommu_device_use_default_domain`
   * unless the driver has `driver_managed_dma` (tearing the DMA ops down again if that fails), and the bus has
   * `dma_cleanup` = `pci_dma_cleanup`.
   *
   * @see drivers/pci/pci-driver.c pci_dma_configure, pci_dma_cleanup (6.1)
   */
  readonly deviceUseDefaultDomain: boolean;
  /**
   * Where `pci_enable_acs` runs. `"init-capabilities"`: from `pci_init_capabilities` at `pci_device_add` (v4.7 and
   * 6.1: `pci_acs_init`), so ACS is written only if `pci_request_acs()` came before the scan. `"dma-configure"`:
   * from `pci_dma_configure` after the firmware configure (the later fix for OF platforms, Sadhasivam 2025–26,
   * which no modelled generation has).
   *
   * @see drivers/pci/pci.c pci_acs_init (6.1)
   */
  readonly acsEnableAt: "init-capabilities" | "dma-configure";
  /**
   * `pci_std_enable_acs` also sets Translation Blocking (when the capability has it) for external-facing or
   * untrusted devices and with `pci=noats` (v5.8+); older kernels set SV, RR, CR and UF only.
   *
   * @see drivers/pci/pci.c pci_std_enable_acs
   */
  readonly acsTranslationBlocking: boolean;
}

/** The modelled generations. */
export type PciEraName = "v4.7" | "v4.12" | "v6.1";

/** The switches of each modelled generation. */
export const PCI_ERAS: Readonly<Record<PciEraName, PciEra>> = {
  "v4.7": { name: "v4.7", dmaConfigureAt: "device-add", deviceUseDefaultDomain: false, acsEnableAt: "init-capabilities", acsTranslationBlocking: false },
  "v4.12": { name: "v4.12", dmaConfigureAt: "probe", deviceUseDefaultDomain: false, acsEnableAt: "init-capabilities", acsTranslationBlocking: false },
  "v6.1": { name: "v6.1", dmaConfigureAt: "probe", deviceUseDefaultDomain: true, acsEnableAt: "init-capabilities", acsTranslationBlocking: true },
};
