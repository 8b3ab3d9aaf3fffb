/**
 * Boards as data: the memory map, the interrupt controller (only what MSI delivery needs), SMMU instances, PCI host
 * bridges with their requester-ID → StreamID wiring, PCI functions with their configuration space, and platform
 * devices with their DT names and StreamIDs. A board description is plain data; `instantiateBoard` turns it into
 * live memory, MMIO, PCI config access and an interconnect.
 */
import type { PhysAddr, RamRegion } from "./memory";
import type { PciCapabilityInfo, PciConfigImage } from "./pci-config";

/** An address range. */
export interface AddressRange {
  readonly base: PhysAddr;
  readonly size: number;
}

/** An SMMU instance. */
export interface SmmuDesc {
  /** Unique on the board; the DT node name for DT boards (`smmuv3@9050000`). */
  readonly name: string;
  readonly model: "smmu-v3";
  readonly base: PhysAddr;
  readonly size: number;
  /** StreamID width the SMMU implements (`SMMU_IDR1.SIDSIZE`). */
  readonly sidBits: number;
  /** Wired interrupts as GIC SPI numbers (DT numbering; the GSIV is SPI + 32). */
  readonly irqs: { readonly eventq: number; readonly priq: number; readonly cmdqSync: number; readonly gerror: number };
  /** Whether the SMMU's own table walks and queue accesses are cache coherent. */
  readonly dmaCoherent: boolean;
}

/** The interrupt controller: its frames and, for MSIs, the ITS or the GICv2m frame. */
export interface GicDesc {
  readonly version: 2 | 3;
  readonly distributor: AddressRange;
  /** GICv2 CPU interface. */
  readonly cpuInterface?: AddressRange;
  /** GICv3 redistributor region. */
  readonly redistributor?: AddressRange;
  /** GICv3 ITS (its `GITS_TRANSLATER` is at +0x10040). */
  readonly its?: AddressRange;
  /** GICv2m MSI frame (its `MSI_SETSPI_NS` is at +0x40) and the SPIs it signals. */
  readonly v2m?: AddressRange & { readonly spiBase: number; readonly spiCount: number };
}

/** Hardware wiring of a range of requester IDs to an SMMU's StreamIDs (`sid = rid - ridBase + sidBase`). */
export interface RidToStreamMap {
  readonly ridBase: number;
  readonly count: number;
  readonly smmu: string;
  readonly sidBase: number;
}

/** A window of a PCI host bridge: CPU addresses mapping onto PCI bus addresses. */
export interface PciWindow {
  readonly kind: "io" | "mem32" | "mem64";
  readonly cpuBase: PhysAddr;
  readonly pciBase: number;
  readonly size: number;
}

/** A PCI host bridge (root complex). */
export interface PciHostBridgeDesc {
  /** DT node name (`pcie@10000000`). */
  readonly name: string;
  readonly segment: number;
  readonly ecam: AddressRange;
  readonly busRange: { readonly first: number; readonly last: number };
  readonly windows: readonly PciWindow[];
  /** Requester IDs that reach an SMMU, and how; RIDs not covered reach memory untranslated. */
  readonly iommuMap: readonly RidToStreamMap[];
  /**
   * Who programs bridge bus numbers before the OS runs: `"firmware"` (UEFI enumerates PCI, as EDK2 does before it
   * builds ACPI tables) or `"os"` (bridges come out of reset with bus numbers 0 and the kernel assigns them).
   */
  readonly busNumbering: "firmware" | "os";
  readonly dmaCoherent: boolean;
}

/**
 * PCI Express Device/Port Type of a function's PCIe capability.
 *
 * @see include/uapi/linux/pci_regs.h PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_PCI_BRIDGE
 */
export type PcieDevicePortType =
  | "endpoint"
  | "legacy-endpoint"
  | "root-port"
  | "upstream-port"
  | "downstream-port"
  | "pcie-to-pci-bridge"
  | "pci-to-pcie-bridge"
  | "rc-integrated-endpoint"
  | "rc-event-collector";

/** The fields a PCI topology is built from (a subset of {@link PciFunctionDesc}). */
export interface PciTopologyInput {
  /** Unique on the board. */
  readonly id: string;
  readonly segment: number;
  /** `id` of the bridge on whose secondary bus the function sits; `null` for the root bus. */
  readonly upstream: string | null;
  readonly devfn: number;
  /** Configuration space at reset. */
  readonly config: PciConfigImage;
  /** For bridges: whether the secondary bus is PCI Express (a root port's) or conventional (a PCIe-to-PCI bridge's). */
  readonly bridge: { readonly secondaryExpress: boolean } | null;
  /**
   * Which address space the device's own (non-MSI) DMA uses. `"bus-master"` (default): the PCI bus-master address
   * space, through the IOMMU in front of the root complex. `"memory"`: guest-physical memory directly, bypassing the
   * IOMMU — what QEMU's virtio devices do unless `iommu_platform=on` (their MSI-X writes still go through the IOMMU).
   *
   * @see hw/virtio/virtio-bus.c virtio_bus_device_plugged (QEMU: `vdev->dma_as = has_iommu ? ... : &address_space_memory`)
   */
  readonly dmaAddressSpace?: "bus-master" | "memory";
}

/** A PCI function. Summary fields are read from `config`; bus numbers are those firmware enumeration assigns. */
export interface PciFunctionDesc extends PciTopologyInput {
  /** Device model (the QEMU `-device` driver for QEMU boards). */
  readonly model: string;
  /** Bus number depth-first enumeration gives the function (the same whether firmware or Linux numbers buses). */
  readonly bus: number;
  /** Kernel name with those bus numbers (`0000:03:01.0`). */
  readonly name: string;
  readonly vendorId: number;
  readonly deviceId: number;
  readonly revision: number;
  readonly classCode: number;
  readonly headerType: number;
  readonly multifunction: boolean;
  readonly express: PcieDevicePortType | null;
  /** ACS extended capability: offset and capability bits; `null` when absent. */
  readonly acs: { readonly offset: number; readonly capabilities: number } | null;
  readonly capabilities: readonly PciCapabilityInfo[];
  readonly bridge: {
    readonly secondaryExpress: boolean;
    readonly secondaryBus: number;
    readonly subordinateBus: number;
  } | null;
}

/** A device the DT (or ACPI namespace) describes directly. */
export interface PlatformDeviceDesc {
  /** The kernel's device name (`9000000.pl011`, `9050000.smmuv3`, `4010000000.pcie`). */
  readonly name: string;
  /** Full DT node name (`pl011@9000000`). */
  readonly dtNode: string;
  readonly compatible: readonly string[];
  readonly reg: readonly AddressRange[];
  /** The SMMU in front of the device and its StreamIDs; `null` when it masters memory directly (or not at all). */
  readonly iommu: { readonly smmu: string; readonly streamIds: readonly number[] } | null;
  readonly dmaCoherent: boolean;
}

/** A whole board. */
export interface Board {
  readonly name: string;
  readonly memory: readonly RamRegion[];
  readonly gic: GicDesc;
  readonly smmus: readonly SmmuDesc[];
  readonly pciHostBridges: readonly PciHostBridgeDesc[];
  readonly pciFunctions: readonly PciFunctionDesc[];
  readonly platformDevices: readonly PlatformDeviceDesc[];
}

/** A problem `validateBoard` found. */
export interface BoardError {
  readonly field: string;
  readonly message: string;
}

/** Checks cross-references and overlaps of a board description. */
export function validateBoard(board: Board): BoardError[] {
  const errors: BoardError[] = [];
  const smmus = new Set(board.smmus.map((s) => s.name));
  board.pciHostBridges.forEach((hb, i) =>
    hb.iommuMap.forEach((m, j) => {
      if (!smmus.has(m.smmu)) errors.push({ field: `pciHostBridges[${i}].iommuMap[${j}].smmu`, message: `no SMMU named ${m.smmu}` });
    }),
  );
  board.platformDevices.forEach((d, i) => {
    if (d.iommu !== null && !smmus.has(d.iommu.smmu)) {
      errors.push({ field: `platformDevices[${i}].iommu.smmu`, message: `no SMMU named ${d.iommu.smmu}` });
    }
  });
  const ids = new Map<string, PciFunctionDesc>();
  board.pciFunctions.forEach((f, i) => {
    if (ids.has(f.id)) errors.push({ field: `pciFunctions[${i}].id`, message: `duplicate id ${f.id}` });
    ids.set(f.id, f);
  });
  board.pciFunctions.forEach((f, i) => {
    if (f.upstream !== null && ids.get(f.upstream)?.bridge == null) {
      errors.push({ field: `pciFunctions[${i}].upstream`, message: `${f.upstream} is not a bridge on this board` });
    }
    if (!board.pciHostBridges.some((hb) => hb.segment === f.segment)) {
      errors.push({ field: `pciFunctions[${i}].segment`, message: `no host bridge for segment ${f.segment}` });
    }
  });
  const ranges: { field: string; base: number; size: number }[] = [
    ...board.memory.map((r, i) => ({ field: `memory[${i}]`, base: r.base, size: r.size })),
    ...board.smmus.map((s, i) => ({ field: `smmus[${i}]`, base: s.base, size: s.size })),
    ...board.pciHostBridges.map((h, i) => ({ field: `pciHostBridges[${i}].ecam`, base: h.ecam.base, size: h.ecam.size })),
  ].sort((a, b) => a.base - b.base);
  for (let i = 1; i < ranges.length; i++) {
    const a = ranges[i - 1];
    const b = ranges[i];
    if (a !== undefined && b !== undefined && b.base < a.base + a.size) {
      errors.push({ field: b.field, message: `overlaps ${a.field}` });
    }
  }
  return errors;
}
