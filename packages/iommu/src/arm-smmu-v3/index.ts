/**
 * The arm-smmu-v3 driver (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c): it reaches the SMMU only through MMIO and
 * structures in simulated RAM. The package barrel re-exports what compositions need from here.
 */
export { ArmSmmuV3Driver } from "./driver";
export { ARM_SMMU_V3_ERAS } from "./era";
export type { ArmSmmuV3Era, ArmSmmuV3EraName, ArmSmmuQueueCaps } from "./era";
export { ARM_SMMU_V3_RESOURCES } from "./probe";
export type { ArmSmmuV3Resources, ArmSmmuFirmware } from "./probe";
export type { ArmSmmuRequestIrq } from "./reset";
export { ARM_SMMU_V3_FILE } from "./context";
export type {
  ArmSmmuV3Options,
  ArmSmmuV3Context,
  ArmSmmuCoreApi,
  ArmSmmuFault,
  ArmSmmuMmioPort,
  ArmSmmuBuses,
  ArmSmmuCpu,
} from "./context";
export type { ArmSmmuV3Event, ArmSmmuV3EventType, ArmSmmuSteConfig } from "./events";
export { ArmSmmuDevice, ArmSmmuMaster } from "./device";
export type { ArmSmmuQueue, ArmSmmuStrtabCfg, ArmSmmuL1Desc, ArmSmmuStream } from "./device";
export { ArmSmmuDomain } from "./domain";
export type { ArmSmmuDomainStage, ArmSmmuS1Cfg, ArmSmmuCtxDesc } from "./domain";
export { ARM_SMMU_FEAT } from "./regs";
export { buildCmd, CMDQ_OP } from "./cmd";
export type { ArmSmmuCmdqEnt, CmdWords } from "./cmd";
export { stepForSid } from "./ste";
