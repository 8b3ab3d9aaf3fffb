/**
 * MMIO accesses to the SMMU's 128 KiB register block and their side effects (smmuv3-model.md §1.5). Page 1 aliases
 * page 0 (`offset &= ~0x10000`, QEMU's CONSTRAINED UNPREDICTABLE choice). Unimplemented offsets read as zero and
 * ignore writes. 64-bit accesses are implemented for the 64-bit registers QEMU implements them for (STRTAB_BASE,
 * CMDQ_BASE, EVENTQ_BASE, GERROR_IRQ_CFG0, EVENTQ_IRQ_CFG0); other 64-bit accesses are RAZ/WI, as in QEMU.
 *
 * @see hw/arm/smmuv3.c smmu_readl, smmu_readll, smmu_writel, smmu_writell
 */
import { consumeCommands } from "./command-queue";
import { CR0_ACK_MASK, GBPA, registerName, SMMU_ID_REG_VALUES, SMMU_PAGE1, SMMU_REG, strtabFmt, strtabSplit } from "./registers";
import type { SmmuV3State } from "./state";

const R = SMMU_REG;

function pageOffset(offset: number): number {
  return offset & 0x1ffff & ~SMMU_PAGE1;
}

/** A 32-bit register read. */
export function readRegister32(s: SmmuV3State, offset: number): number {
  const off = pageOffset(offset);
  // The register a driver polls after every command batch, ahead of the long switch (which lives in its own
  // function so this one stays small enough for the JIT to inline into the MMIO path).
  if (off === R.CMDQ_CONS) return s.cmdq.cons;
  return readOther32(s, off);
}

/** {@link readRegister32} of every register but CMDQ_CONS. */
function readOther32(s: SmmuV3State, off: number): number {
  if (off >= R.ID_REGS && off < R.ID_REGS + 0x30 && off % 4 === 0) return SMMU_ID_REG_VALUES[(off - R.ID_REGS) / 4] ?? 0;
  switch (off) {
    case R.IDR0:
      return s.idr.idr0;
    case R.IDR1:
      return s.idr.idr1;
    case R.IDR2:
      return s.idr.idr2;
    case R.IDR3:
      return s.idr.idr3;
    case R.IDR4:
      return s.idr.idr4;
    case R.IDR5:
      return s.idr.idr5;
    case R.IIDR:
      return s.idr.iidr;
    case R.AIDR:
      return s.idr.aidr;
    case R.CR0:
      return s.cr0;
    case R.CR0ACK:
      return s.cr0ack;
    case R.CR1:
      return s.cr1;
    case R.CR2:
      return s.cr2;
    case R.STATUSR:
      return 0;
    case R.GBPA:
      // Updates complete immediately, so Update always reads as 0.
      return s.gbpa;
    case R.IRQ_CTRL:
    case R.IRQ_CTRLACK:
      return s.irqCtrl;
    case R.GERROR:
      return s.gerror;
    case R.GERRORN:
      return s.gerrorn;
    case R.GERROR_IRQ_CFG0:
      return s.gerrorIrqCfg0Lo;
    case R.GERROR_IRQ_CFG0 + 4:
      return s.gerrorIrqCfg0Hi;
    case R.GERROR_IRQ_CFG1:
      return s.gerrorIrqCfg1;
    case R.GERROR_IRQ_CFG2:
      return s.gerrorIrqCfg2;
    case R.STRTAB_BASE:
      return s.strtabBaseLo;
    case R.STRTAB_BASE + 4:
      return s.strtabBaseHi;
    case R.STRTAB_BASE_CFG:
      return s.strtabBaseCfg;
    case R.CMDQ_BASE:
      return s.cmdq.baseLo;
    case R.CMDQ_BASE + 4:
      return s.cmdq.baseHi;
    case R.CMDQ_PROD:
      return s.cmdq.prod;
    case R.EVENTQ_BASE:
      return s.eventq.baseLo;
    case R.EVENTQ_BASE + 4:
      return s.eventq.baseHi;
    case R.EVENTQ_PROD:
      return s.eventq.prod;
    case R.EVENTQ_CONS:
      return s.eventq.cons;
    case R.EVENTQ_IRQ_CFG0:
      return s.eventqIrqCfg0Lo;
    case R.EVENTQ_IRQ_CFG0 + 4:
      return s.eventqIrqCfg0Hi;
    case R.EVENTQ_IRQ_CFG1:
      return s.eventqIrqCfg1;
    case R.EVENTQ_IRQ_CFG2:
      return s.eventqIrqCfg2;
    default:
      return 0;
  }
}

const TRACED = new Set<number>([
  R.CR0,
  R.CR1,
  R.CR2,
  R.GBPA,
  R.IRQ_CTRL,
  R.GERRORN,
  R.STRTAB_BASE,
  R.STRTAB_BASE + 4,
  R.STRTAB_BASE_CFG,
  R.CMDQ_BASE,
  R.CMDQ_BASE + 4,
  R.EVENTQ_BASE,
  R.EVENTQ_BASE + 4,
]);

/** A 32-bit register write, with its side effects. */
export function writeRegister32(s: SmmuV3State, offset: number, value: number): void {
  const off = pageOffset(offset);
  const v = value >>> 0;
  if (s.trace !== null && TRACED.has(off)) traceWrite(s, off, v.toString(16));
  store32(s, off, v);
}

function traceWrite(s: SmmuV3State, off: number, hex: string): void {
  s.emit({ type: "smmu-reg-write", smmu: s.name, reg: registerName(off) ?? "?", offset: off, value: `0x${hex}` });
}

function store32(s: SmmuV3State, off: number, v: number): void {
  // The register written for every command batch, ahead of the long switch (in its own function, as for reads).
  if (off === R.CMDQ_PROD) {
    s.cmdq.prod = v;
    consumeCommands(s);
    return;
  }
  storeOther32(s, off, v);
}

/** {@link store32} of every register but CMDQ_PROD. */
function storeOther32(s: SmmuV3State, off: number, v: number): void {
  switch (off) {
    case R.CR0:
      s.cr0 = v;
      s.cr0ack = v & CR0_ACK_MASK;
      consumeCommands(s); // the command queue may just have been enabled
      return;
    case R.CR1:
      s.cr1 = v;
      return;
    case R.CR2:
      s.cr2 = v;
      return;
    case R.GBPA:
      // Ignored unless Update is set; the update then completes at once.
      if ((v & GBPA.UPDATE) !== 0) s.gbpa = (v & ~GBPA.UPDATE) >>> 0;
      return;
    case R.IRQ_CTRL:
      s.irqCtrl = v;
      return;
    case R.GERRORN: {
      const pending = s.gerror ^ s.gerrorn;
      const acked = (s.gerrorn ^ v) & pending;
      s.gerrorn = v;
      if (acked !== 0) {
        s.emit({ type: "smmu-gerror", smmu: s.name, change: "acknowledged", bits: acked, gerror: s.gerror, gerrorn: v });
      }
      consumeCommands(s); // acknowledging CMDQ_ERR restarts consumption
      return;
    }
    case R.GERROR_IRQ_CFG0:
      s.gerrorIrqCfg0Lo = v;
      return;
    case R.GERROR_IRQ_CFG0 + 4:
      s.gerrorIrqCfg0Hi = v;
      return;
    case R.GERROR_IRQ_CFG1:
      s.gerrorIrqCfg1 = v;
      return;
    case R.GERROR_IRQ_CFG2:
      s.gerrorIrqCfg2 = v;
      return;
    case R.STRTAB_BASE:
      s.strtabBaseLo = v;
      return;
    case R.STRTAB_BASE + 4:
      s.strtabBaseHi = v;
      return;
    case R.STRTAB_BASE_CFG:
      s.strtabBaseCfg = v;
      if (strtabFmt(v) === 1 && (s.config.twoLevelStreamTable || s.config.compat.latchTwoLevel)) {
        s.sidSplit = s.config.compat.latchTwoLevel ? strtabSplit(v) : normaliseSplit(strtabSplit(v));
        s.twoLevel = true;
      } else if (!s.config.compat.latchTwoLevel) {
        s.twoLevel = false;
      }
      return;
    case R.CMDQ_BASE:
      s.cmdq.baseLo = v;
      s.cmdq.log2size = Math.min(v & 0x1f, s.config.cmdqLog2Size);
      return;
    case R.CMDQ_BASE + 4:
      s.cmdq.baseHi = v;
      return;
    case R.CMDQ_CONS:
      s.cmdq.cons = v;
      return;
    case R.EVENTQ_BASE:
      s.eventq.baseLo = v;
      s.eventq.log2size = Math.min(v & 0x1f, s.config.eventqLog2Size);
      return;
    case R.EVENTQ_BASE + 4:
      s.eventq.baseHi = v;
      return;
    case R.EVENTQ_PROD:
      s.eventq.prod = v;
      return;
    case R.EVENTQ_CONS:
      s.eventq.cons = v;
      return;
    case R.EVENTQ_IRQ_CFG0:
      s.eventqIrqCfg0Lo = v;
      return;
    case R.EVENTQ_IRQ_CFG0 + 4:
      s.eventqIrqCfg0Hi = v;
      return;
    case R.EVENTQ_IRQ_CFG1:
      s.eventqIrqCfg1 = v;
      return;
    case R.EVENTQ_IRQ_CFG2:
      s.eventqIrqCfg2 = v;
      return;
    default:
      return; // RO or unimplemented: write ignored
  }
}

/** SPLIT encodings other than 6/8/10 behave as 6 (spec). */
function normaliseSplit(split: number): number {
  return split === 8 || split === 10 ? split : 6;
}

const REG64 = new Set<number>([R.STRTAB_BASE, R.CMDQ_BASE, R.EVENTQ_BASE, R.GERROR_IRQ_CFG0, R.EVENTQ_IRQ_CFG0]);

/** A 64-bit register read (RAZ outside the 64-bit registers). */
export function readRegister64(s: SmmuV3State, offset: number): bigint {
  const off = pageOffset(offset);
  if (!REG64.has(off)) return 0n;
  return (BigInt(readRegister32(s, off + 4) >>> 0) << 32n) | BigInt(readRegister32(s, off) >>> 0);
}

/** A 64-bit register write: low half then high half, so *_BASE.LOG2SIZE is latched (WI outside them). */
export function writeRegister64(s: SmmuV3State, offset: number, value: bigint): void {
  const off = pageOffset(offset);
  if (!REG64.has(off)) return;
  const v = BigInt.asUintN(64, value);
  if (s.trace !== null && TRACED.has(off)) traceWrite(s, off, v.toString(16));
  store32(s, off, Number(v & 0xffff_ffffn));
  store32(s, off + 4, Number(v >> 32n));
}
