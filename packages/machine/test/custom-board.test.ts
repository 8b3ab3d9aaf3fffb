/**
 * A board written as data, not from QEMU: generic PCI functions (a root port with ACS, an endpoint, a conventional
 * PCI-to-PCI bridge with a device behind it), an SMMU with a RID→SID offset, and a platform master with two
 * StreamIDs.
 */
import { describe, expect, it } from "vitest";
import {
  PciAcs,
  PciCommand,
  PciReg,
  describePciTopology,
  genericPciConfig,
  instantiateBoard,
  pciDevfn,
  validateBoard,
  type Board,
  type IommuTransaction,
} from "@dmasim/machine";

function board(): Board {
  const fns = describePciTopology(0, 0, [
    { id: "hb", segment: 0, upstream: null, devfn: 0, model: "host", bridge: null, config: genericPciConfig({ vendorId: 0x13b5, deviceId: 0x0100, classCode: 0x060000 }) },
    { id: "rp", segment: 0, upstream: null, devfn: pciDevfn(1, 0), model: "rp", bridge: { secondaryExpress: true }, config: genericPciConfig({ vendorId: 0x13b5, deviceId: 0x0101, classCode: 0, express: "root-port", acs: true, msixVectors: 1 }) },
    { id: "nic", segment: 0, upstream: "rp", devfn: 0, model: "nic", bridge: null, config: genericPciConfig({ vendorId: 0x15b3, deviceId: 0x1017, classCode: 0x020000, express: "endpoint", msixVectors: 8, bars: [{ index: 0, type: "mem64-prefetch", size: 0x200_0000 }] }) },
    { id: "p2p", segment: 0, upstream: null, devfn: pciDevfn(2, 0), model: "p2p", bridge: { secondaryExpress: false }, config: genericPciConfig({ vendorId: 0x8086, deviceId: 0x244e, classCode: 0, conventionalBridge: true }) },
    { id: "old", segment: 0, upstream: "p2p", devfn: pciDevfn(4, 0), model: "old", bridge: null, config: genericPciConfig({ vendorId: 0x1000, deviceId: 0x0030, classCode: 0x010000, msiVectors: 1 }) },
  ]);
  if (!fns.ok) throw new Error(fns.error.message);
  return {
    name: "custom",
    memory: [{ name: "dram", base: 0x8000_0000, size: 0x4000_0000 }],
    gic: { version: 3, distributor: { base: 0x2f00_0000, size: 0x1_0000 }, its: { base: 0x2f02_0000, size: 0x2_0000 } },
    smmus: [{ name: "smmu", model: "smmu-v3", base: 0x2b40_0000, size: 0x2_0000, sidBits: 17, irqs: { eventq: 1, priq: 2, cmdqSync: 3, gerror: 4 }, dmaCoherent: true }],
    pciHostBridges: [
      {
        name: "pcie@40000000",
        segment: 0,
        ecam: { base: 0x4000_0000, size: 0x1000_0000 },
        busRange: { first: 0, last: 0xff },
        windows: [{ kind: "mem32", cpuBase: 0x5000_0000, pciBase: 0x5000_0000, size: 0x1000_0000 }],
        iommuMap: [{ ridBase: 0, count: 0x1_0000, smmu: "smmu", sidBase: 0x1_0000 }],
        busNumbering: "firmware",
        dmaCoherent: true,
      },
    ],
    pciFunctions: fns.value,
    platformDevices: [
      { name: "7ffb0000.dma", dtNode: "dma@7ffb0000", compatible: ["arm,pl330"], reg: [{ base: 0x7ffb_0000, size: 0x1000 }], iommu: { smmu: "smmu", streamIds: [0x10, 0x11] }, dmaCoherent: false },
    ],
  };
}

describe("a board described as data", () => {
  it("numbers its buses depth-first and keeps the generic functions' PCIe types and ACS", () => {
    const b = board();
    expect(validateBoard(b)).toEqual([]);
    expect(b.pciFunctions.map((f) => [f.name, f.express, f.acs?.capabilities ?? null, f.headerType])).toEqual([
      ["0000:00:00.0", null, null, 0],
      ["0000:00:01.0", "root-port", 0x5f, 1],
      ["0000:01:00.0", "endpoint", null, 0],
      ["0000:00:02.0", null, null, 1],
      ["0000:02:04.0", null, null, 0],
    ]);
  });

  it("aliases a device behind a conventional PCI-to-PCI bridge to the bridge's own requester ID, offsets SIDs per the wiring", () => {
    const inst = instantiateBoard(board());
    if (!inst.ok) throw new Error(JSON.stringify(inst.error));
    const m = inst.value;
    const seen: IommuTransaction[] = [];
    m.attachIommu("smmu", { translate: (t) => (seen.push(t), { kind: "bypass", pa: t.iova }) });
    for (const [bus, devfn] of [[1, 0], [2, pciDevfn(4, 0)]] as const) {
      m.pci.write(0, bus, devfn, PciReg.COMMAND, 2, PciCommand.MASTER);
      expect(m.interconnect.dma({ master: { kind: "pci", segment: 0, bus, devfn }, address: 0x8000_0000, size: 4, access: "write" })).toMatchObject({ outcome: "completed", via: "iommu-bypass" });
    }
    m.interconnect.dma({ master: { kind: "platform", name: "7ffb0000.dma", streamIndex: 1 }, address: 0x8000_1000, size: 4, access: "read" });
    expect(seen.map((t) => t.streamId)).toEqual([0x1_0100, 0x1_0010, 0x11]);
    expect(m.interconnect.dma({ master: { kind: "platform", name: "7ffb0000.dma", streamIndex: 2 }, address: 0, size: 4, access: "read" })).toEqual({ outcome: "aborted", at: "master", reason: "no-such-stream" });
  });

  it("lets the OS enable ACS on the generic root port through ECAM", () => {
    const inst = instantiateBoard(board());
    if (!inst.ok) throw new Error("instantiate");
    const acs = inst.value.board.pciFunctions[1]?.acs?.offset ?? 0;
    const ecam = 0x4000_0000 + (pciDevfn(1, 0) << 12) + acs;
    inst.value.mmio.write32(ecam + PciAcs.CAP, 0x001d_0000);
    expect(inst.value.mmio.read32(ecam + PciAcs.CAP)).toBe(0x001d_005f);
  });

  it("reports inconsistent descriptions", () => {
    const b = board();
    const bad: Board = {
      ...b,
      platformDevices: [{ ...b.platformDevices[0]!, iommu: { smmu: "smmu9", streamIds: [1] } }],
      pciFunctions: [...b.pciFunctions, { ...b.pciFunctions[2]!, id: "x", upstream: "nic" }],
      smmus: [...b.smmus, { ...b.smmus[0]!, name: "smmu2", base: 0x8000_1000 }],
    };
    expect(validateBoard(bad).map((e) => e.field)).toEqual(["platformDevices[0].iommu.smmu", "pciFunctions[5].upstream", "smmus[1]"]);
    expect(instantiateBoard(bad).ok).toBe(false);
  });
});
