/**
 * A platform from an ACPI IORT plus the PCI topology: SMMUv3 nodes become SMMU hardware at their base address,
 * root complexes become host bridges wired to the SMMUs their ID mappings name, named components become platform
 * devices. The IORT says nothing of ECAM, RAM or the GIC's addresses (MCFG, the memory map and MADT do): those come
 * from the options, defaulting to QEMU `virt`'s.
 *
 * @see include/acpi/actbl2.h (struct acpi_iort_*)
 */
import { parseIort, type IortIdMapping, type IortTable } from "@dmasim/firmware";
import type { AddressRange, Board, GicDesc, PciHostBridgeDesc, PlatformDeviceDesc, RamRegion, RidToStreamMap, SmmuDesc } from "@dmasim/machine";
import { pciFunctionsOf } from "./from-dtb";
import { iortSmmuNodes } from "./from-qemu";
import type { PciTopologySpec, PlatformResult } from "./types";

/** Options of {@link platformFromIort}. */
export interface IortPlatformOptions {
  readonly name?: string;
  /** RAM (default 1 GiB at 0x4000_0000, QEMU `virt`). */
  readonly memory?: readonly RamRegion[];
  /** GIC (default QEMU `virt`'s GICv3 with its ITS, since the IORT has an ITS group). */
  readonly gic?: GicDesc;
  /** ECAM window per PCI segment (MCFG's job; default QEMU's high ECAM, 256 MiB per segment after it). */
  readonly ecam?: (segment: number) => AddressRange;
  /** StreamID width of each SMMU (default 16). */
  readonly smmuSidBits?: number;
  /** The SMMUv3 register span (default 0x20000: two 64 KiB pages). */
  readonly smmuSize?: number;
}

const QEMU_GICV3: GicDesc = {
  version: 3,
  distributor: { base: 0x0800_0000, size: 0x1_0000 },
  redistributor: { base: 0x080a_0000, size: 0x00f6_0000 },
  its: { base: 0x0808_0000, size: 0x2_0000 },
};

/** The board name of an SMMUv3 described only by its base address. */
export function iortSmmuBoardName(base: number): string {
  return `smmuv3@${base.toString(16)}`;
}

/**
 * The RIDs a root-complex mapping sends to its output, as hardware wiring: the spec's count − 1 reading, clipped
 * where another mapping of the same node starts inside it (QEMU 7.2 wrote plain counts, so the next range starts
 * at base + count).
 */
function wiredCount(m: IortIdMapping, all: readonly IortIdMapping[]): number {
  let end = m.inputBase + m.idCount + 1;
  for (const o of all) if (o !== m && o.inputBase > m.inputBase && o.inputBase < end) end = o.inputBase;
  return end - m.inputBase;
}

function smmusOf(iort: IortTable, sidBits: number, size: number): SmmuDesc[] {
  const out: SmmuDesc[] = [];
  for (const n of iort.nodes) {
    if (n.type !== "smmu-v3") continue;
    const spi = (gsiv: number): number => Math.max(0, gsiv - 32);
    out.push({
      name: iortSmmuBoardName(n.baseAddress),
      model: "smmu-v3",
      base: n.baseAddress,
      size,
      sidBits,
      irqs: { eventq: spi(n.eventGsiv), priq: spi(n.priGsiv), cmdqSync: spi(n.syncGsiv), gerror: spi(n.gerrGsiv) },
      dmaCoherent: (n.flags & 1) !== 0,
    });
  }
  return out;
}

function mappingsToSmmu(iort: IortTable, mappings: readonly IortIdMapping[]): RidToStreamMap[] {
  const out: RidToStreamMap[] = [];
  for (const m of mappings) {
    const target = m.outputReference === null ? undefined : iort.nodes[m.outputReference];
    if (target?.type !== "smmu-v3") continue;
    out.push({ ridBase: m.inputBase, count: wiredCount(m, mappings), smmu: iortSmmuBoardName(target.baseAddress), sidBase: m.outputBase });
  }
  return out;
}

/**
 * Builds a platform from IORT bytes and a PCI topology. Bad bytes give a typed error naming the offset.
 *
 * @example
 * ```ts
 * const p = platformFromIort(readFileSync("qemu72-acpi-topo-gic3.IORT.bin"), { devices: ["e1000e,romfile="] });
 * ```
 */
export function platformFromIort(bytes: Uint8Array, pci?: PciTopologySpec, options: IortPlatformOptions = {}): PlatformResult {
  const parsed = parseIort(bytes, { checksum: "ignore" });
  if (!parsed.ok) {
    return { ok: false, error: { source: "iort", field: parsed.error.path ?? "IORT", offset: parsed.error.offset, message: `${parsed.error.code}: ${parsed.error.message}` } };
  }
  const iort = parsed.value;
  const smmus = smmusOf(iort, options.smmuSidBits ?? 16, options.smmuSize ?? 0x2_0000);
  const ecam = options.ecam ?? ((segment: number) => ({ base: 0x40_1000_0000 + segment * 0x1000_0000, size: 0x1000_0000 }));
  const bridges: PciHostBridgeDesc[] = [];
  const platformDevices: PlatformDeviceDesc[] = [];
  for (const n of iort.nodes) {
    if (n.type === "root-complex") {
      const window = ecam(n.pciSegment);
      bridges.push({
        name: `pci${n.pciSegment.toString(16).padStart(4, "0")}`,
        segment: n.pciSegment,
        ecam: window,
        busRange: { first: 0, last: Math.max(0, Math.min(0xff, Math.floor(window.size / 2 ** 20) - 1)) },
        windows: [],
        iommuMap: mappingsToSmmu(iort, n.idMappings),
        busNumbering: "firmware",
        dmaCoherent: n.memoryAccess.cacheCoherency === 1,
      });
    } else if (n.type === "named-component") {
      const map = mappingsToSmmu(iort, n.idMappings);
      const first = map[0];
      platformDevices.push({
        name: n.deviceName.split(".").pop() ?? n.deviceName,
        dtNode: n.deviceName,
        compatible: [],
        reg: [],
        iommu: first === undefined ? null : { smmu: first.smmu, streamIds: map.filter((m) => m.smmu === first.smmu).map((m) => m.sidBase) },
        dmaCoherent: n.memoryAccess.cacheCoherency === 1,
      });
    }
  }
  const firstBridge = bridges[0];
  const functions = pciFunctionsOf(pci, firstBridge?.segment ?? 0, firstBridge?.busRange.first ?? 0);
  if (!Array.isArray(functions)) return { ok: false, error: functions };
  if (functions.length > 0 && firstBridge === undefined) {
    return { ok: false, error: { source: "iort", field: "nodes", message: "a PCI topology was given but the IORT has no root complex" } };
  }
  const board: Board = {
    name: options.name ?? "iort",
    memory: options.memory ?? [{ name: "ram", base: 0x4000_0000, size: 0x4000_0000 }],
    gic: options.gic ?? QEMU_GICV3,
    smmus,
    pciHostBridges: bridges,
    pciFunctions: functions,
    platformDevices,
  };
  return { ok: true, value: { name: board.name, board, firmware: { kind: "acpi", iort, smmuNodes: iortSmmuNodes(board, iort) }, unmodelledIommus: [] } };
}
