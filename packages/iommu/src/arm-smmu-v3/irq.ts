/**
 * The SMMU's interrupt handlers: the event-queue thread (read records until empty, CONS through MMIO on page 1,
 * overflow detection, the log lines exactly as Linux prints them) and the GERROR handler (log, command-queue error
 * recovery, acknowledge through GERRORN).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_evtq_thread, arm_smmu_handle_evt, arm_smmu_gerror_handler
 */
import { Errno, printk } from "@dmasim/driver-core";
import { hex64 } from "./cmd";
import { cmdqSkipErr, hex32 } from "./cmdq";
import type { ArmSmmuFault } from "./context";
import { qEnt, qIdx, qOvf, qWrp, queueEmpty, queueIncN, type ArmSmmuDevice } from "./device";
import { ARM_SMMU_REG, GERROR } from "./regs";
import { armSmmuDeviceDisable } from "./reset";

/** `DEFAULT_RATELIMIT_INTERVAL` (5 * HZ) in microseconds and `DEFAULT_RATELIMIT_BURST`. */
const RATELIMIT_INTERVAL_US = 5_000_000;
const RATELIMIT_BURST = 10;

/** EVTQ_1 bits (of the high word of dword 1). @see arm-smmu-v3.h EVTQ_1_* */
const EVTQ1_HI = { PNU: 1 << 1, IND: 1 << 2, RNW: 1 << 3, S2: 1 << 7 } as const;

/**
 * `__ratelimit(&rs)` for the event log: at most 10 lines per 5 s of simulated time; a new interval first reports
 * the suppressed ones ("arm_smmu_evtq_thread: N callbacks suppressed"). Without a clock there is no limit.
 *
 * @see lib/ratelimit.c ___ratelimit
 */
function evtRatelimit(smmu: ArmSmmuDevice): boolean {
  const clock = smmu.ctx.clock;
  if (clock === null) return true;
  const rs = smmu.ctx.evtRatelimit;
  const now = clock.now();
  if (!rs.begun) {
    rs.begun = true;
    rs.begin = now;
  }
  if (now > rs.begin + RATELIMIT_INTERVAL_US) {
    if (rs.missed !== 0) {
      printk(smmu.ctx.trace, "warning", null, "lib/ratelimit.c", `arm_smmu_evtq_thread: ${rs.missed} callbacks suppressed`);
      rs.missed = 0;
    }
    rs.begin = now;
    rs.printed = 0;
  }
  if (rs.printed < RATELIMIT_BURST) {
    rs.printed++;
    return true;
  }
  rs.missed++;
  return false;
}

/**
 * `arm_smmu_handle_evt`: only translation, address-size, access and permission faults (0x10–0x13) at stage 1 can
 * be reported to a fault handler; the master's fault handler (`iommu_report_device_fault`) returns 0 if it took
 * the fault. Anything else returns non-zero, and the thread prints the record.
 */
function handleEvt(smmu: ArmSmmuDevice, w: readonly number[], master: string | null): number {
  const id = (w[0] as number) & 0xff;
  let reason: ArmSmmuFault["reason"];
  switch (id) {
    case 0x10:
      reason = "pte-fetch";
      break;
    case 0x11:
      reason = "oor-address";
      break;
    case 0x12:
      reason = "access";
      break;
    case 0x13:
      reason = "permission";
      break;
    default:
      return -Errno.EOPNOTSUPP;
  }
  const d1hi = w[3] as number;
  // Stage-2 is always pinned at the moment.
  if ((d1hi & EVTQ1_HI.S2) !== 0) return -Errno.EFAULT;
  const sid = (w[1] as number) >>> 0;
  const stream = smmu.findStream(sid);
  if (stream === undefined || master === null) return -Errno.EINVAL;
  const ssv = ((w[0] as number) & (1 << 11)) !== 0;
  const fault: ArmSmmuFault = {
    reason,
    addr: (w[5] as number) * 0x1_0000_0000 + (w[4] as number),
    read: (d1hi & EVTQ1_HI.RNW) !== 0,
    exec: (d1hi & EVTQ1_HI.IND) !== 0,
    priv: (d1hi & EVTQ1_HI.PNU) !== 0,
    pasid: ssv ? ((w[0] as number) >>> 12) & 0xfffff : null,
  };
  // EVTQ_1_STALL would make it a page request; stalls are not modelled (QEMU never stalls), so it is unrecoverable.
  return smmu.ctx.iommu.iommuReportDeviceFault?.(stream.master.dev, fault) ?? -Errno.EINVAL;
}

/** Reads the 8 words of the event at CONS and advances CONS through MMIO (`queue_remove_raw`); null when empty. */
function queueRemoveRaw(smmu: ArmSmmuDevice): number[] | null {
  const q = smmu.evtq;
  if (queueEmpty(q)) return null;
  const pa = qEnt(q, q.cons);
  const mem = smmu.ctx.memory;
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(mem.read32(pa + 4 * i) >>> 0);
  // queue_inc_cons (OVACKFLG kept) + queue_sync_cons_out.
  q.cons = queueIncN(q, q.cons, 1);
  smmu.writeReg(q.consReg, q.cons);
  return w;
}

/**
 * `arm_smmu_evtq_thread`: drain the event queue. Each record goes to `arm_smmu_handle_evt` (6.1), and unless it was
 * handled or the rate limit says no, is logged as
 * `event 0x10 received:` then its four dwords as `\t0x%016llx` lines (dev_info). After each pass, EVTQ_PROD is
 * re-read; an OVFLG change logs "EVTQ overflow detected -- events lost". Finally OVACKFLG is synced into CONS.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_evtq_thread
 */
export function armSmmuEvtqThread(smmu: ArmSmmuDevice): void {
  const q = smmu.evtq;
  const era = smmu.ctx.era;
  let passes = 0;
  do {
    for (let w = queueRemoveRaw(smmu); w !== null; w = queueRemoveRaw(smmu)) {
      const id = (w[0] as number) & 0xff;
      const sid = (w[1] as number) >>> 0;
      const master = smmu.findStream(sid)?.master.dev.name ?? null;
      let handled = -Errno.EOPNOTSUPP;
      let logged = true;
      if (era.evtqHandleAndRatelimit) {
        handled = handleEvt(smmu, w, master);
        logged = handled !== 0 && evtRatelimit(smmu);
      }
      smmu.ctx.trace.emit({
        type: "arm-smmu-evt",
        smmu: smmu.dev.name,
        id,
        sid,
        ssid: ((w[0] as number) & (1 << 11)) !== 0 ? ((w[0] as number) >>> 12) & 0xfffff : null,
        inputAddr: (w[5] as number) * 0x1_0000_0000 + (w[4] as number),
        read: ((w[3] as number) & EVTQ1_HI.RNW) !== 0,
        stage2: ((w[3] as number) & EVTQ1_HI.S2) !== 0,
        device: master,
        handled,
        logged,
      });
      if (!logged) continue;
      smmu.log("info", `event 0x${id.toString(16).padStart(2, "0")} received:`);
      for (let i = 0; i < 4; i++) smmu.log("info", `\t${hex64(w[2 * i] as number, w[2 * i + 1] as number)}`);
    }
    // queue_sync_prod_in: not much we can do on overflow, so scream and pretend we're trying harder.
    const prod = smmu.readReg(q.prodReg);
    if (qOvf(prod) !== qOvf(q.prod)) smmu.log("err", "EVTQ overflow detected -- events lost");
    q.prod = prod;
    // A queue that keeps refilling would loop forever in the model (the kernel thread would be rescheduled):
    // bound the passes by the queue size.
  } while (!queueEmpty(q) && ++passes <= 2 ** q.maxNShift);

  // queue_sync_cons_ovf: our overflow flag, as we believe we're up to speed.
  if (qOvf(q.prod) !== qOvf(q.cons)) {
    q.cons = (qOvf(q.prod) | qWrp(q, q.cons) | qIdx(q, q.cons)) >>> 0;
    smmu.writeReg(q.consReg, q.cons);
  }
}

/**
 * `arm_smmu_gerror_handler`: `active = GERROR ^ GERRORN` (masked with 0x1fd); nothing active → IRQ_NONE. Otherwise
 * warn, handle each bit (SFM → disable the SMMU; CMDQ_ERR → `arm_smmu_cmdq_skip_err`), and acknowledge by writing
 * GERRORN = GERROR. Returns whether it handled anything.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_gerror_handler
 */
export function armSmmuGerrorHandler(smmu: ArmSmmuDevice): boolean {
  const gerror = smmu.readl(ARM_SMMU_REG.GERROR);
  const gerrorn = smmu.readl(ARM_SMMU_REG.GERRORN);
  const active = (gerror ^ gerrorn) & GERROR.ERR_MASK;
  if (active === 0) return false; // No errors pending
  smmu.log("warning", `unexpected global error reported (${hex32(active)}), this could be serious`);
  if ((active & GERROR.SFM_ERR) !== 0) {
    smmu.log("err", "device has entered Service Failure Mode!");
    armSmmuDeviceDisable(smmu);
  }
  if ((active & GERROR.MSI_GERROR_ABT_ERR) !== 0) smmu.log("warning", "GERROR MSI write aborted");
  if ((active & GERROR.MSI_PRIQ_ABT_ERR) !== 0) smmu.log("warning", "PRIQ MSI write aborted");
  if ((active & GERROR.MSI_EVTQ_ABT_ERR) !== 0) smmu.log("warning", "EVTQ MSI write aborted");
  if ((active & GERROR.MSI_CMDQ_ABT_ERR) !== 0) smmu.log("warning", "CMDQ MSI write aborted");
  if ((active & GERROR.PRIQ_ABT_ERR) !== 0) smmu.log("err", "PRIQ write aborted -- events may have been lost");
  if ((active & GERROR.EVTQ_ABT_ERR) !== 0) smmu.log("err", "EVTQ write aborted -- events may have been lost");
  if ((active & GERROR.CMDQ_ERR) !== 0) cmdqSkipErr(smmu);
  smmu.ctx.trace.emit({ type: "arm-smmu-gerror", smmu: smmu.dev.name, active });
  smmu.writel(gerror, ARM_SMMU_REG.GERRORN);
  return true;
}

