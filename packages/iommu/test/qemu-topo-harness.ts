/**
 * A 6.1 kernel composed for the QEMU topology tests: driver core, the QEMU 7.2 `virt` machine of a fixture command
 * line (board, DT or IORT built by `@dmasim/machine`), `@dmasim/pci` (scan, `pcieport`, `shpchp`,
 * `pci_dma_configure` through its hooks), this package's IOMMU core, an SMMUv3 driver on the platform bus, and
 * stub endpoint drivers loaded as modules after late_initcall in the logs' order. `pci_dma_configure`'s firmware half
 * is `of_dma_configure` → `of_iommu_configure` (DT) or `acpi_dma_configure` → `acpi_iommu_configure_id` (ACPI), as in
 * 6.1; `arch_setup_dma_ops` (the DMA layer, a higher package) is only recorded.
 *
 * Initcall placement follows the real boots: ACPI creates the SMMU device and requests ACS at IORT init and scans
 * PCI in `acpi_init` (subsys); DT scans in the `pci-host-generic` probe at device_initcall, after `pcieport` and
 * `shpchp` registered and before the SMMU driver.
 */
import {
  DRIVER_CORE_ERAS,
  DriverCore,
  InitcallTable,
  PLATFORM_DEVICE,
  Trace,
  makePlatformBus,
  type Bus,
  type Device,
  type DriverCoreEvent,
  type Fwnode,
} from "@dmasim/driver-core";
import { DeviceTree, type FdtNode, type IortTable } from "@dmasim/firmware";
import {
  buildQemuVirtBoard,
  buildQemuVirtDt,
  buildQemuVirtIort,
  instantiateBoard,
  parseQemuCommandLine,
  qemuVirtOptionsFromCommandLine,
  type MachineInstance,
  type QemuVirtMachine,
} from "@dmasim/machine";
import {
  PCI_ERAS,
  acpiPciRootAdd,
  pciDevice,
  pciDeviceClass,
  pciHostGenericProbe,
  pciePortdrvInit,
  registerPciBus,
  shpcdInit,
  type PciDev,
  type PciEvent,
  type PciSubsystem,
} from "@dmasim/pci";
import { IOMMU_ERAS, IommuCore, type IommuOps, type IommuTraceEvent, type IortIommuEnv, type OfIommuEnv, type SmmuDriverConfig } from "../src/index";
import type { SmmuHwEvent } from "@dmasim/iommu/smmuv3-hw";
import type { ArmSmmuV3Event } from "../src/arm-smmu-v3/index";
import { fixtureText } from "./core-fixtures";

/** Every event of the composed kernel (the SMMU driver's and the SMMU hardware's included). */
export type TopoEvent = DriverCoreEvent | PciEvent | IommuTraceEvent | ArmSmmuV3Event | SmmuHwEvent;

/** How the SMMUv3 driver is provided: it registers at probe and returns the ops it set on the buses. */
export interface SmmuDriverFactory {
  /** The platform driver's probe for the SMMU device: `iommu_device_register` + the bus ops; 0 or an errno. */
  (k: TopoKernel, smmuDev: Device): number;
}

/** The composed kernel. */
export interface TopoKernel {
  readonly era: TopoEra;
  readonly firmware: "dt" | "acpi";
  readonly trace: Trace<TopoEvent>;
  readonly core: DriverCore;
  readonly platform: Bus;
  readonly pci: PciSubsystem;
  readonly iommu: IommuCore;
  readonly machine: MachineInstance;
  readonly virt: QemuVirtMachine;
  /** The kernel command line of the fixture (`-append`). */
  readonly append: string;
  readonly dt: DeviceTree | null;
  readonly iort: IortTable | null;
  readonly ofEnv: OfIommuEnv | null;
  readonly iortEnv: IortIommuEnv | null;
  /** The SMMU's platform device once created. */
  smmuDev: Device | null;
  /** The ops `arch_setup_dma_ops` received per device (the last configure), null for "no IOMMU". */
  readonly dmaOps: Map<string, IommuOps | null>;
}

/** The kernel generations the topology harness composes. */
export type TopoEra = "v6.1" | "v4.12";

/** Options of {@link makeTopoKernel}. */
export interface TopoOptions {
  /** Default "v6.1" (the real boots); "v4.12" composes every layer's v4.12 switches on the same machine. */
  readonly era?: TopoEra;
  /** `pci_fixup_device(pci_fixup_header, dev)`: where DMA-alias quirks run (`pci_add_dma_alias`). */
  readonly fixupHeader?: (pdev: PciDev) => void;
  /** CONFIG_ARM_SMMU_V3 as `iort_iommu_driver_enabled` sees it (default built in, as Debian's). */
  readonly smmuV3Config?: SmmuDriverConfig;
}

/** Builds the kernel for a fixture (`dt-topo-gic3`, `acpi-topo-gic3`, ...) without booting it. */
export function makeTopoKernel(fixture: string, options: TopoOptions = {}): TopoKernel {
  const cmd = parseQemuCommandLine(fixtureText(`qemu-boots/${fixture}.cmd`));
  if (!cmd.ok) throw new Error(JSON.stringify(cmd.error));
  const built = buildQemuVirtBoard(qemuVirtOptionsFromCommandLine(cmd.value));
  if (!built.ok) throw new Error(JSON.stringify(built.error));
  const virt = built.value;
  const machine = instantiateBoard(virt.board);
  if (!machine.ok) throw new Error(JSON.stringify(machine.error));
  const firmware = cmd.value.firmware;
  const trace = new Trace<TopoEvent>();
  const era = options.era ?? "v6.1";
  const core = new DriverCore({ era: DRIVER_CORE_ERAS[era], trace });
  const platform = core.busRegister(makePlatformBus());
  if (!platform.ok) throw new Error("platform bus");
  const dmaOps = new Map<string, IommuOps | null>();
  const holder: { iommu: IommuCore | null } = { iommu: null };
  const iommuOf = (): IommuCore => {
    if (holder.iommu === null) throw new Error("IOMMU core not built");
    return holder.iommu;
  };

  // Firmware: the DT with one fwnode handle per node, or the IORT with the SMMU's fwnode.
  let dt: DeviceTree | null = null;
  let ofEnv: OfIommuEnv | null = null;
  const handles = new Map<FdtNode, Fwnode>();
  const nodeOf = new Map<Fwnode, FdtNode>();
  if (firmware === "dt") {
    const r = DeviceTree.fromTree(buildQemuVirtDt(virt));
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const tree = r.value;
    dt = tree;
    const fwnodeOf = (n: FdtNode): Fwnode => {
      let h = handles.get(n);
      if (h === undefined) {
        h = { name: tree.pathOf(n) };
        handles.set(n, h);
        nodeOf.set(h, n);
      }
      return h;
    };
    // v4.12: IOMMU_OF_DECLARE(arm_smmuv3, "arm,smmu-v3", NULL) puts the node in __iommu_of_table.
    ofEnv = { dt: tree, fwnodeOf, iommuOfTable: ["arm,smmu-v3"] };
  }
  const iort = firmware === "acpi" ? buildQemuVirtIort(virt) : null;
  const smmuFwnode: Fwnode = { name: firmware === "acpi" ? "arm-smmu-v3 fwnode" : "/smmuv3@9050000" };
  const iortEnv: IortIommuEnv | null =
    iort === null
      ? null
      : { iort, smmuV3Config: options.smmuV3Config ?? "builtin", firmwareEra: era, fwnodeOf: (i) => (iort.nodes[i]?.type === "smmu-v3" ? smmuFwnode : null) };

  const pci = registerPciBus(core, {
    trace,
    era: PCI_ERAS[era],
    hooks: {
      firmwareDmaConfigure: (pdev, fw) => {
        const iommu = iommuOf();
        const r =
          fw.kind === "of" && ofEnv !== null
            ? iommu.ofIommuConfigure(pdev.dev, nodeOf.get(fw.node) ?? null, ofEnv)
            : iortEnv !== null
              ? iommu.iortIommuConfigure(pdev.dev, iortEnv)
              : { ok: true as const, ops: null };
        if (!r.ok) return r.errno;
        dmaOps.set(pdev.dev.name, r.ops);
        return 0;
      },
      iommuDeviceUseDefaultDomain: (dev) => iommuOf().iommuDeviceUseDefaultDomain(dev),
      iommuDeviceUnuseDefaultDomain: (dev) => iommuOf().iommuDeviceUnuseDefaultDomain(dev),
      archTeardownDmaOps: (dev) => void dmaOps.delete(dev.name),
      ...(options.fixupHeader === undefined ? {} : { fixupHeader: options.fixupHeader }),
    },
  });
  if (!pci.ok) throw new Error(`pci bus: ${pci.error}`);
  const iommu = new IommuCore({ era: IOMMU_ERAS[era], driverCore: core, trace, pci: pci.value, cmdline: cmdlineOf(cmd.value.append ?? "") });
  holder.iommu = iommu;
  return {
    era,
    firmware,
    trace,
    core,
    platform: platform.value,
    pci: pci.value,
    iommu,
    machine: machine.value,
    virt,
    append: cmd.value.append ?? "",
    dt,
    iort,
    ofEnv,
    iortEnv,
    smmuDev: null,
    dmaOps,
  };
}

/** The `iommu.*` early parameters of a kernel command line. */
function cmdlineOf(append: string): { passthrough?: boolean; strict?: boolean } {
  const get = (name: string): boolean | undefined => {
    const m = new RegExp(`(?:^|\\s)${name.replace(".", "\\.")}=(\\S+)`).exec(append);
    return m === null ? undefined : /^(1|y|Y|on)/.test(m[1] as string);
  };
  const passthrough = get("iommu.passthrough");
  const strict = get("iommu.strict");
  return { ...(passthrough === undefined ? {} : { passthrough }), ...(strict === undefined ? {} : { strict }) };
}

function must<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`unexpected error ${JSON.stringify(r.error)}`);
  return r.value;
}

/** Creates the SMMU platform device the way the firmware glue does (OF populate / IORT). */
function addSmmuDevice(k: TopoKernel): void {
  const dt = k.dt;
  if (dt !== null && k.ofEnv !== null) {
    const node = dt.tree.root.children.find((n) => n.name.startsWith("smmuv3@"));
    if (node === undefined) throw new Error("no SMMU node");
    const dev = k.core.deviceInitialize({ name: "9050000.smmuv3", bus: k.platform, fwnode: k.ofEnv.fwnodeOf(node) });
    dev.setData(PLATFORM_DEVICE, { compatible: ["arm,smmu-v3"] });
    k.core.deviceAdd(dev);
    k.smmuDev = dev;
    return;
  }
  const iortEnv = k.iortEnv;
  if (iortEnv === null) throw new Error("no firmware");
  const at = iortEnv.iort.nodes.findIndex((n) => n.type === "smmu-v3");
  const dev = k.core.deviceInitialize({ name: "arm-smmu-v3.0.auto", bus: k.platform, fwnode: iortEnv.fwnodeOf(at) });
  dev.setData(PLATFORM_DEVICE, { name: "arm-smmu-v3" });
  k.core.deviceAdd(dev);
  k.smmuDev = dev;
}

/** Boots to the end of the initramfs's module loads. */
export function bootTopo(k: TopoKernel, smmuProbe: SmmuDriverFactory): void {
  const initcalls = new InitcallTable(k.trace);
  const hb = k.machine.board.pciHostBridges[0];
  if (hb === undefined) throw new Error("no host bridge");
  if (k.firmware === "acpi") {
    initcalls.register({
      level: "subsys",
      name: "acpi_init",
      fn: () => {
        const iort = k.iort as IortTable;
        addSmmuDevice(k); // acpi_iort_init → iort_init_platform_devices
        k.iommu.iortEnableAcs(iort); // ... → iort_enable_acs → pci_request_acs()
        const windows = [...hb.windows.filter((w) => w.kind === "mem32"), ...hb.windows.filter((w) => w.kind === "io"), ...hb.windows.filter((w) => w.kind === "mem64")];
        return acpiPciRootAdd(k.pci, {
          companion: { name: "PNP0A08:00" },
          busId: "PCI0",
          segment: hb.segment,
          busRange: hb.busRange,
          windows,
          ecam: hb.ecam,
          config: k.machine.pci,
        });
      },
    });
  } else {
    initcalls.register({ level: "arch", name: "of_platform_default_populate_init", fn: () => (addSmmuDevice(k), 0) });
  }
  initcalls.register({ level: "subsys", name: "iommu_subsys_init", fn: () => k.iommu.iommuSubsysInit() });
  initcalls.register({ level: "device", name: "pcie_portdrv_init", fn: () => (must(pciePortdrvInit(k.pci)), 0) });
  initcalls.register({ level: "device", name: "shpcd_init", fn: () => (must(shpcdInit(k.pci)), 0) });
  if (k.firmware === "dt") {
    initcalls.register({
      level: "device",
      name: "gen_pci_driver_init",
      fn: () => {
        const pcieNode = k.dt?.tree.root.children.find((n) => n.name.startsWith("pcie@"));
        if (pcieNode === undefined || k.ofEnv === null) throw new Error("no pcie node");
        const ofNode = k.ofEnv.fwnodeOf(pcieNode);
        must(
          k.core.driverRegister({
            name: "pci-host-generic",
            bus: k.platform,
            matchIds: ["of:pci-host-ecam-generic"],
            probe: (dev) => pciHostGenericProbe(k.pci, dev, { ofNode, ecam: hb.ecam, busRange: hb.busRange, windows: hb.windows, config: k.machine.pci }),
          }),
        );
        const dev = k.core.deviceInitialize({ name: "4010000000.pcie", bus: k.platform, fwnode: ofNode });
        dev.setData(PLATFORM_DEVICE, { compatible: ["pci-host-ecam-generic"] });
        return k.core.deviceAdd(dev);
      },
    });
  }
  initcalls.register({
    level: "device",
    name: "arm_smmu_driver_init",
    fn: () => {
      must(
        k.core.driverRegister({
          name: "arm-smmu-v3",
          bus: k.platform,
          matchIds: ["of:arm,smmu-v3", "platform:arm-smmu-v3"],
          probe: (dev) => smmuProbe(k, dev),
        }),
      );
      return 0;
    },
  });
  initcalls.register({ level: "late", name: "deferred_probe_initcall", fn: () => k.core.deferredProbeInitcall() });
  must(initcalls.run());
  k.core.systemState = "RUNNING";
  const load = (name: string, ids: readonly (readonly [number, number])[] | "nvme-class", asyncProbe = false): void => {
    initcalls.loadModule(name, () => {
      const idTable = ids === "nvme-class" ? [pciDeviceClass(0x010802, 0xffffff)] : ids.map(([v, d]) => pciDevice(v, d));
      must(k.pci.registerDriver({ name, idTable, asyncProbe, probe: () => 0 }));
      k.core.scheduler.runPending();
      return 0;
    });
  };
  // The initramfs's insmod order: virtio_pci, e1000e, nvme (async probing, PROBE_PREFER_ASYNCHRONOUS).
  load("virtio-pci", [[0x1af4, 0xffff_ffff]]);
  load("e1000e", [[0x8086, 0x10d3]]);
  load("nvme", "nvme-class", true);
}

/** Whether a dynamic-debug `file` glob of the command line enables debug lines of `file`. */
export function dyndbgEnables(append: string, file: string): boolean {
  const m = /dyndbg="([^"]*)"/.exec(append);
  if (m === null) return false;
  for (const clause of (m[1] as string).split(";")) {
    const c = /file\s+(\S+)\s+\+p/.exec(clause.trim());
    if (c === null) continue;
    const glob = new RegExp(`^${(c[1] as string).replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
    if (glob.test(file)) return true;
  }
  return false;
}

/** The kernel log lines the boot would print with its command line (debug lines only where dyndbg enables them). */
export function printedLines(k: TopoKernel): string[] {
  const out: string[] = [];
  for (const r of k.trace.records) {
    if (r.type !== "printk") continue;
    if (r.level === "debug" && !dyndbgEnables(k.append, r.file)) continue;
    out.push(r.prefix === null ? r.text : `${r.prefix}: ${r.text}`);
  }
  return out;
}
