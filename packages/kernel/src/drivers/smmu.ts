/**
 * The arm-smmu-v3 driver as each generation registers it: v4.7 `subsys_initcall(arm_smmu_init)` (platform driver +
 * `bus_set_iommu` from the initcall; with the seed tree's generic bindings and IORT RFC, ops known to firmware code
 * from `of_iommu_init` / IORT init), v4.12 and 6.1 `module_platform_driver` (device_initcall; `iommu_device_register`
 * and the bus ops inside the probe).
 */
import type { IortSmmuDevice } from "../firmware-glue/acpi";

/** The composition's handle on the SMMU driver. */
export interface SmmuDriverGlue {
  /** The initcall: registers the platform driver (and, v4.7, sets the bus ops). */
  register(): number;
  /** v4.7 `of_iommu_init`: `IOMMU_OF_DECLARE` init functions set the ops of each SMMU node of the DT. */
  ofIommuInit(): void;
  /** IORT init met an SMMUv3 node (the RFC registered its ops there). */
  iortSmmuFound(smmu: IortSmmuDevice): void;
}
