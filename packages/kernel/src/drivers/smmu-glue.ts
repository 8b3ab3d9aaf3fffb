/**
 * The composition's side of the arm-smmu-v3 driver (`@dmasim/iommu`'s `ArmSmmuV3Driver`): the module is created
 * when the IOMMU core exists, its platform driver registered at the profile's initcall (v4.7: `arm_smmu_init` also
 * sets the bus ops), the SMMU platform devices given their resources (the DT node's `reg`/interrupts, or the IORT
 * node's base and GSIVs), the seed tree's early ops registration (`of_iommu_init` → `IOMMU_OF_DECLARE`, and its IORT
 * equivalent), and the wired interrupts delivered from the hardware model to the handlers the probe requested.
 *
 * @see drivers/iommu/arm-smmu-v3.c arm_smmu_init (v4.7); drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_driver
 */
import { devPrintk, type Bus, type Device } from "@dmasim/driver-core";
import { compatibleOf, isAvailable, readU32, type FdtNode } from "@dmasim/firmware";
import { ARM_SMMU_V3_RESOURCES, ArmSmmuV3Driver, type ArmSmmuV3Resources } from "@dmasim/iommu";
import type { SmmuDesc } from "@dmasim/machine";
import type { Kernel } from "../boot/kernel";
import { ofDeviceMakeBusId, ofFirstRegion, ofHasProp } from "../firmware-glue/of-address";
import type { SmmuDriverGlue } from "./smmu";
import { observeProbe } from "./observe";

/** The SMMU driver glue plus IRQ delivery. */
export interface SmmuGlue extends SmmuDriverGlue {
  /** The interrupt line `line` of board SMMU `smmu` fired (threaded handler context). */
  irq(smmu: string, line: "eventq" | "gerror"): void;
  /** The driver module (null until the IOMMU core exists). */
  readonly driver: ArmSmmuV3Driver | null;
}

const GIC_SPI_BASE = 32;

function smmuNodes(k: Kernel): FdtNode[] {
  const fw = k.platform.firmware;
  if (fw.kind !== "dt") return [];
  return fw.dt.nodes.filter((n) => compatibleOf(n).includes("arm,smmu-v3") && isAvailable(n));
}

/** The board SMMU whose registers sit at `base`. */
function boardSmmuAt(k: Kernel, base: number | undefined): SmmuDesc | undefined {
  return k.platform.board.smmus.find((s) => s.base === base);
}

/** The glue for the kernel's SMMUs. */
export function createSmmuDriverGlue(k: Kernel): SmmuGlue {
  let driver: ArmSmmuV3Driver | null = null;
  const handlers = new Map<string, () => void>();
  const fw = k.platform.firmware;
  // Kernel names of the SMMU devices: DT nodes are named by of_device_make_bus_id (IORT ones when created).
  if (fw.kind === "dt") {
    for (const node of smmuNodes(k)) {
      const smmu = boardSmmuAt(k, ofFirstRegion(fw.dt, node)?.base);
      if (smmu !== undefined) k.smmuDeviceNames.set(smmu.name, ofDeviceMakeBusId(fw.dt, node));
    }
  }
  const ensure = (): ArmSmmuV3Driver | null => {
    if (driver !== null || k.iommu === null || k.buses.pci === null) return driver;
    const p = k.profile;
    const buses: { pci?: Bus; amba?: Bus; platform?: Bus } = {};
    if (p.smmuDriver.buses.includes("pci")) buses.pci = k.buses.pci.bus;
    if (p.smmuDriver.buses.includes("amba") && k.buses.amba !== null) buses.amba = k.buses.amba;
    if (p.smmuDriver.buses.includes("platform") && k.buses.platform !== null) buses.platform = k.buses.platform;
    const pci = k.buses.pci;
    driver = new ArmSmmuV3Driver({
      mmio: k.machine.mmio,
      memory: k.machine.memory,
      frames: k.frames,
      trace: k.trace,
      iommu: k.iommu,
      era: p.smmuDriver.era,
      ioPgtable: p.ioPgtable,
      ...(k.cmdline.smmuDisableBypass === undefined ? {} : { disableBypass: k.cmdline.smmuDisableBypass }),
      registration: p.smmuDriver.registration,
      buses,
      pciRequestAcs: () => pci.requestAcs(),
      requestAcsAtBusSetIommu: p.smmuDriver.requestAcsAtBusSetIommu,
      clock: k.clock,
    });
    return driver;
  };
  /** The resources `arm_smmu_device_probe` reads, from the device's firmware node and the board. */
  const resources = (dev: Device): ArmSmmuV3Resources | null => {
    const requestIrq = (irq: number, name: string, handler: () => void): number => {
      const board = k.platform.board.smmus.find((s) => s.irqs.eventq + GIC_SPI_BASE === irq || s.irqs.gerror + GIC_SPI_BASE === irq);
      const line = name.endsWith("evtq") ? "eventq" : name.endsWith("gerror") ? "gerror" : null;
      if (board !== undefined && line !== null) handlers.set(`${board.name}:${line}`, handler);
      return 0;
    };
    const ofNode = k.ofDevices.nodeOf(dev);
    if (fw.kind === "dt" && ofNode !== undefined) {
      const reg = ofFirstRegion(fw.dt, ofNode);
      const smmu = boardSmmuAt(k, reg?.base);
      const cellsProp = ofNode.properties.find((q) => q.name === "#iommu-cells");
      const cells = cellsProp === undefined ? null : readU32(cellsProp);
      return {
        mem: reg === null ? null : { start: reg.base, size: reg.size },
        irqs: smmu === undefined ? [] : irqsOf(smmu),
        firmware: {
          kind: "of",
          iommuCells: cells !== null && cells.ok ? cells.value : null,
          dmaCoherent: ofHasProp(ofNode, "dma-coherent"),
          properties: ofNode.properties.filter((q) => q.value.length === 0).map((q) => q.name),
        },
        requestIrq,
      };
    }
    if (fw.kind === "acpi") {
      const node = fw.iort.nodes.findIndex((_, i) => k.fwnodes.acpi(`iort-node-${i}`, i) === dev.fwnode);
      const n = fw.iort.nodes[node];
      if (n?.type !== "smmu-v3") return null;
      const smmu = boardSmmuAt(k, n.baseAddress);
      return {
        mem: { start: n.baseAddress, size: smmu?.size ?? 0x2_0000 },
        irqs: [
          { name: "eventq", irq: n.eventGsiv },
          { name: "priq", irq: n.priGsiv },
          { name: "gerror", irq: n.gerrGsiv },
          { name: "cmdq-sync", irq: n.syncGsiv },
        ],
        firmware: { kind: "acpi", model: n.model, cohaccOverride: (n.flags & 1) !== 0 },
        requestIrq,
      };
    }
    return null;
  };
  const irqsOf = (smmu: SmmuDesc): { name: string; irq: number }[] => [
    { name: "eventq", irq: smmu.irqs.eventq + GIC_SPI_BASE },
    { name: "priq", irq: smmu.irqs.priq + GIC_SPI_BASE },
    { name: "cmdq-sync", irq: smmu.irqs.cmdqSync + GIC_SPI_BASE },
    { name: "gerror", irq: smmu.irqs.gerror + GIC_SPI_BASE },
  ];
  return {
    get driver() {
      return driver;
    },
    register: () => {
      const drv = ensure();
      const platform = k.buses.platform;
      if (drv === null || platform === null) return -19;
      const spec = drv.platformDriver(platform);
      const r = k.core.driverRegister({
        ...spec,
        probe: (dev) => {
          observeProbe(k, dev, spec.name);
          const injected = k.takeProbeFailure(dev.name, spec.name);
          if (injected !== null) return injected;
          if (!dev.hasData(ARM_SMMU_V3_RESOURCES)) {
            const res = resources(dev);
            if (res === null) {
              devPrintk(k.trace, "err", dev, "drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c", "no firmware description for this SMMU");
              return -19;
            }
            dev.setData(ARM_SMMU_V3_RESOURCES, res);
          }
          return drv.probe(dev);
        },
      });
      if (!r.ok) return r.error;
      return k.profile.smmuDriver.registration === "init" ? drv.init() : 0;
    },
    ofIommuInit: () => {
      const drv = ensure();
      if (drv === null) return;
      for (const node of smmuNodes(k)) drv.ofInit(k.fwnodes.of(node));
    },
    iortSmmuFound: (s) => {
      if (k.profile.iommu.opsLookup !== "of-set-ops") return;
      const drv = ensure();
      if (drv !== null && s.dev.fwnode !== null) drv.ofInit(s.dev.fwnode);
    },
    irq: (smmu, line) => handlers.get(`${smmu}:${line}`)?.(),
  };
}
