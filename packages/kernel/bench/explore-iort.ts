/**
 * Writes `scenarios/explore-8ep-2smmu.IORT.bin`, the IORT of the explorer benchmark's machine: QEMU `virt`'s ITS
 * group, two SMMUv3s (at QEMU's SMMU base and 0x20000 above it), and one PCI root complex whose RIDs are split
 * between them by bus, as a two-SMMU server's IORT maps its root ports: bus 0 (RIDs 0x000–0x0ff) → SMMU 0,
 * buses 1–4 (RIDs 0x100–0x4ff) → SMMU 1, StreamID = RID.
 *
 * Run: `pnpm --filter @dmasim/kernel exec tsx --conditions=@dmasim/source bench/explore-iort.ts`
 */
import { writeFileSync } from "node:fs";
import { writeIort, type IortNode } from "@dmasim/firmware";

const smmu = (base: number, gsiv: number): IortNode => ({
  type: "smmu-v3",
  revision: 4,
  identifier: 0,
  idMappings: [{ inputBase: 0, idCount: 0xffff, outputBase: 0, outputReference: 0, flags: 0 }],
  baseAddress: base,
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

const nodes: IortNode[] = [
  { type: "its-group", revision: 1, identifier: 0, idMappings: [], itsIds: [0] },
  { ...smmu(0x0905_0000, 106), identifier: 1 },
  { ...smmu(0x0907_0000, 110), identifier: 2 },
  {
    type: "root-complex",
    revision: 3,
    identifier: 3,
    idMappings: [
      { inputBase: 0x000, idCount: 0x0ff, outputBase: 0x000, outputReference: 1, flags: 0 },
      { inputBase: 0x100, idCount: 0x3ff, outputBase: 0x100, outputReference: 2, flags: 0 },
    ],
    memoryAccess: { cacheCoherency: 1, hints: 0, memoryFlags: 0x3 },
    atsAttribute: 0,
    pciSegment: 0,
    memoryAddressLimit: 64,
  },
];

const bytes = writeIort({ revision: 3, oemId: "DMASIM", oemTableId: "EXPLORE8", oemRevision: 1, creatorId: "DMSM", creatorRevision: 1, nodes });
const out = new URL("../scenarios/explore-8ep-2smmu.IORT.bin", import.meta.url);
writeFileSync(out, bytes);
console.log(`wrote ${bytes.length} bytes to ${out.pathname}`);
