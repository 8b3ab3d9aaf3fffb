/**
 * The IORT QEMU 7.2 builds for the `virt` machine — regenerated when the firmware reads the ACPI tables, i.e. after
 * UEFI has numbered the PCI buses: an ITS group (present even with GICv2), the SMMUv3 node mapping every StreamID to
 * the ITS, and the root complex whose RIDs of the buses firmware enumerated go to the SMMU and the rest straight to
 * the ITS. Like QEMU before the 2024 fix, the ID count is written as the number of IDs (0x100 per bus), not minus
 * one, so the SMMU range overlaps the next one by one ID.
 *
 * @see hw/arm/virt-acpi-build.c build_iort, iort_host_bridges, build_iort_id_mapping (QEMU 7.2);
 *      hw/pci/pci.c pci_bus_range
 */
import type { IortIdMapping, IortNode, IortTable } from "@dmasim/firmware";
import { PciReg } from "../pci-regs";
import { PciHierarchy } from "../pci-hierarchy";
import { enumeratePciBuses } from "../pci-enumerate";
import { ARM_SPI_BASE } from "./memmap";
import type { QemuVirtMachine } from "./board";

/**
 * A range of requester IDs (`AcpiIortIdMapping` before it is written).
 *
 * @see hw/arm/virt-acpi-build.c AcpiIortIdMapping
 */
export interface RidRange {
  readonly inputBase: number;
  readonly idCount: number;
}

/**
 * The buses behind a root bus as QEMU sees them now: from the root bus number to the highest subordinate bus
 * number programmed into a bridge on the root bus.
 * @see hw/pci/pci.c pci_bus_range
 */
export function pciBusRange(pci: PciHierarchy): { readonly min: number; readonly max: number } {
  let min = pci.busNumber(pci.root);
  let max = min;
  for (const fn of pci.root.slots) {
    if (fn?.secondary == null) continue;
    min = Math.min(min, fn.config.get8(PciReg.SECONDARY_BUS));
    max = Math.max(max, fn.config.get8(PciReg.SUBORDINATE_BUS));
  }
  return { min, max };
}

/**
 * Splits the 16-bit RID space into the ranges that go through the SMMU (one per host bridge, `(max - min + 1) << 8`
 * IDs from `min << 8`) and the gaps, which go straight to the ITS.
 * @see hw/arm/virt-acpi-build.c build_iort (the `next_range` loop)
 */
export function splitRidSpace(smmuRanges: readonly RidRange[]): { readonly smmu: RidRange[]; readonly its: RidRange[] } {
  const smmu = [...smmuRanges].sort((a, b) => a.inputBase - b.inputBase);
  const its: RidRange[] = [];
  let next = 0;
  for (const r of smmu) {
    if (next < r.inputBase) its.push({ inputBase: next, idCount: r.inputBase - next });
    next = r.inputBase + r.idCount;
  }
  if (next < 0xffff) its.push({ inputBase: next, idCount: 0xffff - next });
  return { smmu, its };
}

/**
 * Builds the IORT. `pci` is the PCI hierarchy as the firmware left it (per host bridge); by default the board's
 * functions are instantiated and numbered the way firmware does before the tables are built.
 *
 * @see hw/arm/virt-acpi-build.c build_iort
 */
export function buildQemuVirtIort(machine: QemuVirtMachine, pci?: readonly PciHierarchy[]): IortTable {
  const { board } = machine;
  const hierarchies = pci ?? firmwareEnumerated(machine);
  const smmu = board.smmus[0];
  const nodes: IortNode[] = [];
  const mapping = (r: RidRange, outputReference: number): IortIdMapping => ({
    inputBase: r.inputBase,
    idCount: r.idCount,
    outputBase: r.inputBase,
    outputReference,
    flags: 0,
  });
  let id = 0;
  nodes.push({ type: "its-group", revision: 1, identifier: id++, idMappings: [], itsIds: [0] });
  let rcMappings: IortIdMapping[];
  if (machine.config.iommu === "smmuv3" && smmu !== undefined) {
    const ranges = hierarchies.map((h) => {
      const { min, max } = pciBusRange(h);
      return { inputBase: min << 8, idCount: (max - min + 1) << 8 };
    });
    const split = splitRidSpace(ranges);
    const gsiv = smmu.irqs.eventq + ARM_SPI_BASE;
    nodes.push({
      type: "smmu-v3",
      revision: 4,
      identifier: id++,
      idMappings: [mapping({ inputBase: 0, idCount: 0xffff }, 0)],
      baseAddress: smmu.base,
      flags: 1, // COHACC override
      vatosAddress: 0,
      model: 0,
      eventGsiv: gsiv,
      priGsiv: gsiv + 1,
      gerrGsiv: gsiv + 3,
      syncGsiv: gsiv + 2,
      proximityDomain: 0,
      deviceIdMappingIndex: 0,
    });
    rcMappings = [...split.smmu.map((r) => mapping(r, 1)), ...split.its.map((r) => mapping(r, 0))];
  } else {
    rcMappings = [mapping({ inputBase: 0, idCount: 0xffff }, 0)];
  }
  nodes.push({
    type: "root-complex",
    revision: 3,
    identifier: id++,
    idMappings: rcMappings,
    memoryAccess: { cacheCoherency: 1, hints: 0, memoryFlags: 0x3 },
    atsAttribute: 0,
    pciSegment: 0,
    memoryAddressLimit: 64,
  });
  return {
    revision: 3,
    oemId: "BOCHS ",
    oemTableId: "BXPC    ",
    oemRevision: 1,
    creatorId: "BXPC",
    creatorRevision: 1,
    nodes,
  };
}

/** The board's PCI hierarchies after firmware bus enumeration (what EDK2 leaves before QEMU rebuilds the tables). */
function firmwareEnumerated(machine: QemuVirtMachine): PciHierarchy[] {
  const out: PciHierarchy[] = [];
  for (const hb of machine.board.pciHostBridges) {
    const h = PciHierarchy.build(hb.segment, hb.busRange.first, machine.board.pciFunctions);
    if (!h.ok) continue;
    enumeratePciBuses(h.value);
    out.push(h.value);
  }
  return out;
}
