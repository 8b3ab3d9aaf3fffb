/**
 * Enumerate a QEMU `virt` PCI hierarchy the ACPI way (`acpi_pci_root_add`) and ask `pci_for_each_dma_alias` which
 * requester IDs a device's DMA may carry: a conventional PCI device behind a PCIe-to-PCI bridge is also seen with the
 * bridge's ID, which is why the IOMMU core puts it in the bridge's group. Run: `npx tsx examples/pci-dma-aliases.ts`.
 */
import { DRIVER_CORE_ERAS, DriverCore, Trace } from "@dmasim/driver-core";
import { buildQemuVirtBoard, instantiateBoard } from "@dmasim/machine";
import { PCI_ERAS, acpiPciRootAdd, pciDevName, pciDmaAliases, registerPciBus } from "@dmasim/pci";

const built = buildQemuVirtBoard({ firmware: "acpi", devices: ["pcie-pci-bridge,id=br0,addr=0x4", "virtio-rng-pci,bus=br0,addr=0x1"] });
const machine = built.ok ? instantiateBoard(built.value.board) : undefined;
if (machine === undefined || !machine.ok) throw new Error("board");
const hb = machine.value.board.pciHostBridges[0]!;

const core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace: new Trace() });
const pci = registerPciBus(core, { trace: new Trace(), era: PCI_ERAS["v6.1"] });
if (!pci.ok) throw new Error(`pci_register_driver: ${pci.error}`);
const { segment, busRange, windows, ecam } = hb;
acpiPciRootAdd(pci.value, { companion: { name: "PNP0A08:00" }, busId: "PCI0", segment, busRange, windows, ecam, config: machine.value.pci });

for (const pdev of pci.value.devices) {
  const aliases = pciDmaAliases(pdev).map((a) => `${pciDevName(a.pdev)}=0x${a.alias.toString(16).padStart(4, "0")}`);
  console.log(`${pciDevName(pdev)}: ${aliases.join(" ")}`);
}
