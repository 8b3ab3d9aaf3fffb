/**
 * Parse a flattened device tree (QEMU 7.2's `virt` board with an SMMUv3) and ask what Linux's `of_map_id` gives a PCI
 * function: which IOMMU translates it and with which StreamID. Run: `npx tsx examples/firmware-parse-dtb.ts [file.dtb]`.
 */
import { readFileSync } from "node:fs";
import { DeviceTree, compatibleOf, formatFirmwareError, ofIommuProviders, ofMapId } from "@dmasim/firmware";

const file = process.argv[2] ?? new URL("../fixtures/dtb/qemu72-virt-smmuv3.dtb", import.meta.url);
const parsed = DeviceTree.parse(new Uint8Array(readFileSync(file)));
if (!parsed.ok) throw new Error(formatFirmwareError(String(file), parsed.error)); // parsers return errors, never throw
const dt = parsed.value;

console.log(`root compatible: ${compatibleOf(dt.root).join(", ")}`);
for (const p of ofIommuProviders(dt)) console.log(`iommu provider: ${p.path}`);

const host = dt.findNode("/pcie@10000000");
if (host === undefined) throw new Error("no PCI host bridge");
const rid = 0x08; // 00:01.0
const m = ofMapId(dt, host, rid, "iommu-map");
if (m.kind === "mapped") console.log(`RID 0x${rid.toString(16)} -> ${m.targetPath} StreamID 0x${m.id.toString(16)}`);
else console.log(`RID 0x${rid.toString(16)}: ${m.kind}`);
