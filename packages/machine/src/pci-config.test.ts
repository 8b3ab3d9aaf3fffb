import { describe, expect, it } from "vitest";
import { PciConfigSpace } from "./pci-config";
import { createPciConfig, msixInitExclusiveBar } from "./pci-capabilities";
import { pcieAcsInit, pcieAerInit, pcieCapInit } from "./pcie-capabilities";
import { PciAcs, PciBarType, PciCapId, PciExtCapId, PciReg, PcieType } from "./pci-regs";
import { pcieRootPort } from "./qemu-pci-bridges";

function rootPort(): PciConfigSpace {
  const r = pcieRootPort.realize({
    bus: { express: true, root: true },
    devfn: 0x18,
    multifunction: false,
    props: new Map([["chassis", "1"], ["slot", "1"]]),
    arg: "pcie-root-port,chassis=1,slot=1",
    nextMac: () => [0, 0, 0, 0, 0, 0],
  });
  if (!r.ok) throw new Error("realize");
  return r.value.config;
}

describe("PciConfigSpace writes", () => {
  it("lets the OS enable ACS by writing the control register, keeping only the implemented bits", () => {
    const cfg = rootPort();
    const acs = cfg.findExtCapability(PciExtCapId.ACS);
    expect(acs).toBe(0x148);
    expect(cfg.read(acs + PciAcs.CAP, 2)).toBe(0x5f);
    expect(cfg.read(acs + PciAcs.CTRL, 2)).toBe(0);
    cfg.write(acs + PciAcs.CTRL, 2, 0x1d); // SV | RR | CR | UF, what Linux's pci_std_enable_acs writes
    expect(cfg.read(acs + PciAcs.CTRL, 2)).toBe(0x1d);
    cfg.write(acs + PciAcs.CTRL, 2, 0xffff);
    expect(cfg.read(acs + PciAcs.CTRL, 2)).toBe(0x5f);
    cfg.write(acs + PciAcs.CAP, 2, 0);
    expect(cfg.read(acs + PciAcs.CAP, 2)).toBe(0x5f);
  });

  it("keeps identity registers read-only and bus numbers writable on a bridge", () => {
    const cfg = rootPort();
    cfg.write(PciReg.VENDOR_ID, 4, 0xdead_beef);
    expect(cfg.read(PciReg.VENDOR_ID, 4)).toBe(0x000c_1b36);
    cfg.write(PciReg.PRIMARY_BUS, 4, 0x00_05_04_00);
    expect(cfg.read(PciReg.SECONDARY_BUS, 1)).toBe(4);
    expect(cfg.read(PciReg.SUBORDINATE_BUS, 1)).toBe(5);
    cfg.write(PciReg.HEADER_TYPE, 1, 0);
    expect(cfg.read(PciReg.HEADER_TYPE, 1)).toBe(1);
  });

  it("clears W1C status bits written with 1 and ignores 0s", () => {
    const cfg = createPciConfig({ vendorId: 1, deviceId: 2, revision: 0, classCode: 0 }, { express: false, bridge: false, multifunction: false });
    cfg.set16(PciReg.STATUS, 0x2000 | 0x10); // received master abort, capability list
    cfg.write(PciReg.STATUS, 2, 0);
    expect(cfg.read(PciReg.STATUS, 2)).toBe(0x2010);
    cfg.write(PciReg.STATUS, 2, 0xffff);
    expect(cfg.read(PciReg.STATUS, 2)).toBe(0x0010);
  });

  it("sizes BARs: all ones read back as ~(size - 1) with the type bits", () => {
    const cfg = createPciConfig({ vendorId: 1, deviceId: 2, revision: 0, classCode: 0 }, { express: true, bridge: false, multifunction: false });
    cfg.registerBar(0, PciBarType.MEM | PciBarType.MEM_TYPE_64, 0x4000);
    cfg.registerBar(2, PciBarType.IO, 0x20);
    cfg.registerBar(4, PciBarType.MEM | PciBarType.MEM_TYPE_64 | PciBarType.MEM_PREFETCH, 2 ** 33);
    for (const off of [0x10, 0x14, 0x18, 0x20, 0x24]) cfg.write(off, 4, 0xffff_ffff);
    expect([0x10, 0x14, 0x18, 0x20, 0x24].map((o) => cfg.read(o, 4))).toEqual([0xffff_c004, 0xffff_ffff, 0xffff_ffe1, 0x0000_000c, 0xffff_fffe]);
  });

  it("places standard capabilities first-fit and links each at the head; extended ones at the tail", () => {
    const cfg = createPciConfig({ vendorId: 1, deviceId: 2, revision: 0, classCode: 0 }, { express: true, bridge: false, multifunction: false });
    msixInitExclusiveBar(cfg, 1, 0);
    pcieCapInit(cfg, 0, PcieType.ROOT_PORT, 0);
    pcieAerInit(cfg, 0x100, 0x48, true);
    pcieAcsInit(cfg, 0x148);
    expect(cfg.capabilities()).toEqual([
      { id: PciCapId.EXP, offset: 0x4c, extended: false },
      { id: PciCapId.MSIX, offset: 0x40, extended: false },
      { id: PciExtCapId.ERR, offset: 0x100, extended: true },
      { id: PciExtCapId.ACS, offset: 0x148, extended: true },
    ]);
    expect(cfg.read(0x100, 4)).toBe(0x1482_0001);
  });

  it("reads all ones beyond its config space", () => {
    const cfg = new PciConfigSpace(256);
    expect(cfg.read(0x100, 4)).toBe(0xffff_ffff);
    expect(cfg.read(-1, 1)).toBe(0xff);
    cfg.write(0x200, 4, 1);
  });
});
