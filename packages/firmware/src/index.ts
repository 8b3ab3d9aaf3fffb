// @dmasim/firmware: firmware tables as Linux reads them. Explicit barrel; see README.md for the API by topic.

// Errors shared by every parser.
export { firmwareError, formatFirmwareError } from "./errors";
export type { FirmwareError, FirmwareErrorCode, FirmwareErrorKind, FirmwareResult } from "./errors";
export { DEFAULT_FIRMWARE_ERA } from "./era";
export type { FirmwareEra } from "./era";

// Flattened device tree: data, builders, writer, parser, readers, index.
export {
  fdtBytes,
  fdtCells,
  fdtEmpty,
  fdtNode,
  fdtNumberCells,
  fdtProp,
  fdtReg,
  fdtString,
  fdtStringList,
  fdtTree,
  fdtU64,
} from "./fdt-tree";
export type { FdtNode, FdtPropertiesInit, FdtProperty, FdtReservation, FdtTree } from "./fdt-tree";
export { FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_HEADER_SIZE, FDT_MAGIC, FDT_NOP, FDT_PROP, writeFdt } from "./fdt-write";
export type { WriteFdtOptions } from "./fdt-write";
export { parseFdt, readFdtHeader } from "./fdt-parse";
export type { FdtHeader, FdtOffsets, ParseFdtOptions } from "./fdt-parse";
export {
  cellsToNumber,
  compatibleOf,
  fdtGetProp,
  fdtHasProp,
  isAvailable,
  readCells,
  readString,
  readStringList,
  readU32,
  readU64,
} from "./fdt-read";
export type { FdtWhere } from "./fdt-read";
export { DeviceTree, OF_MAX_ADDR_CELLS, OF_ROOT_NODE_ADDR_CELLS_DEFAULT, OF_ROOT_NODE_SIZE_CELLS_DEFAULT } from "./device-tree";
export type { FdtRegEntry } from "./device-tree";

// IOMMU / DMA discovery from the device tree.
export { MAX_PHANDLE_ARGS, ofParsePhandleList } from "./of-phandle";
export type { PhandleArgs, PhandleList, PhandleListEnd } from "./of-phandle";
export { classifyIommuProvider, ofIommuMasters, ofIommuProviders, ofIommuSpecs } from "./of-iommu";
export type { IommuModel, IommuProviderClass, OfIommuMaster, OfIommuProvider, OfIommuSpec } from "./of-iommu";
export { OF_MAP_ID_ERRNO, ofMapId } from "./of-map-id";
export type { OfMapIdOptions, OfMapIdResult, OfMapName } from "./of-map-id";
export { dmaCoherent, dmaRanges, ofNextDmaParent } from "./of-dma";
export type { DmaRange, DmaRangesResult } from "./of-dma";

// ACPI IORT: model, writer, parser, Linux's ID walk.
export { IORT_HEADER_SIZE, IORT_ID_MAPPING_SIZE, IORT_ID_SINGLE_MAPPING, IORT_NODE_HEADER_SIZE, IORT_NODE_TYPE } from "./iort-model";
export type {
  IortIdMapping,
  IortInterrupt,
  IortItsGroup,
  IortMemoryAccess,
  IortNamedComponent,
  IortNode,
  IortNodeCommon,
  IortNodeLayout,
  IortNodeType,
  IortPmcg,
  IortRmr,
  IortRmrDescriptor,
  IortRootComplex,
  IortSmmu,
  IortSmmuV3,
  IortTable,
} from "./iort-model";
export { acpiChecksum, iortLayout, iortNodeDataSize, iortNodeNaturalLength, writeIort } from "./iort-write";
export { parseIort } from "./iort-parse";
export type { ParseIortOptions } from "./iort-parse";
export {
  iortFindNamedComponent,
  iortFindRootComplex,
  iortGetIdMappingIndex,
  iortIdMap,
  iortMapNamedComponent,
  iortMapPciRid,
  iortNodeGetId,
  iortNodeMapId,
  iortNodeMapPlatformId,
} from "./iort-map";
export type {
  IortFwBug,
  IortMapIdResult,
  IortMapOptions,
  IortMapStep,
  IortPciRidResult,
  IortTarget,
  IortUnmappedReason,
} from "./iort-map";
