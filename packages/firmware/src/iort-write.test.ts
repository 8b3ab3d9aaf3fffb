import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { IortTable } from "./iort-model";
import { writeIort } from "./iort-write";

const fixtures = resolve(import.meta.dirname, "../../../fixtures/iort");

/** QEMU 7.2's IORT for `-M virt,iommu=smmuv3` (ITS, SMMUv3 @0x9050000, RC), as its .dsl disassembly reads. */
const qemu72: IortTable = {
  revision: 3,
  oemId: "BOCHS ",
  oemTableId: "BXPC    ",
  oemRevision: 1,
  creatorId: "BXPC",
  creatorRevision: 1,
  nodes: [
    { type: "its-group", revision: 1, identifier: 0, idMappings: [], itsIds: [0] },
    {
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
      idMappings: [{ inputBase: 0, idCount: 0xffff, outputBase: 0, outputReference: 0, flags: 0 }],
    },
    {
      type: "root-complex",
      revision: 3,
      identifier: 2,
      memoryAccess: { cacheCoherency: 1, hints: 0, memoryFlags: 3 },
      atsAttribute: 0,
      pciSegment: 0,
      memoryAddressLimit: 0x40,
      idMappings: [
        { inputBase: 0, idCount: 0x100, outputBase: 0, outputReference: 1, flags: 0 },
        { inputBase: 0x100, idCount: 0xfeff, outputBase: 0x100, outputReference: 0, flags: 0 },
      ],
    },
  ],
};

describe("writeIort", () => {
  it("re-creates QEMU 7.2's IORT byte for byte (layout, offsets, checksum 0x55)", () => {
    const expected = readFileSync(resolve(fixtures, "qemu72-acpi-initrd.IORT.bin"));
    const bytes = writeIort(qemu72);
    expect(bytes[9]).toBe(0x55);
    expect(Buffer.from(bytes).toString("hex")).toBe(expected.toString("hex"));
  });
});
