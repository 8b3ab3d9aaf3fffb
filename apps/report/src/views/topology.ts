/**
 * The topology's inputs: SMMUs, PCI host bridges (root complexes), bridges, endpoints and platform masters with
 * their parent (from `device_add`), their SMMU, StreamIDs and IOMMU group. Platform devices that take no part in DMA
 * setup (no driver, no IOMMU, no StreamIDs, nothing below them) are folded into one count so a DT board with dozens
 * of virtio-mmio transports stays readable.
 */
import type { DeviceResult } from "../result";
import { fieldsOf, type AnyRecord } from "./describe";
import { iommuDeviceNames } from "./timeline";

/** What a topology node is. */
export type TopologyKind = "smmu" | "host-bridge" | "bridge" | "endpoint" | "platform";

/** One node. */
export interface TopologyNode {
  readonly name: string;
  readonly kind: TopologyKind;
  readonly parent: string | null;
  readonly driver: string | null;
  readonly iommu: string | null;
  readonly group: number | null;
  readonly domainType: string | null;
  readonly streamIds: readonly number[];
}

/** The topology of one boot. */
export interface TopologyData {
  readonly nodes: readonly TopologyNode[];
  /** Platform devices folded away (no DMA setup to show). */
  readonly hiddenDevices: number;
}

/** The topology of a boot from its trace and outcomes. */
export function topologyOf(records: readonly AnyRecord[], devices: readonly DeviceResult[]): TopologyData {
  const iommus = iommuDeviceNames(records, devices);
  const parent = new Map<string, string | null>();
  const hostBridges = new Set<string>();
  const bridges = new Set<string>();
  for (const r of records) {
    const f = fieldsOf(r);
    if (r.type === "device-add" && typeof f["device"] === "string") parent.set(f["device"], typeof f["parent"] === "string" ? f["parent"] : null);
    else if (r.type === "pci-host-bridge-add" && typeof f["host"] === "string") hostBridges.add(f["host"]);
    else if (r.type === "pci-scan-device" && typeof f["device"] === "string" && f["hdrType"] === 1) bridges.add(f["device"]);
  }
  const byName = new Map(devices.map((d) => [d.name, d]));
  const nodes: TopologyNode[] = [];
  const named = new Set<string>();
  const add = (n: TopologyNode): void => {
    if (named.has(n.name)) return;
    named.add(n.name);
    nodes.push(n);
  };
  for (const h of hostBridges) add({ name: h, kind: "host-bridge", parent: null, driver: null, iommu: null, group: null, domainType: null, streamIds: [] });
  const shown = devices.filter((d) => iommus.has(d.name) || d.bus === "pci" || d.driver !== null || d.iommu !== null || d.streamIds.length > 0);
  // A folded device that is the parent of a shown one is shown too (its children need an anchor).
  const shownNames = new Set(shown.map((d) => d.name));
  for (const d of [...shown]) {
    let p = parent.get(d.name) ?? null;
    while (p !== null && !shownNames.has(p) && byName.has(p)) {
      shownNames.add(p);
      shown.push(byName.get(p) as DeviceResult);
      p = parent.get(p) ?? null;
    }
  }
  for (const d of devices) {
    if (!shownNames.has(d.name)) continue;
    const kind: TopologyKind = iommus.has(d.name) ? "smmu" : d.bus === "pci" ? (bridges.has(d.name) ? "bridge" : "endpoint") : "platform";
    const p = parent.get(d.name) ?? null;
    add({
      name: d.name,
      kind,
      parent: p !== null && (named.has(p) || shownNames.has(p) || hostBridges.has(p)) ? p : null,
      driver: d.driver,
      iommu: d.iommu,
      group: d.iommuGroup,
      domainType: d.domainType,
      streamIds: [...d.streamIds],
    });
  }
  // An IOMMU other devices sit behind but that is not itself a device of the boot (an unprobed SMMU).
  for (const name of [...iommus].sort()) {
    if (!named.has(name) && devices.some((d) => d.iommu === name)) {
      add({ name, kind: "smmu", parent: null, driver: null, iommu: null, group: null, domainType: null, streamIds: [] });
    }
  }
  return { nodes, hiddenDevices: devices.length - [...shownNames].filter((n) => byName.has(n)).length };
}
