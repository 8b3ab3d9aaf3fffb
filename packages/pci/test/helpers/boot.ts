/**
 * A minimal kernel composition for the tests: a v6.1 driver core with a platform bus and the `pci` bus, the QEMU
 * `virt` machine of a fixture command line, and the two ways the PCI hierarchy gets created — the
 * `pci-host-generic` platform driver probing the DT host node, or `acpi_pci_root_add`.
 */
import {
  DRIVER_CORE_ERAS,
  DriverCore,
  PLATFORM_DEVICE,
  Trace,
  makePlatformBus,
  type Device,
  type DriverCoreEvent,
  type Fwnode,
} from "@dmasim/driver-core";
import {
  buildQemuVirtBoard,
  instantiateBoard,
  parseQemuCommandLine,
  qemuVirtOptionsFromCommandLine,
  type Board,
  type MachineInstance,
  type QemuVirtOptions,
} from "@dmasim/machine";
import { PCI_ERAS, acpiPciRootAdd, pciHostGenericProbe, registerPciBus, type PciEra, type PciEvent, type PciHooks, type PciSubsystem } from "@dmasim/pci";
import { fixtureText } from "./fixtures";

/** Every event of the composed kernel. */
export type TestEvent = DriverCoreEvent | PciEvent;

/** A composed test kernel. */
export interface TestKernel {
  readonly trace: Trace<TestEvent>;
  readonly core: DriverCore;
  readonly pci: PciSubsystem;
  readonly machine: MachineInstance;
  /** The DT host platform device (DT boots only). */
  hostDevice: Device | null;
}

/** The `virt` options of a fixture's command line (`dt-topo-gic3.cmd`, ...). */
export function fixtureOptions(cmdFile: string): QemuVirtOptions {
  const cmd = parseQemuCommandLine(fixtureText(`qemu-boots/${cmdFile}`));
  if (!cmd.ok) throw new Error(JSON.stringify(cmd.error));
  return qemuVirtOptionsFromCommandLine(cmd.value);
}

/** Options of the PCI subsystem in a test kernel. */
export interface TestPciOptions {
  readonly era?: PciEra;
  readonly hooks?: PciHooks;
  readonly atsDisabled?: boolean;
}

/** Builds the `virt` machine of `options` and a kernel with the `pci` bus registered. */
export function makeKernel(options: QemuVirtOptions, pci: TestPciOptions = {}): TestKernel {
  const built = buildQemuVirtBoard(options);
  if (!built.ok) throw new Error(JSON.stringify(built.error));
  return makeKernelOnBoard(built.value.board, pci);
}

/** A kernel on any board description. */
export function makeKernelOnBoard(board: Board, pci: TestPciOptions = {}): TestKernel {
  const machine = instantiateBoard(board);
  if (!machine.ok) throw new Error(JSON.stringify(machine.error));
  const trace = new Trace<TestEvent>();
  const core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace });
  const sys = registerPciBus(core, {
    trace,
    era: pci.era ?? PCI_ERAS["v6.1"],
    ...(pci.hooks === undefined ? {} : { hooks: pci.hooks }),
    ...(pci.atsDisabled === undefined ? {} : { atsDisabled: pci.atsDisabled }),
  });
  if (!sys.ok) throw new Error(`pci bus: ${sys.error}`);
  return { trace, core, pci: sys.value, machine: machine.value, hostDevice: null };
}

/** DT: registers the `pci-host-generic` driver and the `pcie@10000000` platform device; the probe scans. */
export function dtEnumerate(k: TestKernel): number {
  const platform = k.core.busFind("platform") ?? must(k.core.busRegister(makePlatformBus()));
  const hb = k.machine.board.pciHostBridges[0];
  if (hb === undefined) throw new Error("no host bridge");
  let ret = 1;
  must(
    k.core.driverRegister({
      name: "pci-host-generic",
      bus: platform,
      matchIds: ["of:pci-host-ecam-generic"],
      probe: (dev) => (ret = pciHostGenericProbe(k.pci, dev, { ecam: hb.ecam, busRange: hb.busRange, windows: hb.windows, config: k.machine.pci })),
    }),
  );
  const node: Fwnode = { name: `/${hb.name}` };
  const dev = k.core.deviceInitialize({ name: "4010000000.pcie", bus: platform, fwnode: node });
  dev.setData(PLATFORM_DEVICE, { compatible: ["pci-host-ecam-generic"] });
  k.core.deviceAdd(dev);
  k.hostDevice = dev;
  return ret;
}

/** ACPI: `acpi_pci_root_add` for `PNP0A08:00` ([PCI0], segment 0). */
export function acpiEnumerate(k: TestKernel, oscShpcHotplug = true): number {
  const hb = k.machine.board.pciHostBridges[0];
  if (hb === undefined) throw new Error("no host bridge");
  const windows = [...hb.windows.filter((w) => w.kind === "mem32"), ...hb.windows.filter((w) => w.kind === "io"), ...hb.windows.filter((w) => w.kind === "mem64")];
  return acpiPciRootAdd(k.pci, {
    companion: { name: "PNP0A08:00" },
    busId: "PCI0",
    segment: hb.segment,
    busRange: hb.busRange,
    windows,
    ecam: hb.ecam,
    config: k.machine.pci,
    oscShpcHotplug,
  });
}

/** Unwraps a result. */
export function must<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`unexpected error ${JSON.stringify(r.error)}`);
  return r.value;
}

/** The `printk` lines of the trace (`prefix: text`). */
export function printkLines(trace: Trace<TestEvent>): string[] {
  const out: string[] = [];
  for (const r of trace.records) if (r.type === "printk") out.push(r.prefix === null ? r.text : `${r.prefix}: ${r.text}`);
  return out;
}
