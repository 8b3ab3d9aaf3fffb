/**
 * The real 6.1 ACPI boots in fixtures/qemu-boots: each log carries the IORT the kernel read (hexdump
 * between "ACPI IORT hexdump begin/end") and the PCI devices it put behind the SMMU ("Adding to iommu group").
 * Every such device's requester ID must walk to the SMMUv3 in that very table.
 */
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DeviceTree, fdtGetProp, iortMapPciRid, ofMapId, parseIort, readCells, readU32 } from "@dmasim/firmware";
import { FIXTURES } from "./fixtures";

const dir = resolve(FIXTURES, "qemu-boots");
const logs = readdirSync(dir)
  .filter((f) => f.startsWith("acpi-") && f.endsWith(".log"))
  .sort();

function iortFromLog(text: string): Uint8Array {
  const lines = text.split("\n");
  const begin = lines.findIndex((l) => l.includes("ACPI IORT hexdump begin"));
  const end = lines.findIndex((l) => l.includes("ACPI IORT hexdump end"));
  const bytes: number[] = [];
  for (const l of lines.slice(begin + 1, end)) {
    const m = /^[0-9a-f]{8}\s+((?:[0-9a-f]{2}\s+)+)\|/.exec(l);
    if (m) bytes.push(...(m[1] as string).trim().split(/\s+/).map((h) => Number.parseInt(h, 16)));
  }
  return Uint8Array.from(bytes);
}

describe.each(logs)("%s", (log) => {
  const text = readFileSync(resolve(dir, log), "utf8");
  const bdfs = [...new Set([...text.matchAll(/ (0000):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]): Adding to iommu group/g)].map((m) => m.slice(2).join(":")))];

  it("boots with an IORT that parses, and puts PCI devices into IOMMU groups", () => {
    expect(parseIort(iortFromLog(text)).ok).toBe(true);
    expect(bdfs.length).toBeGreaterThan(0);
  });

  it("every device Linux grouped walks RC -> SMMUv3 with StreamID = RID", () => {
    const parsed = parseIort(iortFromLog(text));
    if (!parsed.ok) throw new Error(parsed.error.message);
    for (const bdf of bdfs) {
      const [bus, dev, fn] = bdf.split(":").map((x) => Number.parseInt(x, 16)) as [number, number, number];
      const rid = (bus << 8) | (dev << 3) | fn;
      expect({ bdf, r: iortMapPciRid(parsed.value, 0, rid) }).toMatchObject({ bdf, r: { kind: "smmu", smmuType: "smmu-v3", streamId: rid } });
    }
  });
});

/**
 * The real 6.1 DT boots with dynamic debug print every `of_map_id` translation:
 * `OF: /pcie@10000000: iommu-map, using mask ffffffff, id-base: ..., out-base: ..., length: ..., id: X -> Y`.
 * The same translation through the DTB QEMU 7.2 dumped for that machine must agree, field for field.
 */
const dtLogs = readdirSync(dir)
  .filter((f) => f.startsWith("dt-") && f.endsWith(".log"))
  .sort();

describe.each(dtLogs)("%s", (log) => {
  const text = readFileSync(resolve(dir, log), "utf8");
  const lines = [...text.matchAll(/OF: (\S+): (iommu-map|msi-map), using mask ([0-9a-f]+), id-base: ([0-9a-f]+), out-base: ([0-9a-f]+), length: ([0-9a-f]+), id: ([0-9a-f]+) -> ([0-9a-f]+)/g)];
  const dtb = log.startsWith("dt-topo-gic3") ? "qemu72-virt-topo-gic3.dtb" : "qemu72-virt-smmuv3.dtb";

  it.skipIf(lines.length === 0)(`reproduces every logged of_map_id translation with ${dtb}`, () => {
    const dt = DeviceTree.parse(new Uint8Array(readFileSync(resolve(FIXTURES, "dtb", dtb))));
    if (!dt.ok) throw new Error(dt.error.message);
    for (const m of lines) {
      const [, path, mapName, mask, idBase, outBase, length, id, out] = m as unknown as string[];
      const node = dt.value.findNode(path as string);
      if (node === undefined) throw new Error(`${path} not in ${dtb}`);
      const maskProp = fdtGetProp(node, `${mapName}-mask`);
      const dtMask = maskProp === undefined ? 0xffffffff : (readU32(maskProp) as { value: number }).value;
      expect(dtMask).toBe(Number.parseInt(mask as string, 16));
      const r = ofMapId(dt.value, node, Number.parseInt(id as string, 16), mapName as "iommu-map" | "msi-map");
      expect(r).toMatchObject({ kind: "mapped", id: Number.parseInt(out as string, 16) });
      if (r.kind !== "mapped") continue;
      const cells = readCells(fdtGetProp(node, mapName as string) as never);
      if (!cells.ok) throw new Error(cells.error.message);
      const [b, , o, l] = cells.value.slice(r.entry * 4, r.entry * 4 + 4);
      expect([b, o, l]).toEqual([idBase, outBase, length].map((x) => Number.parseInt(x as string, 16)));
    }
  });
});
