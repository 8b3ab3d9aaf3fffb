export { allocIoPgtable } from "./alloc";
export { IommuProt, IoPgtableQuirk } from "./prot";
export type { IommuProtFlags } from "./prot";
export { makeIotlbGather, makeNoopIoPgtableTlbOps } from "./tlb";
export { ioPgtableEras } from "./eras";
export type {
  ArmLpaeS1Cfg,
  ArmLpaeS1Tcr,
  IommuIotlbGather,
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
} from "./types";
