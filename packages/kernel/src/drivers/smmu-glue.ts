/**
 * The composition's side of the arm-smmu-v3 driver: registration at the era's initcall, the v4.7/RFC early ops
 * registration, and interrupt delivery from the hardware models to the driver's handlers.
 */
import type { Kernel } from "../boot/kernel";
import { NO_SMMU_DRIVER, type SmmuDriverGlue } from "./smmu";

/** The SMMU driver glue plus IRQ delivery. */
export interface SmmuGlue extends SmmuDriverGlue {
  /** The interrupt line `line` of board SMMU `smmu` fired (threaded handler context). */
  irq(smmu: string, line: "eventq" | "gerror"): void;
}

/** The glue for the kernel's SMMUs (none modelled yet: the driver registers nothing). */
export function createSmmuDriverGlue(k: Kernel): SmmuGlue {
  void k;
  return { ...NO_SMMU_DRIVER, irq: () => undefined };
}
