/** The IOMMU core's internal barrel (the package barrel `src/index.ts` re-exports from here). */
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
} from "./iommu-ops";
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
} from "./iommu-ops";
export { IOMMU_ERAS } from "./era";
export type {
  IommuBusNotifierReturn,
  IommuDefaultDomainPolicy,
  IommuEra,
  IommuEraName,
  IommuProbePath,
  OfIommuMissingOps,
  OfPciAliases,
} from "./era";
export { IommuCore } from "./iommu-core";
export type { IommuCoreHooks, IommuCoreOptions } from "./options";
export type { IommuGroupSysfs } from "./sysfs";
export { computeDefaults } from "./defaults";
export type { IommuCmdline, IommuDefaults, IommuKconfig } from "./defaults";
export type { IommuConfigureResult } from "./configure-result";
export type { OfIommuEnv } from "./of-iommu";
export type { IortIommuEnv, SmmuDriverConfig } from "./iort-iommu";
export { isIommuEvent } from "./events";
export type {
  IommuDomainEvent,
  IommuEvent,
  IommuEventType,
  IommuFwspecEvent,
  IommuGroupEvent,
  IommuProbeEvent,
  IommuProbeTrigger,
  IommuSetupEvent,
  IommuTraceEvent,
} from "./events";
export { REQ_ACS_FLAGS } from "./pci-group";
export { formatResvRegions, iommuAllocResvRegion, insertResvRegion } from "./resv";
export { iommuPgsize } from "./map";
export type { IommuGroupNotifyAction } from "./group";
