/**
 * A small arm64 machine with the whole DMA stack of one kernel generation: RAM, a GICv3 ITS doorbell, an SMMUv3
 * (the hardware model from `@dmasim/iommu/smmuv3-hw`, registered in the MMIO space and put in front of its
 * masters), the real arm-smmu-v3 driver probing it through MMIO, the IOMMU core, and this package's DMA layer and
 * arm64 setup. One platform DMA master sits behind the SMMU with StreamID 0x20; its transactions go through the
 * machine's interconnect. Used by the end-to-end tests and the benchmark.
 */
import {
  DRIVER_CORE_ERAS,
  DriverCore,
  NULL_TRACE_SINK,
  PLATFORM_DEVICE,
  Trace,
  makePlatformBus,
  type Bus,
  type Device,
  type TraceSink,
} from "@dmasim/driver-core";
import {
  ARM_SMMU_V3_ERAS,
  ARM_SMMU_V3_RESOURCES,
  ArmSmmuV3Driver,
  IOMMU_ERAS,
  IommuCore,
  ioPgtableEras,
  type IommuDomain,
} from "@dmasim/iommu";
import { createSmmuV3, type SmmuV3 } from "@dmasim/iommu/smmuv3-hw";
import { FrameAllocator, instantiateBoard, type Board, type DmaResult, type MachineInstance } from "@dmasim/machine";
import {
  createArm64DmaSetup,
  DMA_ERAS,
  DmaSubsystem,
  iommuDmaBackendFromCore,
  type Arm64DmaSetup,
} from "../src/index";

export const SMMU_NODE = "smmuv3@9050000";
export const SMMU_DEV = "9050000.smmuv3";
export const SMMU_BASE = 0x9050000;
export const MASTER = "10000000.dma";
export const MASTER_SID = 0x20;
/** The GICv3 ITS frame of QEMU virt; its GITS_TRANSLATER is at +0x10040. */
export const ITS_BASE = 0x8080000;

/** A board with one SMMUv3 and one platform master behind it. */
export function smmuBoard(): Board {
  return {
    name: "dma-mapping-test",
    memory: [{ name: "mach-virt.ram", base: 0x40000000, size: 0x40000000 }],
    gic: {
      version: 3,
      distributor: { base: 0x8000000, size: 0x10000 },
      redistributor: { base: 0x80a0000, size: 0xf60000 },
      its: { base: ITS_BASE, size: 0x20000 },
    },
    smmus: [
      {
        name: SMMU_NODE,
        model: "smmu-v3",
        base: SMMU_BASE,
        size: 0x20000,
        sidBits: 16,
        irqs: { eventq: 74, priq: 75, cmdqSync: 76, gerror: 77 },
        dmaCoherent: true,
      },
    ],
    pciHostBridges: [],
    pciFunctions: [],
    platformDevices: [
      {
        name: MASTER,
        dtNode: "dma@10000000",
        compatible: ["dmasim,test-dma"],
        reg: [{ base: 0x10000000, size: 0x1000 }],
        iommu: { smmu: SMMU_NODE, streamIds: [MASTER_SID] },
        dmaCoherent: true,
      },
    ],
  };
}

/** One booted stack. */
export interface SmmuStack {
  readonly trace: Trace<{ readonly type: string }> | null;
  readonly core: DriverCore;
  readonly platform: Bus;
  readonly machine: MachineInstance;
  readonly frames: FrameAllocator;
  readonly hw: SmmuV3;
  readonly driver: ArmSmmuV3Driver;
  readonly iommu: IommuCore;
  readonly dma: DmaSubsystem;
  readonly arm64: Arm64DmaSetup;
  readonly master: Device;
  /** The master's default domain. */
  readonly domain: IommuDomain;
  /** A write of `size` bytes of `pattern` by the master at bus address `address`. */
  write(address: number, size: number, pattern: number): DmaResult;
  /** Runs pending SMMU interrupt handlers (the event thread). */
  deliverIrqs(): void;
}

/**
 * Boots the stack: v6.1 driver core, IOMMU core, arm-smmu-v3 and DMA layer; the SMMU probes, the master is added
 * with its fwspec (what `of_iommu_xlate` records), `iommu_probe_device` gives it a group and a default domain of
 * `defaultDomain`, and `arch_setup_dma_ops` gives it iommu-dma ops.
 */
export function bootSmmuStack(options: { readonly defaultDomain?: "DMA" | "DMA-FQ"; readonly traced?: boolean } = {}): SmmuStack {
  const traced = options.traced ?? true;
  const trace = traced ? new Trace<{ readonly type: string }>() : null;
  const sink: TraceSink<never> = (trace ?? NULL_TRACE_SINK) as TraceSink<never>;
  const core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace: trace ?? new Trace() });
  const bus = core.busRegister(makePlatformBus());
  if (!bus.ok) throw new Error("platform bus");
  const platform = bus.value;
  const m = instantiateBoard(smmuBoard(), traced ? { trace: sink } : {});
  if (!m.ok) throw new Error(m.error.map((e) => `${e.field}: ${e.message}`).join("; "));
  const machine = m.value;
  const memory = machine.memory;
  const frames = new FrameAllocator(memory, { base: 0x40000000, size: 0x40000000 });

  let dmaRef: DmaSubsystem | null = null;
  const strict = (options.defaultDomain ?? "DMA") === "DMA";
  const iommu = new IommuCore({
    era: IOMMU_ERAS["v6.1"],
    driverCore: core,
    trace: sink,
    kconfig: { defaultDomain: strict ? "DMA" : "DMA-FQ", strictDefault: strict },
    hooks: {
      dmaCookieAlloc: (d) => (dmaRef as DmaSubsystem).iommuDmaCookieAlloc(d),
      dmaCookieFree: (d) => (dmaRef as DmaSubsystem).iommuPutDmaCookie(d),
    },
  });
  iommu.iommuSubsysInit();
  const dma = new DmaSubsystem({
    era: DMA_ERAS["v6.1"],
    trace: sink,
    memory,
    frames,
    scheduler: core.scheduler,
    iommu: iommuDmaBackendFromCore(iommu),
  });
  dmaRef = dma;
  const arm64 = createArm64DmaSetup("v6.1", { dma, core });

  const pending: string[] = [];
  const hw = createSmmuV3({
    name: SMMU_DEV,
    memory,
    irq: { eventq: () => pending.push("eventq"), gerror: () => pending.push("gerror"), cmdSync: () => pending.push("cmdq-sync") },
    ...(traced ? { trace: sink } : {}),
  });
  machine.mmio.register("smmuv3", SMMU_BASE, 0x20000, hw);
  machine.attachIommu(SMMU_NODE, hw);
  // The SMMU's wired lines and their GSIVs (SPI 74..77 + 32), the same numbers the DT and IORT give.
  const GSIV: Readonly<Record<string, number>> = { eventq: 106, priq: 107, "cmdq-sync": 108, gerror: 109 };
  const handlers = new Map<number, () => void>();
  const deliverIrqs = (): void => {
    for (let line = pending.shift(); line !== undefined; line = pending.shift()) handlers.get(GSIV[line] ?? -1)?.();
  };
  const driver = new ArmSmmuV3Driver({
    mmio: machine.mmio,
    memory,
    frames,
    trace: sink,
    iommu,
    era: ARM_SMMU_V3_ERAS["v6.1"],
    ioPgtable: ioPgtableEras["v6.1"],
    buses: { platform },
    clock: core.clock,
    pollIrqs: deliverIrqs,
  });
  const smmuFwnode = { name: SMMU_NODE };
  const smmuDev = core.deviceInitialize({ name: SMMU_DEV, bus: platform, fwnode: smmuFwnode });
  smmuDev.setData(ARM_SMMU_V3_RESOURCES, {
    mem: { start: SMMU_BASE, size: 0x20000 },
    irqs: Object.entries(GSIV).map(([name, irq]) => ({ name, irq })),
    firmware: { kind: "of", iommuCells: 1, dmaCoherent: true, properties: [] },
    requestIrq: (irq: number, _name: string, handler: () => void) => {
      handlers.set(irq, handler);
      return 0;
    },
  });
  smmuDev.setData(PLATFORM_DEVICE, { compatible: ["arm,smmu-v3"] });
  if (core.deviceAdd(smmuDev) !== 0) throw new Error("smmu device_add");
  // module_platform_driver(arm_smmu_driver): binds 9050000.smmuv3 (arm_smmu_device_probe registers the iommu_device
  // and the platform bus ops).
  const drv = core.driverRegister(driver.platformDriver(platform));
  if (!drv.ok || !smmuDev.isBound) throw new Error("arm_smmu_device_probe failed");

  // The master: of_iommu_xlate's fwspec, then device_add (the IOMMU bus notifier probes it into a group).
  const master = core.deviceInitialize({ name: MASTER, bus: platform, fwnode: { name: "dma@10000000" } });
  dma.deviceInit(master);
  if (iommu.iommuFwspecInit(master, smmuFwnode, driver.ops) !== 0) throw new Error("fwspec");
  iommu.iommuFwspecAddIds(master, [MASTER_SID]);
  if (core.deviceAdd(master) !== 0) throw new Error("master device_add");
  if (iommu.iommuGroupGet(master) === null) iommu.iommuProbeDevice(master);
  arm64.archSetupDmaOps(master, { dmaBase: 0, size: 2 ** 32, iommu: driver.ops, coherent: true });
  const domain = iommu.iommuGetDomainForDev(master);
  if (domain === null) throw new Error("no default domain");

  return {
    trace,
    core,
    platform,
    machine,
    frames,
    hw,
    driver,
    iommu,
    dma,
    arm64,
    master,
    domain,
    write: (address, size, pattern) =>
      machine.interconnect.dma({ master: { kind: "platform", name: MASTER }, address, size, access: "write", pattern }),
    deliverIrqs,
  };
}
