/**
 * What `of_iommu_configure` / `iort_iommu_configure` hand the DMA layer (`of_dma_configure` /
 * `acpi_dma_configure`): the IOMMU ops the device sits behind (null: no IOMMU, the device proceeds with direct DMA
 * ops), or -EPROBE_DEFER (the caller fails `dma_configure` and the probe defers).
 *
 * @see drivers/of/device.c of_dma_configure_id
 * @see drivers/acpi/scan.c acpi_dma_configure_id
 */
import type { IommuOps } from "./iommu-ops";

/**
 * The result of a firmware IOMMU configuration.
 *
 * @see drivers/iommu/of_iommu.c of_iommu_configure
 */
export type IommuConfigureResult =
  | { readonly ok: true; readonly ops: IommuOps | null }
  | { readonly ok: false; readonly errno: number };

/** `-EPROBE_DEFER`. */
export const EPROBE_DEFER = -517;
/** `NO_IOMMU` (of_iommu.c): a positive "no IOMMU, not an error". */
export const NO_IOMMU = 1;
