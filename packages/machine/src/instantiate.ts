/**
 * Turns a {@link Board} description into live hardware: RAM, the MMIO space (each host bridge's ECAM window, the
 * MSI doorbell frame), one PCI hierarchy per host bridge — numbered by firmware when the board says firmware does —
 * and the interconnect. IOMMU models are attached afterwards with `attachIommu` (the machine never imports one); an
 * IOMMU model registers its own register block in `mmio`.
 */
import { validateBoard, type Board, type BoardError } from "./board";
import { Interconnect, type MachineTraceSink } from "./interconnect";
import { MmioSpace, type MmioHandler } from "./mmio";
import { PhysicalMemory } from "./memory";
import { MsiDoorbell } from "./msi-doorbell";
import type { PciConfigWidth } from "./pci-config";
import { enumeratePciBuses } from "./pci-enumerate";
import { PciHierarchy } from "./pci-hierarchy";
import type { IommuTranslateHook } from "./translate";
import type { Result } from "./qemu-device-types";

/** Configuration access to every host bridge, by segment and bus number (as an OS's `pci_ops` sees it). */
export interface PciConfigAccess {
  /** A read; all ones when nothing answers. */
  read(segment: number, bus: number, devfn: number, offset: number, width: PciConfigWidth): number;
  /** A write; `false` when nothing took it. */
  write(segment: number, bus: number, devfn: number, offset: number, width: PciConfigWidth, value: number): boolean;
  /** The live hierarchy of a segment. */
  hierarchy(segment: number): PciHierarchy | undefined;
}

/** Options of {@link instantiateBoard}. */
export interface InstantiateOptions {
  readonly trace?: MachineTraceSink;
  /** See {@link InterconnectParts.enforceBusMaster} (default true). */
  readonly enforceBusMaster?: boolean;
}

/** A running board. */
export interface MachineInstance {
  readonly board: Board;
  readonly memory: PhysicalMemory;
  readonly mmio: MmioSpace;
  readonly pci: PciConfigAccess;
  readonly interconnect: Interconnect;
  /** The MSI doorbell frames (ITS translater or GICv2m), which record the MSIs that reach them. */
  readonly doorbells: readonly MsiDoorbell[];
  /** Connects an IOMMU model (`@dmasim/iommu`'s SMMUv3) in front of the masters wired to SMMU `smmu`. */
  attachIommu(smmu: string, hook: IommuTranslateHook): void;
}

/**
 * An ECAM window: offset bits 27:20 select the bus (from the host bridge's first bus), 19:12 the devfn, 11:0 the
 * register.
 * @see hw/pci/pcie_host.c pcie_mmcfg_data_read / pcie_mmcfg_data_write
 */
function ecamHandler(pci: PciHierarchy, firstBus: number): MmioHandler {
  const split = (off: number): [number, number, number] => [firstBus + Math.floor(off / 2 ** 20), (off >>> 12) & 0xff, off & 0xffc];
  return {
    read32: (off) => pci.configRead(...split(off), 4),
    write32: (off, v) => void pci.configWrite(...split(off), 4, v),
    read64: (off) => BigInt(pci.configRead(...split(off), 4)) | (BigInt(pci.configRead(...split(off + 4), 4)) << 32n),
    write64: (off, v) => {
      pci.configWrite(...split(off), 4, Number(v & 0xffff_ffffn));
      pci.configWrite(...split(off + 4), 4, Number(v >> 32n));
    },
  };
}

/** Builds the live machine for `board`, or says what is inconsistent in the description. */
export function instantiateBoard(board: Board, options: InstantiateOptions = {}): Result<MachineInstance, BoardError[]> {
  const errors = validateBoard(board);
  const memory = new PhysicalMemory();
  const mmio = new MmioSpace();
  const hierarchies = new Map<number, PciHierarchy>();
  if (errors.length === 0) {
    for (const r of board.memory) memory.addRam(r);
    for (const hb of board.pciHostBridges) {
      const h = PciHierarchy.build(hb.segment, hb.busRange.first, board.pciFunctions);
      if (!h.ok) {
        errors.push({ field: `pciFunctions (${h.error.id})`, message: h.error.message });
        continue;
      }
      if (hb.busNumbering === "firmware") enumeratePciBuses(h.value);
      hierarchies.set(hb.segment, h.value);
      mmio.register(`${hb.name} ecam`, hb.ecam.base, hb.ecam.size, ecamHandler(h.value, hb.busRange.first));
    }
  }
  if (errors.length > 0) return { ok: false, error: errors };
  const doorbells: MsiDoorbell[] = [];
  if (board.gic.its !== undefined) doorbells.push(new MsiDoorbell("gicv3-its", board.gic.its.base, board.gic.its.size));
  if (board.gic.v2m !== undefined) {
    const v = board.gic.v2m;
    doorbells.push(new MsiDoorbell("gicv2m", v.base, v.size, { base: v.spiBase, count: v.spiCount }));
  }
  for (const d of doorbells) mmio.register(d.kind === "gicv3-its" ? "gic-its" : "gicv2m", d.base, d.size, d);
  const interconnect = new Interconnect({
    board,
    memory,
    mmio,
    pci: hierarchies,
    doorbells,
    ...(options.trace === undefined ? {} : { trace: options.trace }),
    ...(options.enforceBusMaster === undefined ? {} : { enforceBusMaster: options.enforceBusMaster }),
  });
  const pci: PciConfigAccess = {
    read: (seg, bus, devfn, off, width) => hierarchies.get(seg)?.configRead(bus, devfn, off, width) ?? (width === 4 ? 0xffff_ffff : width === 2 ? 0xffff : 0xff),
    write: (seg, bus, devfn, off, width, v) => hierarchies.get(seg)?.configWrite(bus, devfn, off, width, v) ?? false,
    hierarchy: (seg) => hierarchies.get(seg),
  };
  return {
    ok: true,
    value: {
      board,
      memory,
      mmio,
      pci,
      interconnect,
      doorbells,
      attachIommu: (smmu, hook) => interconnect.attachIommu(smmu, hook),
    },
  };
}
