/**
 * One simulated kernel: the hardware it runs on, the trace every layer writes to, the driver core with the
 * profile's era, the buses and subsystems once their initcalls registered them, and the lookups the firmware glue
 * and drivers share. `boot` builds one per run; nothing here is global.
 */
import {
  DriverCore,
  Scheduler,
  SimClock,
  Trace,
  type Bus,
  type Device,
  type DriverCoreEvent,
  type InitcallTable,
  type PickNextPolicy,
  type PrintkEvent,
} from "@dmasim/driver-core";
import type { SmmuHwEvent, SmmuV3 } from "@dmasim/iommu/smmuv3-hw";
import type { Arm64DmaSetup, DmaEvent, DmaSubsystem } from "@dmasim/dma-mapping";
import type { ArmSmmuV3Event, IommuCore, IommuTraceEvent } from "@dmasim/iommu";
import type { FrameAllocator, MachineEvent, MachineInstance, PlatformDeviceDesc } from "@dmasim/machine";
import type { PciEvent, PciSubsystem } from "@dmasim/pci";
import type { KernelEvent } from "../events";
import { FwnodeRegistry } from "../firmware-glue/fwnode";
import type { DmaConfigureGlue } from "../firmware-glue/dma-configure";
import { OfDevices, type OfCreateHooks } from "../firmware-glue/of-platform";
import type { Platform } from "../platform/types";
import type { KernelProfile } from "../profiles";
import { deferredProbeTimeoutUs, type KernelCmdline } from "./cmdline";

/** Every event of a composed trace. */
export type DmasimEvent = DriverCoreEvent | MachineEvent | SmmuHwEvent | PciEvent | IommuTraceEvent | ArmSmmuV3Event | DmaEvent | KernelEvent | PrintkEvent;

/** How the IOMMU layer's per-device state reads (filled by the IOMMU installer; empty without an IOMMU core). */
export interface IommuView {
  /** `/sys/kernel/iommu_groups` number of the device's group, or null. */
  groupOf(dev: Device): number | null;
  /** The sysfs type of the group's current domain (`DMA`, `DMA-FQ`, `identity`, ...), or null. */
  domainTypeOf(dev: Device): string | null;
  /** The StreamIDs the IOMMU layer recorded for the device (fwspec IDs). */
  streamIdsOf(dev: Device): readonly number[];
}

const NO_IOMMU_VIEW: IommuView = { groupOf: () => null, domainTypeOf: () => null, streamIdsOf: () => [] };

/** The buses, filled as their initcalls run. */
export interface KernelBuses {
  platform: Bus | null;
  amba: Bus | null;
  pci: PciSubsystem | null;
}

/**
 * The driver-core hooks, filled by the subsystems as they come up (the driver core gets delegates at construction,
 * so a hook left empty behaves as a missing one).
 */
export interface KernelCoreHooks {
  /** v4.12 `dma_deconfigure`. */
  dmaDeconfigure: ((dev: Device) => void) | null;
  /** Modern `arch_teardown_dma_ops` in `device_unbind_cleanup`. */
  archTeardownDmaOps: ((dev: Device) => void) | null;
}

/** What a {@link Kernel} is built from. */
export interface KernelInit {
  readonly platform: Platform;
  readonly profile: KernelProfile;
  readonly cmdline: KernelCmdline;
  readonly machine: MachineInstance;
  readonly frames: FrameAllocator;
  readonly smmus: ReadonlyMap<string, SmmuV3>;
  readonly trace: Trace<DmasimEvent>;
  readonly pickNext?: PickNextPolicy;
}

/**
 * The simulated kernel's shared state. Subsystem code lives in the `firmware-glue/`, `drivers/` and `boot/` files;
 * this class holds what they share.
 */
export class Kernel {
  readonly platform: Platform;
  readonly profile: KernelProfile;
  readonly cmdline: KernelCmdline;
  readonly machine: MachineInstance;
  readonly frames: FrameAllocator;
  /** SMMUv3 hardware models by board SMMU name. */
  readonly smmus: ReadonlyMap<string, SmmuV3>;
  readonly trace: Trace<DmasimEvent>;
  readonly clock: SimClock;
  readonly core: DriverCore;
  readonly buses: KernelBuses = { platform: null, amba: null, pci: null };
  /** Set by boot once the table is populated. */
  initcalls: InitcallTable | null = null;
  /** late_initcall has run (the `after-late` probe-script condition). */
  lateDone = false;
  /** Firmware node handles (identity matters). */
  readonly fwnodes: FwnodeRegistry;
  /** Devices created from DT nodes. */
  readonly ofDevices = new OfDevices();
  /** What `of_platform_device_create` does around `device_add` in this profile (set by the firmware glue). */
  ofCreateHooks: OfCreateHooks = {};
  /** Driver-core hooks, filled by the DMA layer's installer. */
  readonly coreHooks: KernelCoreHooks = { dmaDeconfigure: null, archTeardownDmaOps: null };
  /** The DMA layer (from boot start). */
  dma: DmaSubsystem | null = null;
  /** The arm64 DMA setup of the profile (from boot start). */
  arm64: Arm64DmaSetup | null = null;
  /** The IOMMU core (from `pci_driver_init`). */
  iommu: IommuCore | null = null;
  /** Firmware DMA configuration (with the IOMMU core). */
  glue: DmaConfigureGlue | null = null;
  /** IORT SMMU nodes that got a platform device (their fwnode exists). */
  readonly iortSmmuNodesCreated = new Set<number>();
  /** The IOMMU layer's per-device state. */
  iommuView: IommuView = NO_IOMMU_VIEW;
  /** Kernel device names of the SMMUs, by board SMMU name (set as their platform devices are created). */
  readonly smmuDeviceNames = new Map<string, string>();
  /** `drv->probe` calls per device. */
  readonly probeCalls = new Map<string, number>();
  readonly #failures: { device: string; driver: string | null; errno: number; left: number }[] = [];
  /** The explorer's fault choice point at each probe call (set by `boot` when it has a chooser). */
  probeFaultChoice: ((device: string, driver: string) => number | null) | null = null;
  /** Device interrupts waiting to fire, in the order they were raised. */
  readonly #irqs: (() => void)[] = [];
  /** The work item that delivers them (one item, so thousands of pending interrupts cost one queue slot). */
  readonly #irqWork = {
    name: "device_interrupts",
    queue: "irq",
    run: (): void => {
      for (let i = 0; i < this.#irqs.length; i++) (this.#irqs[i] as () => void)();
      this.#irqs.length = 0;
    },
  };
  readonly #boardPlatform: ReadonlyMap<string, PlatformDeviceDesc>;
  readonly #devices = new Map<string, Device>();

  constructor(init: KernelInit) {
    this.platform = init.platform;
    this.profile = init.profile;
    this.cmdline = init.cmdline;
    this.machine = init.machine;
    this.frames = init.frames;
    this.smmus = init.smmus;
    this.trace = init.trace;
    this.clock = init.trace.clock as SimClock;
    const era = { ...init.profile.driverCore, deferredProbeTimeoutUs: deferredProbeTimeoutUs(init.cmdline, init.profile.driverCore.deferredProbeTimeoutUs) };
    const scheduler = new Scheduler({ clock: this.clock, trace: init.trace, ...(init.pickNext === undefined ? {} : { pickNext: init.pickNext }) });
    this.#boardPlatform = new Map(init.platform.board.platformDevices.map((d) => [d.name, d]));
    const fw = init.platform.firmware;
    this.fwnodes = new FwnodeRegistry((node) => (fw.kind === "dt" ? fw.dt.pathOf(node) : node.name));
    const hooks = {
      dmaDeconfigure: (dev: Device): void => this.coreHooks.dmaDeconfigure?.(dev),
      archTeardownDmaOps: (dev: Device): void => this.coreHooks.archTeardownDmaOps?.(dev),
    };
    this.core = new DriverCore({ era, trace: init.trace, clock: this.clock, scheduler, hooks });
    init.trace.subscribe((r) => {
      if (r.type === "device-del-end") this.#devices.delete(r.device);
    });
  }

  /** The PCI subsystem (a model bug to ask before `pci_driver_init`). */
  get pci(): PciSubsystem {
    if (this.buses.pci === null) throw new Error("the pci bus is not registered yet");
    return this.buses.pci;
  }

  /**
   * A device interrupt (an MSI the device will raise once the current work is done): delivered by the scheduler the
   * next time the boot thread yields, after everything queued before it, in raise order.
   */
  raiseLater(fire: () => void): void {
    this.#irqs.push(fire);
    this.core.scheduler.queueWork(this.#irqWork);
  }

  /** Makes the next `times` probes of `driver` (any, when null) on `device` fail with `errno` before the driver runs. */
  injectProbeFailure(device: string, driver: string | null, errno: number, times: number): void {
    this.#failures.push({ device, driver, errno, left: times });
  }

  /** The injected failure for this probe call, if one is due (consumed). */
  takeProbeFailure(device: string, driver: string): number | null {
    const f = this.#failures.find((x) => x.left > 0 && x.device === device && (x.driver === null || x.driver === driver));
    if (f === undefined) return this.probeFaultChoice?.(device, driver) ?? null;
    f.left -= 1;
    return f.errno;
  }

  /** Whether IORT init made a platform device (and so a fwnode) for IORT node `node`. */
  iortSmmuNode(node: number): boolean {
    return this.iortSmmuNodesCreated.has(node);
  }

  /** The board's description of a platform device, by kernel name. */
  boardPlatformDevice(name: string): PlatformDeviceDesc | undefined {
    return this.#boardPlatform.get(name);
  }

  /** Remembers a device the composition created or met, for name lookups (scripts, actions, conditions). */
  remember(dev: Device): void {
    this.#devices.set(dev.name, dev);
  }

  /** A device by kernel name: remembered ones first, then a scan of the registered buses. */
  findDevice(name: string): Device | undefined {
    const known = this.#devices.get(name);
    if (known !== undefined && !known.isDead) return known;
    for (const bus of this.core.buses) {
      const dev = bus.findDevice(name);
      if (dev !== undefined) {
        this.#devices.set(name, dev);
        return dev;
      }
    }
    return undefined;
  }
}
