/**
 * Enumeration of the QEMU topology board (`{dt,acpi}-topo-gic3.cmd`: root ports, a PCIe-to-PCI bridge with two
 * conventional functions, a multifunction slot) against the real Debian 6.1 boots: every PCI log line the model
 * claims to produce appears in the real log in the same order with the same text, and the bus numbers the bridges
 * end up with are the ones the guest dumped from config space.
 */
import { describe, expect, it } from "vitest";
import { PciReg } from "@dmasim/machine";
import { pciReadConfig, toPciDev, type PciBusNumberEvent, type PciScanDeviceEvent } from "@dmasim/pci";
import { configDumps, fixtureText, kernelLines, le32 } from "./helpers/fixtures";
import { acpiEnumerate, dtEnumerate, fixtureOptions, makeKernel, printkLines, type TestKernel } from "./helpers/boot";

/** The kinds of PCI line the model produces (BARs, windows and resource assignment are not modelled). */
const MODELLED =
  /^(pci \S+: \[[0-9a-f]{4}:[0-9a-f]{4}\] type|pci \S+: bridge configuration invalid|pci_bus \S+: (busn_res|extended config space|root bus resource)|(pci-host-generic \S+: )?PCI host bridge to bus|ACPI: PCI Root Bridge|\S+ \S+: ECAM at|pci-host-generic \S+: (host bridge \S+ ranges:| +(IO|MEM) 0x|Memory resource size))/;

function boot(fw: "dt" | "acpi"): TestKernel {
  const k = makeKernel(fixtureOptions(`${fw}-topo-gic3.cmd`));
  expect(fw === "dt" ? dtEnumerate(k) : acpiEnumerate(k)).toBe(0);
  return k;
}

describe("enumeration vs the real 6.1 topology boots", () => {
  for (const fw of ["dt", "acpi"] as const) {
    describe(`${fw}-topo-gic3`, () => {
      const k = boot(fw);
      const real = kernelLines(fixtureText(`qemu-boots/${fw}-topo-gic3.log`)).filter((l) => MODELLED.test(l));

      it("prints the kernel's PCI lines, in order, word for word", () => {
        const model = printkLines(k.trace).filter((l) => MODELLED.test(l));
        expect(real.length).toBeGreaterThan(15);
        expect(model).toEqual(real);
      });

      it("finds the functions in scan order with the logged IDs, header types and classes", () => {
        const scanned = k.trace.records.filter((r): r is typeof r & PciScanDeviceEvent => r.type === "pci-scan-device");
        const fromLog = real.flatMap((l) => {
          const m = /^pci (\S+): \[(\w{4}):(\w{4})\] type (\w\w) class 0x(\w{6})$/.exec(l);
          return m === null ? [] : [[m[1], Number.parseInt(m[2] as string, 16), Number.parseInt(m[3] as string, 16), Number.parseInt(m[4] as string, 16), Number.parseInt(m[5] as string, 16)]];
        });
        expect(scanned.map((e) => [e.device, e.vendor, e.deviceId, e.hdrType, e.class])).toEqual(fromLog);
        expect(scanned.map((e) => e.device)).toEqual([
          "0000:00:00.0", "0000:00:01.0", "0000:00:02.0", "0000:00:03.0", "0000:00:04.0", "0000:00:05.0", "0000:00:05.1",
          "0000:00:06.0", "0000:01:00.0", "0000:02:00.0", "0000:03:01.0", "0000:03:02.0", "0000:04:00.0",
        ]);
      });

      it(`numbers the bridges as the guest left them (${fw === "dt" ? "Linux assigns" : "firmware's numbers kept"})`, () => {
        const numbers = k.trace.records.filter((r): r is typeof r & PciBusNumberEvent => r.type === "pci-bus-number");
        const by = fw === "dt" ? "kernel" : "firmware";
        // Depth-first: 00:03.0 → 01; 00:04.0 → 02 with 02:00.0 → 03 below it (finished first); 00:06.0 → 04.
        expect(numbers.map((e) => [e.bridge, e.primary, e.secondary, e.subordinate, e.by])).toEqual([
          ["0000:00:03.0", 0, 1, 1, by],
          ["0000:02:00.0", 2, 3, 3, by],
          ["0000:00:04.0", 0, 2, 3, by],
          ["0000:00:06.0", 0, 4, 4, by],
        ]);
      });

      it("leaves the bus-number registers the -cfg boot dumped", () => {
        const dumps = configDumps(fixtureText(`qemu-boots/${fw}-topo-gic3-cfg.log`));
        for (const name of ["0000:00:03.0", "0000:00:04.0", "0000:00:06.0", "0000:02:00.0"]) {
          const pdev = k.pci.findDev(name);
          const dump = dumps.get(name);
          expect(pdev).not.toBeNull();
          expect(dump).toBeDefined();
          if (pdev === null || dump === undefined) return;
          expect(pciReadConfig(pdev, PciReg.PRIMARY_BUS, 4) & 0xffffff).toBe(le32(dump, PciReg.PRIMARY_BUS) & 0xffffff);
        }
      });

      it("builds the device tree: functions below their bridges, the host bridge below its firmware device", () => {
        const parent = (name: string): string | null => k.pci.findDev(name)?.dev.parent?.name ?? null;
        expect(parent("0000:00:01.0")).toBe("pci0000:00");
        expect(parent("0000:01:00.0")).toBe("0000:00:03.0");
        expect(parent("0000:03:02.0")).toBe("0000:02:00.0");
        const host = k.pci.hostBridges[0];
        expect(host?.dev.name).toBe("pci0000:00");
        expect(host?.dev.parent?.name ?? null).toBe(fw === "dt" ? "4010000000.pcie" : null);
        expect(host?.firmware).toBe(fw === "dt" ? "of" : "acpi");
        expect(k.pci.devices.map((d) => d.name)).toEqual(k.pci.bus.devices.map((d) => d.name));
        expect(k.pci.bus.devices.every((d) => toPciDev(d) !== undefined)).toBe(true);
      });

      it("marks multifunction only for 00:05.x and reads config size and PCIe type from config space", () => {
        const mf = k.pci.devices.filter((d) => d.multifunction).map((d) => d.name);
        expect(mf).toEqual(["0000:00:05.0", "0000:00:05.1"]);
        const info = (name: string) => {
          const d = k.pci.findDev(name);
          return d === null ? null : { type: d.pcieType, cfg: d.cfgSize, hotplug: d.isHotplugBridge, sub: d.subordinate?.number ?? null };
        };
        expect(info("0000:00:03.0")).toEqual({ type: "root-port", cfg: 4096, hotplug: true, sub: 1 });
        expect(info("0000:02:00.0")).toEqual({ type: "pcie-to-pci-bridge", cfg: 4096, hotplug: false, sub: 3 });
        expect(info("0000:03:01.0")).toEqual({ type: null, cfg: 256, hotplug: false, sub: null });
        expect(info("0000:01:00.0")).toEqual({ type: "endpoint", cfg: 4096, hotplug: false, sub: null });
        expect(info("0000:00:05.1")?.type).toBeNull();
        expect(k.pci.findBus(0, 3)?.noExtCfg).toBe(true);
        expect(k.pci.findBus(0, 2)?.noExtCfg).toBe(false);
      });
    });
  }
});
