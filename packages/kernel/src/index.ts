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
export { boot } from "./boot/boot";
export type { BootOptions, BootResult, BootError, ProbeFailureInjection } from "./boot/boot";
export { ReplayChooser } from "./boot/choices";
export type { ChoiceKind, ChoicePoint, Chooser, ChoiceSettings, ChoiceError, FaultBudget } from "./boot/choices";
export { explore } from "./explorer/explore";
export type { ExploreOptions, ExploreProgress, ExploreStats, Counterexample, ExploreReport } from "./explorer/types";
export type { DmasimEvent, IommuView } from "./boot/kernel";
export { Kernel } from "./boot/kernel";
export { parseCmdline, splitCmdline, kstrtobool } from "./boot/cmdline";
export type { KernelCmdline } from "./boot/cmdline";
export type { KernelEvent, KernelEventType, DmaOutcomeKind, OpsKind } from "./events";
export type { DeviceOutcome, DmaOutcome, LeakOutcome } from "./outcome";
export { computeOutcomes } from "./outcome";
export {
  checkAll,
  checkKernelInvariants,
  checkInvariant,
  isInvariantName,
  shrinkVerdict,
  shrinkViolation,
  shrinkViolations,
  shrinkUnits,
  describeRecord,
  ALL_INVARIANTS,
  DRIVER_CORE_INVARIANTS,
  KERNEL_INVARIANTS,
  DEFAULT_MAX_CHECKS,
} from "./checker/index";
export type {
  InvariantVerdict,
  CheckContext,
  CheckAllOptions,
  InvariantName,
  ShrunkVerdict,
  ShrunkViolation,
  ShrinkOptions,
  ShrinkStats,
  ShrinkVerdictOptions,
  EvidenceEvent,
} from "./checker/index";
export type { KernelInvariant } from "./checker/records";
export type {
  Scenario,
  ScenarioBoard,
  ScenarioAction,
  ScenarioDriverSpec,
  ProbeAttemptSpec,
  DmaOpSpec,
  ChildDeviceSpec,
  UntilCondition,
  DmaDirectionName,
} from "./scenarios/types";
export { scenarioFileSchema } from "./scenario/schema";
export type {
  ScenarioFile,
  ScenarioBoardFile,
  QemuVirtBoard,
  GeneratedBoard,
  ProbeFailureSpec,
  ExploreSpec,
  DeviceExpect,
  ProfileExpect,
} from "./scenario/schema";
export { loadScenario, parseScenarioText, resolveScenario, validateScenarioFile } from "./scenario/load";
export type { ScenarioSource } from "./scenario/load";
export { formatScenarioIssue, formatScenarioIssues, formatPath } from "./scenario/issues";
export type { ScenarioIssue, ScenarioResult } from "./scenario/issues";
export { builtinScenarios, builtinScenario, builtinScenarioDir } from "./scenario/builtin";
export type { BuiltinScenario, BuiltinKind } from "./scenario/builtin";
export { checkExpectations } from "./scenario/expect";
export type { ExpectMismatch } from "./scenario/expect";
export { SEED_SCENARIO, S1, S2, S3, S4, S5, S6, S7, D3_SCENARIOS, SCENARIO_ENDPOINT } from "./scenarios/catalog";
export { bootScenario, scenarioPlatform } from "./scenarios/run";
export { generatedPlatform } from "./platform/generated";
export type { GeneratedPlatformOptions } from "./platform/generated";
