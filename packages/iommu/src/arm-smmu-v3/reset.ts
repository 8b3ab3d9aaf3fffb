/**
 * `arm_smmu_device_reset`: the bring-up sequence of smmuv3-model.md §1.4, every step through MMIO, polling CR0ACK,
 * GBPA.Update and IRQ_CTRLACK; and the interrupt setup it calls (`arm_smmu_setup_irqs`).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_device_reset, arm_smmu_setup_irqs
 */
import { Errno } from "@dmasim/driver-core";
import { issueCmdWithSync, POLL_LIMIT } from "./cmdq";
import type { ArmSmmuDevice } from "./device";
import { armSmmuEvtqThread, armSmmuGerrorHandler } from "./irq";
import {
  ARM_SMMU_FEAT,
  ARM_SMMU_REG,
  ARM_SMMU_SH_ISH,
  CR0,
  CR1,
  CR2,
  GBPA,
  IRQ_CTRL,
} from "./regs";

/** How the SMMU's interrupts are requested (`devm_request_irq` / `devm_request_threaded_irq`): 0 or a negative errno. */
export type ArmSmmuRequestIrq = (irq: number, name: string, handler: () => void) => number;

/**
 * `readl_relaxed_poll_timeout(reg, val, cond, 1, ARM_SMMU_POLL_TIMEOUT_US)`: re-reads until `cond` holds; the model
 * stops after {@link POLL_LIMIT} reads (its registers settle synchronously). The last value, or null on timeout.
 */
function pollReg(smmu: ArmSmmuDevice, off: number, cond: (v: number) => boolean): number | null {
  for (let i = 0; i <= POLL_LIMIT; i++) {
    const v = smmu.readl(off);
    if (cond(v)) return v;
    smmu.ctx.pollIrqs();
  }
  return null;
}

/**
 * `arm_smmu_write_reg_sync(smmu, val, reg, ack)`: write, then poll the ACK register until it reads back `val`.
 * 0 or -ETIMEDOUT.
 */
export function writeRegSync(smmu: ArmSmmuDevice, val: number, regOff: number, ackOff: number): number {
  smmu.writel(val, regOff);
  return pollReg(smmu, ackOff, (v) => v === val >>> 0) === null ? -Errno.ETIMEDOUT : 0;
}

/**
 * `arm_smmu_update_gbpa(smmu, set, clr)`: wait for GBPA.Update = 0, write the new value with Update, wait again.
 * 0 or -ETIMEDOUT ("GBPA not responding to update").
 */
export function updateGbpa(smmu: ArmSmmuDevice, set: number, clr: number): number {
  const cur = pollReg(smmu, ARM_SMMU_REG.GBPA, (v) => (v & GBPA.UPDATE) === 0);
  if (cur === null) return -Errno.ETIMEDOUT;
  const reg = ((cur & ~clr) | set) >>> 0;
  smmu.writel((reg | GBPA.UPDATE) >>> 0, ARM_SMMU_REG.GBPA);
  if (pollReg(smmu, ARM_SMMU_REG.GBPA, (v) => (v & GBPA.UPDATE) === 0) === null) {
    smmu.log("err", "GBPA not responding to update");
    return -Errno.ETIMEDOUT;
  }
  return 0;
}

/** `arm_smmu_device_disable`: CR0 = 0 and wait for the ACK. */
export function armSmmuDeviceDisable(smmu: ArmSmmuDevice): number {
  const ret = writeRegSync(smmu, 0, ARM_SMMU_REG.CR0, ARM_SMMU_REG.CR0ACK);
  if (ret !== 0) smmu.log("err", "failed to clear cr0");
  return ret;
}

/**
 * `arm_smmu_setup_unique_irqs`: zero the MSI configuration registers (wired interrupts), then request the event
 * queue thread and the GERROR handler on their lines, warning when a line is missing or refused.
 */
function setupUniqueIrqs(smmu: ArmSmmuDevice, requestIrq: ArmSmmuRequestIrq): void {
  // arm_smmu_setup_msis: clear the MSI addresses; without FEAT_MSI that is all.
  smmu.writeq(0, 0, ARM_SMMU_REG.GERROR_IRQ_CFG0);
  smmu.writeq(0, 0, ARM_SMMU_REG.EVTQ_IRQ_CFG0);
  if ((smmu.features & ARM_SMMU_FEAT.PRI) !== 0) smmu.writeq(0, 0, ARM_SMMU_REG.PRIQ_IRQ_CFG0);

  if (smmu.evtq.irq !== 0) {
    if (requestIrq(smmu.evtq.irq, "arm-smmu-v3-evtq", () => armSmmuEvtqThread(smmu)) < 0) {
      smmu.log("warning", "failed to enable evtq irq");
    }
  } else {
    smmu.log("warning", "no evtq irq - events will not be reported!");
  }
  if (smmu.gerrIrq !== 0) {
    if (requestIrq(smmu.gerrIrq, "arm-smmu-v3-gerror", () => armSmmuGerrorHandler(smmu)) < 0) {
      smmu.log("warning", "failed to enable gerror irq");
    }
  } else {
    smmu.log("warning", "no gerr irq - errors will not be reported!");
  }
}

/**
 * `arm_smmu_setup_irqs`: IRQ_CTRL = 0 (ACKed), request the lines (one combined line, or unique ones), then
 * IRQ_CTRL = EVTQ_IRQEN | GERROR_IRQEN (| PRIQ_IRQEN). 0, or the error of the first step.
 */
export function setupIrqs(smmu: ArmSmmuDevice, requestIrq: ArmSmmuRequestIrq): number {
  let irqen = IRQ_CTRL.EVTQ_IRQEN | IRQ_CTRL.GERROR_IRQEN;
  let ret = writeRegSync(smmu, 0, ARM_SMMU_REG.IRQ_CTRL, ARM_SMMU_REG.IRQ_CTRLACK);
  if (ret !== 0) {
    smmu.log("err", "failed to disable irqs");
    return ret;
  }
  if (smmu.combinedIrq !== 0) {
    // arm_smmu_combined_irq_handler (GERROR) then arm_smmu_combined_irq_thread (event queue).
    const combined = (): void => {
      armSmmuGerrorHandler(smmu);
      armSmmuEvtqThread(smmu);
    };
    if (requestIrq(smmu.combinedIrq, "arm-smmu-v3-combined-irq", combined) < 0) {
      smmu.log("warning", "failed to enable combined irq");
    }
  } else {
    setupUniqueIrqs(smmu, requestIrq);
  }
  if ((smmu.features & ARM_SMMU_FEAT.PRI) !== 0) irqen |= IRQ_CTRL.PRIQ_IRQEN;
  ret = writeRegSync(smmu, irqen, ARM_SMMU_REG.IRQ_CTRL, ARM_SMMU_REG.IRQ_CTRLACK);
  if (ret !== 0) smmu.log("warning", "failed to enable irqs");
  return 0;
}

/**
 * `arm_smmu_device_reset(smmu, bypass)`. With `bypass` (the firmware description was unusable) and
 * `disable_bypass = 0`, the SMMU is left disabled with GBPA.ABORT cleared; otherwise SMMUEN is set. 0 or a
 * negative errno.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_device_reset
 */
export function armSmmuDeviceReset(smmu: ArmSmmuDevice, bypass: boolean, requestIrq: ArmSmmuRequestIrq): number {
  const ctx = smmu.ctx;
  // Clear CR0 and sync (disables SMMU and queue processing).
  if ((smmu.readl(ARM_SMMU_REG.CR0) & CR0.SMMUEN) !== 0) {
    smmu.log("warning", "SMMU currently enabled! Resetting...");
    updateGbpa(smmu, GBPA.ABORT, 0);
  }
  let ret = armSmmuDeviceDisable(smmu);
  if (ret !== 0) return ret;

  // CR1 (table and queue memory attributes).
  const cr1 =
    (ARM_SMMU_SH_ISH << CR1.TABLE_SH_SHIFT) |
    (CR1.CACHE_WB << CR1.TABLE_OC_SHIFT) |
    (CR1.CACHE_WB << CR1.TABLE_IC_SHIFT) |
    (ARM_SMMU_SH_ISH << CR1.QUEUE_SH_SHIFT) |
    (CR1.CACHE_WB << CR1.QUEUE_OC_SHIFT) |
    (CR1.CACHE_WB << CR1.QUEUE_IC_SHIFT);
  smmu.writel(cr1, ARM_SMMU_REG.CR1);

  // CR2 (random crap).
  let cr2 = CR2.PTM | CR2.RECINVSID;
  if (ctx.era.cr2E2hAlways || (smmu.features & ARM_SMMU_FEAT.E2H) !== 0) cr2 |= CR2.E2H;
  smmu.writel(cr2, ARM_SMMU_REG.CR2);

  // Stream table.
  smmu.writeq(smmu.strtab.baseLo, smmu.strtab.baseHi, ARM_SMMU_REG.STRTAB_BASE);
  smmu.writel(smmu.strtab.baseCfg, ARM_SMMU_REG.STRTAB_BASE_CFG);

  // Command queue.
  smmu.writeq(smmu.cmdq.qBaseLo, smmu.cmdq.qBaseHi, ARM_SMMU_REG.CMDQ_BASE);
  smmu.writel(smmu.cmdq.prod, ARM_SMMU_REG.CMDQ_PROD);
  smmu.writel(smmu.cmdq.cons, ARM_SMMU_REG.CMDQ_CONS);
  let enables = CR0.CMDQEN;
  ret = writeRegSync(smmu, enables, ARM_SMMU_REG.CR0, ARM_SMMU_REG.CR0ACK);
  if (ret !== 0) {
    smmu.log("err", "failed to enable command queue");
    return ret;
  }

  // Invalidate any cached configuration, then any stale TLB entries.
  issueCmdWithSync(smmu, { op: "CFGI_ALL" });
  if ((smmu.features & ARM_SMMU_FEAT.HYP) !== 0) issueCmdWithSync(smmu, { op: "TLBI_EL2_ALL" });
  issueCmdWithSync(smmu, { op: "TLBI_NSNH_ALL" });

  // Event queue (PROD/CONS on page 1).
  smmu.writeq(smmu.evtq.qBaseLo, smmu.evtq.qBaseHi, ARM_SMMU_REG.EVTQ_BASE);
  smmu.writeReg(smmu.evtq.prodReg, smmu.evtq.prod);
  smmu.writeReg(smmu.evtq.consReg, smmu.evtq.cons);
  enables |= CR0.EVTQEN;
  ret = writeRegSync(smmu, enables, ARM_SMMU_REG.CR0, ARM_SMMU_REG.CR0ACK);
  if (ret !== 0) {
    smmu.log("err", "failed to enable event queue");
    return ret;
  }

  // PRI queue.
  if ((smmu.features & ARM_SMMU_FEAT.PRI) !== 0) {
    smmu.writeq(smmu.priq.qBaseLo, smmu.priq.qBaseHi, 0xc0);
    smmu.writeReg(smmu.priq.prodReg, smmu.priq.prod);
    smmu.writeReg(smmu.priq.consReg, smmu.priq.cons);
    enables |= CR0.PRIQEN;
    ret = writeRegSync(smmu, enables, ARM_SMMU_REG.CR0, ARM_SMMU_REG.CR0ACK);
    if (ret !== 0) {
      smmu.log("err", "failed to enable PRI queue");
      return ret;
    }
  }

  if ((smmu.features & ARM_SMMU_FEAT.ATS) !== 0) {
    enables |= CR0.ATSCHK;
    ret = writeRegSync(smmu, enables, ARM_SMMU_REG.CR0, ARM_SMMU_REG.CR0ACK);
    if (ret !== 0) {
      smmu.log("err", "failed to enable ATS check");
      return ret;
    }
  }

  ret = setupIrqs(smmu, requestIrq);
  if (ret !== 0) {
    smmu.log("err", "failed to setup irqs");
    return ret;
  }

  // Enable the SMMU interface, or ensure bypass.
  if (!bypass || ctx.disableBypass) {
    enables |= CR0.SMMUEN;
  } else {
    ret = updateGbpa(smmu, 0, GBPA.ABORT);
    if (ret !== 0) return ret;
  }
  ret = writeRegSync(smmu, enables, ARM_SMMU_REG.CR0, ARM_SMMU_REG.CR0ACK);
  if (ret !== 0) {
    smmu.log("err", "failed to enable SMMU interface");
    return ret;
  }
  return 0;
}
