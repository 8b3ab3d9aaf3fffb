/**
 * The real Debian 6.1 ACPI boot with the topology of `acpi-topo-gic3.cmd`, reproduced by the model: IORT init
 * requests ACS before the PCI scan (`iort_enable_acs`, a root complex mapping to the SMMUv3), so `pci_acs_init`
 * enables it on every root port and each port is its own group, isolated from what is below it; behind the
 * PCIe-to-PCI bridge the functions alias to 0x300 and share the bridge's group; 03:02.0 is bound without a group
 * (StreamID 0x300 already taken). The StreamIDs come from the IORT walk of the machine's table (QEMU 7.2's
 * off-by-one count included).
 */
import { describe, expect, it } from "vitest";
import { GITS_TRANSLATER_OFFSET } from "@dmasim/machine";
import { pciAcsControl, pciSetMaster, toPciDev } from "@dmasim/pci";
import { fixtureText, kernelLines } from "./core-fixtures";
import { printedLines } from "./qemu-topo-harness";
import { bootAndCompare } from "./qemu-topo-checks";

describe("acpi-topo-gic3", () => {
  it("groups, members, types, drivers and the group log lines equal the real boot's", () => {
    const { k } = bootAndCompare("acpi-topo-gic3");
    // The mechanism: ACS was requested before the scan, so every root port enabled the controls it offers.
    for (const dev of k.pci.bus.devices) {
      const p = toPciDev(dev);
      if (p?.pcieType === "root-port") expect(pciAcsControl(p)).not.toBe(0);
    }
  });

  it("the same holds for the -defer and -cfg boots of the same topology", () => {
    bootAndCompare("acpi-topo-gic3-defer");
    bootAndCompare("acpi-topo-gic3-cfg");
  });

  it("the device that loses the StreamID race is bound, has no group, and got no IOMMU ops", () => {
    const { k } = bootAndCompare("acpi-topo-gic3");
    const orphans = k.pci.bus.devices.filter((d) => d.driver !== null && k.iommu.iommuGroupGet(d) === null).map((d) => d.name);
    expect(orphans).toEqual(["0000:03:02.0"]);
    expect(k.dmaOps.get("0000:03:02.0")).toBeNull();
    const withSmmu = k.trace.records.flatMap((r) => (r.type === "iommu-fwspec-add-ids" && r.device === "0000:03:02.0" ? [r.ids] : []));
    expect(withSmmu).toEqual([[0x310], [0x300]]); // both aliases walked through the root complex to the SMMU
  });

  it("the orphan's MSI write (dma-direct: the ITS doorbell's physical address) faults in 03:01.0's domain, as logged", () => {
    const { k, smmu } = bootAndCompare("acpi-topo-gic3");
    const dev = k.pci.bus.devices.find((d) => d.name === "0000:03:02.0");
    const pdev = dev === undefined ? undefined : toPciDev(dev);
    if (pdev === undefined) throw new Error("no 03:02.0");
    pciSetMaster(pdev); // virtio_pci's probe enables bus mastering
    const doorbell = k.machine.doorbells[0];
    if (doorbell === undefined) throw new Error("no doorbell");
    const before = printedLines(k).length;
    // With no IOMMU ops the MSI address is GITS_TRANSLATER's physical address; the machine aliases the RID to 0x300.
    const r = k.machine.interconnect.dma({
      master: { kind: "pci", segment: 0, bus: pdev.bus.number, devfn: pdev.devfn },
      address: doorbell.base + GITS_TRANSLATER_OFFSET,
      size: 4,
      access: "write",
      kind: "msi",
    });
    expect(r.outcome).toBe("aborted");
    smmu.deliverIrqs();
    const real = kernelLines(fixtureText("qemu-boots/acpi-topo-gic3.log"));
    const at = real.findIndex((l) => l.endsWith(": event 0x10 received:"));
    expect(printedLines(k).slice(before)).toEqual(real.slice(at, at + 5));
  });
});
