/**
 * Speed of the machine's hot paths, each against a named baseline:
 * - DMA write through the interconnect (requester ID, StreamID, IOMMU hook, RAM) vs `PhysicalMemory.writeBytes`
 *   of the same bytes (the work left when nothing is routed);
 * - a config-space read through the host bridge (bus routing through bridges) vs `PciConfigSpace.read` on the
 *   function directly;
 * - building the QEMU topology board + its DT + IORT (one-off cost) vs `parseQemuCommandLine` of the same line.
 *
 * Run: pnpm --filter @dmasim/machine bench
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { writeFdt, writeIort } from "@dmasim/firmware";
import {
  PciCommand,
  PciReg,
  VIRT_SMMU_NAME,
  buildQemuVirtBoard,
  buildQemuVirtDt,
  buildQemuVirtIort,
  instantiateBoard,
  parseQemuCommandLine,
  pciDevfn,
  qemuVirtOptionsFromCommandLine,
} from "@dmasim/machine";

function time(label: string, iterations: number, fn: () => void): number {
  for (let i = 0; i < Math.min(iterations, 1000); i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const ns = Number(process.hrtime.bigint() - t0) / iterations;
  console.log(`${label.padEnd(58)} ${ns.toFixed(1).padStart(10)} ns/op`);
  return ns;
}

const cmdText = readFileSync(resolve(import.meta.dirname, "../../../fixtures/qemu-boots/acpi-topo-gic3-cfg.cmd"), "utf8");
const cmd = parseQemuCommandLine(cmdText);
if (!cmd.ok) throw new Error("cmd");
const built = buildQemuVirtBoard(qemuVirtOptionsFromCommandLine(cmd.value));
if (!built.ok) throw new Error("board");
const inst = instantiateBoard(built.value.board);
if (!inst.ok) throw new Error("instantiate");
const m = inst.value;
m.attachIommu(VIRT_SMMU_NAME, { translate: (t) => ({ kind: "translated", pa: 0x4000_0000 + (t.iova % 0x100_0000) }) });
for (const [bus, slot] of [[3, 2], [4, 0]] as const) {
  const devfn = pciDevfn(slot, 0);
  m.pci.write(0, bus, devfn, PciReg.COMMAND, 2, m.pci.read(0, bus, devfn, PciReg.COMMAND, 2) | PciCommand.MASTER);
}
const data = new Uint8Array(64).fill(0x5a);
const N = 200_000;
let iova = 0;

console.log("DMA (64-byte writes)");
const base = time("  baseline: PhysicalMemory.writeBytes", N, () => {
  m.memory.writeBytes(0x4000_0000 + (iova = (iova + 64) % 0x100_0000), data);
});
const nvme = time("  interconnect: 04:00.0 (root port), IOMMU hook, RAM", N, () => {
  m.interconnect.dma({ master: { kind: "pci", segment: 0, bus: 4, devfn: 0 }, address: (iova = (iova + 64) % 0x100_0000), size: 64, access: "write", data });
});
const alias = time("  interconnect: 03:02.0 (behind PCIe-to-PCI bridge)", N, () => {
  m.interconnect.dma({ master: { kind: "pci", segment: 0, bus: 3, devfn: pciDevfn(2, 0) }, address: (iova = (iova + 64) % 0x100_0000), size: 64, access: "write", data });
});
console.log(`  ratio to baseline: ${(nvme / base).toFixed(2)}x (root port), ${(alias / base).toFixed(2)}x (aliased)`);

console.log("Config reads (32-bit, vendor/device of 03:02.0)");
const node = m.pci.hierarchy(0)?.find(3, pciDevfn(2, 0));
if (node === undefined) throw new Error("node");
const direct = time("  baseline: PciConfigSpace.read on the function", N, () => void node.config.read(0, 4));
const routed = time("  host bridge: routed by bus number through 2 bridges", N, () => void m.pci.read(0, 3, pciDevfn(2, 0), 0, 4));
console.log(`  ratio to baseline: ${(routed / direct).toFixed(2)}x`);

console.log("Building the topology machine");
const parse = time("  baseline: parseQemuCommandLine", 2000, () => void parseQemuCommandLine(cmdText));
const all = time("  board + DT + IORT (encoded)", 2000, () => {
  const b = buildQemuVirtBoard(qemuVirtOptionsFromCommandLine(cmd.value));
  if (!b.ok) throw new Error("board");
  writeFdt(buildQemuVirtDt(b.value));
  writeIort(buildQemuVirtIort(b.value));
});
console.log(`  ratio to baseline: ${(all / parse).toFixed(1)}x`);
