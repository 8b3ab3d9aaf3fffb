/**
 * Build QEMU 7.2's `virt` board from `-device` arguments (no IOMMU), bring it up, and let the e1000e behind a PCIe
 * root port write into RAM as a bus master: the interconnect reports the requester ID the write carried and where
 * it landed. Run: `npx tsx examples/machine-qemu-virt-dma.ts`.
 */
import { buildQemuVirtBoard, instantiateBoard } from "@dmasim/machine";

// firmware "acpi": UEFI numbers the buses before the OS runs, so the endpoint is already at bus 1.
const built = buildQemuVirtBoard({ firmware: "acpi", devices: ["pcie-root-port,id=rp1,chassis=1,slot=1,addr=0x3", "e1000e,romfile=,bus=rp1"] });
if (!built.ok) throw new Error(`-device ${built.error.arg}: ${built.error.kind}`);
for (const f of built.value.board.pciFunctions) {
  console.log(`${f.name} ${f.model} [${f.vendorId.toString(16)}:${f.deviceId.toString(16)}]`); // names as firmware numbered them
}

// No driver runs here to set PCI_COMMAND's bus-master bit, so do not enforce it.
const up = instantiateBoard(built.value.board, { enforceBusMaster: false });
if (!up.ok) throw new Error(up.error.map((e) => `${e.field}: ${e.message}`).join("; "));
const machine = up.value;
const r = machine.interconnect.dma({
  master: { kind: "pci", segment: 0, bus: 1, devfn: 0 },
  address: 0x4000_1000,
  size: 4,
  access: "write",
  data: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
});
console.log(r.outcome === "completed" ? `DMA ${r.via} to ${r.target} PA 0x${r.pa.toString(16)}, RID 0x${r.requesterId?.toString(16)}` : `DMA aborted at ${r.at}: ${r.reason}`);
console.log(`RAM 0x40001000: ${machine.memory.read32(0x4000_1000).toString(16)}`);
