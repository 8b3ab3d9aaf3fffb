/**
 * A platform from a DTB: the board is derived from what the DT describes (memory, GIC, SMMUv3 nodes as SMMU hardware
 * at their `reg`, `iommus` masters as platform devices wired to their StreamIDs, ECAM host bridges with their
 * `iommu-map` wiring), with the PCI topology supplied beside it (a DT does not list endpoints). Masters of IOMMU
 * providers the model does not implement are reported and get no IOMMU.
 */
import {
  DeviceTree,
  compatibleOf,
  fdtGetProp,
  isAvailable,
  ofIommuMasters,
  readCells,
  readU32,
  type FdtNode,
} from "@dmasim/firmware";
import {
  buildQemuVirtBoard,
  describePciTopology,
  type Board,
  type GicDesc,
  type PciFunctionDesc,
  type PciHostBridgeDesc,
  type PlatformDeviceDesc,
  type RamRegion,
  type RidToStreamMap,
  type SmmuDesc,
} from "@dmasim/machine";
import { ofDeviceMakeBusId, ofFirstRegion, ofHasProp, ofStringProp } from "../firmware-glue/of-address";
import type { PciTopologySpec, PlatformError, PlatformResult, UnmodelledIommu } from "./types";

/** Options of {@link platformFromDtb}. */
export interface DtbPlatformOptions {
  /** The PCI functions behind the (first) host bridge. */
  readonly pci?: PciTopologySpec;
  /** Platform name (default: the root `model` or `compatible`). */
  readonly name?: string;
  /** StreamID width given to each SMMU (SMMU_IDR1.SIDSIZE; the DT does not say). Default 16, as QEMU. */
  readonly smmuSidBits?: number;
}

function fail(field: string, message: string, offset?: number): PlatformResult {
  return { ok: false, error: { source: "dtb", field, message, ...(offset === undefined ? {} : { offset }) } };
}

function cellsOf(node: FdtNode, name: string): number[] | null {
  const p = fdtGetProp(node, name);
  if (p === undefined) return null;
  const r = readCells(p);
  return r.ok ? r.value : null;
}

function u32Of(node: FdtNode, name: string): number | null {
  const p = fdtGetProp(node, name);
  if (p === undefined) return null;
  const r = readU32(p);
  return r.ok ? r.value : null;
}

function memoryOf(dt: DeviceTree): RamRegion[] {
  const out: RamRegion[] = [];
  for (const node of dt.nodes) {
    if (ofStringProp(node, "device_type") !== "memory" || !isAvailable(node)) continue;
    const reg = dt.reg(node);
    if (!reg.ok) continue;
    reg.value.forEach((r, i) => {
      if (r.size > 0) out.push({ name: `${node.name}#${i}`, base: r.address, size: r.size });
    });
  }
  return out;
}

function gicOf(dt: DeviceTree): GicDesc {
  for (const node of dt.nodes) {
    const compat = compatibleOf(node);
    const reg = dt.reg(node);
    const regs = reg.ok ? reg.value : [];
    const range = (i: number): { base: number; size: number } => ({ base: regs[i]?.address ?? 0, size: regs[i]?.size ?? 0x10000 });
    if (compat.includes("arm,gic-v3")) {
      const its = node.children.find((c) => compatibleOf(c).includes("arm,gic-v3-its") && isAvailable(c));
      const itsRange = its === undefined ? null : ofFirstRegion(dt, its);
      return { version: 3, distributor: range(0), redistributor: range(1), ...(itsRange === null ? {} : { its: itsRange }) };
    }
    if (compat.some((c) => c === "arm,cortex-a15-gic" || c === "arm,gic-400")) {
      const v2m = node.children.find((c) => compatibleOf(c).includes("arm,gic-v2m-frame") && isAvailable(c));
      const frame = v2m === undefined ? null : ofFirstRegion(dt, v2m);
      const base: GicDesc = { version: 2, distributor: range(0), cpuInterface: range(1) };
      if (v2m === undefined || frame === null) return base;
      return {
        ...base,
        v2m: { ...frame, spiBase: u32Of(v2m, "arm,msi-base-spi") ?? 0, spiCount: u32Of(v2m, "arm,msi-num-spis") ?? 0 },
      };
    }
  }
  return { version: 3, distributor: { base: 0x0800_0000, size: 0x1_0000 } };
}

function smmuIrqs(node: FdtNode): SmmuDesc["irqs"] {
  const cells = cellsOf(node, "interrupts") ?? [];
  const names = (() => {
    const p = fdtGetProp(node, "interrupt-names");
    if (p === undefined) return [] as string[];
    return new TextDecoder().decode(p.value).split("\0").filter((s) => s.length > 0);
  })();
  const spi = (name: string, fallback: number): number => {
    const i = names.indexOf(name);
    const idx = i >= 0 ? i : fallback;
    return cells[idx * 3 + 1] ?? 0;
  };
  return { eventq: spi("eventq", 0), priq: spi("priq", 1), cmdqSync: spi("cmdq-sync", 2), gerror: spi("gerror", 3) };
}

function smmusOf(dt: DeviceTree, sidBits: number): SmmuDesc[] {
  const out: SmmuDesc[] = [];
  for (const node of dt.nodes) {
    if (!compatibleOf(node).includes("arm,smmu-v3") || !isAvailable(node)) continue;
    const r = ofFirstRegion(dt, node);
    if (r === null) continue;
    out.push({ name: node.name, model: "smmu-v3", base: r.base, size: r.size, sidBits, irqs: smmuIrqs(node), dmaCoherent: ofHasProp(node, "dma-coherent") });
  }
  return out;
}

function hostBridgesOf(dt: DeviceTree, smmus: readonly SmmuDesc[]): PciHostBridgeDesc[] | PlatformError {
  const out: PciHostBridgeDesc[] = [];
  for (const node of dt.nodes) {
    if (ofStringProp(node, "device_type") !== "pci" || !isAvailable(node)) continue;
    if (dt.parentOf(node) !== dt.root && !compatibleOf(node).some((c) => c.startsWith("pci-host"))) continue;
    const ecam = ofFirstRegion(dt, node);
    if (ecam === null) continue;
    const busRange = cellsOf(node, "bus-range") ?? [0, Math.max(0, Math.floor(ecam.size / 2 ** 20) - 1)];
    const iommuMap: RidToStreamMap[] = [];
    const map = cellsOf(node, "iommu-map");
    if (map !== null) {
      if (map.length % 4 !== 0) return { source: "dtb", field: `${dt.pathOf(node)}/iommu-map`, message: "not a list of 4-cell entries" };
      for (let i = 0; i < map.length; i += 4) {
        const target = dt.nodeByPhandle(map[i + 1] ?? 0);
        const smmu = smmus.find((s) => s.name === target?.name);
        if (smmu === undefined) continue; // an unmodelled IOMMU: those RIDs reach memory untranslated in the model
        iommuMap.push({ ridBase: map[i] ?? 0, smmu: smmu.name, sidBase: map[i + 2] ?? 0, count: map[i + 3] ?? 0 });
      }
    }
    out.push({
      name: node.name,
      segment: u32Of(node, "linux,pci-domain") ?? out.length,
      ecam,
      busRange: { first: busRange[0] ?? 0, last: busRange[1] ?? 0xff },
      windows: [],
      iommuMap,
      busNumbering: "os",
      dmaCoherent: ofHasProp(node, "dma-coherent"),
    });
  }
  return out;
}

/** The PCI functions of a {@link PciTopologySpec}, on segment `segment` below root bus `rootBus`. */
export function pciFunctionsOf(spec: PciTopologySpec | undefined, segment: number, rootBus: number): PciFunctionDesc[] | PlatformError {
  if (spec === undefined) return [];
  if ("devices" in spec) {
    const built = buildQemuVirtBoard({ iommu: "none", devices: spec.devices, firmware: "dt" });
    if (!built.ok) return { source: "pci", field: `devices: ${built.error.arg}`, message: built.error.kind };
    return built.value.board.pciFunctions.map((f) => ({ ...f, segment }));
  }
  const described = describePciTopology(segment, rootBus, spec.functions);
  if (!described.ok) return { source: "pci", field: `functions: ${described.error.id}`, message: described.error.message };
  return described.value;
}

/**
 * Builds a platform from a DTB. Bad bytes give a typed error with the offset and node path, never an exception.
 *
 * @example
 * ```ts
 * const p = platformFromDtb(readFileSync("juno.dtb"), { pci: { devices: ["e1000e,romfile="] } });
 * ```
 */
export function platformFromDtb(bytes: Uint8Array, options: DtbPlatformOptions = {}): PlatformResult {
  const parsed = DeviceTree.parse(bytes, { copy: true });
  if (!parsed.ok) return fail(parsed.error.path ?? "/", `${parsed.error.code}: ${parsed.error.message}`, parsed.error.offset);
  const dt = parsed.value;
  const smmus = smmusOf(dt, options.smmuSidBits ?? 16);
  const bridges = hostBridgesOf(dt, smmus);
  if (!Array.isArray(bridges)) return { ok: false, error: bridges };
  const unmodelledIommus: UnmodelledIommu[] = [];
  const platformDevices: PlatformDeviceDesc[] = [];
  const masterNodes = new Set<FdtNode>();
  for (const m of ofIommuMasters(dt)) {
    masterNodes.add(m.node);
    const region = ofFirstRegion(dt, m.node);
    const modelled = m.specs.filter((s) => s.provider.modelled && smmus.some((x) => x.name === s.providerPath.split("/").pop()));
    for (const s of m.specs) {
      if (!modelled.includes(s)) unmodelledIommus.push({ master: m.path, provider: s.providerPath, model: s.provider.model });
    }
    const first = modelled[0];
    const smmuName = first?.providerPath.split("/").pop();
    platformDevices.push({
      name: ofDeviceMakeBusId(dt, m.node),
      dtNode: m.node.name,
      compatible: compatibleOf(m.node),
      reg: region === null ? [] : [region],
      iommu:
        smmuName === undefined
          ? null
          : { smmu: smmuName, streamIds: modelled.filter((s) => s.providerPath === first?.providerPath).map((s) => s.ids.streamId ?? 0) },
      dmaCoherent: ofHasProp(m.node, "dma-coherent"),
    });
  }
  for (const node of dt.root.children) {
    if (masterNodes.has(node) || compatibleOf(node).length === 0 || !isAvailable(node)) continue;
    const region = ofFirstRegion(dt, node);
    if (region === null) continue;
    platformDevices.push({ name: ofDeviceMakeBusId(dt, node), dtNode: node.name, compatible: compatibleOf(node), reg: [region], iommu: null, dmaCoherent: ofHasProp(node, "dma-coherent") });
  }
  const first = bridges[0];
  const functions = pciFunctionsOf(options.pci, first?.segment ?? 0, first?.busRange.first ?? 0);
  if (!Array.isArray(functions)) return { ok: false, error: functions };
  if (functions.length > 0 && first === undefined) return fail("/", "a PCI topology was given but the DT has no PCI host bridge");
  const memory = memoryOf(dt);
  const board: Board = {
    name: options.name ?? ofStringProp(dt.root, "model") ?? compatibleOf(dt.root)[0] ?? "dtb",
    memory: memory.length > 0 ? memory : [{ name: "ram", base: 0x4000_0000, size: 0x4000_0000 }],
    gic: gicOf(dt),
    smmus,
    pciHostBridges: bridges,
    pciFunctions: functions,
    platformDevices,
  };
  return { ok: true, value: { name: board.name, board, firmware: { kind: "dt", dt }, unmodelledIommus } };
}

