/**
 * Command submission: commands written at PROD in queue memory, PROD published through MMIO, CMD_SYNC completion by
 * polling CMDQ_CONS (IDR0.MSI = 0 on QEMU, so no MSI write-back), batching, and the CMDQ_ERR recovery the GERROR
 * handler runs.
 *
 * One CPU issues commands in the model, so `arm_smmu_cmdq_issue_cmdlist`'s lock-free multi-producer protocol
 * (valid map, owner election, shared lock) reduces to: wait for space, write the entries and the CMD_SYNC, write
 * PROD once, poll CONS past the CMD_SYNC. While polling, the composition may deliver interrupts
 * (`ArmSmmuV3Options.pollIrqs`), which is how a GERROR raised by an illegal command gets handled and the queue
 * restarts. The hardware model consumes synchronously, so a CONS that has not moved after a few polls never will:
 * the poll is bounded ({@link POLL_LIMIT} reads) rather than one second of spinning, and a queue that stays full
 * gives up with "CMDQ timeout" instead of spinning forever.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_cmdq_issue_cmdlist, __arm_smmu_cmdq_poll_until_consumed
 */
import { Errno } from "@dmasim/driver-core";
import { buildCmd, CMDQ_OP, encodeTlbiVa, hex64, type ArmSmmuCmdqEnt, type ArmSmmuTlbiVa, type CmdWords } from "./cmd";
import { qEnt, qIdx, qWrp, queueIncN, type ArmSmmuDevice, type ArmSmmuQueue } from "./device";
import { CMDQ_BATCH_ENTRIES, CMDQ_CONS_ERR } from "./regs";

/** How many times a poll re-reads a register before the model declares the timeout (see the file comment). */
export const POLL_LIMIT = 8;

/** `queue_has_space(llq, n)`. */
function queueHasSpace(q: ArmSmmuQueue, prodV: number, consV: number, n: number): boolean {
  const prod = qIdx(q, prodV);
  const cons = qIdx(q, consV);
  const space = qWrp(q, prodV) === qWrp(q, consV) ? (1 << q.maxNShift) - (prod - cons) : cons - prod;
  return space >= n;
}

/** `queue_consumed(llq, prod)`: CONS has moved past the entry at `prod`. */
function queueConsumed(q: ArmSmmuQueue, consV: number, prod: number): boolean {
  const sameWrap = qWrp(q, consV) === qWrp(q, prod);
  return (sameWrap && qIdx(q, consV) > qIdx(q, prod)) || (!sameWrap && qIdx(q, consV) <= qIdx(q, prod));
}

/** The CMD_SYNC the driver appends (`arm_smmu_cmdq_build_sync_cmd` without MSI polling): CS = SEV, era's attributes. */
const SYNC_WITH_ATTRS = buildCmd({ op: "CMD_SYNC", msiAddr: 0, withAttrs: true });
const SYNC_PLAIN = buildCmd({ op: "CMD_SYNC", msiAddr: 0, withAttrs: false });

const NO_WORDS: readonly number[] = [];

function syncCmd(smmu: ArmSmmuDevice): CmdWords {
  return smmu.ctx.era.cmdSyncAttrs ? SYNC_WITH_ATTRS : SYNC_PLAIN;
}

/**
 * The words of the queue page an entry at `pa` lies in, when the memory offers them and the entry is 16-byte aligned
 * (always, as queues are: an entry then never straddles a page); null otherwise.
 */
function entryPage(smmu: ArmSmmuDevice, pa: number): Uint32Array | null {
  return (pa & 15) === 0 ? (smmu.ctx.memory.pageWords?.(pa, true) ?? null) : null;
}

/** Writes the command at `words[at..at+3]` into the queue entry at `prod`. */
function writeEntry(smmu: ArmSmmuDevice, q: ArmSmmuQueue, prod: number, words: ArrayLike<number>, at: number): void {
  const pa = qEnt(q, prod);
  writeEntryAt(smmu, pa, entryPage(smmu, pa), words, at);
}

/**
 * Writes the command at `words[at..at+3]` into the queue entry at `pa`: straight into the page's words when `page`
 * (from {@link entryPage}) is given (the same bytes four write32 calls would store), else by write32.
 */
function writeEntryAt(smmu: ArmSmmuDevice, pa: number, page: Uint32Array | null, words: ArrayLike<number>, at: number): void {
  const m = smmu.ctx.memory;
  if (page !== null) {
    const i = (pa & 0xfff) >>> 2;
    page[i] = words[at] as number;
    page[i + 1] = words[at + 1] as number;
    page[i + 2] = words[at + 2] as number;
    page[i + 3] = words[at + 3] as number;
    return;
  }
  m.write32(pa, words[at] as number);
  m.write32(pa + 4, words[at + 1] as number);
  m.write32(pa + 8, words[at + 2] as number);
  m.write32(pa + 12, words[at + 3] as number);
}

/**
 * `arm_smmu_cmdq_issue_cmdlist(smmu, cmds, n, sync)`: 0, or -ETIMEDOUT when the CMD_SYNC did not complete (logged
 * as the kernel logs it).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_cmdq_issue_cmdlist
 */
export function issueCmdlist(smmu: ArmSmmuDevice, cmds: readonly CmdWords[], sync: boolean): number {
  const words: number[] = [];
  for (const c of cmds) words.push(c[0], c[1], c[2], c[3]);
  return issueWords(smmu, words, cmds.length, sync);
}

/** {@link issueCmdlist} for `n` commands given as one flat array of words, four per command. */
function issueWords(smmu: ArmSmmuDevice, words: ArrayLike<number>, n: number, sync: boolean): number {
  const q = smmu.cmdq;
  const total = n + (sync ? 1 : 0);
  // 1. Wait for space: arm_smmu_cmdq_poll_until_not_full re-reads CONS (interrupts are enabled meanwhile).
  if (!queueHasSpace(q, q.prod, q.cons, total) && !pollUntilNotFull(smmu, q, total)) return -Errno.ETIMEDOUT;
  // 2. Write the commands, then the CMD_SYNC, into queue memory.
  // Consecutive entries mostly share a page: its words are looked up once per page, not per entry.
  const start = q.prod;
  let pageAddr = -1;
  let page: Uint32Array | null = null;
  for (let i = 0; i <= n; i++) {
    if (i === n && !sync) break;
    const pa = qEnt(q, queueIncN(q, start, i));
    const at = pa - (pa & 0xfff);
    if (at !== pageAddr) {
      pageAddr = at;
      page = entryPage(smmu, pa);
    }
    if (i < n) writeEntryAt(smmu, pa, page, words, i * 4);
    else writeEntryAt(smmu, pa, page, syncCmd(smmu), 0);
  }
  const syncProd = queueIncN(q, start, n);
  // 3. Publish: one PROD write (the hardware consumes synchronously inside it).
  q.prod = queueIncN(q, start, total);
  smmu.writeReg(q.prodReg, q.prod);
  if (!sync) return 0;
  // 4. Poll CONS until it has passed the CMD_SYNC: read it first, and only between reads let interrupts in (the
  // kernel's `__arm_smmu_cmdq_poll_until_consumed` reads CONS before its first `queue_poll` wait).
  let cons = smmu.readReg(q.consReg);
  let polls = 0;
  let ret = 0;
  while (!queueConsumed(q, cons, syncProd)) {
    if (polls++ >= POLL_LIMIT) {
      ret = -Errno.ETIMEDOUT;
      break;
    }
    smmu.ctx.pollIrqs();
    cons = smmu.readReg(q.consReg);
  }
  q.cons = cons;
  if (ret !== 0) syncTimeout(smmu, q, syncProd);
  return ret;
}

// The slow paths of issueWords, out of line so the common one stays small for the JIT.

/** `arm_smmu_cmdq_poll_until_not_full`: re-read CONS until `n` entries fit; false (logged) when they never do. */
function pollUntilNotFull(smmu: ArmSmmuDevice, q: ArmSmmuQueue, n: number): boolean {
  let tries = 0;
  while (!queueHasSpace(q, q.prod, q.cons, n)) {
    if (tries++ >= POLL_LIMIT) {
      smmu.log("err", "CMDQ timeout");
      return false;
    }
    smmu.ctx.pollIrqs();
    q.cons = smmu.readReg(q.consReg);
  }
  return true;
}

/** The CMD_SYNC timeout message, as the era prints it. */
function syncTimeout(smmu: ArmSmmuDevice, q: ArmSmmuQueue, syncProd: number): void {
  if (smmu.ctx.era.probePath === "add_device") {
    smmu.log("err", "CMD_SYNC timeout");
  } else {
    const hwprod = smmu.readReg(q.prodReg);
    const hwcons = smmu.readReg(q.consReg);
    smmu.log("err", `CMD_SYNC timeout at ${hex32(syncProd)} [hwprod ${hex32(hwprod)}, hwcons ${hex32(hwcons)}]`);
  }
}

/** `arm_smmu_cmdq_issue_cmd(smmu, ent)`: one command, no sync. */
export function issueCmd(smmu: ArmSmmuDevice, ent: ArmSmmuCmdqEnt): number {
  return issueWords(smmu, buildCmd(ent), 1, false);
}

/** `arm_smmu_cmdq_issue_cmd_with_sync(smmu, ent)`: one command + CMD_SYNC, waiting for completion. */
export function issueCmdWithSync(smmu: ArmSmmuDevice, ent: ArmSmmuCmdqEnt): number {
  return issueWords(smmu, buildCmd(ent), 1, true);
}

/** `arm_smmu_cmdq_issue_sync(smmu)` (v4.x name): a lone CMD_SYNC. */
export function issueSync(smmu: ArmSmmuDevice): number {
  return issueWords(smmu, NO_WORDS, 0, true);
}

/**
 * `struct arm_smmu_cmdq_batch`: up to CMDQ_BATCH_ENTRIES commands issued together; a full batch is issued without
 * a sync, and {@link batchSubmit} issues the rest with one (an empty batch still issues a CMD_SYNC). The commands
 * are kept as one flat array of words, four per command, like the kernel's
 * `u64 cmds[CMDQ_BATCH_ENTRIES * CMDQ_ENT_DWORDS]`.
 */
export class CmdqBatch {
  readonly words: number[] = [];
  /** Commands held. */
  num = 0;
}

/** An empty batch: the SMMU's spare one when free (see `ArmSmmuDevice.spareBatch`), else a new one. */
export function batchGet(smmu: ArmSmmuDevice): CmdqBatch {
  const spare = smmu.spareBatch;
  if (spare === null) return new CmdqBatch();
  smmu.spareBatch = null;
  spare.num = 0;
  return spare;
}

/** Gives a submitted batch back for reuse. */
export function batchPut(smmu: ArmSmmuDevice, batch: CmdqBatch): void {
  batch.num = 0;
  smmu.spareBatch = batch;
}

/** Makes room for one more command, issuing a full batch without a sync; returns the word index to write at. */
function batchSlot(smmu: ArmSmmuDevice, batch: CmdqBatch): number {
  if (batch.num === CMDQ_BATCH_ENTRIES) {
    issueWords(smmu, batch.words, batch.num, false);
    batch.num = 0;
  }
  return batch.num++ * 4;
}

/** `arm_smmu_cmdq_batch_add`. @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_cmdq_batch_add */
export function batchAdd(smmu: ArmSmmuDevice, batch: CmdqBatch, ent: ArmSmmuCmdqEnt): void {
  const cmd = buildCmd(ent);
  const at = batchSlot(smmu, batch);
  const w = batch.words;
  w[at] = cmd[0];
  w[at + 1] = cmd[1];
  w[at + 2] = cmd[2];
  w[at + 3] = cmd[3];
}

/**
 * `arm_smmu_cmdq_batch_add` of a CMD_TLBI_NH_VA (or CMD_TLBI_EL2_VA with `el2`), encoded straight into the batch: the
 * same words as {@link batchAdd} of that command, without building the command object first.
 */
export function batchAddTlbiVa(smmu: ArmSmmuDevice, batch: CmdqBatch, el2: boolean, va: ArmSmmuTlbiVa): void {
  const at = batchSlot(smmu, batch);
  encodeTlbiVa(batch.words, at, el2 ? CMDQ_OP.TLBI_EL2_VA : CMDQ_OP.TLBI_NH_VA, el2 ? 0 : va.vmid, va);
}

/** `arm_smmu_cmdq_batch_submit`: the batch plus a CMD_SYNC. */
export function batchSubmit(smmu: ArmSmmuDevice, batch: CmdqBatch): number {
  const ret = issueWords(smmu, batch.words, batch.num, true);
  batch.num = 0;
  return ret;
}

const CERROR_STR = ["No error", "Illegal command", "Abort on command fetch", "ATC invalidate timeout"];

/**
 * `arm_smmu_cmdq_skip_err` (from the GERROR handler on CMDQ_ERR): read CMDQ_CONS.ERR; on CERROR_ABT retry (nothing
 * to change), on ATC_INV timeout retry the CMD_SYNC, on CERROR_ILL log the command and overwrite it in queue memory
 * with a CMD_SYNC so consumption can go on once GERRORN is written.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c __arm_smmu_cmdq_skip_err
 */
export function cmdqSkipErr(smmu: ArmSmmuDevice): void {
  const q = smmu.cmdq;
  const cons = smmu.readReg(q.consReg);
  const idx = (cons >>> CMDQ_CONS_ERR.SHIFT) & CMDQ_CONS_ERR.MASK;
  smmu.log("err", `CMDQ error (cons ${hex32(cons)}): ${CERROR_STR[idx] ?? "Unknown"}`);
  switch (idx) {
    case CMDQ_CONS_ERR.ABT:
      smmu.log("err", "retrying command fetch");
      return;
    case CMDQ_CONS_ERR.NONE:
    case CMDQ_CONS_ERR.ATC_INV:
      return;
    default:
      break;
  }
  const pa = qEnt(q, cons);
  const m = smmu.ctx.memory;
  const w = [m.read32(pa), m.read32(pa + 4), m.read32(pa + 8), m.read32(pa + 12)].map((v) => v >>> 0);
  smmu.log("err", "skipping command in error state:");
  smmu.log("err", `\t${hex64(w[0] as number, w[1] as number)}`);
  smmu.log("err", `\t${hex64(w[2] as number, w[3] as number)}`);
  writeEntry(smmu, q, cons, syncCmd(smmu), 0);
}

/** `0x%08x`. */
export function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, "0")}`;
}
