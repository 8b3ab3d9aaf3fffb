/**
 * The arm-smmu-v3 driver module of one simulated kernel: `arm_smmu_ops` (the `IommuOps` the core calls), the
 * domain ops, the platform driver's probe/remove, and the module-wide state C keeps in statics (the instances bound
 * to the driver, the global ASID xarray, which buses have our ops).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_ops, arm_smmu_driver
 */
import { Errno, type Bus, type Device, type DriverSpec, type Fwnode } from "@dmasim/driver-core";
import { devIsPci, toPciDev } from "@dmasim/pci";
import type { IommuDomain, IommuDomainOps, IommuOps, IommuResvRegion } from "../core/iommu-ops";
import { IommuDomainType, MSI_IOVA_BASE, MSI_IOVA_LENGTH } from "../core/iommu-ops";
import { IommuProt, makeIotlbGather } from "../io-pgtable-arm/index";
import type { ArmSmmuV3Context, ArmSmmuV3Options } from "./context";
import { ArmSmmuMaster, type ArmSmmuDevice } from "./device";
import { ArmSmmuDomain, armSmmuAttachDev, armSmmuDomainAlloc, armSmmuDomainFree, armSmmuDetachDev } from "./domain";
import { armSmmuEvtqThread, armSmmuGerrorHandler } from "./irq";
import { armSmmuAddDevice, armSmmuProbeDevice, armSmmuReleaseDevice, type MasterProbeDeps } from "./master";
import { armSmmuDeviceProbe, armSmmuDeviceRemove, type ArmSmmuModule } from "./probe";
import { ARM_SMMU_FEAT } from "./regs";
import { iotlbSync, tlbInvContext } from "./tlb";

/** `pgsize_bitmap = -1UL` until the first SMMU probes ("restricted during device attach"). */
const PGSIZE_UNSET = -1;

/**
 * The arm-smmu-v3 driver. Construct one per simulated kernel; register {@link platformDriver} on the platform bus
 * at the era's initcall, hand the platform devices their {@link ArmSmmuV3Resources}, and wire the SMMU's wired
 * interrupts to the handlers the probe requests.
 *
 * @example
 * const smmuDrv = new ArmSmmuV3Driver({ mmio, memory, frames, trace, iommu: core, era: ARM_SMMU_V3_ERAS["v6.1"],
 *   ioPgtable: ioPgtableEras["v6.1"], buses: { pci, platform } });
 * driverCore.driverRegister(smmuDrv.platformDriver(platformBus));
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_driver, arm_smmu_device_probe
 */
export class ArmSmmuV3Driver {
  readonly ctx: ArmSmmuV3Context;
  /** `arm_smmu_ops`. */
  readonly ops: IommuOps;
  /** The domain ops (`default_domain_ops` in 6.1; `domain->ops` in v4.x). */
  readonly domainOps: IommuDomainOps;
  readonly #mod: ArmSmmuModule;
  /** `arm_smmu_asid_xa` (6.1): ASIDs are global across SMMU instances. */
  readonly #asidXa = new Set<number>();
  #pgsizeBitmap = PGSIZE_UNSET;

  constructor(options: ArmSmmuV3Options) {
    this.ctx = {
      mmio: options.mmio,
      memory: options.memory,
      frames: options.frames,
      trace: options.trace,
      iommu: options.iommu,
      era: options.era,
      ioPgtable: options.ioPgtable,
      disableBypass: options.disableBypass ?? options.era.disableBypassDefault,
      vhe: options.cpu?.vhe ?? false,
      vaBits: options.cpu?.vaBits ?? 48,
      pageSize: options.cpu?.pageSize ?? 0x1000,
      clock: options.clock ?? null,
      pollIrqs: options.pollIrqs ?? (() => {}),
      evtRatelimit: { begun: false, begin: 0, printed: 0, missed: 0 },
    };
    this.domainOps = this.#makeDomainOps();
    this.ops = this.#makeOps();
    const self = this;
    this.#mod = {
      ctx: this.ctx,
      ops: this.ops,
      registration: options.registration ?? "probe",
      buses: options.buses ?? {},
      requestAcsAtBusSetIommu: options.requestAcsAtBusSetIommu ?? false,
      pciRequestAcs: options.pciRequestAcs ?? null,
      drvdata: new Map(),
      busOpsSet: new Set(),
      irqHandlers: new Map(),
      mergePgsizeBitmap(bitmap: number): void {
        self.#pgsizeBitmap = self.#pgsizeBitmap === PGSIZE_UNSET ? bitmap : orBitmaps(self.#pgsizeBitmap, bitmap);
      },
    };
  }

  /** `arm_smmu_device_probe` for a platform device carrying {@link ARM_SMMU_V3_RESOURCES}. 0 or a negative errno. */
  probe(dev: Device): number {
    return armSmmuDeviceProbe(this.#mod, dev);
  }

  /** `arm_smmu_device_remove`. */
  remove(dev: Device): void {
    armSmmuDeviceRemove(this.#mod, dev);
  }

  /**
   * `arm_smmu_driver`: name "arm-smmu-v3", matching `of:arm,smmu-v3` and the IORT-created `platform:arm-smmu-v3`,
   * probe deferral not allowed (`suppress_bind_attrs`; 6.1 sets no `prevent_deferred_probe`, so it is not set here).
   */
  platformDriver(bus: Bus): DriverSpec {
    return {
      name: "arm-smmu-v3",
      bus,
      matchIds: ["of:arm,smmu-v3", "platform:arm-smmu-v3"],
      probe: (dev) => this.probe(dev),
      remove: (dev) => this.remove(dev),
    };
  }

  /**
   * v4.7 `arm_smmu_init` (subsys_initcall) after `platform_driver_register`: `bus_set_iommu` on the buses given,
   * before and independent of any SMMU probing. 0 or the first error.
   */
  init(): number {
    const buses = this.#mod.buses;
    for (const bus of [buses.pci, buses.amba, buses.platform]) {
      if (bus === undefined || this.#mod.busOpsSet.has(bus)) continue;
      const err = this.ctx.iommu.busSetIommu(bus, this.ops);
      if (err !== 0) return err;
      this.#mod.busOpsSet.add(bus);
    }
    return 0;
  }

  /** v4.7 `IOMMU_OF_DECLARE` init: `of_iommu_set_ops(np, &arm_smmu_ops)` for one SMMU node. */
  ofInit(fwnode: Fwnode): void {
    this.ctx.iommu.ofIommuSetOps(fwnode, this.ops);
  }

  /** `platform_get_drvdata(pdev)`: the SMMU state of a probed device. */
  smmuOf(dev: Device): ArmSmmuDevice | undefined {
    return this.#mod.drvdata.get(dev);
  }

  /** The SMMU instances probed so far, in probe order. */
  get instances(): readonly ArmSmmuDevice[] {
    return [...this.#mod.drvdata.values()];
  }

  /** The interrupt handlers an SMMU requested (`arm-smmu-v3-evtq`, `arm-smmu-v3-gerror`, …), in request order. */
  irqHandlers(dev: Device): readonly { readonly irq: number; readonly name: string; readonly handler: () => void }[] {
    return this.#mod.irqHandlers.get(dev) ?? [];
  }

  /** `arm_smmu_evtq_thread` for a probed SMMU device (what the eventq interrupt runs). */
  evtqThread(dev: Device): void {
    const smmu = this.smmuOf(dev);
    if (smmu !== undefined) armSmmuEvtqThread(smmu);
  }

  /** `arm_smmu_gerror_handler` for a probed SMMU device; whether anything was pending. */
  gerrorHandler(dev: Device): boolean {
    const smmu = this.smmuOf(dev);
    return smmu !== undefined && armSmmuGerrorHandler(smmu);
  }

  /** The master the driver keeps for a device (`dev_iommu_priv_get`), if it is one of ours. */
  masterOf(dev: Device): ArmSmmuMaster | null {
    const priv = this.ctx.iommu.devIommuPrivGet(dev);
    return priv instanceof ArmSmmuMaster ? priv : null;
  }

  /**
   * `arm_smmu_get_by_fwnode(fwnode)`: the SMMU whose device is bound to this driver and has that firmware node
   * (`driver_find_device_by_fwnode`). An SMMU still probing is not found.
   */
  #getByFwnode(fwnode: Fwnode): ArmSmmuDevice | null {
    for (const smmu of this.#mod.drvdata.values()) {
      if (smmu.dev.fwnode === fwnode && smmu.dev.isBound) return smmu;
    }
    return null;
  }

  #probeDeps(dev: Device): MasterProbeDeps {
    const api = this.ctx.iommu;
    const fwspec = api.devIommuFwspecGet(dev);
    return {
      fwspec,
      fwspecIsOurs: fwspec !== null && fwspec.ops === this.ops,
      priv: api.devIommuPrivGet(dev),
      smmu: fwspec === null ? null : this.#getByFwnode(fwspec.iommuFwnode),
      setPriv: (priv) => api.devIommuPrivSet(dev, priv),
    };
  }

  #makeOps(): IommuOps {
    const ctx = this.ctx;
    const api = ctx.iommu;
    const era = ctx.era;
    const self = this;
    const ops: IommuOps = {
      name: "arm-smmu-v3",
      capable: (dev, cap) => {
        if (era.probePath === "add_device") return true;
        if (cap === "noexec") return true;
        if (cap === "cache-coherency") {
          const master = dev === null ? null : self.masterOf(dev);
          return master !== null && (master.smmu.features & ARM_SMMU_FEAT.COHERENCY) !== 0;
        }
        return false;
      },
      domainAlloc: (type) => armSmmuDomainAlloc(ctx, type, this.domainOps),
      deviceGroup: (dev) => (devIsPci(dev) ? api.pciDeviceGroup(dev) : api.genericDeviceGroup(dev)),
      ofXlate: (dev, args) => api.iommuFwspecAddIds(dev, args.args.slice(0, 1)),
      defaultDomainOps: this.domainOps,
      get pgsizeBitmap(): number {
        return self.#pgsizeBitmap;
      },
      owner: null,
      ...(era.swMsiRegion
        ? {
            getResvRegions: (dev: Device): IommuResvRegion[] => [
              {
                start: MSI_IOVA_BASE,
                length: MSI_IOVA_LENGTH,
                prot: IommuProt.IOMMU_WRITE | IommuProt.IOMMU_NOEXEC | IommuProt.IOMMU_MMIO,
                type: "sw-msi",
              },
              ...api.iommuDmaGetResvRegions(dev),
            ],
          }
        : {}),
      ...(era.hisiPttIdentity
        ? {
            // arm_smmu_def_domain_type: IS_HISI_PTT_DEVICE (PCI_VENDOR_ID_HUAWEI, 0xa12e) → identity.
            defDomainType: (dev: Device): number => {
              const pdev = toPciDev(dev);
              return pdev !== undefined && pdev.vendor === 0x19e5 && pdev.device === 0xa12e ? IommuDomainType.IDENTITY : 0;
            },
          }
        : {}),
      ...(era.probePath === "probe_device"
        ? {
            probeDevice: (dev: Device) => {
              const r = armSmmuProbeDevice(dev, this.#probeDeps(dev));
              return r.ok ? { ok: true as const, value: r.value.iommu } : r;
            },
            releaseDevice: (dev: Device) => {
              const master = this.masterOf(dev);
              if (master === null) return;
              armSmmuReleaseDevice(master);
              api.devIommuPrivSet(dev, null);
            },
          }
        : {
            addDevice: (dev: Device) => {
              const group = api.iommuGroupGetForDev;
              return armSmmuAddDevice(dev, this.#probeDeps(dev), group === undefined ? null : (d) => {
                const g = group.call(api, d);
                return g.ok ? 0 : g.error;
              });
            },
            // v4.12 arm_smmu_remove_device: detach, iommu_group_remove_device, kfree(master), iommu_fwspec_free
            // (v4.7 had no fwspec; the core's free is then a no-op).
            removeDevice: (dev: Device) => {
              const master = this.masterOf(dev);
              if (master === null) return;
              armSmmuReleaseDevice(master);
              api.devIommuPrivSet(dev, null);
              api.iommuGroupRemoveDevice?.(dev);
              api.iommuFwspecFree?.(dev);
            },
          }),
    };
    return ops;
  }

  #makeDomainOps(): IommuDomainOps {
    const ctx = this.ctx;
    const asidXa = this.#asidXa;
    const smmuDomain = (d: IommuDomain): ArmSmmuDomain | null => (d instanceof ArmSmmuDomain ? d : null);
    const common: IommuDomainOps = {
      attachDev: (d, dev) => {
        const domain = smmuDomain(d);
        if (domain === null) return -Errno.EINVAL;
        if (ctx.iommu.devIommuFwspecGet(dev) === null) return -Errno.ENOENT;
        return armSmmuAttachDev(domain, dev, this.masterOf(dev), asidXa);
      },
      flushIotlbAll: (d) => {
        const domain = smmuDomain(d);
        if (domain?.smmu !== null && domain?.smmu !== undefined) tlbInvContext(domain.smmu, domain);
      },
      iotlbSync: (d, gather) => {
        const domain = smmuDomain(d);
        if (domain !== null) iotlbSync(domain, gather);
      },
      iovaToPhys: (d, iova) => smmuDomain(d)?.pgtblOps?.iovaToPhys(iova) ?? 0,
      free: (d) => {
        const domain = smmuDomain(d);
        if (domain !== null) armSmmuDomainFree(domain, asidXa);
      },
    };
    if (ctx.era.mapPages) {
      return {
        ...common,
        mapPages: (d, iova, paddr, pgsize, pgcount, prot) => {
          const ops = smmuDomain(d)?.pgtblOps;
          if (ops === null || ops === undefined) return { ret: -Errno.ENODEV, mapped: 0 };
          return ops.mapPages(iova, paddr, pgsize, pgcount, prot);
        },
        unmapPages: (d, iova, pgsize, pgcount, gather) => smmuDomain(d)?.pgtblOps?.unmapPages(iova, pgsize, pgcount, gather) ?? 0,
      };
    }
    return {
      ...common,
      map: (d, iova, paddr, size, prot) => smmuDomain(d)?.pgtblOps?.map(iova, paddr, size, prot) ?? -Errno.ENODEV,
      unmap: (d, iova, size, gather) => smmuDomain(d)?.pgtblOps?.unmap(iova, size, gather ?? makeIotlbGather()) ?? 0,
    };
  }

  /**
   * `arm_smmu_detach_dev` for a master (not an `iommu_ops` member in any era: the core reaches it through
   * `release_device`/`remove_device`, or by attaching another domain). Exposed for compositions and tests.
   */
  detachDev(dev: Device): void {
    const master = this.masterOf(dev);
    if (master !== null) armSmmuDetachDev(master);
  }
}

/** OR of two page-size bitmaps that may exceed 32 bits (52-bit OAS adds a 4 TiB block). */
function orBitmaps(a: number, b: number): number {
  const TWO_32 = 0x1_0000_0000;
  const hi = (Math.floor(a / TWO_32) | Math.floor(b / TWO_32)) >>> 0;
  const lo = ((a % TWO_32) | (b % TWO_32)) >>> 0;
  return hi * TWO_32 + lo;
}
