/**
 * The SMMUv3 of the QEMU `virt` machine for the topology tests: the hardware model (`./smmuv3-hw`, QEMU 7.2's
 * configuration) registered in the machine's MMIO space at 0x9050000 and attached in front of the PCI masters, and
 * this package's arm-smmu-v3 driver reaching it only through MMIO and RAM, with the resources the DT or the IORT
 * give the platform device. Interrupts are queued by the hardware and delivered when the driver polls or the test
 * asks.
 */
import type { Device } from "@dmasim/driver-core";
import { FrameAllocator, VIRT_SMMU_NAME } from "@dmasim/machine";
import { createSmmuV3, type SmmuV3 } from "@dmasim/iommu/smmuv3-hw";
import { ARM_SMMU_V3_ERAS, ARM_SMMU_V3_RESOURCES, ArmSmmuV3Driver } from "../src/arm-smmu-v3/index";
import { ioPgtableEras } from "../src/index";
import type { SmmuDriverFactory, TopoKernel } from "./qemu-topo-harness";

/** QEMU virt's SMMUv3 register block. */
const SMMU_BASE = 0x9050000;
const SMMU_SIZE = 0x20000;
/** GSIVs of the QEMU virt SMMUv3 lines (SPI 74..77 + 32), the same in DT and IORT. */
const IRQS = [
  { name: "eventq", irq: 106 },
  { name: "priq", irq: 107 },
  { name: "cmdq-sync", irq: 108 },
  { name: "gerror", irq: 109 },
] as const;

/** The driver, the hardware and the interrupt plumbing of one topology kernel. */
export interface RealSmmu {
  readonly factory: SmmuDriverFactory;
  driver(): ArmSmmuV3Driver;
  hw(): SmmuV3;
  /** Runs the handlers of the interrupt lines the hardware raised, oldest first. */
  deliverIrqs(): void;
}

/** The real driver over the hardware model, created at the SMMU's first probe. */
export function realSmmu(): RealSmmu {
  let driver: ArmSmmuV3Driver | null = null;
  let hw: SmmuV3 | null = null;
  const pending: string[] = [];
  const handlers = new Map<number, () => void>();
  const deliverIrqs = (): void => {
    for (let line = pending.shift(); line !== undefined; line = pending.shift()) {
      handlers.get(IRQS.find((i) => i.name === line)?.irq ?? -1)?.();
    }
  };
  const factory: SmmuDriverFactory = (k: TopoKernel, dev: Device) => {
    if (driver === null) {
      const memory = k.machine.memory;
      // The kernel's dma_alloc_coherent pool for the SMMU: RAM above the first 256 MiB of the 1 GiB board.
      const frames = new FrameAllocator(memory, { base: 0x5000_0000, size: 0x1000_0000 });
      hw = createSmmuV3({
        name: dev.name,
        memory,
        irq: { eventq: () => pending.push("eventq"), gerror: () => pending.push("gerror"), cmdSync: () => pending.push("cmdq-sync") },
        trace: k.trace,
      });
      k.machine.mmio.register("smmuv3", SMMU_BASE, SMMU_SIZE, hw);
      k.machine.attachIommu(VIRT_SMMU_NAME, hw);
      const v412 = k.era === "v4.12";
      driver = new ArmSmmuV3Driver({
        mmio: k.machine.mmio,
        memory,
        frames,
        trace: k.trace,
        iommu: k.iommu,
        era: ARM_SMMU_V3_ERAS[k.era],
        // v4.12's io-pgtable-arm already had the modern descriptor bits (the v4.4 column is older).
        ioPgtable: ioPgtableEras["v6.1"],
        // v4.12: the driver itself calls pci_request_acs() just before bus_set_iommu(&pci_bus_type).
        ...(v412 ? { requestAcsAtBusSetIommu: true, pciRequestAcs: () => k.pci.requestAcs() } : {}),
        buses: { pci: k.pci.bus, platform: k.platform },
        clock: k.core.clock,
        pollIrqs: deliverIrqs,
      });
    }
    dev.setData(ARM_SMMU_V3_RESOURCES, {
      mem: { start: SMMU_BASE, size: SMMU_SIZE },
      irqs: IRQS.map((i) => ({ name: i.name, irq: i.irq })),
      firmware: k.firmware === "dt" ? { kind: "of", iommuCells: 1, dmaCoherent: true, properties: [] } : { kind: "acpi", model: 0, cohaccOverride: true },
      requestIrq: (irq: number, _name: string, handler: () => void) => {
        handlers.set(irq, handler);
        return 0;
      },
    });
    return driver.probe(dev);
  };
  return {
    factory,
    driver: () => {
      if (driver === null) throw new Error("the SMMU has not probed");
      return driver;
    },
    hw: () => {
      if (hw === null) throw new Error("the SMMU has not probed");
      return hw;
    },
    deliverIrqs,
  };
}
