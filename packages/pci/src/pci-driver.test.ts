/**
 * `pci_match_one_device` / `pci_match_device` semantics: PCI_ANY_ID, subsystem IDs, class masks, dynamic ids
 * before the static table, `driver_override`, `override_only` entries.
 */
import { describe, expect, it } from "vitest";
import { DRIVER_CORE_ERAS, DriverCore, Trace, type DriverCoreEvent } from "@dmasim/driver-core";
import { PciConfigSpace, genericPciConfig, pciDevfn, type PciConfigWidth } from "@dmasim/machine";
import { PCI_ANY_ID } from "./constants";
import { pciRegisterHostBridge } from "./host-bridge";
import { PCI_DEVICE_ID_ANY, pciDevice, pciDeviceClass, pciMatchDevice, pciMatchId, pciMatchOneDevice, type PciDriverSpec } from "./pci-driver";
import type { PciDev } from "./pci-dev";
import { pciScanChildBus } from "./probe-scan";
import type { PciEvent } from "./events";
import { registerPciBus } from "./subsystem";

/** One root bus with fixed functions (no bridges), read through a plain `pci_ops`. */
function rootBus(fns: readonly { devfn: number; config: PciConfigSpace }[]): PciDev[] {
  const trace = new Trace<DriverCoreEvent | PciEvent>();
  const core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace });
  const r = registerPciBus(core, { trace });
  if (!r.ok) throw new Error("bus");
  const at = (bus: number, devfn: number): PciConfigSpace | undefined => (bus === 0 ? fns.find((f) => f.devfn === devfn)?.config : undefined);
  const ones = (w: PciConfigWidth): number => (w === 4 ? 0xffff_ffff : w === 2 ? 0xffff : 0xff);
  const host = pciRegisterHostBridge(r.value, {
    parent: null,
    ofNode: null,
    acpiCompanion: null,
    domain: 0,
    busRange: { first: 0, last: 0 },
    windows: [],
    ops: {
      read: (bus, devfn, where, size) => at(bus, devfn)?.read(where, size) ?? ones(size),
      write: (bus, devfn, where, size, value) => (at(bus, devfn)?.write(where, size, value), at(bus, devfn) !== undefined),
    },
    nativeShpcHotplug: true,
    busResourceFirst: true,
    windowFlag: false,
  });
  if (host === null) throw new Error("host");
  pciScanChildBus(r.value, host.bus);
  return [...host.bus.devices];
}

const nic = PciConfigSpace.fromImage(genericPciConfig({ vendorId: 0x8086, deviceId: 0x10d3, classCode: 0x020000, express: "endpoint" }));
// Subsystem IDs live at 0x2c/0x2e of a type 0 header.
nic.set16(0x2c, 0x8086);
nic.set16(0x2e, 0xa01f);
const [dev] = rootBus([{ devfn: pciDevfn(1, 0), config: nic }]);
if (dev === undefined) throw new Error("no device");

describe("pci_match_one_device", () => {
  it("reads vendor, device, subsystem IDs and class from config space", () => {
    expect([dev.vendor, dev.device, dev.subsystemVendor, dev.subsystemDevice, dev.class]).toEqual([0x8086, 0x10d3, 0x8086, 0xa01f, 0x020000]);
  });

  it.each([
    [pciDevice(0x8086, 0x10d3), true],
    [pciDevice(0x8086, PCI_ANY_ID), true],
    [pciDevice(0x8086, 0x10d4), false],
    [{ vendor: 0x8086, device: 0x10d3, subvendor: 0x8086, subdevice: 0xa01f }, true],
    [{ vendor: 0x8086, device: 0x10d3, subvendor: 0x8086, subdevice: 0xa020 }, false],
    [pciDeviceClass(0x020000, 0xffffff), true],
    [pciDeviceClass(0x020000, 0xffff_ffff), true],
    [pciDeviceClass(0x020001, 0xffff00), true], // prog-if masked off
    [pciDeviceClass(0x020001, 0xffffff), false],
    [pciDeviceClass(0x060400, 0xffffff), false],
    [{ vendor: PCI_ANY_ID, device: PCI_ANY_ID, class: 0x010000, classMask: 0 }, true], // class not compared
  ])("%j → %s", (id, want) => {
    expect(pciMatchOneDevice(id, dev)).toBe(want);
  });

  it("pci_match_id returns the first match and its index", () => {
    expect(pciMatchId([pciDevice(1, 2), pciDeviceClass(0x020000, 0xffffff), pciDevice(0x8086, PCI_ANY_ID)], dev)?.index).toBe(1);
    expect(pciMatchId([], dev)).toBeNull();
  });
});

describe("pci_match_device", () => {
  const drv = (name: string, idTable: PciDriverSpec["idTable"]): PciDriverSpec => ({ name, idTable });

  it("dynamic ids come before the static table", () => {
    const dyn = { vendor: 0x8086, device: 0x10d3, driverData: 7 };
    expect(pciMatchDevice(drv("x", [{ vendor: 0x8086, device: PCI_ANY_ID, driverData: 1 }]), [dyn], dev)).toBe(dyn);
  });

  it("driver_override: only the named driver matches, with pci_device_id_any when its table does not", () => {
    dev.driverOverride = "vfio-pci";
    try {
      expect(pciMatchDevice(drv("e1000e", [pciDevice(0x8086, 0x10d3)]), [], dev)).toBeNull();
      expect(pciMatchDevice(drv("vfio-pci", []), [], dev)).toBe(PCI_DEVICE_ID_ANY);
      const only = { vendor: 0x8086, device: 0x10d3, overrideOnly: true };
      expect(pciMatchDevice(drv("vfio-pci", [only]), [], dev)).toBe(only);
    } finally {
      dev.driverOverride = null;
    }
  });

  it("an override_only entry does not match without an override; the search goes on past it", () => {
    const only = { vendor: 0x8086, device: 0x10d3, overrideOnly: true };
    const any = pciDevice(0x8086, PCI_ANY_ID);
    expect(pciMatchDevice(drv("v", [only]), [], dev)).toBeNull();
    expect(pciMatchDevice(drv("v", [only, any]), [], dev)).toBe(any);
  });
});
