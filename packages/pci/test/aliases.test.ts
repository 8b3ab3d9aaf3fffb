/**
 * `pci_for_each_dma_alias` on the enumerated topology: the QEMU board's PCIe-to-PCI bridge (both conventional
 * functions behind it alias to 0x0300, the bridge's secondary bus with devfn 0, last — the collision the 6.1 boots
 * show as "stream 768 already in tree"), and a board written as data with a switch, a conventional PCI-to-PCI
 * bridge and a PCI-to-PCIe bridge. The last alias must be the requester ID the machine's hardware model puts on
 * the wire for every function, which it derives independently from the bridges' registers.
 */
import { describe, expect, it } from "vitest";
import { describePciTopology, genericPciConfig, pciDevfn, type Board, type PciTopologyInput } from "@dmasim/machine";
import {
  pciAddDmaAlias,
  pciDeviceIsBehindPcieToPciBridge,
  pciDevsAreDmaAliases,
  pciDmaAliases,
  pciForEachDmaAlias,
  pciGetSlot,
  type PciDev,
} from "@dmasim/pci";
import { acpiEnumerate, dtEnumerate, fixtureOptions, makeKernel, makeKernelOnBoard, type TestKernel } from "./helpers/boot";

const aliases = (pdev: PciDev | null): [string, number][] =>
  pdev === null ? [] : pciDmaAliases(pdev).map((a) => [a.pdev.name, a.alias]);

function dev(k: TestKernel, name: string): PciDev {
  const d = k.pci.findDev(name);
  if (d === null) throw new Error(name);
  return d;
}

/** The hardware requester ID of every function, by kernel name, from the machine's hierarchy. */
function hardwareRids(k: TestKernel): Map<string, number> {
  const h = k.machine.pci.hierarchy(0);
  if (h === undefined) throw new Error("no hierarchy");
  return new Map(h.functions.filter((f) => h.isVisible(f)).map((f) => [h.nameOf(f), h.requesterId(f)]));
}

describe("DMA aliases on the QEMU topology board", () => {
  for (const fw of ["dt", "acpi"] as const) {
    it(`${fw}: 03:01.0 and 03:02.0 alias to 0x0300 last; root-port endpoints add none`, () => {
      const k = makeKernel(fixtureOptions(`${fw}-topo-gic3.cmd`));
      expect(fw === "dt" ? dtEnumerate(k) : acpiEnumerate(k)).toBe(0);
      expect(aliases(dev(k, "0000:03:01.0"))).toEqual([["0000:03:01.0", 0x0308], ["0000:02:00.0", 0x0300]]);
      expect(aliases(dev(k, "0000:03:02.0"))).toEqual([["0000:03:02.0", 0x0310], ["0000:02:00.0", 0x0300]]);
      expect(aliases(dev(k, "0000:01:00.0"))).toEqual([["0000:01:00.0", 0x0100]]);
      expect(aliases(dev(k, "0000:02:00.0"))).toEqual([["0000:02:00.0", 0x0200]]);
      expect(aliases(dev(k, "0000:00:05.1"))).toEqual([["0000:00:05.1", 0x0029]]);
      const hw = hardwareRids(k);
      for (const d of k.pci.devices) expect([d.name, pciDmaAliases(d).at(-1)?.alias]).toEqual([d.name, hw.get(d.name)]);
      expect(pciDeviceIsBehindPcieToPciBridge(dev(k, "0000:03:02.0"))).toBe(true);
      expect(pciDeviceIsBehindPcieToPciBridge(dev(k, "0000:01:00.0"))).toBe(false);
    });
  }

  it("stops when the callback returns non-zero and returns that value", () => {
    const k = makeKernel(fixtureOptions("acpi-topo-gic3.cmd"));
    acpiEnumerate(k);
    const seen: number[] = [];
    expect(pciForEachDmaAlias(dev(k, "0000:03:01.0"), (_p, alias) => (seen.push(alias), 7))).toBe(7);
    expect(seen).toEqual([0x0308]);
    seen.length = 0;
    expect(pciForEachDmaAlias(dev(k, "0000:03:01.0"), (_p, alias) => (seen.push(alias), alias === 0x0300 ? -1 : 0))).toBe(-1);
    expect(seen).toEqual([0x0308, 0x0300]);
  });

  it("adds dma_alias_mask devfns after the function's own RID, and stops at a BRIDGE_XLATE_ROOT bridge", () => {
    const k = makeKernel(fixtureOptions("acpi-topo-gic3.cmd"), {
      hooks: {
        fixupHeader: (p) => {
          if (p.name === "0000:03:01.0") pciAddDmaAlias(p, pciDevfn(4, 0), 2); // a quirk: DMA also as 03:04.0/03:04.1
          if (p.name === "0000:02:00.0") p.devFlags.bridgeXlateRoot = true;
        },
      },
    });
    acpiEnumerate(k);
    const d = dev(k, "0000:03:01.0");
    expect(aliases(d)).toEqual([["0000:03:01.0", 0x0308], ["0000:03:01.0", 0x0320], ["0000:03:01.0", 0x0321]]);
    const bus3 = d.bus;
    expect(pciGetSlot(bus3, pciDevfn(2, 0))?.name).toBe("0000:03:02.0");
    expect(pciDevsAreDmaAliases(d, dev(k, "0000:03:02.0"))).toBe(false);
    pciAddDmaAlias(d, pciDevfn(2, 0), 1);
    expect(pciDevsAreDmaAliases(d, dev(k, "0000:03:02.0"))).toBe(true);
    expect(pciDevsAreDmaAliases(dev(k, "0000:03:02.0"), d)).toBe(true);
    expect(d.dmaAliasDevfns).toEqual([0x10, 0x20, 0x21]);
  });
});

/** A switch below a root port, a conventional PCI-to-PCI bridge, and a PCI-to-PCIe bridge behind it. */
function dataBoard(): Board {
  const g = genericPciConfig;
  const inputs: (PciTopologyInput & { model: string })[] = [
    { id: "hb", segment: 0, upstream: null, devfn: 0, model: "host", bridge: null, config: g({ vendorId: 0x13b5, deviceId: 0x100, classCode: 0x060000 }) },
    { id: "rp", segment: 0, upstream: null, devfn: pciDevfn(1, 0), model: "rp", bridge: { secondaryExpress: true }, config: g({ vendorId: 0x13b5, deviceId: 0x101, classCode: 0, express: "root-port", acs: true }) },
    { id: "up", segment: 0, upstream: "rp", devfn: 0, model: "up", bridge: { secondaryExpress: true }, config: g({ vendorId: 0x10b5, deviceId: 0x8724, classCode: 0, express: "upstream-port" }) },
    { id: "dp", segment: 0, upstream: "up", devfn: pciDevfn(1, 0), model: "dp", bridge: { secondaryExpress: true }, config: g({ vendorId: 0x10b5, deviceId: 0x8725, classCode: 0, express: "downstream-port", acs: true }) },
    { id: "ep", segment: 0, upstream: "dp", devfn: 0, model: "ep", bridge: null, config: g({ vendorId: 0x15b3, deviceId: 0x1017, classCode: 0x020000, express: "endpoint" }) },
    { id: "p2p", segment: 0, upstream: null, devfn: pciDevfn(2, 0), model: "p2p", bridge: { secondaryExpress: false }, config: g({ vendorId: 0x8086, deviceId: 0x244e, classCode: 0, conventionalBridge: true }) },
    { id: "old", segment: 0, upstream: "p2p", devfn: pciDevfn(4, 0), model: "old", bridge: null, config: g({ vendorId: 0x1000, deviceId: 0x30, classCode: 0x010000 }) },
    { id: "rev", segment: 0, upstream: "p2p", devfn: pciDevfn(5, 0), model: "rev", bridge: { secondaryExpress: true }, config: g({ vendorId: 0x12d8, deviceId: 0xe130, classCode: 0, express: "pci-to-pcie-bridge" }) },
    { id: "new", segment: 0, upstream: "rev", devfn: 0, model: "new", bridge: null, config: g({ vendorId: 0x1b4b, deviceId: 0x9230, classCode: 0x010601, express: "endpoint" }) },
  ];
  const fns = describePciTopology(0, 0, inputs);
  if (!fns.ok) throw new Error(fns.error.message);
  return {
    name: "data",
    memory: [{ name: "dram", base: 0x8000_0000, size: 0x1000_0000 }],
    gic: { version: 3, distributor: { base: 0x2f00_0000, size: 0x1_0000 }, its: { base: 0x2f02_0000, size: 0x2_0000 } },
    smmus: [],
    pciHostBridges: [
      {
        name: "pcie@40000000",
        segment: 0,
        ecam: { base: 0x4000_0000, size: 0x1000_0000 },
        busRange: { first: 0, last: 0xff },
        windows: [{ kind: "mem32", cpuBase: 0x5000_0000, pciBase: 0x5000_0000, size: 0x1000_0000 }],
        iommuMap: [],
        busNumbering: "os",
        dmaCoherent: true,
      },
    ],
    pciFunctions: fns.value,
    platformDevices: [],
  };
}

describe("DMA aliases on a board written as data (Linux numbers the buses)", () => {
  it("switch ports add nothing; a conventional bridge adds its own RID; a PCI-to-PCIe bridge its own RID, then the bridge above", () => {
    const k = makeKernelOnBoard(dataBoard());
    expect(dtEnumerate(k)).toBe(0);
    expect(k.pci.devices.map((d) => d.name)).toEqual([
      "0000:00:00.0", "0000:00:01.0", "0000:00:02.0", "0000:01:00.0", "0000:02:01.0", "0000:03:00.0", "0000:04:04.0", "0000:04:05.0", "0000:05:00.0",
    ]);
    expect(aliases(dev(k, "0000:03:00.0"))).toEqual([["0000:03:00.0", 0x0300]]);
    expect(aliases(dev(k, "0000:04:04.0"))).toEqual([["0000:04:04.0", 0x0420], ["0000:00:02.0", 0x0010]]);
    expect(aliases(dev(k, "0000:05:00.0"))).toEqual([["0000:05:00.0", 0x0500], ["0000:04:05.0", 0x0428], ["0000:00:02.0", 0x0010]]);
    const hw = hardwareRids(k);
    for (const d of k.pci.devices) expect([d.name, pciDmaAliases(d).at(-1)?.alias]).toEqual([d.name, hw.get(d.name)]);
  });

  it("PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS makes a conventional bridge alias like a PCIe-to-PCI bridge", () => {
    const k = makeKernelOnBoard(dataBoard(), {
      hooks: {
        fixupHeader: (p) => {
          if (p.vendor === 0x8086 && p.device === 0x244e) p.devFlags.pcieBridgeAlias = true;
        },
      },
    });
    dtEnumerate(k);
    expect(aliases(dev(k, "0000:04:04.0"))).toEqual([["0000:04:04.0", 0x0420], ["0000:00:02.0", 0x0400]]);
  });
});
