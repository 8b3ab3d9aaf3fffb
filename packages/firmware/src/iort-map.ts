/**
 * Linux's IORT ID walk: from a root complex (chosen by PCI segment) or a named component, through ID mappings,
 * to an SMMU (the StreamID) or an ITS group (the MSI DeviceID).
 *
 * The "Number of IDs" rule, per era (`@see drivers/acpi/arm64/iort.c iort_id_map`):
 * - `"v6.1"` (since Ard Biesheuvel's 2020 series, v5.10): the field is read as the spec says, count − 1, so a
 *   mapping covers `input_base <= id <= input_base + id_count`. Because firmware (QEMU before 9.x among it) wrote
 *   plain counts, a hit on the *last* ID of a multi-ID range returns -EAGAIN: the walk keeps looking, and if a later
 *   mapping starts exactly at that ID it wins ("conflicting mapping for input ID", "applying workaround"); if none
 *   does, the -EAGAIN hit is used. This is modelled exactly, including the 32-bit arithmetic.
 * - `"v4.12"`: the field was read as a plain count (`id < input_base + id_count`), with no retry. There was no
 *   SMMUv3 DeviceID-mapping-index skip yet (added by Hanjun Guo, v4.15), and named components map only through
 *   SINGLE_MAPPING entries straight to an SMMU.
 * The v6.1 rule is the default because it is what the real 6.1 boots in `fixtures/qemu-boots` ran.
 *
 * Firmware bugs Linux logs with FW_BUG are returned as data ({@link IortFwBug}); a RID with no mapping is a
 * result (`unmapped`, the ID unchanged, as Linux's `fail_map`), not an error.
 *
 * @see drivers/acpi/arm64/iort.c iort_node_map_id, iort_id_map, iort_get_id_mapping_index, iort_node_get_id,
 *   iort_node_map_platform_id, iort_scan_node, iort_iommu_configure_id
 */
import type { FirmwareEra } from "./era";
import { DEFAULT_FIRMWARE_ERA } from "./era";
import type { IortIdMapping, IortNode, IortTable } from "./iort-model";
import { IORT_ID_SINGLE_MAPPING } from "./iort-model";

/** What the walk stops at: `iommu` = SMMU or SMMUv3 (`IORT_IOMMU_TYPE`), `msi` = ITS group (`IORT_MSI_TYPE`). */
export type IortTarget = "iommu" | "msi";

/**
 * A firmware bug Linux reports (`pr_err(FW_BUG ...)` / `pr_warn(FW_BUG ...)`) while walking.
 *
 * @see drivers/acpi/arm64/iort.c iort_id_map
 */
export type IortFwBug =
  | { readonly kind: "null-parent-reference"; readonly node: number; readonly message: string }
  | { readonly kind: "single-mapping-not-allowed"; readonly node: number; readonly mapping: number; readonly message: string }
  | {
      readonly kind: "conflicting-mapping";
      readonly node: number;
      readonly mapping: number;
      readonly id: number;
      /** True when the later mapping starts at the ID and wins ("applying workaround"). */
      readonly workaround: boolean;
      readonly message: string;
    }
  | { readonly kind: "id-mapping-index-overflow"; readonly node: number; readonly message: string };

/**
 * One hop of a walk: at `node`, mapping `mapping` turned `idIn` into `idOut`.
 *
 * @see drivers/acpi/arm64/iort.c iort_node_map_id, iort_id_map
 */
export interface IortMapStep {
  readonly node: number;
  readonly mapping: number;
  readonly idIn: number;
  readonly idOut: number;
}

/**
 * Why a walk failed (Linux: `goto fail_map`).
 *
 * @see drivers/acpi/arm64/iort.c iort_node_map_id (fail_map)
 */
export type IortUnmappedReason =
  /** A node on the way has no ID mappings (e.g. an ITS reached while looking for an SMMU). */
  | "no-mappings"
  /** The node's first mapping has a NULL output reference (FW_BUG). */
  | "null-parent-reference"
  /** No mapping of the node covers the ID. */
  | "no-match"
  /** The chosen mapping's output reference is NULL (Linux would follow offset 0 into the table header). */
  | "null-output"
  /** More hops than nodes: only possible in hand-built tables, since `parseIort` rejects reference cycles. */
  | "loop";

/**
 * The outcome of {@link iortNodeMapId}.
 *
 * @see drivers/acpi/arm64/iort.c iort_node_map_id
 */
export type IortMapIdResult =
  | { readonly kind: "mapped"; readonly node: number; readonly id: number; readonly steps: readonly IortMapStep[]; readonly bugs: readonly IortFwBug[] }
  | {
      readonly kind: "unmapped";
      /** The input ID, unchanged (what Linux writes to `*id_out` on failure). */
      readonly id: number;
      /** The node where the walk stopped. */
      readonly at: number;
      readonly reason: IortUnmappedReason;
      readonly steps: readonly IortMapStep[];
      readonly bugs: readonly IortFwBug[];
    };

/** Walk options. */
export interface IortMapOptions {
  readonly era?: FirmwareEra;
}

const ENXIO = -6;
const EAGAIN = -11;
const EINVAL = -22;

function isTarget(node: IortNode, target: IortTarget): boolean {
  return target === "iommu" ? node.type === "smmu" || node.type === "smmu-v3" : node.type === "its-group";
}

/**
 * `iort_id_map`: one mapping applied to one ID. Returns 0 (mapped), -ENXIO (not this mapping) or, in v6.1,
 * -EAGAIN (matched the last ID of a multi-ID range: keep looking). `out` is set whenever Linux writes `*rid_out`.
 *
 * @see drivers/acpi/arm64/iort.c iort_id_map
 */
export function iortIdMap(
  map: IortIdMapping,
  nodeType: IortNode["type"],
  ridIn: number,
  checkOverlap: boolean,
  era: FirmwareEra = DEFAULT_FIRMWARE_ERA,
  where: { node: number; mapping: number; bugs?: IortFwBug[] } = { node: -1, mapping: -1 },
): { readonly rc: number; readonly out?: number } {
  if ((map.flags & IORT_ID_SINGLE_MAPPING) !== 0) {
    if (nodeType === "named-component" || nodeType === "root-complex") return { rc: 0, out: map.outputBase };
    where.bugs?.push({
      kind: "single-mapping-not-allowed",
      node: where.node,
      mapping: where.mapping,
      message: `[map ${where.mapping}] SINGLE MAPPING flag not allowed for node type ${nodeType}, skipping ID map`,
    });
    return { rc: ENXIO };
  }
  const end = (map.inputBase + map.idCount) >>> 0;
  if (era === "v4.12") {
    if (ridIn < map.inputBase || ridIn >= end) return { rc: ENXIO };
    return { rc: 0, out: (map.outputBase + (ridIn - map.inputBase)) >>> 0 };
  }
  if (ridIn < map.inputBase || ridIn > end) return { rc: ENXIO };
  if (checkOverlap) {
    const applied = ridIn === map.inputBase;
    where.bugs?.push({
      kind: "conflicting-mapping",
      node: where.node,
      mapping: where.mapping,
      id: ridIn,
      workaround: applied,
      message: `[map ${where.mapping}] conflicting mapping for input ID 0x${ridIn.toString(16)}${applied ? "; applying workaround." : ""}`,
    });
    if (!applied) return { rc: ENXIO };
  }
  const out = (map.outputBase + (ridIn - map.inputBase)) >>> 0;
  if (map.idCount > 0 && ridIn === end) return { rc: EAGAIN, out };
  return { rc: 0, out };
}

/**
 * `iort_get_id_mapping_index`: the mapping an SMMUv3 (revision >= 1, unless all four interrupts are wired GSIVs)
 * or a PMCG (without an overflow GSIV) uses for its own MSI DeviceID, which the walk must skip. -EINVAL if none.
 *
 * @see drivers/acpi/arm64/iort.c iort_get_id_mapping_index
 */
export function iortGetIdMappingIndex(iort: IortTable, nodeIndex: number, bugs?: IortFwBug[]): number {
  const node = iort.nodes[nodeIndex];
  if (node === undefined) return EINVAL;
  if (node.type === "smmu-v3") {
    if (node.revision < 1 || node.deviceIdMappingIndex === undefined) return EINVAL;
    if (node.eventGsiv !== 0 && node.priGsiv !== 0 && node.gerrGsiv !== 0 && node.syncGsiv !== 0) return EINVAL;
    if (node.deviceIdMappingIndex >= node.idMappings.length) {
      bugs?.push({ kind: "id-mapping-index-overflow", node: nodeIndex, message: `[node ${nodeIndex} type smmu-v3] ID mapping index overflows valid mappings` });
      return EINVAL;
    }
    return node.deviceIdMappingIndex;
  }
  if (node.type === "pmcg") return node.overflowGsiv !== 0 || node.idMappings.length === 0 ? EINVAL : 0;
  return EINVAL;
}

/**
 * `iort_node_map_id`: walks from `start` through ID mappings until a node of the `target` kind.
 *
 * @see drivers/acpi/arm64/iort.c iort_node_map_id
 */
export function iortNodeMapId(iort: IortTable, start: number, idIn: number, target: IortTarget, options: IortMapOptions = {}): IortMapIdResult {
  const era = options.era ?? DEFAULT_FIRMWARE_ERA;
  const steps: IortMapStep[] = [];
  const bugs: IortFwBug[] = [];
  let id = idIn >>> 0;
  let at = start;
  const unmapped = (reason: IortUnmappedReason): IortMapIdResult => ({ kind: "unmapped", id: idIn >>> 0, at, reason, steps, bugs });
  for (let hops = 0; ; hops++) {
    const node = iort.nodes[at];
    if (node === undefined || hops > iort.nodes.length) return unmapped(node === undefined ? "null-output" : "loop");
    if (isTarget(node, target)) return { kind: "mapped", node: at, id, steps, bugs };
    const maps = node.idMappings;
    if (maps.length === 0) return unmapped("no-mappings");
    if ((maps[0] as IortIdMapping).outputReference === null) {
      bugs.push({ kind: "null-parent-reference", node: at, message: `[node ${at} type ${node.type}] ID map has NULL parent reference` });
      return unmapped("null-parent-reference");
    }
    const skip = era === "v6.1" ? iortGetIdMappingIndex(iort, at, bugs) : EINVAL;
    const mapId = id;
    let rc = 0;
    let outRef: number | null = null;
    let outRefMapping = -1;
    let i = 0;
    for (; i < maps.length; i++) {
      if (i === skip) continue;
      const map = maps[i] as IortIdMapping;
      const r = iortIdMap(map, node.type, mapId, outRef !== null, era, { node: at, mapping: i, bugs });
      rc = r.rc;
      if (r.out !== undefined) id = r.out;
      if (rc === 0) break;
      if (rc === EAGAIN && map.outputReference !== null) {
        outRef = map.outputReference;
        outRefMapping = i;
      }
    }
    if (i === maps.length && outRef === null) return unmapped("no-match");
    const next = rc !== 0 ? outRef : (maps[i] as IortIdMapping).outputReference;
    steps.push({ node: at, mapping: rc !== 0 ? outRefMapping : i, idIn: mapId, idOut: id });
    if (next === null) return unmapped("null-output");
    at = next;
  }
}

/**
 * `iort_node_get_id`: the ID a single (SINGLE_MAPPING) mapping at `index` gives, and the node it points at;
 * `undefined` when that mapping is not a single mapping of a named component / root complex / SMMUv3 / PMCG.
 *
 * @see drivers/acpi/arm64/iort.c iort_node_get_id
 */
export function iortNodeGetId(iort: IortTable, nodeIndex: number, index: number, bugs?: IortFwBug[]): { readonly parent: number; readonly id: number } | undefined {
  const node = iort.nodes[nodeIndex];
  const map = node?.idMappings[index];
  if (node === undefined || map === undefined) return undefined;
  if (map.outputReference === null) {
    bugs?.push({ kind: "null-parent-reference", node: nodeIndex, message: `[node ${nodeIndex} type ${node.type}] ID map has NULL parent reference` });
    return undefined;
  }
  if ((map.flags & IORT_ID_SINGLE_MAPPING) === 0) return undefined;
  if (node.type === "named-component" || node.type === "root-complex" || node.type === "smmu-v3" || node.type === "pmcg") {
    return { parent: map.outputReference, id: map.outputBase };
  }
  return undefined;
}

/**
 * `iort_node_map_platform_id`: the single-mapping ID at `index`, mapped on (NC -> SMMU -> ITS) when its parent is
 * not already of the target kind. In v4.12 the parent had to be the target itself.
 *
 * @see drivers/acpi/arm64/iort.c iort_node_map_platform_id
 */
export function iortNodeMapPlatformId(iort: IortTable, nodeIndex: number, index: number, target: IortTarget, options: IortMapOptions = {}): IortMapIdResult | undefined {
  const bugs: IortFwBug[] = [];
  const first = iortNodeGetId(iort, nodeIndex, index, bugs);
  if (first === undefined) return undefined;
  const parent = iort.nodes[first.parent];
  if (parent === undefined) return undefined;
  const step: IortMapStep = { node: nodeIndex, mapping: index, idIn: first.id, idOut: first.id };
  if (isTarget(parent, target)) return { kind: "mapped", node: first.parent, id: first.id, steps: [step], bugs };
  if ((options.era ?? DEFAULT_FIRMWARE_ERA) === "v4.12") return undefined;
  const rest = iortNodeMapId(iort, first.parent, first.id, target, options);
  return { ...rest, steps: [step, ...rest.steps], bugs: [...bugs, ...rest.bugs] };
}

/**
 * `iort_scan_node(ACPI_IORT_NODE_PCI_ROOT_COMPLEX, ...)`: the first root complex (table order) whose PCI segment
 * is `segment` (Linux compares with `pci_domain_nr()`).
 */
export function iortFindRootComplex(iort: IortTable, segment: number): number | undefined {
  const i = iort.nodes.findIndex((n) => n.type === "root-complex" && n.pciSegment === segment);
  return i < 0 ? undefined : i;
}

/**
 * `iort_scan_node(ACPI_IORT_NODE_NAMED_COMPONENT, ...)`: the first named component with that full path.
 *
 * @see drivers/acpi/arm64/iort.c iort_scan_node
 */
export function iortFindNamedComponent(iort: IortTable, deviceName: string): number | undefined {
  const i = iort.nodes.findIndex((n) => n.type === "named-component" && n.deviceName === deviceName);
  return i < 0 ? undefined : i;
}

/**
 * Where a PCI requester ID goes.
 *
 * @see drivers/acpi/arm64/iort.c iort_node_map_id, iort_pci_iommu_init
 */
export type IortPciRidResult =
  /** Behind an SMMU: its node index, its type, and the StreamID. */
  | { readonly kind: "smmu"; readonly node: number; readonly smmuType: "smmu" | "smmu-v3"; readonly streamId: number; readonly walk: IortMapIdResult }
  /** Not behind an SMMU, but its MSIs reach an ITS group with this DeviceID (DMA is untranslated). */
  | { readonly kind: "its"; readonly node: number; readonly deviceId: number; readonly itsIds: readonly number[]; readonly walk: IortMapIdResult }
  /** No mapping at all (or no root complex for the segment). */
  | { readonly kind: "none"; readonly reason: "no-root-complex" | IortUnmappedReason; readonly walk?: IortMapIdResult };

/**
 * Where a PCI RID on `segment` goes: the IOMMU walk Linux's `iort_iommu_configure_id` does (via
 * `iort_pci_iommu_init`), and, when that finds no SMMU, the MSI walk (`iort_msi_map_id`).
 */
export function iortMapPciRid(iort: IortTable, segment: number, rid: number, options: IortMapOptions = {}): IortPciRidResult {
  const rc = iortFindRootComplex(iort, segment);
  if (rc === undefined) return { kind: "none", reason: "no-root-complex" };
  const walk = iortNodeMapId(iort, rc, rid, "iommu", options);
  if (walk.kind === "mapped") {
    const node = iort.nodes[walk.node] as IortNode;
    return { kind: "smmu", node: walk.node, smmuType: node.type === "smmu" ? "smmu" : "smmu-v3", streamId: walk.id, walk };
  }
  const msi = iortNodeMapId(iort, rc, rid, "msi", options);
  if (msi.kind === "mapped") {
    const node = iort.nodes[msi.node];
    return { kind: "its", node: msi.node, deviceId: msi.id, itsIds: node?.type === "its-group" ? node.itsIds : [], walk: msi };
  }
  return { kind: "none", reason: walk.reason, walk };
}

/**
 * The StreamIDs a named component gets, as `iort_nc_iommu_map` collects them: single mappings at index 0, 1, ...
 * until the first index that yields no SMMU. With `inputId` (a device with an input ID of its own, e.g. fsl-mc),
 * one `iort_node_map_id` walk instead (`iort_nc_iommu_map_id`).
 *
 * @see drivers/acpi/arm64/iort.c iort_nc_iommu_map, iort_nc_iommu_map_id
 */
export function iortMapNamedComponent(
  iort: IortTable,
  deviceName: string,
  options: IortMapOptions & { readonly inputId?: number } = {},
): { readonly node: number | undefined; readonly streams: readonly { readonly smmu: number; readonly streamId: number }[] } {
  const nc = iortFindNamedComponent(iort, deviceName);
  if (nc === undefined) return { node: undefined, streams: [] };
  if (options.inputId !== undefined) {
    const r = iortNodeMapId(iort, nc, options.inputId, "iommu", options);
    return { node: nc, streams: r.kind === "mapped" ? [{ smmu: r.node, streamId: r.id }] : [] };
  }
  const streams: { smmu: number; streamId: number }[] = [];
  for (let i = 0; ; i++) {
    const r = iortNodeMapPlatformId(iort, nc, i, "iommu", options);
    if (r === undefined || r.kind !== "mapped") break;
    streams.push({ smmu: r.node, streamId: r.id });
  }
  return { node: nc, streams };
}
