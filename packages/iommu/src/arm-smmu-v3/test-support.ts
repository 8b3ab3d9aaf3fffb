/**
 * Test scaffolding for the driver (not part of the package barrel): a small kernel with a driver core and a
 * platform bus, RAM and a frame allocator, an MMIO space, a stand-in IOMMU core that records what the driver asks
 * of it, and an interrupt controller that queues the SMMU's wired lines until they are delivered. The SMMU hardware
 * is created by the test (the driver never imports the hardware model).
 */
import {
  DRIVER_CORE_ERAS,
  DriverCore,
  Errno,
  makePlatformBus,
  PLATFORM_DEVICE,
  SimClock,
  Trace,
  type Bus,
  type Device,
  type Fwnode,
  type PrintkEvent,
  type DriverCoreEvent,
  type TraceRecord,
  type TraceSink,
} from "@dmasim/driver-core";
import { FrameAllocator, MmioSpace, PhysicalMemory, type MmioHandler, type TranslateOutcome, type IommuTransaction } from "@dmasim/machine";
import type { IommuDevice, IommuFwspec, IommuGroup, IommuGroupResult, IommuOps, IommuResvRegion } from "../core/iommu-ops";
import { ioPgtableEras, type IoPgtableEra } from "../io-pgtable-arm/index";
import type { ArmSmmuCoreApi, ArmSmmuFault } from "./context";
import { ArmSmmuV3Driver } from "./driver";
import { ARM_SMMU_V3_ERAS, type ArmSmmuV3Era } from "./era";
import type { ArmSmmuV3Event } from "./events";
import { ARM_SMMU_V3_RESOURCES, type ArmSmmuV3Resources } from "./probe";

/** QEMU virt's SMMUv3 base and size. */
export const SMMU_BASE = 0x9050000;
export const SMMU_SIZE = 0x20000;
/** Interrupt numbers given to the SMMU's lines (any distinct numbers do). */
export const IRQ = { eventq: 14, priq: 15, "cmdq-sync": 16, gerror: 17 } as const;

/** The hardware as the test builds it: an MMIO register block with a translate entry point. */
export interface TestSmmuHw extends MmioHandler {
  translate(txn: IommuTransaction): TranslateOutcome;
}

/** The SMMU's wired interrupt lines, as the hardware pulses them. */
export interface TestIrqLines {
  eventq(): void;
  gerror(): void;
  cmdSync(): void;
}

type AnyEvent = PrintkEvent | ArmSmmuV3Event | { readonly type: string };

/**
 * A stand-in for the IOMMU core with the driver-facing API only: fwspecs and private data per device, registered
 * instances and bus ops, one group per device (PCI or not). Records every call worth asserting.
 */
export class FakeIommuCore implements ArmSmmuCoreApi {
  readonly fwspecs = new Map<Device, { ops: IommuOps | null; iommuFwnode: Fwnode; ids: number[]; flags: number }>();
  readonly privs = new Map<Device, unknown>();
  readonly registered: IommuDevice[] = [];
  readonly busOps = new Map<Bus, IommuOps>();
  readonly ofOps = new Map<Fwnode, IommuOps>();
  readonly faults: { dev: string; fault: ArmSmmuFault }[] = [];
  /** A fault handler per device (`iommu_register_device_fault_handler`): its return value is what the driver sees. */
  readonly faultHandlers = new Map<Device, (f: ArmSmmuFault) => number>();
  #groupId = 0;

  iommuDeviceRegister(iommu: IommuDevice, ops: IommuOps, hwdev: Device | null): number {
    iommu.ops = ops;
    iommu.fwnode = hwdev?.fwnode ?? null;
    this.registered.push(iommu);
    return 0;
  }
  iommuDeviceUnregister(iommu: IommuDevice): void {
    const i = this.registered.indexOf(iommu);
    if (i >= 0) this.registered.splice(i, 1);
  }
  ofIommuSetOps(fwnode: Fwnode, ops: IommuOps): void {
    this.ofOps.set(fwnode, ops);
  }
  busSetIommu(bus: Bus, ops: IommuOps): number {
    if (this.busOps.has(bus)) return -Errno.EBUSY;
    this.busOps.set(bus, ops);
    return 0;
  }
  #group(dev: Device): IommuGroupResult {
    const group: IommuGroup = { id: this.#groupId++, devices: [dev], defaultDomain: null, domain: null, ownerCnt: 0, live: true };
    return { ok: true, value: group };
  }
  pciDeviceGroup(dev: Device): IommuGroupResult {
    return this.#group(dev);
  }
  genericDeviceGroup(dev: Device): IommuGroupResult {
    return this.#group(dev);
  }
  devIommuFwspecGet(dev: Device): IommuFwspec | null {
    return this.fwspecs.get(dev) ?? null;
  }
  iommuFwspecAddIds(dev: Device, ids: readonly number[]): number {
    const f = this.fwspecs.get(dev);
    if (f === undefined) return -Errno.EINVAL;
    f.ids.push(...ids);
    return 0;
  }
  devIommuPrivGet(dev: Device): unknown {
    return this.privs.get(dev) ?? null;
  }
  devIommuPrivSet(dev: Device, priv: unknown): void {
    if (priv === null) this.privs.delete(dev);
    else this.privs.set(dev, priv);
  }
  iommuGetDomainForDev(): null {
    return null;
  }
  iommuGroupGet(): null {
    return null;
  }
  iommuDmaGetResvRegions(): IommuResvRegion[] {
    return [];
  }
  iommuReportDeviceFault(dev: Device, fault: ArmSmmuFault): number {
    this.faults.push({ dev: dev.name, fault });
    return this.faultHandlers.get(dev)?.(fault) ?? -Errno.EINVAL;
  }
  /** `iommu_fwspec_init` + `of_xlate` as of_iommu_configure does it: the SMMU's fwnode and ops, then the IDs. */
  configure(dev: Device, smmuFwnode: Fwnode, ids: readonly number[]): void {
    const ops = this.registered.find((r) => r.fwnode === smmuFwnode)?.ops ?? this.ofOps.get(smmuFwnode) ?? null;
    this.fwspecs.set(dev, { ops, iommuFwnode: smmuFwnode, ids: [], flags: 0 });
    for (const id of ids) ops?.ofXlate?.(dev, { fwnode: smmuFwnode, args: [id] });
  }
}

/** What {@link SmmuDriverTestKernel} is built from. */
export interface SmmuDriverTestKernelOptions {
  readonly createHw: (memory: PhysicalMemory, irq: TestIrqLines) => TestSmmuHw;
  readonly era?: ArmSmmuV3Era;
  readonly ioPgtable?: IoPgtableEra;
  readonly disableBypass?: boolean;
  /** Deliver interrupts while the driver polls (default true). */
  readonly irqsWhilePolling?: boolean;
  /** Frames available to the kernel (default 64 MiB). */
  readonly frameBytes?: number;
}

/** A kernel with one SMMUv3 on QEMU virt's address. */
export class SmmuDriverTestKernel {
  readonly clock = new SimClock();
  readonly trace = new Trace<AnyEvent>(this.clock);
  readonly core: DriverCore;
  readonly platform: Bus;
  readonly memory = new PhysicalMemory();
  readonly frames: FrameAllocator;
  readonly mmio = new MmioSpace();
  readonly hw: TestSmmuHw;
  readonly iommu = new FakeIommuCore();
  readonly driver: ArmSmmuV3Driver;
  readonly smmuFwnode: Fwnode = { name: "/smmuv3@9050000" };
  /** Pending interrupt lines (raised by the hardware, not yet handled). */
  readonly pending: (keyof typeof IRQ)[] = [];
  readonly #handlers = new Map<number, () => void>();
  smmuDev: Device | null = null;
  probeRet: number | null = null;

  constructor(options: SmmuDriverTestKernelOptions) {
    this.memory.addRam({ name: "ram", base: 0x40000000, size: 0x40000000 });
    this.frames = new FrameAllocator(this.memory, { base: 0x40000000, size: options.frameBytes ?? 0x4000000 });
    this.core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace: this.trace as unknown as TraceSink<DriverCoreEvent> });
    const bus = this.core.busRegister(makePlatformBus());
    if (!bus.ok) throw new Error("platform bus");
    this.platform = bus.value;
    this.hw = options.createHw(this.memory, {
      eventq: () => this.pending.push("eventq"),
      gerror: () => this.pending.push("gerror"),
      cmdSync: () => this.pending.push("cmdq-sync"),
    });
    this.mmio.register("smmuv3", SMMU_BASE, SMMU_SIZE, this.hw);
    const era = options.era ?? ARM_SMMU_V3_ERAS["v6.1"];
    this.driver = new ArmSmmuV3Driver({
      mmio: this.mmio,
      memory: this.memory,
      frames: this.frames,
      trace: this.trace,
      iommu: this.iommu,
      era,
      ioPgtable: options.ioPgtable ?? (era.tlb === "immediate" ? ioPgtableEras["v4.4"] : ioPgtableEras["v6.1"]),
      ...(options.disableBypass === undefined ? {} : { disableBypass: options.disableBypass }),
      buses: { platform: this.platform },
      clock: this.clock,
      ...(options.irqsWhilePolling === false ? {} : { pollIrqs: () => this.deliverIrqs() }),
    });
  }

  /** The resources QEMU's DT gives the SMMU (overridable). */
  resources(over: Partial<ArmSmmuV3Resources> = {}): ArmSmmuV3Resources {
    return {
      mem: { start: SMMU_BASE, size: SMMU_SIZE },
      irqs: (Object.keys(IRQ) as (keyof typeof IRQ)[]).map((name) => ({ name, irq: IRQ[name] })),
      firmware: { kind: "of", iommuCells: 1, dmaCoherent: true, properties: [] },
      requestIrq: (irq, _name, handler) => {
        this.#handlers.set(irq, handler);
        return 0;
      },
      ...over,
    };
  }

  /** Registers the SMMU platform device and the driver (which probes it). Returns the probe's return value. */
  probeSmmu(res: ArmSmmuV3Resources = this.resources(), name = "9050000.smmuv3"): number {
    const dev = this.core.deviceInitialize({ name, bus: this.platform, fwnode: this.smmuFwnode });
    dev.setData(PLATFORM_DEVICE, { compatible: ["arm,smmu-v3"] });
    dev.setData(ARM_SMMU_V3_RESOURCES, res);
    this.core.deviceAdd(dev);
    this.smmuDev = dev;
    const spec = this.driver.platformDriver(this.platform);
    const probe = spec.probe;
    const r = this.core.driverRegister({
      ...spec,
      probe: (d) => {
        const ret = probe?.(d) ?? 0;
        this.probeRet = ret;
        return ret;
      },
    });
    if (!r.ok) throw new Error("driver register");
    return this.probeRet ?? -Errno.ENODEV;
  }

  /** A master device behind the SMMU with the given StreamIDs (fwspec filled as of_iommu_configure would). */
  addMaster(name: string, sids: readonly number[]): Device {
    const r = this.core.deviceRegister({ name, bus: this.platform, fwnode: { name: `/${name}` } });
    if (!r.ok) throw new Error(`device ${name}`);
    this.iommu.configure(r.value, this.smmuFwnode, sids);
    return r.value;
  }

  /** `iommu_probe_device` as far as the driver is concerned: `ops->probe_device`, or `add_device` in v4.x. */
  probeMaster(dev: Device): number {
    const ops = this.driver.ops;
    if (ops.probeDevice !== undefined) {
      const r = ops.probeDevice(dev);
      return r.ok ? 0 : r.error;
    }
    return ops.addDevice?.(dev) ?? -Errno.ENODEV;
  }

  /** Runs the handlers of the pending interrupt lines, oldest first, until none is pending. */
  deliverIrqs(): void {
    for (let line = this.pending.shift(); line !== undefined; line = this.pending.shift()) {
      this.#handlers.get(IRQ[line])?.();
    }
  }

  /** One DMA transaction from a master, then the interrupts it raised. */
  dma(streamId: number, iova: number, access: "read" | "write" = "write", size = 4): TranslateOutcome {
    const out = this.hw.translate({ streamId, iova, access, size });
    this.deliverIrqs();
    return out;
  }

  /** Log lines as dmesg prints them without timestamps (`prefix: text`). */
  log(): string[] {
    return (this.trace.records as readonly TraceRecord<AnyEvent>[])
      .filter((r): r is TraceRecord<PrintkEvent> => r.type === "printk")
      .map((r) => (r.prefix === null ? r.text : `${r.prefix}: ${r.text}`));
  }

  /** Trace records of one type. */
  events<TType extends string>(type: TType): (TraceRecord<AnyEvent> & { readonly type: TType })[] {
    return (this.trace.records as readonly TraceRecord<AnyEvent>[]).filter((r): r is TraceRecord<AnyEvent> & { readonly type: TType } => r.type === type);
  }

  /** The 8 dwords of 64 bytes at `pa` as `0x%016x` strings (an STE or CD read back from RAM). */
  dwords(pa: number, count = 8): string[] {
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const lo = this.memory.read32(pa + 8 * i) >>> 0;
      const hi = this.memory.read32(pa + 8 * i + 4) >>> 0;
      out.push(`0x${hi.toString(16).padStart(8, "0")}${lo.toString(16).padStart(8, "0")}`);
    }
    return out;
  }
}
