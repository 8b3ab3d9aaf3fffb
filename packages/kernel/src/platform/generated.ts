/**
 * Generated platforms for scale: `n` PCI endpoints behind `smmus` SMMUv3s on an ACPI machine laid out like QEMU
 * `virt` (RAM, GICv3 + ITS), with one PCI segment per 256 functions (32 slots × 8 functions of multifunction
 * conventional-PCI endpoints on each root bus, the 82574L IDs so the default `e1000e` driver binds), segments spread
 * evenly over the SMMUs, and an IORT describing it all (an SMMUv3 node per SMMU, a root complex per segment mapping
 * its 256 RIDs to a StreamID range of its SMMU).
 */
import { writeIort, parseIort, type IortIdMapping, type IortNode, type IortTable } from "@dmasim/firmware";
import {
  describePciTopology,
  genericPciConfig,
  type Board,
  type PciFunctionDesc,
  type PciHostBridgeDesc,
  type PlatformDeviceDesc,
  type SmmuDesc,
} from "@dmasim/machine";
import { iortSmmuNodes } from "./from-qemu";
import type { Platform, PlatformResult } from "./types";

/** Options of {@link generatedPlatform}. */
export interface GeneratedPlatformOptions {
  /** PCI endpoint functions (at most 256 per segment; segments are added as needed). */
  readonly endpoints: number;
  /** SMMUv3 instances (default 4). */
  readonly smmus?: number;
  /** RAM in bytes (default 2 GiB). */
  readonly memoryBytes?: number;
}

const SMMU_BASE = 0x0905_0000;
const SMMU_STRIDE = 0x2_0000;
const ECAM_BASE = 0x40_1000_0000;
const ECAM_SIZE = 0x10_0000; // one bus per segment

/** The IORT of the generated machine. */
function generatedIort(smmus: number, segments: number, segOfSmmu: (seg: number) => number): IortTable {
  const nodes: IortNode[] = [{ type: "its-group", revision: 1, identifier: 0, idMappings: [], itsIds: [0] }];
  for (let i = 0; i < smmus; i++) {
    const gsiv = 106 + i * 4;
    nodes.push({
      type: "smmu-v3",
      revision: 4,
      identifier: nodes.length,
      idMappings: [{ inputBase: 0, idCount: 0xffff, outputBase: 0, outputReference: 0, flags: 0 }],
      baseAddress: SMMU_BASE + i * SMMU_STRIDE,
      flags: 1,
      vatosAddress: 0,
      model: 0,
      eventGsiv: gsiv,
      priGsiv: gsiv + 1,
      gerrGsiv: gsiv + 3,
      syncGsiv: gsiv + 2,
      proximityDomain: 0,
      deviceIdMappingIndex: 0,
    });
  }
  for (let seg = 0; seg < segments; seg++) {
    const smmu = segOfSmmu(seg);
    const slot = Math.floor(seg / smmus);
    const mapping: IortIdMapping = { inputBase: 0, idCount: 0xff, outputBase: slot * 0x100, outputReference: 1 + smmu, flags: 0 };
    nodes.push({
      type: "root-complex",
      revision: 3,
      identifier: nodes.length,
      idMappings: [mapping],
      memoryAccess: { cacheCoherency: 1, hints: 0, memoryFlags: 0x3 },
      atsAttribute: 0,
      pciSegment: seg,
      memoryAddressLimit: 64,
    });
  }
  return { revision: 3, oemId: "DMASIM", oemTableId: "GENERATD", oemRevision: 1, creatorId: "DMSM", creatorRevision: 1, nodes };
}

/**
 * A generated ACPI platform with `endpoints` PCI endpoints behind `smmus` SMMUv3s.
 *
 * @example
 * ```ts
 * const p = generatedPlatform({ endpoints: 16_000, smmus: 4 });
 * ```
 */
export function generatedPlatform(options: GeneratedPlatformOptions): PlatformResult {
  const smmuCount = options.smmus ?? 4;
  const n = options.endpoints;
  if (!Number.isInteger(n) || n < 1 || n > 256 * 256) return { ok: false, error: { source: "board", field: "endpoints", message: `expected 1..65536 endpoints, got ${n}` } };
  if (!Number.isInteger(smmuCount) || smmuCount < 1 || smmuCount > 64) return { ok: false, error: { source: "board", field: "smmus", message: `expected 1..64 SMMUs, got ${smmuCount}` } };
  const segments = Math.ceil(n / 256);
  const segOfSmmu = (seg: number): number => seg % smmuCount;
  const smmus: SmmuDesc[] = [];
  for (let i = 0; i < smmuCount; i++) {
    const spi = 74 + i * 4;
    smmus.push({ name: `smmuv3@${(SMMU_BASE + i * SMMU_STRIDE).toString(16)}`, model: "smmu-v3", base: SMMU_BASE + i * SMMU_STRIDE, size: SMMU_STRIDE, sidBits: 16, irqs: { eventq: spi, priq: spi + 1, cmdqSync: spi + 2, gerror: spi + 3 }, dmaCoherent: true });
  }
  const bridges: PciHostBridgeDesc[] = [];
  const functions: PciFunctionDesc[] = [];
  const head = genericPciConfig({ vendorId: 0x8086, deviceId: 0x10d3, classCode: 0x020000, multifunction: true, msiVectors: 1 });
  const rest = genericPciConfig({ vendorId: 0x8086, deviceId: 0x10d3, classCode: 0x020000, multifunction: false, msiVectors: 1 });
  for (let seg = 0; seg < segments; seg++) {
    const smmu = smmus[segOfSmmu(seg)] as SmmuDesc;
    bridges.push({
      name: `pci${seg.toString(16).padStart(4, "0")}`,
      segment: seg,
      ecam: { base: ECAM_BASE + seg * ECAM_SIZE, size: ECAM_SIZE },
      busRange: { first: 0, last: 0 },
      windows: [],
      iommuMap: [{ ridBase: 0, count: 0x100, smmu: smmu.name, sidBase: Math.floor(seg / smmuCount) * 0x100 }],
      busNumbering: "firmware",
      dmaCoherent: true,
    });
    const count = Math.min(256, n - seg * 256);
    const inputs = [];
    for (let i = 0; i < count; i++) {
      inputs.push({ id: `s${seg}f${i}`, segment: seg, upstream: null, devfn: i, config: i % 8 === 0 ? head : rest, bridge: null, model: "e1000e-like" });
    }
    const described = describePciTopology(seg, 0, inputs);
    if (!described.ok) return { ok: false, error: { source: "pci", field: `segment ${seg}`, message: described.error.message } };
    functions.push(...described.value);
  }
  const platformDevices: PlatformDeviceDesc[] = [];
  const board: Board = {
    name: `generated-${n}-endpoints-${smmuCount}-smmuv3`,
    memory: [{ name: "ram", base: 0x4000_0000, size: options.memoryBytes ?? 2 ** 31 }],
    gic: { version: 3, distributor: { base: 0x0800_0000, size: 0x1_0000 }, redistributor: { base: 0x080a_0000, size: 0x00f6_0000 }, its: { base: 0x0808_0000, size: 0x2_0000 } },
    smmus,
    pciHostBridges: bridges,
    pciFunctions: functions,
    platformDevices,
  };
  const bytes = writeIort(generatedIort(smmuCount, segments, segOfSmmu));
  const iort = parseIort(bytes);
  if (!iort.ok) return { ok: false, error: { source: "iort", field: iort.error.path ?? "IORT", offset: iort.error.offset, message: iort.error.message } };
  const platform: Platform = { name: board.name, board, firmware: { kind: "acpi", iort: iort.value, smmuNodes: iortSmmuNodes(board, iort.value) }, unmodelledIommus: [] };
  return { ok: true, value: platform };
}
