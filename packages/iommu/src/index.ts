export {
  allocIoPgtable,
  IommuProt,
  IoPgtableQuirk,
  ioPgtableEras,
  makeIotlbGather,
  makeNoopIoPgtableTlbOps,
} from "./io-pgtable-arm/index";
export type {
  ArmLpaeS1Cfg,
  ArmLpaeS1Tcr,
  IommuIotlbGather,
  IommuProtFlags,
  IoPgtableAllocError,
  IoPgtableAllocErrorCode,
  IoPgtableAllocResult,
  IoPgtableCfg,
  IoPgtableDeps,
  IoPgtableEra,
  IoPgtableFormat,
  IoPgtableMapPagesResult,
  IoPgtableOps,
  IoPgtableResolvedCfg,
  IoPgtableTlbOps,
} from "./io-pgtable-arm/index";

// ---- IOMMU core (drivers/iommu/iommu.c, of_iommu.c, iort.c's iort_iommu_configure) ----------------------------

/**
 * The IOMMU driver contract: domain types (`IOMMU_DOMAIN_*`), `IommuOps` / `IommuDomainOps` (struct iommu_ops,
 * struct iommu_domain_ops), `IommuDomain`, `IommuFwspec`, `IommuDevice` (iommu_device registration), reserved
 * regions and groups, and `IommuDriverApi` (the core functions a driver calls).
 *
 * @see include/linux/iommu.h
 */
export {
  IOMMU_DOMAIN_DMA_API_BIT,
  IOMMU_DOMAIN_DMA_FQ_BIT,
  IOMMU_DOMAIN_PAGING_BIT,
  IOMMU_DOMAIN_PT_BIT,
  IOMMU_FWSPEC_PCI_RC_ATS,
  IommuDomainType,
  iommuDomainTypeName,
  iommuIsDmaType,
  MSI_IOVA_BASE,
  MSI_IOVA_LENGTH,
} from "./core/index";
export type {
  IommuDevice,
  IommuDomain,
  IommuDomainGeometry,
  IommuDomainOps,
  IommuDomainTypeName,
  IommuDomainTypeValue,
  IommuDriverApi,
  IommuFwspec,
  IommuGroup,
  IommuGroupResult,
  IommuOfXlateArgs,
  IommuOps,
  IommuProbeDeviceResult,
  IommuResvRegion,
  IommuResvType,
} from "./core/index";
/** IOMMU core era switches (`IOMMU_ERAS["v4.7" | "v4.12" | "v6.1"]`), each documented with its kernel. */
export { IOMMU_ERAS } from "./core/index";
export type {
  IommuBusNotifierReturn,
  IommuDefaultDomainPolicy,
  IommuEra,
  IommuEraName,
  IommuProbePath,
  OfIommuMissingOps,
  OfPciAliases,
} from "./core/index";
