export { PhysicalMemory, BUS_ERROR, join64 } from "./memory";
export type { PhysAddr, PhysicalMemoryPort, RamRegion } from "./memory";
export { MmioSpace } from "./mmio";
export type { MmioHandler, MmioRegion } from "./mmio";
export type { IommuTransaction, TranslateOutcome, IommuTranslateHook } from "./translate";
export { FrameAllocator } from "./frame-allocator";
export type { FrameAllocation, FrameAllocatorOptions } from "./frame-allocator";
export { validateBoard } from "./board";
export type {
  AddressRange,
  Board,
  BoardError,
  GicDesc,
  PciFunctionDesc,
  PciHostBridgeDesc,
  PciTopologyInput,
  PciWindow,
  PcieDevicePortType,
  PlatformDeviceDesc,
  RidToStreamMap,
  SmmuDesc,
} from "./board";
export { PciConfigSpace, isPowerOfTwo, pow2ceil } from "./pci-config";
export type { PciCapabilityInfo, PciConfigImage, PciConfigWidth } from "./pci-config";
export {
  PciAcs,
  PciCapId,
  PciCommand,
  PciExtCapId,
  PciHeaderType,
  PciReg,
  PciStatus,
  PcieCapReg,
  PcieType,
  formatPciName,
  pciBuildBdf,
  pciDevfn,
  pciFunc,
  pciSlot,
} from "./pci-regs";
export { PciHierarchy } from "./pci-hierarchy";
export type { PciBusNode, PciFunctionNode, PciTopologyError } from "./pci-hierarchy";
export { enumeratePciBuses } from "./pci-enumerate";
export type { BusAssignment } from "./pci-enumerate";
export { describePciFunction, pcieDevicePortTypeName } from "./pci-describe";
export { parsePciAddr, parseQemuCommandLine, parseQemuDevice, parseQemuSize, splitQemuOpts, splitShellWords } from "./qemu-cmdline";
export type { QemuCommandLine, QemuCommandLineError, QemuDeviceSpec, QemuMachineOptions } from "./qemu-cmdline";
export type { QemuDeviceError, Result } from "./qemu-device-types";
export { QEMU_PCI_DEVICE_TYPES } from "./qemu-pci-topology";
export {
  VIRT_PCIE_NAME,
  VIRT_SMMU_NAME,
  buildQemuVirtBoard,
  ofDeviceName,
  qemuVirtOptionsFromCommandLine,
} from "./qemu-virt/board";
export type { QemuVirtConfig, QemuVirtMachine, QemuVirtOptions } from "./qemu-virt/board";
export { buildQemuVirtDt } from "./qemu-virt/dt";
export type { QemuVirtDtOptions } from "./qemu-virt/dt";
export { QemuFdt, QEMU_PHANDLE_START } from "./qemu-virt/fdt-builder";
export { buildQemuVirtIort, pciBusRange, splitRidSpace } from "./qemu-virt/iort";
export type { RidRange } from "./qemu-virt/iort";
export { Interconnect } from "./interconnect";
export type {
  DmaMaster,
  DmaRequest,
  DmaResult,
  DmaRoute,
  DmaTraceEvent,
  InterconnectParts,
  MachineEvent,
  MachineTraceSink,
  MsiTraceEvent,
} from "./interconnect";
export { MsiDoorbell, GITS_TRANSLATER_OFFSET, V2M_MSI_SETSPI_NS_OFFSET } from "./msi-doorbell";
export type { MsiDoorbellWrite } from "./msi-doorbell";
export { instantiateBoard } from "./instantiate";
export type { InstantiateOptions, MachineInstance, PciConfigAccess } from "./instantiate";
export { describePciTopology } from "./pci-describe";
export { genericPciConfig, isBridgeType } from "./pci-generic";
export type { GenericPciBar, GenericPciFunctionSpec } from "./pci-generic";
