/**
 * A small board for the SMMUv3 model's tests and benchmark: RAM, an MMIO space with the SMMU at QEMU virt's address,
 * and software-side helpers that program it the way a driver does (MMIO accesses, structures written into RAM,
 * commands through the queue, events read back through EVENTQ_PROD/CONS on page 1). Not part of the public barrel.
 */
import { MmioSpace, PhysicalMemory, type PhysicalMemoryPort } from "@dmasim/machine";
import { encodeCommand, type SmmuCommand } from "./commands";
import { decodeEventRecord, type DecodedEventRecord } from "./events";
import { queueEmpty, queueEntryAddress, queueIncrement } from "./queues";
import { SMMU_MMIO_SIZE, SMMU_REG } from "./registers";
import { createSmmuV3WithPaths, type SmmuV3 } from "./smmuv3";
import type { SmmuHwEvent } from "./trace";
import type { SmmuV3ConfigInput } from "./config";

/** QEMU virt's SMMUv3 base. */
export const TEST_SMMU_BASE = 0x9050000;

/**
 * A board with one SMMU and, unless another memory port is given, RAM at [0x40000000, 0x80000000) and [0, 0x100000).
 */
export class SmmuTestBoard {
  readonly memory: PhysicalMemoryPort;
  readonly mmio = new MmioSpace();
  readonly smmu: SmmuV3;
  readonly events: SmmuHwEvent[] = [];
  readonly irqs: string[] = [];
  /** Software's copy of EVENTQ_CONS, as arm_smmu_evtq_thread keeps it. */
  #evtqCons = 0;
  /** Software's last-read EVENTQ_PROD (Linux's `llq.prod`). */
  #evtqProd = 0;

  constructor(
    config?: SmmuV3ConfigInput,
    options: { readonly trace?: boolean; readonly memory?: PhysicalMemoryPort; readonly hotPath?: boolean } = {},
  ) {
    if (options.memory !== undefined) {
      this.memory = options.memory;
    } else {
      const ram = new PhysicalMemory();
      ram.addRam({ name: "low", base: 0, size: 0x100000 });
      ram.addRam({ name: "ram", base: 0x40000000, size: 0x40000000 });
      this.memory = ram;
    }
    this.smmu = createSmmuV3WithPaths({
      name: "9050000.smmuv3",
      memory: this.memory,
      ...(config === undefined ? {} : { config }),
      irq: {
        eventq: () => this.irqs.push("eventq"),
        gerror: () => this.irqs.push("gerror"),
        cmdSync: () => this.irqs.push("cmd-sync"),
      },
      ...(options.trace === false ? {} : { trace: { emit: (e: SmmuHwEvent) => this.events.push(e) } }),
    }, options.hotPath ?? true);
    this.mmio.register("smmuv3", TEST_SMMU_BASE, SMMU_MMIO_SIZE, this.smmu);
  }

  /** readl. */
  r32(offset: number): number {
    return this.mmio.read32(TEST_SMMU_BASE + offset);
  }
  /** writel. */
  w32(offset: number, value: number): void {
    this.mmio.write32(TEST_SMMU_BASE + offset, value);
  }
  /** writeq. */
  w64(offset: number, value: bigint): void {
    this.mmio.write64(TEST_SMMU_BASE + offset, value);
  }
  /** readq. */
  r64(offset: number): bigint {
    return this.mmio.read64(TEST_SMMU_BASE + offset) ?? -1n;
  }

  /** Writes 64-bit little-endian values to RAM. */
  put64(pa: number, ...values: bigint[]): void {
    values.forEach((v, i) => {
      if (!this.memory.write64(pa + 8 * i, v)) throw new Error(`write at 0x${(pa + 8 * i).toString(16)} failed`);
    });
  }

  /**
   * Programs the queues and stream table and enables the SMMU in Linux's order (smmuv3-model.md §1.4), with linear or
   * 2-level tables as given. Queues: 2^qLog2 entries at fixed RAM addresses.
   */
  bringUp(opts: { readonly strtabBase: number; readonly strtabCfg: number; readonly qLog2?: number; readonly cr0Extra?: number }): void {
    const qLog2 = opts.qLog2 ?? 8;
    this.w32(SMMU_REG.CR0, 0);
    this.w32(SMMU_REG.CR1, 0xd75);
    this.w32(SMMU_REG.CR2, 0x6);
    this.w64(SMMU_REG.STRTAB_BASE, BigInt(opts.strtabBase) | (1n << 62n));
    this.w32(SMMU_REG.STRTAB_BASE_CFG, opts.strtabCfg);
    this.w64(SMMU_REG.CMDQ_BASE, BigInt(CMDQ_PA) | BigInt(qLog2) | (1n << 62n));
    this.w32(SMMU_REG.CMDQ_PROD, 0);
    this.w32(SMMU_REG.CMDQ_CONS, 0);
    this.w32(SMMU_REG.CR0, 0x8);
    this.w64(SMMU_REG.EVENTQ_BASE, BigInt(EVTQ_PA) | BigInt(qLog2) | (1n << 62n));
    this.w32(0x100a8, 0);
    this.w32(0x100ac, 0);
    this.w32(SMMU_REG.CR0, 0xc);
    this.w32(SMMU_REG.IRQ_CTRL, 0x5);
    this.w32(SMMU_REG.CR0, 0xd | (opts.cr0Extra ?? 0));
  }

  /** Appends commands at CMDQ_PROD (software's view) and writes the new PROD: the SMMU consumes them at once. */
  submit(...cmds: (Partial<Omit<SmmuCommand, "name">> & { readonly opcode: number })[]): void {
    const log2 = this.smmu.registers().cmdq.log2size;
    let prod = this.r32(SMMU_REG.CMDQ_PROD);
    for (const c of cmds) {
      const words = encodeCommand(c);
      const addr = queueEntryAddress(CMDQ_PA, prod, log2, 16);
      words.forEach((w, i) => this.memory.write32(addr + 4 * i, w));
      prod = queueIncrement(prod, log2);
    }
    this.w32(SMMU_REG.CMDQ_PROD, prod);
  }

  /** Writes raw command words at CMDQ_PROD and publishes them. */
  submitRaw(...cmds: readonly number[][]): void {
    const log2 = this.smmu.registers().cmdq.log2size;
    let prod = this.r32(SMMU_REG.CMDQ_PROD);
    for (const words of cmds) {
      const addr = queueEntryAddress(CMDQ_PA, prod, log2, 16);
      words.forEach((w, i) => this.memory.write32(addr + 4 * i, w));
      prod = queueIncrement(prod, log2);
    }
    this.w32(SMMU_REG.CMDQ_PROD, prod);
  }

  /**
   * Reads every pending event record as `arm_smmu_evtq_thread` does: consume entries until the queue is empty, writing
   * EVENTQ_CONS (page 1) after each; re-read EVENTQ_PROD and note an OVFLG change ("EVTQ overflow detected -- events
   * lost"); loop while not empty; finally copy OVFLG into OVACKFLG.
   */
  drainEvents(): DecodedEventRecord[] {
    const out: DecodedEventRecord[] = [];
    const log2 = this.smmu.registers().eventq.log2size;
    let prod = this.#evtqProd;
    let cons = this.#evtqCons;
    do {
      while (!queueEmpty(prod, cons, log2)) {
        const addr = queueEntryAddress(EVTQ_PA, cons, log2, 32);
        out.push(decodeEventRecord(Array.from({ length: 8 }, (_, i) => this.memory.read32(addr + 4 * i))));
        cons = queueIncrement(cons, log2);
        this.w32(0x100ac, cons);
      }
      const newProd = this.r32(0x100a8);
      if (((newProd ^ prod) & 0x80000000) !== 0) this.overflows++;
      prod = newProd;
    } while (!queueEmpty(prod, cons, log2));
    if (((cons ^ prod) & 0x80000000) !== 0) {
      cons = ((cons & 0x7fffffff) | (prod & 0x80000000)) >>> 0;
      this.w32(0x100ac, cons);
    }
    this.#evtqCons = cons;
    this.#evtqProd = prod;
    return out;
  }

  /** Times {@link SmmuTestBoard.drainEvents} saw EVENTQ_PROD.OVFLG change ("EVTQ overflow detected"). */
  overflows = 0;

  /** Trace events of one type. */
  traced<T extends SmmuHwEvent["type"]>(type: T): Extract<SmmuHwEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<SmmuHwEvent, { type: T }> => e.type === type);
  }
}

/** Where {@link SmmuTestBoard.bringUp} puts the command queue. */
export const CMDQ_PA = 0x40100000;
/** Where {@link SmmuTestBoard.bringUp} puts the event queue. */
export const EVTQ_PA = 0x40200000;

/** Linux's abort STE (smmuv3-model.md §2.7): V, Config = abort, SHCFG = incoming. */
export const LINUX_ABORT_STE: readonly bigint[] = [0x1n, 0x1000_0000_0000n, 0n, 0n, 0n, 0n, 0n, 0n];
/** Linux's bypass STE: V, Config = bypass, SHCFG = incoming. */
export const LINUX_BYPASS_STE: readonly bigint[] = [0x9n, 0x1000_0000_0000n, 0n, 0n, 0n, 0n, 0n, 0n];

/** Linux's stage-1 STE for a CD at `cdPa` (S1CDMax = 0): dword0 = V | Config=5 | ptr, dword1 = S1DSS=2, WBRA, ISH. */
export function linuxS1Ste(cdPa: number): bigint[] {
  return [0xbn | BigInt(cdPa), 0xd6n, 0n, 0n, 0n, 0n, 0n, 0n];
}

/**
 * Linux's CD (SSID 0) for a 4K, 48-bit-VA domain on QEMU (IPS 44): dword0 as §2.7's example with the given ASID and
 * R, dword1 = TTB0, dword3 = MAIR.
 */
export function linuxCd(ttb0: number, asid = 1, opts: { readonly t0sz?: number; readonly tg0?: number; readonly r?: boolean; readonly affd?: boolean } = {}): bigint[] {
  const t0sz = BigInt(opts.t0sz ?? 16);
  const tg0 = BigInt(opts.tg0 ?? 0);
  let d0 = 0x0000e204c0003500n | t0sz | (tg0 << 6n) | (BigInt(asid) << 48n);
  if (opts.r === false) d0 &= ~(1n << 45n);
  if (opts.affd === true) d0 |= 1n << 35n;
  return [d0, BigInt(ttb0), 0n, 0x0004ff44n, 0n, 0n, 0n, 0n];
}

/** Leaf attributes Linux writes for a cacheable RW mapping: nG, AF, SH = IS, AP[1], AttrIndx 1 (0xf44). */
export const PTE_RW = 0xf44n;
/** AP[2]: read-only. */
export const PTE_RDONLY = 0x80n;

/**
 * Builds VMSAv8-64 stage-1 tables in the board's RAM (any granule), allocating tables upward from `base`. A test-side
 * stand-in for io-pgtable-arm, so walk tests do not depend on it.
 */
export class TestPageTable {
  readonly root: number;
  readonly startLevel: number;
  #next: number;
  readonly #board: SmmuTestBoard;
  readonly #g: number;
  readonly #inputBits: number;

  constructor(board: SmmuTestBoard, base: number, readonly granuleShift = 12, readonly tsz = 16) {
    this.#board = board;
    this.#g = granuleShift;
    this.#inputBits = 64 - tsz;
    this.startLevel = 4 - Math.floor((this.#inputBits - 4) / (granuleShift - 3));
    this.root = base;
    this.#next = base + 2 ** granuleShift;
  }

  /** Bytes mapped by one entry at `level`. */
  levelSize(level: number): number {
    return 2 ** (this.#g + (3 - level) * (this.#g - 3));
  }

  /** Address of the descriptor for `iova` at `level`, creating intermediate tables (with `tableBits`) as needed. */
  pteAddr(iova: number, level: number, tableBits = 0n): number {
    let table = this.root;
    for (let l = this.startLevel; ; l++) {
      const idx = Math.floor((iova % 2 ** this.#inputBits) / this.levelSize(l)) % 2 ** (this.#g - 3);
      const addr = table + idx * 8;
      if (l === level) return addr;
      const d = this.#board.memory.read64(addr) ?? 0n;
      if ((d & 3n) === 3n) {
        table = Number(d & 0x0000_ffff_ffff_f000n) - (Number(d & 0x0000_ffff_ffff_f000n) % 2 ** this.#g);
      } else {
        table = this.#next;
        this.#next += 2 ** this.#g;
        this.#board.put64(addr, BigInt(table) | 3n | tableBits);
      }
    }
  }

  /** Maps `size` = levelSize(level) bytes at `iova` to `pa` with a page (level 3) or block descriptor. */
  map(iova: number, pa: number, opts: { readonly level?: number; readonly attrs?: bigint; readonly tableBits?: bigint } = {}): number {
    const level = opts.level ?? 3;
    const addr = this.pteAddr(iova, level, opts.tableBits ?? 0n);
    this.#board.put64(addr, BigInt(pa) | (opts.attrs ?? PTE_RW) | (level === 3 ? 3n : 1n));
    return addr;
  }
}

/**
 * A board brought up with a linear stream table at 0x40010000 (LOG2SIZE 8) and, for each SID given, Linux's stage-1
 * STE and CD (4K, T0SZ 16 unless overridden) over a fresh {@link TestPageTable}.
 */
export function stage1Board(
  sids: readonly { readonly sid: number; readonly asid?: number; readonly tg0?: number; readonly t0sz?: number; readonly r?: boolean; readonly affd?: boolean }[],
  config?: SmmuV3ConfigInput,
  options: { readonly trace?: boolean; readonly memory?: PhysicalMemoryPort; readonly hotPath?: boolean } = {},
): { readonly board: SmmuTestBoard; readonly tables: Map<number, TestPageTable> } {
  const board = new SmmuTestBoard(config, options);
  const tables = new Map<number, TestPageTable>();
  sids.forEach((s, i) => {
    const g = s.tg0 === 1 ? 16 : s.tg0 === 2 ? 14 : 12;
    const cd = 0x40800000 + i * 0x1000;
    const pt = new TestPageTable(board, 0x41000000 + i * 0x400000, g, s.t0sz ?? 16);
    board.put64(STRTAB_PA + s.sid * 64, ...linuxS1Ste(cd));
    board.put64(cd, ...linuxCd(pt.root, s.asid ?? 1, s));
    tables.set(s.sid, pt);
  });
  board.bringUp({ strtabBase: STRTAB_PA, strtabCfg: 0x8 });
  return { board, tables };
}

/** Where {@link stage1Board} puts its linear stream table. */
export const STRTAB_PA = 0x40010000;
