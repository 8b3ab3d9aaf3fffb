/**
 * Replays the PCI part of a real Debian 6.1 arm64 boot under QEMU (`-M virt,iommu=smmuv3`, ACPI, a root port
 * topology; fixtures/qemu-boots/acpi-topo-gic3-defer.log, booted with
 * `dyndbg="file drivers/base/dd.c +p"`) and compares the driver-core debug lines for the PCI functions with the
 * model's, line for line.
 *
 * The scaffold stands in for the layers above the driver core: PCI enumeration adds the functions in scan order at
 * subsys_initcall (acpi_init), `bus->dma_configure` defers while the SMMU driver is unbound (what
 * iort_iommu_configure does with a built-in SMMU driver), pcieport rejects non-ports, shpchp binds SHPC bridges.
 * Every ordering in the compared lines comes from the driver core: driver_attach order, deferral, the no-op
 * trigger before late_initcall, the worker's retry order, the rejects-match fall-through to the next driver.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DRIVER_CORE_ERAS,
  DriverCore,
  Errno,
  InitcallTable,
  Trace,
  defineDeviceData,
  formatKernelLog,
  makePlatformBus,
  type Device,
  type DriverCoreEvent,
} from "@dmasim/driver-core";
import { must } from "./helpers";

const LOG = resolve(import.meta.dirname, "../../../fixtures/qemu-boots/acpi-topo-gic3-defer.log");

interface PciFn {
  readonly vendor: number;
  readonly classCode: number; // base class << 8 | subclass
  readonly port: boolean; // PCIe root/up/downstream port
  readonly shpc: boolean;
}
const PCI = defineDeviceData<PciFn>("pci-test");

/** Scan order of `pci_scan_child_bus`: bus 0 slots, then each bridge's subordinate bus depth first. */
const TOPOLOGY: readonly (readonly [string, PciFn])[] = [
  ["0000:00:00.0", { vendor: 0x1b36, classCode: 0x0600, port: false, shpc: false }],
  ["0000:00:01.0", { vendor: 0x1af4, classCode: 0x0200, port: false, shpc: false }],
  ["0000:00:02.0", { vendor: 0x1af4, classCode: 0x00ff, port: false, shpc: false }],
  ["0000:00:03.0", { vendor: 0x1b36, classCode: 0x0604, port: true, shpc: false }],
  ["0000:00:04.0", { vendor: 0x1b36, classCode: 0x0604, port: true, shpc: false }],
  ["0000:00:05.0", { vendor: 0x1af4, classCode: 0x00ff, port: false, shpc: false }],
  ["0000:00:05.1", { vendor: 0x1af4, classCode: 0x00ff, port: false, shpc: false }],
  ["0000:00:06.0", { vendor: 0x1b36, classCode: 0x0604, port: true, shpc: false }],
  ["0000:01:00.0", { vendor: 0x8086, classCode: 0x0200, port: false, shpc: false }],
  ["0000:02:00.0", { vendor: 0x1b36, classCode: 0x0604, port: false, shpc: true }],
  ["0000:03:01.0", { vendor: 0x1af4, classCode: 0x00ff, port: false, shpc: false }],
  ["0000:03:02.0", { vendor: 0x1af4, classCode: 0x00ff, port: false, shpc: false }],
  ["0000:04:00.0", { vendor: 0x1b36, classCode: 0x0108, port: false, shpc: false }],
];

/** matchIds: "class:0604" or "vendor:1af4" or "vendor-class:8086:0200". */
function pciMatch(dev: Device, drv: { spec: { matchIds?: readonly string[] } }): number {
  const fn = dev.getData(PCI);
  if (fn === undefined) return 0;
  const hex = (n: number) => n.toString(16).padStart(4, "0");
  const ids = drv.spec.matchIds ?? [];
  return ids.includes(`class:${hex(fn.classCode)}`) || ids.includes(`vendor:${hex(fn.vendor)}`) || ids.includes(`vendor-class:${hex(fn.vendor)}:${hex(fn.classCode)}`) ? 1 : 0;
}

function boot(): string {
  const trace = new Trace<DriverCoreEvent>();
  const core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace });
  const initcalls = new InitcallTable(trace);
  let smmu: Device | undefined;
  const platform = must(core.busRegister(makePlatformBus()));
  const pci = must(
    core.busRegister({
      name: "pci",
      match: pciMatch,
      dmaConfigure: () => (smmu?.isBound ? 0 : -Errno.EPROBE_DEFER),
      dmaCleanup: () => undefined,
    }),
  );
  initcalls.register({
    level: "subsys",
    name: "acpi_init",
    fn: () => {
      smmu = must(core.deviceRegister({ name: "arm-smmu-v3.0.auto", bus: platform }));
      for (const [name, fn] of TOPOLOGY) {
        const dev = core.deviceInitialize({ name, bus: pci });
        dev.setData(PCI, fn);
        core.deviceAdd(dev);
      }
      return 0;
    },
  });
  const port = (dev: Device) => (dev.getData(PCI)?.port ? 0 : -Errno.ENODEV);
  const shpc = (dev: Device) => (dev.getData(PCI)?.shpc ? 0 : -Errno.ENODEV);
  initcalls.register({ level: "device", name: "pcie_portdrv_init", fn: () => (must(core.driverRegister({ name: "pcieport", bus: pci, matchIds: ["class:0604"], probe: port })), 0) });
  initcalls.register({ level: "device", name: "shpcd_init", fn: () => (must(core.driverRegister({ name: "shpchp", bus: pci, matchIds: ["class:0604"], probe: shpc })), 0) });
  initcalls.register({
    level: "device",
    name: "arm_smmu_driver_init",
    fn: () => (must(core.driverRegister({ name: "arm-smmu-v3", bus: platform, matchIds: ["platform:arm-smmu-v3.0.auto"], probe: () => 0 })), 0),
  });
  initcalls.register({ level: "late", name: "deferred_probe_initcall", fn: () => core.deferredProbeInitcall() });
  must(initcalls.run());
  const load = (name: string, matchIds: string[], asyncProbe = false) =>
    initcalls.loadModule(name, () => {
      must(core.driverRegister({ name, bus: pci, matchIds, asyncProbe, probe: () => 0 }));
      core.scheduler.runPending(); // do_init_module waits for the module's async probes
      return 0;
    });
  load("virtio-pci", ["vendor:1af4"]);
  load("e1000e", ["vendor-class:8086:0200"]);
  load("nvme", ["class:0108"], true);
  const extended = trace.records.filter((r) => r.type === "deferred-timeout-extended").length;
  expect(extended).toBe(3); // one "Extended deferred probe timeout by 10 secs" per module driver
  return formatKernelLog(trace.records, { time: false });
}

const PCI_LINE =
  /^(bus: 'pci': .*|driver: '[^']+': driver_bound: bound to device '0000:[0-9a-f:.]+'|pci 0000:[0-9a-f:.]+: .* deferred list|\S+: probe of 0000:\S+ (rejects match|failed with error) -?\d+|\S+ 0000:\S+: Driver \S+ requests probe deferral)$/;

describe("Debian 6.1 ACPI boot with deferral (fixtures/qemu-boots/acpi-topo-gic3-defer.log)", () => {
  it("produces the same drivers/base/dd.c debug lines for every PCI function, in the same order", () => {
    const real = readFileSync(LOG, "utf8")
      .split("\n")
      .map((l) => /^\[\s*\d+\.\d+\] (.*)$/.exec(l)?.[1])
      .filter((l): l is string => l !== undefined && PCI_LINE.test(l));
    const model = boot()
      .split("\n")
      .filter((l) => PCI_LINE.test(l));
    expect(real).toHaveLength(75);
    expect(model).toEqual(real);
  });
});
