/**
 * The `pci` bus type and the built-in drivers: `match_driver` gating (a registered driver matches nothing between
 * `pci_device_add` and `pci_bus_add_device`), `pcieport` taking the root ports and rejecting the PCIe-to-PCI bridge
 * with -ENODEV, `shpchp` binding that bridge with the logged `HPC vendor_id ...` line, and `pci_dma_configure` in
 * each era.
 */
import { describe, expect, it } from "vitest";
import { Errno, formatKernelLog, printkLine, type PrintkEvent } from "@dmasim/driver-core";
import {
  PCI_ERAS,
  PCIEPORT_DRIVER,
  SHPC_CONTROLLER,
  pciDevice,
  pciReadConfig,
  pciStopAndRemoveBusDevice,
  pciePortdrvInit,
  shpcdInit,
  toPciDev,
  type PciDmaFirmware,
} from "@dmasim/pci";
import { fixtureText, kernelLines } from "./helpers/fixtures";
import { acpiEnumerate, dtEnumerate, fixtureOptions, makeKernel, must, type TestKernel } from "./helpers/boot";

const ANY = 0xffff_ffff;

function bound(k: TestKernel): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const d of k.pci.devices) out[d.name] = d.dev.driver?.name ?? null;
  return out;
}

describe("match_driver gating", () => {
  it("a driver registered before the scan is matched only from pci_bus_add_device on", () => {
    const k = makeKernel(fixtureOptions("dt-topo-gic3.cmd"));
    const probed: string[] = [];
    must(k.pci.registerDriver({ name: "all", idTable: [pciDevice(ANY, ANY)], probe: (p) => (probed.push(p.name), -Errno.ENODEV) }));
    expect(dtEnumerate(k)).toBe(0);
    const recs = k.trace.records;
    const lastAdd = recs.findLastIndex((r) => r.type === "device-add-end" && r.device.startsWith("0000:"));
    // device_add ran bus_probe_device for every function, and the match said no each time.
    const matchesDuringAdd = recs.slice(0, lastAdd + 1).filter((r) => r.type === "driver-match" && r.device.startsWith("0000:"));
    expect(matchesDuringAdd).toHaveLength(13);
    expect(matchesDuringAdd.every((r) => r.type === "driver-match" && r.ret === 0)).toBe(true);
    expect(recs.slice(0, lastAdd + 1).some((r) => r.type === "really-probe" && r.device.startsWith("0000:"))).toBe(false);
    // pci_bus_add_devices: bus 0 first, then behind each bridge depth-first.
    expect(probed).toEqual([
      "0000:00:00.0", "0000:00:01.0", "0000:00:02.0", "0000:00:03.0", "0000:00:04.0", "0000:00:05.0", "0000:00:05.1",
      "0000:00:06.0", "0000:01:00.0", "0000:02:00.0", "0000:03:01.0", "0000:03:02.0", "0000:04:00.0",
    ]);
    expect(k.pci.devices.every((d) => d.matchDriver && d.isAdded)).toBe(true);
  });

  it("a driver registered after the scan binds through driver_attach, in device_add order", () => {
    const k = makeKernel(fixtureOptions("acpi-topo-gic3.cmd"));
    acpiEnumerate(k);
    const ids: number[] = [];
    must(k.pci.registerDriver({ name: "virtio-pci", idTable: [{ vendor: 0x1af4, device: ANY, driverData: 42 }], probe: (_p, id) => (ids.push(id.driverData ?? 0), 0) }));
    expect(Object.entries(bound(k)).filter(([, d]) => d === "virtio-pci").map(([n]) => n)).toEqual([
      "0000:00:01.0", "0000:00:02.0", "0000:00:05.0", "0000:00:05.1", "0000:03:01.0", "0000:03:02.0",
    ]);
    expect(ids).toEqual([42, 42, 42, 42, 42, 42]);
  });
});

describe("pcieport and shpchp", () => {
  for (const fw of ["dt", "acpi"] as const) {
    it(`${fw}: pcieport takes the root ports, rejects 02:00.0 with -ENODEV, shpchp binds it`, () => {
      const k = makeKernel(fixtureOptions(`${fw}-topo-gic3.cmd`));
      must(pciePortdrvInit(k.pci));
      must(shpcdInit(k.pci));
      expect(fw === "dt" ? dtEnumerate(k) : acpiEnumerate(k)).toBe(0);
      expect(bound(k)).toMatchObject({ "0000:00:03.0": "pcieport", "0000:00:04.0": "pcieport", "0000:00:06.0": "pcieport", "0000:02:00.0": "shpchp", "0000:01:00.0": null });
      const outcomes = k.trace.records.flatMap((r) => (r.type === "probe-outcome" ? [[r.driver, r.device, r.ret]] : []));
      expect(outcomes).toEqual([["pcieport", "0000:02:00.0", -Errno.ENODEV]]);
      const lines = formatKernelLog(k.trace.records, { time: false }).split("\n");
      expect(lines).toContain("shpchp 0000:02:00.0: HPC vendor_id 1b36 device_id e ss_vid 0 ss_did 0");
      expect(lines).toContain("pcieport: probe of 0000:02:00.0 rejects match -19");
      const info = k.pci.findDev("0000:02:00.0")?.dev.getData(SHPC_CONTROLLER);
      expect(info).toMatchObject({ capOffset: 0x40, numSlots: 31, firstDeviceNum: 1 });
      expect(info?.registers).toHaveLength(40);
      // shpc_init read dwords 0..39 through the select window: the guest's dump shows 0x27 left in the select byte.
      expect(pciReadConfig(k.pci.findDev("0000:02:00.0")!, 0x42, 1)).toBe(0x27);
      // Root ports are PCIe root ports without an SHPC: shpchp would refuse them.
      expect(toPciDev(k.pci.findDev("0000:00:03.0")!.dev)?.pcieType).toBe("root-port");
    });
  }

  it("prints the real boot's shpchp line for 02:00.0 and the rejects-match line of pcieport", () => {
    const real = kernelLines(fixtureText("qemu-boots/acpi-topo-gic3-defer.log"));
    expect(real).toContain("shpchp 0000:02:00.0: HPC vendor_id 1b36 device_id e ss_vid 0 ss_did 0");
    expect(real).toContain("pcieport: probe of 0000:02:00.0 rejects match -19");
    expect(real).toContain("shpchp: Standard Hot Plug PCI Controller Driver version: 0.4");
  });

  it("shpchp refuses the bridge when ACPI _OSC kept SHPC hot-plug for firmware", () => {
    const k = makeKernel(fixtureOptions("acpi-topo-gic3.cmd"));
    must(shpcdInit(k.pci));
    acpiEnumerate(k, false);
    expect(bound(k)["0000:02:00.0"]).toBeNull();
  });

  it("pcieport is driver_managed_dma; the version line follows the registration's probes", () => {
    expect(PCIEPORT_DRIVER.driverManagedDma).toBe(true);
    const k = makeKernel(fixtureOptions("acpi-topo-gic3.cmd"));
    acpiEnumerate(k);
    must(shpcdInit(k.pci));
    const recs = k.trace.records;
    const version = recs.findIndex((r) => r.type === "printk" && printkLine(r as PrintkEvent).startsWith("shpchp: Standard"));
    expect(recs.findLastIndex((r) => r.type === "driver-bound")).toBeLessThan(version);
  });
});

describe("pci_dma_configure per era", () => {
  const hooks = (k: () => TestKernel, log: string[], configure: (fw: PciDmaFirmware) => number = () => 0) => ({
    firmwareDmaConfigure: (p: { name: string }, fw: PciDmaFirmware) => {
      log.push(`fw ${p.name} ${fw.kind} ${fw.kind === "of" ? fw.node.name : fw.companion.name} ${k().pci.findDev(p.name)?.dev.isRegistered ? "added" : "new"}`);
      return configure(fw);
    },
    iommuDeviceUseDefaultDomain: (d: { name: string }) => (log.push(`use ${d.name}`), 0),
    iommuDeviceUnuseDefaultDomain: (d: { name: string }) => void log.push(`unuse ${d.name}`),
  });

  it("v6.1: at probe, firmware configure then iommu_device_use_default_domain, skipped for driver_managed_dma", () => {
    const log: string[] = [];
    let k: TestKernel | null = null;
    k = makeKernel(fixtureOptions("dt-topo-gic3.cmd"), { hooks: hooks(() => k as TestKernel, log) });
    must(pciePortdrvInit(k.pci));
    const nic = must(k.pci.registerDriver({ name: "e1000e", idTable: [pciDevice(0x8086, 0x10d3)], probe: () => 0 }));
    dtEnumerate(k);
    expect(log).toEqual([
      "fw 0000:00:03.0 of /pcie@10000000 added",
      "fw 0000:00:04.0 of /pcie@10000000 added",
      "fw 0000:00:06.0 of /pcie@10000000 added",
      "fw 0000:01:00.0 of /pcie@10000000 added",
      "use 0000:01:00.0",
      "fw 0000:02:00.0 of /pcie@10000000 added",
    ]);
    log.length = 0;
    k.pci.unregisterDriver(nic);
    expect(log).toEqual(["unuse 0000:01:00.0"]);
  });

  it("v6.1 ACPI: the companion of the host bridge; -EPROBE_DEFER from the firmware side defers the probe", () => {
    const log: string[] = [];
    let k: TestKernel | null = null;
    k = makeKernel(fixtureOptions("acpi-topo-gic3.cmd"), { hooks: hooks(() => k as TestKernel, log, () => -Errno.EPROBE_DEFER) });
    must(pciePortdrvInit(k.pci));
    acpiEnumerate(k);
    expect(log[0]).toBe("fw 0000:00:03.0 acpi PNP0A08:00 added");
    expect(k.core.deferredPending.map((d) => d.name)).toEqual(["0000:00:03.0", "0000:00:04.0", "0000:00:06.0", "0000:02:00.0"]);
    expect(log.some((l) => l.startsWith("use"))).toBe(false);
  });

  it("v4.7: at pci_device_add, before device_add, for every function; the bus has no dma_configure", () => {
    const log: string[] = [];
    let k: TestKernel | null = null;
    k = makeKernel(fixtureOptions("dt-topo-gic3.cmd"), { era: PCI_ERAS["v4.7"], hooks: hooks(() => k as TestKernel, log, () => -Errno.EPROBE_DEFER) });
    must(pciePortdrvInit(k.pci));
    dtEnumerate(k);
    expect(log).toHaveLength(13);
    expect(log.every((l) => l.endsWith(" new"))).toBe(true);
    expect(k.pci.bus.spec.dmaConfigure).toBeUndefined();
    expect(bound(k)["0000:00:03.0"]).toBe("pcieport"); // the return value was not looked at
    const events = k.trace.records.filter((r) => r.type === "pci-dma-configure");
    expect(events.every((e) => e.type === "pci-dma-configure" && e.at === "device-add")).toBe(true);
  });
});

describe("pci_stop_and_remove_bus_device", () => {
  it("unbinds the whole subtree (last function first), then deletes it children-first with the buses behind the bridges", () => {
    const k = makeKernel(fixtureOptions("acpi-topo-gic3.cmd"));
    must(pciePortdrvInit(k.pci));
    must(shpcdInit(k.pci));
    must(k.pci.registerDriver({ name: "virtio-pci", idTable: [pciDevice(0x1af4, ANY)], probe: () => 0 }));
    acpiEnumerate(k);
    const from = k.trace.records.length;
    const rp = k.pci.findDev("0000:00:04.0");
    if (rp === null) throw new Error("00:04.0");
    removeBus(k, rp);
    const recs = k.trace.records.slice(from);
    expect(recs.flatMap((r) => (r.type === "release-driver" ? [r.device] : []))).toEqual(["0000:03:02.0", "0000:03:01.0", "0000:02:00.0", "0000:00:04.0"]);
    expect(recs.flatMap((r) => (r.type === "device-del" ? [r.device] : []))).toEqual(["0000:03:01.0", "0000:03:02.0", "0000:02:00.0", "0000:00:04.0"]);
    const lastRelease = recs.findLastIndex((r) => r.type === "release-driver");
    expect(recs.findIndex((r) => r.type === "device-del")).toBeGreaterThan(lastRelease);
    expect(k.pci.devices.map((d) => d.name)).not.toContain("0000:03:01.0");
    expect(k.pci.findBus(0, 2)).toBeNull();
    expect(k.pci.findDev("0000:00:03.0")?.dev.driver?.name).toBe("pcieport");
  });
});

function removeBus(k: TestKernel, pdev: NonNullable<ReturnType<TestKernel["pci"]["findDev"]>>): void {
  pciStopAndRemoveBusDevice(k.pci, pdev);
}
