/**
 * `arm_smmu_device_probe` / `arm_smmu_device_remove`: the platform driver's probe for one SMMUv3, from the
 * firmware description (DT node or IORT SMMUv3 node) and the MMIO/IRQ resources to a registered IOMMU.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_device_probe, arm_smmu_device_dt_probe,
 *   arm_smmu_device_acpi_probe, arm_smmu_set_bus_ops, arm_smmu_device_remove
 */
import { defineDeviceData, devPrintk, Errno, type Bus, type Device } from "@dmasim/driver-core";
import type { IommuOps } from "../core/iommu-ops";
import { driverFile, type ArmSmmuBuses, type ArmSmmuV3Context } from "./context";
import { ArmSmmuDevice } from "./device";
import { armSmmuDeviceHwProbe } from "./hw-probe";
import { initQueues, initStrtab } from "./init";
import { ARM_SMMU_FEAT, ARM_SMMU_OPT } from "./regs";
import { armSmmuDeviceDisable, armSmmuDeviceReset, type ArmSmmuRequestIrq } from "./reset";

/**
 * The SMMU's firmware description: a DT node or an IORT SMMUv3 node.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_device_dt_probe, arm_smmu_device_acpi_probe
 */
export type ArmSmmuFirmware =
  | {
      readonly kind: "of";
      /** `#iommu-cells` (must be 1), null when absent. */
      readonly iommuCells: number | null;
      /** `dma-coherent`. */
      readonly dmaCoherent: boolean;
      /** Boolean properties present on the node (the driver looks for its quirk options among them). */
      readonly properties: readonly string[];
    }
  | {
      readonly kind: "acpi";
      /** IORT SMMUv3 `model` (1 = Cavium CN99xx, 2 = HiSilicon Hi161x). */
      readonly model: number;
      /** IORT flag COHACC_OVERRIDE. */
      readonly cohaccOverride: boolean;
    };

/**
 * What `arm_smmu_device_probe` reads from the platform device: `platform_get_resource(IORESOURCE_MEM, 0)`, the named
 * interrupts (`platform_get_irq_byname_optional`: "combined", or "eventq", "priq", "gerror"; the "cmdq-sync" line is
 * listed by QEMU's DT but unused), the firmware node, and how interrupts are requested.
 */
export interface ArmSmmuV3Resources {
  readonly mem: { readonly start: number; readonly size: number } | null;
  readonly irqs: readonly { readonly name: string; readonly irq: number }[];
  readonly firmware: ArmSmmuFirmware;
  /** `devm_request_(threaded_)irq`. Absent: the handlers are only recorded ({@link ArmSmmuV3Driver.irqHandlers}). */
  readonly requestIrq?: ArmSmmuRequestIrq;
}

/** The device-data slot where the composition leaves an SMMU platform device's resources. */
export const ARM_SMMU_V3_RESOURCES = defineDeviceData<ArmSmmuV3Resources>("arm-smmu-v3-resources");

/** The driver-module state `arm_smmu_device_probe` works with (the file's statics in C). */
export interface ArmSmmuModule {
  readonly ctx: ArmSmmuV3Context;
  readonly ops: IommuOps;
  readonly registration: "init" | "probe";
  readonly buses: ArmSmmuBuses;
  readonly requestAcsAtBusSetIommu: boolean;
  readonly pciRequestAcs: (() => void) | null;
  /** `platform_get_drvdata`. */
  readonly drvdata: Map<Device, ArmSmmuDevice>;
  /** Buses whose `iommu_ops` are ours (`bus->iommu_ops == &arm_smmu_ops`). */
  readonly busOpsSet: Set<Bus>;
  /** Handlers requested per SMMU device, in request order. */
  readonly irqHandlers: Map<Device, { irq: number; name: string; handler: () => void }[]>;
  /** `arm_smmu_ops.pgsize_bitmap |= smmu->pgsize_bitmap` (starts as -1UL, "restricted during device attach"). */
  mergePgsizeBitmap(bitmap: number): void;
}

/** DT quirk properties and the option each sets (`arm_smmu_options[]`). */
const DT_OPTIONS: readonly { readonly prop: string; readonly opt: number }[] = [
  { prop: "hisilicon,broken-prefetch-cmd", opt: ARM_SMMU_OPT.SKIP_PREFETCH },
  { prop: "cavium,cn9900-broken-page1-regspace", opt: ARM_SMMU_OPT.PAGE0_REGS_ONLY },
];

/** `0x%016llx`-style `%pa`. */
function pa64(v: number): string {
  return `0x${v.toString(16).padStart(16, "0")}`;
}

/**
 * `arm_smmu_device_dt_probe` / `arm_smmu_device_acpi_probe`: options, coherency, and whether the description is
 * usable (DT: `#iommu-cells = <1>`). Returns the probe status (non-zero makes the SMMU fall back to bypass when
 * `disable_bypass` is off).
 */
function firmwareProbe(mod: ArmSmmuModule, dev: Device, fw: ArmSmmuFirmware): { ret: number; features: number; options: number } {
  const log = (level: "err" | "notice", text: string): void => devPrintk(mod.ctx.trace, level, dev, driverFile(mod.ctx.era), text);
  let features = 0;
  let options = 0;
  if (fw.kind === "of") {
    let ret = -Errno.EINVAL;
    if (fw.iommuCells === null) log("err", "missing #iommu-cells property");
    else if (fw.iommuCells !== 1) log("err", `invalid #iommu-cells value (${fw.iommuCells})`);
    else ret = 0;
    for (const o of DT_OPTIONS) {
      if (fw.properties.includes(o.prop)) {
        options |= o.opt;
        log("notice", `option ${o.prop}`);
      }
    }
    if (fw.dmaCoherent) features |= ARM_SMMU_FEAT.COHERENCY;
    return { ret, features, options };
  }
  if (fw.model === 1) options |= ARM_SMMU_OPT.PAGE0_REGS_ONLY;
  else if (fw.model === 2) options |= ARM_SMMU_OPT.SKIP_PREFETCH;
  log("notice", `option mask 0x${options.toString(16)}`);
  if (fw.cohaccOverride) features |= ARM_SMMU_FEAT.COHERENCY;
  return { ret: 0, features, options };
}

/**
 * `arm_smmu_set_bus_ops(&arm_smmu_ops)`: `bus_set_iommu` on pci (after `pci_request_acs()` in v4.x), amba and
 * platform, skipping buses that already have our ops. 0 or the first error.
 */
function setBusOps(mod: ArmSmmuModule): number {
  const order: (Bus | undefined)[] = [mod.buses.pci, mod.buses.amba, mod.buses.platform];
  for (const bus of order) {
    if (bus === undefined || mod.busOpsSet.has(bus)) continue;
    if (bus === mod.buses.pci && mod.requestAcsAtBusSetIommu) mod.pciRequestAcs?.();
    const err = mod.ctx.iommu.busSetIommu(bus, mod.ops);
    if (err !== 0) return err;
    mod.busOpsSet.add(bus);
  }
  return 0;
}

/**
 * `arm_smmu_device_probe(pdev)`: firmware probe, MMIO resource (at least 128 KiB, 64 KiB with PAGE0_REGS_ONLY),
 * interrupt lines, `arm_smmu_device_hw_probe`, `arm_smmu_init_structures`, `arm_smmu_device_reset`, then (v4.12+)
 * `iommu_device_sysfs_add("smmu3.%pa")`, `iommu_device_register` and the bus ops. Every allocation is devm-managed:
 * a failing probe gives back what it took. 0 or a negative errno.
 */
export function armSmmuDeviceProbe(mod: ArmSmmuModule, dev: Device): number {
  const res = dev.getData(ARM_SMMU_V3_RESOURCES);
  if (res === undefined) return -Errno.EINVAL;
  const fw = firmwareProbe(mod, dev, res.firmware);
  // Set bypass mode according to firmware probing result.
  const bypass = fw.ret !== 0;

  // Base address.
  const mem = res.mem;
  if (mem === null) return -Errno.EINVAL;
  const resSize = (fw.options & ARM_SMMU_OPT.PAGE0_REGS_ONLY) !== 0 ? 0x10000 : 0x20000;
  if (mem.size < resSize) {
    devPrintk(mod.ctx.trace, "err", dev, driverFile(mod.ctx.era), `MMIO region too small ([mem ${pa64(mem.start)}-${pa64(mem.start + mem.size - 1)} flags 0x200])`);
    return -Errno.EINVAL;
  }
  const smmu = new ArmSmmuDevice(mod.ctx, dev, mem.start, `smmu3.${pa64(mem.start)}`);
  smmu.features = fw.features;
  smmu.options = fw.options;
  if (resSize <= 0x10000) smmu.page1 = smmu.base;

  // Interrupt lines.
  const irq = (name: string): number => res.irqs.find((i) => i.name === name)?.irq ?? 0;
  if (irq("combined") > 0) {
    smmu.combinedIrq = irq("combined");
  } else {
    smmu.evtq.irq = irq("eventq");
    smmu.priq.irq = irq("priq");
    smmu.gerrIrq = irq("gerror");
  }

  const handlers: { irq: number; name: string; handler: () => void }[] = [];
  const requestIrq: ArmSmmuRequestIrq = (line, name, handler) => {
    handlers.push({ irq: line, name, handler });
    return res.requestIrq?.(line, name, handler) ?? 0;
  };
  const fail = (ret: number): number => {
    smmu.devresRelease();
    mod.drvdata.delete(dev);
    mod.irqHandlers.delete(dev);
    return ret;
  };

  // Probe the h/w.
  let ret = armSmmuDeviceHwProbe(smmu);
  if (ret !== 0) return fail(ret);
  mod.mergePgsizeBitmap(smmu.pgsizeBitmap);
  // Initialise in-memory data structures.
  ret = initQueues(smmu);
  if (ret !== 0) return fail(ret);
  ret = initStrtab(smmu);
  if (ret !== 0) return fail(ret);
  // Record our private device structure.
  mod.drvdata.set(dev, smmu);
  mod.irqHandlers.set(dev, handlers);
  // Reset the device.
  ret = armSmmuDeviceReset(smmu, bypass, requestIrq);
  if (ret !== 0) return fail(ret);
  if (mod.registration === "init") return 0;

  // And we're up. Go go go!
  ret = mod.ctx.iommu.iommuDeviceRegister(smmu.iommu, mod.ops, dev);
  if (ret !== 0) {
    smmu.log("err", "Failed to register iommu");
    return fail(ret);
  }
  ret = setBusOps(mod);
  if (ret !== 0) {
    mod.ctx.iommu.iommuDeviceUnregister(smmu.iommu);
    return fail(ret);
  }
  return 0;
}

/**
 * `arm_smmu_device_remove(pdev)`: unregister the IOMMU, disable the SMMU (CR0 = 0), release the devm memory.
 */
export function armSmmuDeviceRemove(mod: ArmSmmuModule, dev: Device): void {
  const smmu = mod.drvdata.get(dev);
  if (smmu === undefined) return;
  if (mod.registration === "probe") mod.ctx.iommu.iommuDeviceUnregister(smmu.iommu);
  armSmmuDeviceDisable(smmu);
  smmu.devresRelease();
  mod.drvdata.delete(dev);
  mod.irqHandlers.delete(dev);
}
