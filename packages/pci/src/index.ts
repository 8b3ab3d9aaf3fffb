/**
 * @dmasim/pci: drivers/pci on the dmasim driver core — enumeration from config space (bus numbering per firmware
 * kind, multifunction, bridges), the `pci` bus type with `match_driver` gating and id tables, `pci_device_add` /
 * `pci_bus_add_device` with the era's DMA-configuration hooks, ACS (`pci_request_acs` timing, enable, the
 * `pci_acs_enabled` checks), `pci_for_each_dma_alias`, the DT and ACPI host-bridge creators, and the built-in
 * `pcieport` and `shpchp` drivers.
 */
export { PCI_ANY_ID, PciHeaderType, PciClass, PciBridgeCtl, PCI_CFG_SPACE_SIZE, PCI_CFG_SPACE_EXP_SIZE } from "./constants";
export { PciAcs, PcieType } from "@dmasim/machine";
export { PCI_ERAS } from "./era";
export type { PciEra, PciEraName } from "./era";
export { isPciEvent } from "./events";
export type {
  PciEvent,
  PciEventType,
  PciFirmwareKind,
  PciHostBridgeAddEvent,
  PciScanDeviceEvent,
  PciBusAddEvent,
  PciBusNumberEvent,
  PciAcsRequestEvent,
  PciAcsEnableEvent,
  PciDeviceAddEvent,
  PciBusAddDeviceEvent,
  PciDmaConfigureEvent,
} from "./events";
export {
  PciDev,
  PciBus,
  PciHostBridge,
  PCI_DEV,
  toPciDev,
  devIsPci,
  pciDevName,
  pciDevId,
  pciDevRid,
  pciIsRootBus,
  pciUpstreamBridge,
  pciFindHostBridge,
  pciGetHostBridgeDevice,
  pcieDownstreamPort,
  pcieTypeName,
  pciFormatName,
} from "./pci-dev";
export type { PciOps, PciDevFlags } from "./pci-dev";
export {
  pciBusReadConfig,
  pciBusWriteConfig,
  pciReadConfig,
  pciWriteConfig,
  pciBusFindCapability,
  pciFindCapability,
  pciFindExtCapability,
  pciFindNextExtCapability,
  ecamPciOps,
} from "./config";
export { PciSubsystem, registerPciBus } from "./subsystem";
export type { PciSubsystemOptions, PciHooks, PciDmaFirmware, PciFlags, PciDriverEntry, PciTraceEvent } from "./subsystem";
export {
  definePciDriver,
  pciDevice,
  pciDeviceClass,
  pciMatchOneDevice,
  pciMatchId,
  pciMatchDevice,
  pciBusMatch,
  pciDeviceProbe,
  pciDeviceRemove,
  makePciBusSpec,
  PCI_DEVICE_ID_ANY,
} from "./pci-driver";
export type { PciDeviceId, PciDriverSpec } from "./pci-driver";
export { pciAcsEnabled, pciAcsPathEnabled, pciAcsFlagsEnabled, pciAcsControl, pciEnableAcs, pciStdEnableAcs, pciAcsInit } from "./acs";
export {
  pciForEachDmaAlias,
  pciDmaAliases,
  pciRealDmaDev,
  pciAddDmaAlias,
  pciDevsAreDmaAliases,
  pciDeviceIsBehindPcieToPciBridge,
  pciGetSlot,
} from "./search";
export type { PciDmaAliasFn } from "./search";
export { pciScanDevice, pciDeviceAdd, pciScanSingleDevice, pciBusReadDevVendorId, pciCfgSpaceSize } from "./probe-device";
export { pciScanSlot, pciScanChildBus, pciScanChildBusExtend, pciScanBridgeExtend, pciAddNewBus } from "./probe-scan";
export { pciBusAddDevice, pciBusAddDevices } from "./bus-add";
export { pciStopAndRemoveBusDevice } from "./remove";
export { pciRegisterHostBridge, pciHostGenericProbe, acpiPciRootAdd } from "./host-bridge";
export type { PciBusRange, PciHostBridgeInit, PciHostGenericConfig, AcpiPciRootConfig } from "./host-bridge";
export { pciSetMaster, pciClearMaster } from "./enable";
export { formatResource, formatBusRange } from "./resource-format";
export type { ResourceKind, ResourceFlags } from "./resource-format";
export { PCIEPORT_DRIVER, PCIEPORT_ID_TABLE, pciePortdrvProbe, pciePortdrvInit } from "./drivers/pcieport";
export { SHPCHP_DRIVER, SHPCHP_ID_TABLE, SHPC_CONTROLLER, isShpcCapable, shpcProbe, shpcdInit } from "./drivers/shpchp";
export type { ShpcControllerInfo } from "./drivers/shpchp";
