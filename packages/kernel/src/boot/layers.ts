/**
 * The DMA layer and the IOMMU core of one kernel, and the ports between them. The DMA layer exists from the start
 * (the swiotlb pool is set up by `mm_init`, before any initcall); the IOMMU core is created when the PCI bus type is
 * registered (postcore), since it needs the PCI subsystem and nothing can reach it earlier. The DMA layer talks to
 * the core through `IommuDmaBackend`, which reads the core lazily.
 */
import type { Device } from "@dmasim/driver-core";
import { DmaSubsystem, createArm64DmaSetup, type Arm64DmaSetup, type IommuDmaBackend } from "@dmasim/dma-mapping";
import { IommuCore, iommuDomainTypeName, type IommuDomain } from "@dmasim/iommu";
import { toPciDev, type PciSubsystem } from "@dmasim/pci";
import { DmaConfigureGlue } from "../firmware-glue/dma-configure";
import type { Kernel } from "./kernel";

/** `__iommu_of_table` of the built-in IOMMU drivers (v4.12 `IOMMU_OF_DECLARE(arm_smmuv3, "arm,smmu-v3", NULL)`). */
const IOMMU_OF_TABLE = ["arm,smmu-v3"];

/** The IOMMU core as the DMA layer sees it (`IommuDmaBackend`), through whatever core the kernel has now. */
function iommuBackend(k: Kernel): IommuDmaBackend {
  const core = (): IommuCore | null => k.iommu;
  return {
    hasGroup: (dev) => core()?.iommuGroupGet(dev) != null,
    getDomainForDev: (dev) => core()?.iommuGetDomainForDev(dev) ?? null,
    getDmaDomain: (dev) => core()?.iommuGetDmaDomain(dev) ?? null,
    map: (domain, iova, pa, size, prot) => core()?.iommuMap(domain, iova, pa, size, prot) ?? -19,
    unmap: (domain, iova, size, gather) => core()?.iommuUnmapFast(domain, iova, size, gather) ?? 0,
    iotlbSync: (domain, gather) => core()?.iommuIotlbSync(domain, gather),
    flushIotlbAll: (domain) => core()?.iommuFlushIotlbAll(domain),
    iovaToPhys: (domain, iova) => core()?.iommuIovaToPhys(domain, iova) ?? 0,
    getResvRegions: (dev) => core()?.iommuGetResvRegions(dev) ?? [],
  };
}

/** Creates the DMA layer and the arm64 setup of the profile (boot start). */
export function createDmaLayer(k: Kernel): { dma: DmaSubsystem; arm64: Arm64DmaSetup } {
  const dma = new DmaSubsystem({
    era: k.profile.dma,
    trace: k.trace,
    memory: k.machine.memory,
    frames: k.frames,
    scheduler: k.core.scheduler,
    iommu: iommuBackend(k),
    platform: { isPci: (dev: Device) => toPciDev(dev) !== undefined },
    ownerOf: (dev) => {
      const drv = dev.driver;
      if (drv === null) return "driverless";
      const attempt = k.probeCalls.get(dev.name) ?? 0;
      return `${dev.isBound ? "bound" : "probe"}:${drv.name}#${attempt}`;
    },
  });
  const arm64 = createArm64DmaSetup(k.profile.arm64DmaSetup, { dma, core: k.core });
  return { dma, arm64 };
}

/** Creates the IOMMU core (when the PCI bus type exists) and the firmware DMA glue over it. */
export function createIommuLayer(k: Kernel, pci: PciSubsystem, dma: DmaSubsystem, arm64: Arm64DmaSetup): { iommu: IommuCore; glue: DmaConfigureGlue } {
  const passthrough = k.profile.kconfig.iommuDefaultPassthrough;
  const strict = k.profile.kconfig.iommuDefaultDmaStrict;
  const iommu = new IommuCore({
    era: k.profile.iommu,
    driverCore: k.core,
    trace: k.trace,
    pci,
    cmdline: {
      ...(k.cmdline.iommuPassthrough === undefined ? {} : { passthrough: k.cmdline.iommuPassthrough }),
      ...(k.cmdline.iommuStrict === undefined ? {} : { strict: k.cmdline.iommuStrict }),
    },
    kconfig: { defaultDomain: passthrough ? "identity" : strict ? "DMA" : "DMA-FQ", strictDefault: strict },
    hooks: {
      dmaCookieAlloc: (domain: IommuDomain) => dma.iommuDmaCookieAlloc(domain),
      dmaCookieFree: (domain: IommuDomain) => dma.iommuPutDmaCookie(domain),
    },
  });
  k.iommuView = {
    groupOf: (dev) => iommu.iommuGroupGet(dev)?.id ?? null,
    domainTypeOf: (dev) => {
      const d = iommu.iommuGetDomainForDev(dev);
      if (d === null) return null;
      const name = iommuDomainTypeName(d.type);
      return name === "unknown" ? null : name;
    },
    streamIdsOf: (dev) => iommu.devIommuFwspecGet(dev)?.ids ?? [],
  };
  return { iommu, glue: new DmaConfigureGlue(k, iommu, arm64, IOMMU_OF_TABLE) };
}
