import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { IortIdMapping, IortNode, IortSmmuV3, IortTable } from "./iort-model";
import { iortMapNamedComponent, iortMapPciRid, iortNodeMapId } from "./iort-map";
import { parseIort } from "./iort-parse";

const dir = resolve(import.meta.dirname, "../../../fixtures/iort");
function fixture(name: string): IortTable {
  const r = parseIort(new Uint8Array(readFileSync(resolve(dir, name))));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}
const map = (inputBase: number, idCount: number, outputBase: number, outputReference: number | null, flags = 0): IortIdMapping => ({
  inputBase,
  idCount,
  outputBase,
  outputReference,
  flags,
});
const its: IortNode = { type: "its-group", revision: 1, identifier: 0, idMappings: [], itsIds: [0] };
const smmuV3 = (idMappings: IortIdMapping[], over: Partial<IortSmmuV3> = {}): IortSmmuV3 => ({
  type: "smmu-v3",
  revision: 4,
  identifier: 1,
  baseAddress: 0x9050000,
  flags: 1,
  vatosAddress: 0,
  model: 0,
  eventGsiv: 0x6a,
  priGsiv: 0x6b,
  gerrGsiv: 0x6d,
  syncGsiv: 0x6c,
  proximityDomain: 0,
  deviceIdMappingIndex: 0,
  idMappings,
  ...over,
});
const rc = (idMappings: IortIdMapping[], pciSegment = 0): IortNode => ({
  type: "root-complex",
  revision: 3,
  identifier: 2,
  memoryAccess: { cacheCoherency: 1, hints: 0, memoryFlags: 3 },
  atsAttribute: 0,
  pciSegment,
  memoryAddressLimit: 0x40,
  idMappings,
});
const table = (nodes: IortNode[]): IortTable => ({ revision: 3, oemId: "BOCHS ", oemTableId: "BXPC    ", oemRevision: 1, creatorId: "BXPC", creatorRevision: 1, nodes });

describe("QEMU 7.2's off-by-one IORT (RC: 0+0x100 -> SMMU, 0x100+0xFEFF -> ITS)", () => {
  const qemu72 = fixture("qemu72-acpi-initrd.IORT.bin");

  it("v6.1: bus 0 is behind the SMMU with StreamID = RID", () => {
    expect(iortMapPciRid(qemu72, 0, 0x0008)).toMatchObject({ kind: "smmu", node: 1, smmuType: "smmu-v3", streamId: 0x8 });
    expect(iortMapPciRid(qemu72, 0, 0x00ff)).toMatchObject({ kind: "smmu", streamId: 0xff });
  });

  it("v6.1: RID 0x100 hits the end of the SMMU range, -EAGAIN, and the ITS mapping starting there wins (FW_BUG workaround)", () => {
    const r = iortMapPciRid(qemu72, 0, 0x100);
    expect(r).toMatchObject({ kind: "its", node: 0, deviceId: 0x100, itsIds: [0] });
    const walk = iortNodeMapId(qemu72, 2, 0x100, "iommu");
    expect(walk).toMatchObject({ kind: "unmapped", reason: "no-mappings", at: 0, id: 0x100 });
    expect(walk.bugs).toEqual([
      { kind: "conflicting-mapping", node: 2, mapping: 1, id: 0x100, workaround: true, message: "[map 1] conflicting mapping for input ID 0x100; applying workaround." },
    ]);
  });

  it("v4.12 reads the counts as plain counts: 0x100 goes to the ITS without a conflict, 0xffff has no mapping", () => {
    expect(iortMapPciRid(qemu72, 0, 0x100, { era: "v4.12" })).toMatchObject({ kind: "its", deviceId: 0x100 });
    expect(iortNodeMapId(qemu72, 2, 0x100, "msi", { era: "v4.12" }).bugs).toEqual([]);
    expect(iortMapPciRid(qemu72, 0, 0xffff, { era: "v4.12" })).toMatchObject({ kind: "none", reason: "no-match" });
    expect(iortMapPciRid(qemu72, 0, 0xffff)).toMatchObject({ kind: "its", deviceId: 0xffff });
  });

  it("a StreamID's MSI walk continues SMMU -> ITS", () => {
    expect(iortNodeMapId(qemu72, 2, 0x10, "msi")).toMatchObject({
      kind: "mapped",
      node: 0,
      id: 0x10,
      steps: [
        { node: 2, mapping: 0, idIn: 0x10, idOut: 0x10 },
        { node: 1, mapping: 0, idIn: 0x10, idOut: 0x10 },
      ],
    });
  });

  it("has no root complex for segment 1", () => {
    expect(iortMapPciRid(qemu72, 1, 0)).toEqual({ kind: "none", reason: "no-root-complex" });
  });
});

describe("QEMU's corrected its=off IORT (RC: 0+0xFF -> SMMU, nothing else)", () => {
  const itsOff = fixture("IORT.its_off.rev5.bin");
  it("v6.1 covers RID 0xff (count-1 rule; the -EAGAIN hit stands when no later mapping starts there)", () => {
    expect(iortMapPciRid(itsOff, 0, 0xff)).toMatchObject({ kind: "smmu", streamId: 0xff });
    expect(iortMapPciRid(itsOff, 0, 0x100)).toMatchObject({ kind: "none", reason: "no-match" });
  });
  it("v4.12 loses RID 0xff", () => {
    expect(iortMapPciRid(itsOff, 0, 0xff, { era: "v4.12" })).toMatchObject({ kind: "none", reason: "no-match" });
  });
});

describe("QEMU smmuv3-dev (two SMMUv3s on pcie.0 and pxb pcie.1)", () => {
  const dev = fixture("IORT.smmuv3-dev.rev5.bin");
  it("routes bus 0 to the first SMMU, bus 0x10 to the second, bus 0x20 straight to the ITS", () => {
    expect(iortMapPciRid(dev, 0, 0x0008)).toMatchObject({ kind: "smmu", node: 1, streamId: 0x8 });
    expect(iortMapPciRid(dev, 0, 0x1008)).toMatchObject({ kind: "smmu", node: 2, streamId: 0x1008 });
    expect(iortMapPciRid(dev, 0, 0x2008)).toMatchObject({ kind: "its", deviceId: 0x2008 });
  });
});

describe("iortNodeMapId edge cases", () => {
  it("skips the SMMUv3 DeviceID mapping index when the SMMU signals MSIs (a GSIV is 0), not otherwise", () => {
    const maps = [map(0, 0, 0x7000, 0, 1), map(0, 0xffff, 0, 0)];
    const msi = table([its, smmuV3(maps, { eventGsiv: 0, deviceIdMappingIndex: 0 }), rc([map(0, 0xffff, 0, 1)])]);
    expect(iortNodeMapId(msi, 2, 0x42, "msi")).toMatchObject({ kind: "mapped", node: 0, id: 0x42 });
    // All GSIVs wired: the index is ignored and mapping 0 (single mapping) is tried first; SINGLE_MAPPING is not
    // allowed on an SMMUv3 in iort_id_map, so it is skipped with a FW_BUG and mapping 1 still maps.
    const wired = table([its, smmuV3(maps), rc([map(0, 0xffff, 0, 1)])]);
    const r = iortNodeMapId(wired, 2, 0x42, "msi");
    expect(r).toMatchObject({ kind: "mapped", id: 0x42 });
    expect(r.bugs.map((b) => b.kind)).toEqual(["single-mapping-not-allowed"]);
    // v4.12 had no index skip either.
    expect(iortNodeMapId(msi, 2, 0x42, "msi", { era: "v4.12" }).bugs.map((b) => b.kind)).toEqual(["single-mapping-not-allowed"]);
  });

  it("reports an ID mapping index past the mappings as a FW_BUG and does not skip", () => {
    const t = table([its, smmuV3([map(0, 0xffff, 0, 0)], { eventGsiv: 0, deviceIdMappingIndex: 5 }), rc([map(0, 0xffff, 0, 1)])]);
    expect(iortNodeMapId(t, 2, 1, "msi").bugs.map((b) => b.kind)).toEqual(["id-mapping-index-overflow"]);
  });

  it("SINGLE_MAPPING on a root complex maps every RID to the output base", () => {
    const t = table([its, smmuV3([]), rc([map(0, 0, 0x55, 1, 1)])]);
    expect(iortMapPciRid(t, 0, 0x1234)).toMatchObject({ kind: "smmu", streamId: 0x55 });
  });

  it("a NULL first output reference is a FW_BUG and leaves the ID unmapped", () => {
    const t = table([rc([map(0, 0xffff, 0, null)])]);
    const r = iortNodeMapId(t, 0, 3, "iommu");
    expect(r).toMatchObject({ kind: "unmapped", reason: "null-parent-reference", id: 3 });
    expect(r.bugs.map((b) => b.kind)).toEqual(["null-parent-reference"]);
  });

  it("does the range check in 32-bit arithmetic (input_base + id_count wraps)", () => {
    const t = table([its, rc([map(0x100, 0xffffffff, 0, 0)])]);
    expect(iortNodeMapId(t, 1, 0x200, "msi")).toMatchObject({ kind: "unmapped", reason: "no-match" });
  });

  it("stops after as many hops as nodes on a hand-built cycle", () => {
    const t = table([rc([map(0, 0xffff, 0, 1)]), rc([map(0, 0xffff, 0, 0)], 1)]);
    expect(iortNodeMapId(t, 0, 1, "iommu")).toMatchObject({ kind: "unmapped", reason: "loop" });
  });
});

describe("iortMapNamedComponent", () => {
  const nc = (idMappings: IortIdMapping[]): IortNode => ({
    type: "named-component",
    revision: 4,
    identifier: 3,
    nodeFlags: 0,
    memoryAccess: { cacheCoherency: 1, hints: 0, memoryFlags: 0 },
    memoryAddressLimit: 48,
    deviceName: "\\_SB.UFS0",
    idMappings,
  });
  it("collects single-mapping StreamIDs in index order until the first that yields no SMMU", () => {
    const t = table([its, smmuV3([map(0, 0xffff, 0, 0)]), nc([map(0, 0, 0x20, 1, 1), map(0, 0, 0x21, 1, 1), map(0, 0xf, 0x30, 1, 0), map(0, 0, 0x22, 1, 1)])]);
    expect(iortMapNamedComponent(t, "\\_SB.UFS0")).toEqual({ node: 2, streams: [{ smmu: 1, streamId: 0x20 }, { smmu: 1, streamId: 0x21 }] });
    expect(iortMapNamedComponent(t, "\\_SB.UFS0", { inputId: 5 })).toEqual({ node: 2, streams: [{ smmu: 1, streamId: 0x20 }] });
    expect(iortMapNamedComponent(t, "\\_SB.NOPE")).toEqual({ node: undefined, streams: [] });
  });
});
