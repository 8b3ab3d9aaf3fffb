/**
 * @dmasim/kernel: one kernel generation composed from the lower packages — profiles, platforms, boot through the
 * initcall levels, firmware glue, drivers, DMA outcomes and the §(d) invariant verdicts.
 */
export { PROFILES, PROFILE_NAMES, isProfileName } from "./profiles";
export type {
  KernelProfile,
  ProfileName,
  DmaConfigurePoint,
  SmmuDriverSwitches,
  KconfigSwitches,
  AcpiSwitches,
  OfSwitches,
} from "./profiles";
export { defineProfile, SWITCH_VALUES } from "./define-profile";
export type { ProfileOverrides, ProfileOverrideError } from "./define-profile";
export { platformFromQemu, platformFromQemuCommandLine, kernelCmdlineFromQemu, isPlatformError, iortSmmuNodes } from "./platform/from-qemu";
export type { QemuPlatformOptions } from "./platform/from-qemu";
export { platformFromDtb } from "./platform/from-dtb";
export type { DtbPlatformOptions } from "./platform/from-dtb";
export { platformFromIort, iortSmmuBoardName } from "./platform/from-iort";
export type { IortPlatformOptions } from "./platform/from-iort";
export type { Platform, PlatformFirmware, PlatformError, PlatformResult, PlatformMasterSpec, PciTopologySpec, UnmodelledIommu } from "./platform/types";
