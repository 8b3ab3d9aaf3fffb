/**
 * The real Debian 6.1 DT boot with the topology of `dt-topo-gic3.cmd` (root ports, a PCIe-to-PCI bridge with two
 * conventional functions, a multifunction slot, GICv3 ITS), reproduced by the model: the groups, their members and
 * types (root ports share a group with what is below them because 6.1 requests ACS only at the first
 * `of_iommu_configure`, after the scan, so the ports' ACS control words are still 0), and 03:02.0 bound but
 * without a group because its alias StreamID 0x300 is already 03:01.0's.
 */
import { describe, expect, it } from "vitest";
import { GITS_TRANSLATER_OFFSET } from "@dmasim/machine";
import { pciAcsControl, pciSetMaster, toPciDev } from "@dmasim/pci";
import { fixtureText, kernelLines } from "./core-fixtures";
import { printedLines } from "./qemu-topo-harness";
import { bootAndCompare } from "./qemu-topo-checks";

describe("dt-topo-gic3", () => {
  it("groups, members, types, drivers and the group log lines equal the real boot's", () => {
    const { k } = bootAndCompare("dt-topo-gic3");
    // The mechanism behind the DT grouping: no root port had ACS enabled when pci_device_group looked.
    for (const dev of k.pci.bus.devices) {
      const p = toPciDev(dev);
      if (p?.pcieType === "root-port") expect(pciAcsControl(p)).toBe(0);
    }
    expect(k.pci.acsEnabled).toBe(true); // requested — but too late
  });

  it("every 'OF: … iommu-map' translation line, deferred attempts included, is printed in the same order", () => {
    for (const fixture of ["dt-topo-gic3", "dt-topo-gic3-defer"]) {
      const { k } = bootAndCompare(fixture);
      const real = kernelLines(fixtureText(`qemu-boots/${fixture}.log`)).filter((l) => /^OF: .*: iommu-map, /.test(l));
      expect(real.length).toBeGreaterThan(10);
      expect(printedLines(k).filter((l) => /^OF: .*: iommu-map, /.test(l))).toEqual(real);
    }
  });

  it("the same holds for the -defer and -cfg boots of the same topology", () => {
    bootAndCompare("dt-topo-gic3-defer");
    bootAndCompare("dt-topo-gic3-cfg");
  });

  it("the device that loses the StreamID race is bound, has no group and no fwspec, and got no IOMMU ops", () => {
    const { k } = bootAndCompare("dt-topo-gic3");
    const orphans = k.pci.bus.devices.filter((d) => d.driver !== null && k.iommu.iommuGroupGet(d) === null).map((d) => d.name);
    expect(orphans).toEqual(["0000:03:02.0"]);
    const dev = k.pci.bus.devices.find((d) => d.name === "0000:03:02.0");
    if (dev === undefined) throw new Error("no 03:02.0");
    expect(k.iommu.devIommuFwspecGet(dev)).toBeNull();
    expect(k.dmaOps.get(dev.name)).toBeNull();
  });

  it("the orphan's MSI write (dma-direct: the ITS doorbell's physical address) faults in 03:01.0's domain, as logged", () => {
    const { k, smmu } = bootAndCompare("dt-topo-gic3");
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
    const real = kernelLines(fixtureText("qemu-boots/dt-topo-gic3.log"));
    const at = real.findIndex((l) => l.endsWith(": event 0x10 received:"));
    expect(printedLines(k).slice(before)).toEqual(real.slice(at, at + 5));
  });
});
