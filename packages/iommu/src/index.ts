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

/**
 * The IOMMU core of one simulated kernel (`new IommuCore({ era, driverCore, trace, cmdline, kconfig, pci, hooks })`):
 * `iommu_device` registration, `bus_set_iommu` and the bus notifier per era, `iommu_probe_device` /
 * `add_device`, groups (`pci_device_group`, `generic_device_group`), default domains, reserved regions,
 * `iommu_map`/`iommu_unmap`, `of_iommu_configure`, `iort_iommu_configure`, `iort_enable_acs`, the sysfs view.
 *
 * @see drivers/iommu/iommu.c, drivers/iommu/of_iommu.c, drivers/acpi/arm64/iort.c
 */
export { IommuCore } from "./core/index";
export type { IommuCoreHooks, IommuCoreOptions, IommuGroupSysfs } from "./core/index";
/** `iommu_subsys_init`'s default domain type and TLB policy from Kconfig and the command line, per era. */
export { computeDefaults } from "./core/index";
export type { IommuCmdline, IommuDefaults, IommuKconfig } from "./core/index";
/** What `of_iommu_configure` / `iort_iommu_configure` return, and what the firmware side must provide. */
export type { IommuConfigureResult, IortIommuEnv, OfIommuEnv, SmmuDriverConfig } from "./core/index";
/** The IOMMU core's trace events (kebab-case `type`, names not references). */
export { isIommuEvent } from "./core/index";
export type {
  IommuDomainEvent,
  IommuEvent,
  IommuEventType,
  IommuFwspecEvent,
  IommuGroupEvent,
  IommuGroupNotifyAction,
  IommuProbeEvent,
  IommuProbeTrigger,
  IommuSetupEvent,
  IommuTraceEvent,
} from "./core/index";
/**
 * Helpers of the core exposed for the layers above and for tests: `REQ_ACS_FLAGS` (pci_device_group's ACS
 * requirement), reserved-region merging and sysfs formatting, `iommu_pgsize`.
 */
export { formatResvRegions, insertResvRegion, iommuAllocResvRegion, iommuPgsize, REQ_ACS_FLAGS } from "./core/index";

// ---- arm-smmu-v3 driver (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c), re-exported from its own barrel ----------

/**
 * The arm-smmu-v3 driver: `ArmSmmuV3Driver` (`arm_smmu_ops`, the platform driver, v4.7 `init`/`ofInit`), its eras,
 * the platform-device resources slot (`ARM_SMMU_V3_RESOURCES`) the firmware glue fills, the driver's state objects
 * and its trace events. It reaches the SMMU only through MMIO and RAM.
 */
export {
  ARM_SMMU_FEAT,
  ARM_SMMU_V3_ERAS,
  ARM_SMMU_V3_FILE,
  ARM_SMMU_V3_RESOURCES,
  ArmSmmuDevice,
  ArmSmmuDomain,
  ArmSmmuMaster,
  ArmSmmuV3Driver,
  buildCmd,
  CMDQ_OP,
  stepForSid,
} from "./arm-smmu-v3/index";
export type {
  ArmSmmuBuses,
  ArmSmmuCmdqEnt,
  ArmSmmuCoreApi,
  ArmSmmuCpu,
  ArmSmmuCtxDesc,
  ArmSmmuDomainStage,
  ArmSmmuFault,
  ArmSmmuFirmware,
  ArmSmmuL1Desc,
  ArmSmmuMmioPort,
  ArmSmmuQueue,
  ArmSmmuQueueCaps,
  ArmSmmuRequestIrq,
  ArmSmmuS1Cfg,
  ArmSmmuSteConfig,
  ArmSmmuStream,
  ArmSmmuStrtabCfg,
  ArmSmmuV3Context,
  ArmSmmuV3Era,
  ArmSmmuV3EraName,
  ArmSmmuV3Event,
  ArmSmmuV3EventType,
  ArmSmmuV3Options,
  ArmSmmuV3Resources,
  CmdWords,
} from "./arm-smmu-v3/index";
