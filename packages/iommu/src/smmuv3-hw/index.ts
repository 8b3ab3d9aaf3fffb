/**
 * `@dmasim/iommu/smmuv3-hw`: a model of the Arm SMMUv3 hardware, programmed only through its MMIO registers and
 * structures in simulated memory (stream table, CDs, page tables, command and event queues). It knows nothing of
 * Linux. Default behaviour is QEMU 7.2's `arm-smmuv3`; see `SmmuV3Compat` for the deviations from the architecture
 * that can be switched off.
 */
export { createSmmuV3 } from "./smmuv3";
export type {
  SmmuV3,
  SmmuV3Options,
  SmmuV3RegisterSnapshot,
  SmmuV3QueueSnapshot,
  SmmuV3ConfigCacheEntry,
} from "./smmuv3";
export type { SmmuV3Transaction } from "./translate";
export type { SmmuV3Counters } from "./state";
export { resolveSmmuV3Config, QEMU_COMPAT, SPEC_COMPAT, OAS_ENCODING, oasBits } from "./config";
export type { SmmuV3Config, SmmuV3ConfigInput, SmmuV3Compat } from "./config";
export {
  SMMU_REG,
  SMMU_MMIO_SIZE,
  SMMU_PAGE1,
  CR0,
  CR0_ACK_MASK,
  CR2,
  GBPA,
  IRQ_CTRL,
  GERROR,
  IDR0,
  Q_OVERFLOW_FLAG,
  CERROR,
  CMDQ_CONS_ERR_SHIFT,
  SMMU_ID_REG_VALUES,
  computeIdRegisters,
  registerName,
  strtabLog2Size,
  strtabSplit,
  strtabFmt,
} from "./registers";
export type { SmmuV3IdRegisters } from "./registers";
export {
  resetQueue,
  wrapIndexMask,
  queueIndex,
  queueWrap,
  queueEmpty,
  queueFull,
  queueIncrement,
  queueSpace,
  queueBaseAddress,
  queueEntryAddress,
} from "./queues";
export type { QueueState } from "./queues";
export { decodeSte } from "./ste";
export type { DecodedSte, SteStage1, SteFeatures, SteDecodeResult, BadSte } from "./ste";
export { decodeCd } from "./cd";
export type { DecodedCd, CdTranslationTable, CdFeatures, CdDecodeResult, BadCd } from "./cd";
export { findSte, readWords } from "./stream-table";
export type { StreamTableRegs, SteLookup, SteFetch, SteLookupFault } from "./stream-table";
export { CMD_OP, commandName, decodeCommand, encodeCommand, commandTraceFields } from "./commands";
export type { SmmuCommand } from "./commands";
export { COMMAND_ENTRY_SIZE, alignedPow2Count } from "./command-queue";
export { EVENT_ENTRY_SIZE } from "./event-queue";
export { EVENT_ID, EVENT_CLASS, eventName, encodeEventRecord, decodeEventRecord, formatEventDwords } from "./events";
export type { SmmuEventName, SmmuEventRecord, DecodedEventRecord } from "./events";
export { walkStage1, selectTable, startLevel } from "./walk";
export type { WalkTable, WalkContext, WalkRules, WalkFault } from "./walk";
export { Iotlb, IOTLB_MAX_SIZE, levelShift } from "./iotlb";
export type { IotlbEntry, IotlbSpace, IotlbDropped } from "./iotlb";
export type { SmmuHwEvent, SmmuEventDisposition, SmmuTraceSink, SmmuV3Irqs } from "./trace";
