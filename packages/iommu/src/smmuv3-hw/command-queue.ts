/**
 * Command queue consumption and command execution (smmuv3-model.md §3.3–§3.5). Consumption runs synchronously inside
 * the MMIO write that may have made commands available (CMDQ_PROD, CR0, GERRORN), as in QEMU, so every command
 * (CMD_SYNC included) has completed when that write returns.
 *
 * @see hw/arm/smmuv3.c smmuv3_cmdq_consume, smmuv3_s1_range_inval
 * @see softmmu/dma-helpers.c dma_aligned_pow2_mask (QEMU; declared in include/sysemu/dma.h)
 */
import { BUS_ERROR } from "@dmasim/machine";
import { CMD_OP, commandTraceFields, decodeCommandInto, type SmmuCommand } from "./commands";
import type { IotlbDropped } from "./iotlb";
import { queueBaseAddress, queueEmpty, queueEntryAddress, queueIncrement, queueIndex } from "./queues";
import { CERROR, CMDQ_CONS_ERR_SHIFT, CR0, GERROR } from "./registers";
import type { SmmuV3State } from "./state";

/**
 * Bytes per command.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h CMDQ_ENT_DWORDS
 */
export const COMMAND_ENTRY_SIZE = 16;

type ExecResult = { readonly error: 0 } | { readonly error: number; readonly message: string };
const OK: ExecResult = { error: 0 };
const ill = (message: string): ExecResult => ({ error: CERROR.ILL, message });

/**
 * Consumes commands from CMDQ_CONS up to CMDQ_PROD:
 * 1. Nothing while CR0.CMDQEN = 0 or GERROR.CMDQ_ERR is active (GERROR != GERRORN in that bit).
 * 2. A command that cannot be read → CERROR_ABT; an illegal one → CERROR_ILL. Either way consumption stops with CONS
 *    on the failing entry, CMDQ_CONS.ERR = the code, and GERROR.CMDQ_ERR raised.
 * 3. Otherwise the command executes and CONS advances.
 */
export function consumeCommands(s: SmmuV3State): void {
  if ((s.cr0 & CR0.CMDQEN) === 0) return;
  const q = s.cmdq;
  const base = queueBaseAddress(q, COMMAND_ENTRY_SIZE, s.config.compat.queueBaseMask64);
  const memory = s.memory;
  let error = 0;
  // The page the last command was read from (consecutive commands usually share one).
  let pageAddr = -1;
  let page: Uint32Array | null = null;
  while (!queueEmpty(q.prod, q.cons, q.log2size)) {
    if (((s.gerror ^ s.gerrorn) & GERROR.CMDQ_ERR) !== 0) break;
    const index = queueIndex(q.cons, q.log2size);
    const addr = queueEntryAddress(base, q.cons, q.log2size, COMMAND_ENTRY_SIZE);
    // A command is 16-byte aligned, so within one page: read it straight from the page when the memory offers it.
    const at = addr - (addr & 0xfff);
    if (at !== pageAddr) {
      pageAddr = at;
      page = (addr & 15) === 0 ? (memory.pageWords?.(addr, false) ?? null) : null;
    }
    const i = (addr & 0xfff) >>> 2;
    const w0 = page !== null ? (page[i] as number) : memory.read32(addr);
    const w1 = page !== null ? (page[i + 1] as number) : memory.read32(addr + 4);
    const w2 = page !== null ? (page[i + 2] as number) : memory.read32(addr + 8);
    const w3 = page !== null ? (page[i + 3] as number) : memory.read32(addr + 12);
    if (w0 === BUS_ERROR || w1 === BUS_ERROR || w2 === BUS_ERROR || w3 === BUS_ERROR) {
      error = fetchAborted(s, index, addr);
      break;
    }
    const cmd = decodeCommandInto(s.command, w0, w1, w2, w3);
    s.counters.commands++;
    if (s.trace !== null) traceCommand(s, index, cmd);
    // Taken before execution: a CMD_SYNC's interrupt may run handlers that consume further commands.
    const opcode = cmd.opcode;
    const name = cmd.name;
    const r = execute(s, cmd);
    if (r.error !== 0) {
      error = illegal(s, index, opcode, name, r);
      break;
    }
    q.cons = queueIncrement(q.cons, q.log2size);
  }
  if (error !== 0) stopOnError(s, error);
}

// The error and trace paths of consumeCommands, out of line so the consumption loop stays small for the JIT.

/** A command fetch that aborted: traced; returns CERROR_ABT. */
function fetchAborted(s: SmmuV3State, index: number, addr: number): number {
  s.emit({
    type: "smmu-cmd-error",
    smmu: s.name,
    index,
    opcode: null,
    name: null,
    error: "CERROR_ABT",
    message: `command fetch at 0x${addr.toString(16)} aborted`,
  });
  return CERROR.ABT;
}

/** An illegal command: traced; returns its CERROR code. */
function illegal(s: SmmuV3State, index: number, opcode: number, name: string | null, r: ExecResult): number {
  s.emit({
    type: "smmu-cmd-error",
    smmu: s.name,
    index,
    opcode,
    name,
    error: "CERROR_ILL",
    message: "message" in r ? r.message : "",
  });
  return r.error;
}

function traceCommand(s: SmmuV3State, index: number, cmd: SmmuCommand): void {
  s.emit({ type: "smmu-cmd", smmu: s.name, index, opcode: cmd.opcode, name: cmd.name ?? "UNKNOWN", fields: commandTraceFields(cmd) });
}

/** Consumption stopped on an error: CMDQ_CONS.ERR takes the code and GERROR.CMDQ_ERR is raised. */
function stopOnError(s: SmmuV3State, error: number): void {
  const q = s.cmdq;
  q.cons = ((q.cons & ~(0x7f << CMDQ_CONS_ERR_SHIFT)) | (error << CMDQ_CONS_ERR_SHIFT)) >>> 0;
  s.raiseGerror(GERROR.CMDQ_ERR);
}

function execute(s: SmmuV3State, c: SmmuCommand): ExecResult {
  // The two commands of every strict unmap first; the rest in a function of its own (see consumeCommands).
  const op = c.opcode;
  if (op === CMD_OP.SYNC) {
    if (c.cs === 3) return ill("CMD_SYNC with CS = 0b11 (reserved)");
    if ((c.cs & 1) !== 0) s.pulse("cmd-sync");
    return OK;
  }
  if (op === CMD_OP.TLBI_NH_VA) return rangeInvalidate(s, c);
  return executeOther(s, c);
}

/** {@link execute} of every command but CMD_SYNC and CMD_TLBI_NH_VA. */
function executeOther(s: SmmuV3State, c: SmmuCommand): ExecResult {
  const compat = s.config.compat;
  switch (c.opcode) {
    case CMD_OP.PREFETCH_CONFIG:
    case CMD_OP.PREFETCH_ADDR:
      return OK;
    case CMD_OP.CFGI_STE:
    case CMD_OP.CFGI_CD:
    case CMD_OP.CFGI_CD_ALL:
      if (c.ssec) return ill(`${c.name ?? ""} with SSec = 1 on the Non-secure queue`);
      // QEMU drops the whole cached configuration of the StreamID (Leaf and SSID ignored).
      invalidateConfigs(s, c.name ?? "", c.sid, c.sid);
      return OK;
    case CMD_OP.CFGI_STE_RANGE: {
      if (c.ssec) return ill(`${c.name ?? ""} with SSec = 1 on the Non-secure queue`);
      const span = 2 ** (c.range + 1);
      const first = c.sid - (c.sid % span);
      invalidateConfigs(s, c.name ?? "", first, first + span - 1);
      return OK;
    }
    case CMD_OP.TLBI_NH_ASID:
      traceTlbi(s, c, s.iotlb.invalidateAsid(asidOf(s, c.asid), -1));
      return OK;
    case CMD_OP.TLBI_NH_ALL:
    case CMD_OP.TLBI_NSNH_ALL:
      // Without stage 2, NH_ALL (all stage-1 entries of a VMID) is everything.
      traceTlbi(s, c, s.iotlb.invalidateAll());
      return OK;
    case CMD_OP.TLBI_NH_VAA:
      return rangeInvalidate(s, c);
    case CMD_OP.TLBI_EL3_ALL:
    case CMD_OP.TLBI_EL3_VA:
    case CMD_OP.TLBI_EL2_ALL:
    case CMD_OP.TLBI_EL2_ASID:
    case CMD_OP.TLBI_EL2_VA:
    case CMD_OP.TLBI_EL2_VAA:
    case CMD_OP.ATC_INV:
    case CMD_OP.PRI_RESP:
    case CMD_OP.RESUME:
    case CMD_OP.STALL_TERM:
      // QEMU: no-ops (no EL2/EL3 translation regimes, no ATS, PRI or stalls).
      return OK;
    case CMD_OP.TLBI_S12_VMALL:
    case CMD_OP.TLBI_S2_IPA:
      return compat.s2CommandsNop ? OK : ill(`${c.name ?? ""} on an SMMU without stage 2`);
    default:
      return ill(`opcode 0x${c.opcode.toString(16).padStart(2, "0")} is not a command this SMMU implements`);
  }
}

function asidOf(s: SmmuV3State, asid: number): number {
  return s.config.asid16 ? asid : asid & 0xff;
}

/** Drops cached configurations with StreamID in [first, last]; never touches the IOTLB. */
function invalidateConfigs(s: SmmuV3State, command: string, first: number, last: number): void {
  const dropped: number[] = [];
  for (const sid of s.configCache.keys()) {
    if (sid >= first && sid <= last) dropped.push(sid);
  }
  for (const sid of dropped) s.configCache.delete(sid);
  if (s.lastSid >= first && s.lastSid <= last) {
    s.lastSid = -1;
    s.lastConfig = undefined;
  }
  if (s.trace !== null) {
    s.emit({ type: "smmu-cfgi", smmu: s.name, command, first, last, dropped: dropped.sort((a, b) => a - b) });
  }
}

function traceTlbi(s: SmmuV3State, c: SmmuCommand, dropped: readonly IotlbDropped[]): void {
  if (s.trace !== null) s.emit({ type: "smmu-tlbi", smmu: s.name, command: c.name ?? "", dropped });
}

/**
 * CMD_TLBI_NH_VA / NH_VAA (QEMU `smmuv3_s1_range_inval`): `(NUM+1) × 2^SCALE` pages of the TG granule (one 4K page
 * when TG = 0), split into power-of-two chunks as `dma_aligned_pow2_mask` does, each invalidated with the VA predicate.
 */
function rangeInvalidate(s: SmmuV3State, c: SmmuCommand): ExecResult {
  const compat = s.config.compat;
  let num = 0;
  let scale = 0;
  let ttl = 0;
  if (c.tg !== 0) {
    num = c.num;
    scale = c.scale;
    ttl = c.ttl;
    if (!compat.lenientTlbiRange) {
      if (ttl === 0 && num === 0 && scale === 0) return ill(`${c.name ?? ""} with TG != 0 and TTL = NUM = SCALE = 0`);
      if (!s.config.rangeInvalidation) {
        num = 0;
        scale = 0;
      }
    }
  }
  const traced = s.trace !== null;
  // An empty IOTLB has nothing to drop (the common case right after a strict unmap's earlier invalidation), and
  // with no trace there is no smmu-tlbi event to emit: the range walk would change nothing.
  if (!traced && s.iotlb.size === 0) return OK;
  const asid = c.opcode === CMD_OP.TLBI_NH_VA ? asidOf(s, c.asid) : -1;
  const granuleShift = c.tg * 2 + 10;
  let numPages = (num + 1) * pow2(scale);
  const lastPage = numPages - 1;
  let firstPage = 0;
  let addr = c.addr;
  const dropped: IotlbDropped[] = [];
  while (numPages > 0) {
    const count = alignedPow2Count(firstPage, lastPage, 64 - granuleShift);
    // An empty IOTLB has nothing to drop (the common case right after a strict unmap's earlier invalidation).
    if (s.iotlb.size !== 0) {
      const got = s.iotlb.invalidateRange(asid, -1, addr, c.tg, count, ttl);
      if (traced) for (const d of got) dropped.push(d);
    }
    numPages -= count;
    firstPage += count;
    addr += count * pow2(granuleShift);
  }
  traceTlbi(s, c, dropped);
  return OK;
}

/** `2^n` for a small non-negative integer `n` (a shift below 31; `**` is a libm call). */
function pow2(n: number): number {
  return n < 31 ? 1 << n : 2 ** n;
}

/**
 * The size (mask + 1) of the largest naturally aligned power-of-two block starting at `start` within
 * `[start, end]` (QEMU `dma_aligned_pow2_mask(start, end, maxAddrBits) + 1`).
 *
 * @see softmmu/dma-helpers.c dma_aligned_pow2_mask
 */
export function alignedPow2Count(start: number, end: number, maxAddrBits: number): number {
  // One page (every strict unmap of a 4K buffer): the block is that page, whatever its alignment.
  if (start === end) return 1;
  const maxMask = 2 ** Math.min(maxAddrBits, 53) - 1;
  let alignmentMask = maxMask;
  if (start !== 0) {
    let low = 1;
    while (start % (low * 2) === 0) low *= 2;
    alignmentMask = Math.min(low - 1, maxMask);
  }
  const sizeMask = Math.min(end - start, maxMask);
  if (alignmentMask <= sizeMask) return alignmentMask + 1;
  let p = 1;
  while (p * 2 <= sizeMask + 1) p *= 2;
  return p;
}
