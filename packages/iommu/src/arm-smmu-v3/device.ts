/**
 * `struct arm_smmu_device`, `struct arm_smmu_queue`, `struct arm_smmu_strtab_cfg`, `struct arm_smmu_master` and
 * `struct arm_smmu_stream`: the driver's state for one SMMU instance, with the MMIO accessors (`readl_relaxed`,
 * `writel`, `writeq`) and the logging helpers every other file uses.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h struct arm_smmu_device
 */
import { devPrintk, type Device, type LogLevel } from "@dmasim/driver-core";
import type { PhysAddr } from "@dmasim/machine";
import type { IommuDevice } from "../core/iommu-ops";
import { driverFile, type ArmSmmuV3Context } from "./context";
import type { ArmSmmuDomain } from "./domain";
import { ARM_SMMU_PAGE1_OFFSET, Q_OVERFLOW_FLAG } from "./regs";

/**
 * `struct arm_smmu_queue` + its `struct arm_smmu_ll_queue`: the queue memory, the base register value, and the
 * driver's shadow PROD/CONS.
 */
export interface ArmSmmuQueue {
  /** `llq.max_n_shift`: log2 of the number of entries. */
  maxNShift: number;
  /** `ent_dwords`. */
  readonly entDwords: number;
  /** `base_dma`: physical address of the entries (0 until allocated). */
  base: PhysAddr;
  /** `q_base` (the *_BASE register value) as two 32-bit halves. */
  qBaseLo: number;
  qBaseHi: number;
  /** `llq.prod`, `llq.cons` (index, wrap bit above it, and OVF in bit 31 for the event queue). */
  prod: number;
  cons: number;
  /** Physical addresses of the PROD and CONS registers (`prod_reg`, `cons_reg`). */
  prodReg: PhysAddr;
  consReg: PhysAddr;
  /** `q->irq`: the wired interrupt, 0 for none. */
  irq: number;
}

/** `Q_IDX(llq, p)`. */
export function qIdx(q: ArmSmmuQueue, p: number): number {
  return p & ((1 << q.maxNShift) - 1);
}
/** `Q_WRP(llq, p)`. */
export function qWrp(q: ArmSmmuQueue, p: number): number {
  return p & (1 << q.maxNShift);
}
/** `Q_OVF(p)`. */
export function qOvf(p: number): number {
  return (p & Q_OVERFLOW_FLAG) >>> 0;
}
/** `queue_empty(llq)`. */
export function queueEmpty(q: ArmSmmuQueue): boolean {
  return qIdx(q, q.prod) === qIdx(q, q.cons) && qWrp(q, q.prod) === qWrp(q, q.cons);
}
/** `Q_ENT(q, p)`: the address of the entry at index `p`. */
export function qEnt(q: ArmSmmuQueue, p: number): PhysAddr {
  return q.base + qIdx(q, p) * q.entDwords * 8;
}
/** `queue_inc_prod_n(llq, n)`: advance an index (wrap included) by n, keeping OVF. */
export function queueIncN(q: ArmSmmuQueue, p: number, n: number): number {
  const mask = (1 << (q.maxNShift + 1)) - 1;
  const v = ((qWrp(q, p) | qIdx(q, p)) + n) & mask;
  return (qOvf(p) | v) >>> 0;
}

/** `struct arm_smmu_strtab_l1_desc`: one L2 table (span 0 and l2ptr 0 until `arm_smmu_init_l2_strtab`). */
export interface ArmSmmuL1Desc {
  span: number;
  l2ptr: PhysAddr;
}

/** `struct arm_smmu_strtab_cfg`. */
export interface ArmSmmuStrtabCfg {
  /** `strtab_dma`: the linear table or the L1 array. */
  strtab: PhysAddr;
  numL1Ents: number;
  /** 2-level only: one descriptor per L1 entry. */
  l1Desc: ArmSmmuL1Desc[] | null;
  /** STRTAB_BASE value (halves) and STRTAB_BASE_CFG. */
  baseLo: number;
  baseHi: number;
  baseCfg: number;
}

/** `struct arm_smmu_stream`: one StreamID of a master, as held in the per-SMMU tree. */
export interface ArmSmmuStream {
  readonly id: number;
  readonly master: ArmSmmuMaster;
}

/**
 * `struct arm_smmu_master`: a device behind the SMMU (`dev_iommu_priv_get(dev)`).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h struct arm_smmu_master
 */
export class ArmSmmuMaster {
  readonly dev: Device;
  readonly smmu: ArmSmmuDevice;
  /** `master->streams[]`, in fwspec order (duplicates kept, as the kernel keeps them). */
  streams: ArmSmmuStream[] = [];
  /** `master->domain`. */
  domain: ArmSmmuDomain | null = null;
  ssidBits = 0;
  stallEnabled = false;
  atsEnabled = false;

  constructor(dev: Device, smmu: ArmSmmuDevice) {
    this.dev = dev;
    this.smmu = smmu;
  }
}

/** A devm-managed allocation, freed when probe fails or the device is unbound. */
interface DevmFrame {
  readonly pa: PhysAddr;
  readonly owner: string;
}

/** What {@link ArmSmmuDevice.spareBatch} holds (`CmdqBatch` in `cmdq.ts`, which imports this file). */
export interface CmdqBatchSlot {
  readonly words: number[];
  num: number;
}

/**
 * `struct arm_smmu_device`: one SMMUv3 as the driver sees it.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h struct arm_smmu_device
 */
export class ArmSmmuDevice {
  readonly ctx: ArmSmmuV3Context;
  readonly dev: Device;
  /** Page 0 physical base (`smmu->base` after ioremap). */
  readonly base: PhysAddr;
  /** Page 1 (`smmu->page1`): base + 64 KiB, or base with ARM_SMMU_OPT_PAGE0_REGS_ONLY. */
  page1: PhysAddr;
  features = 0;
  options = 0;
  ias = 0;
  oas = 0;
  pgsizeBitmap = 0;
  asidBits = 0;
  vmidBits = 0;
  ssidBits = 0;
  sidBits = 0;
  /** `evtq.max_stalls`. */
  maxStalls = 0;
  readonly cmdq: ArmSmmuQueue;
  readonly evtq: ArmSmmuQueue;
  readonly priq: ArmSmmuQueue;
  gerrIrq = 0;
  combinedIrq = 0;
  readonly strtab: ArmSmmuStrtabCfg = { strtab: 0, numL1Ents: 0, l1Desc: null, baseLo: 0, baseHi: 0, baseCfg: 0 };
  /** `smmu->streams`: the StreamID tree, kept as an array sorted by id (same lookups, deterministic order). */
  readonly streams: ArmSmmuStream[] = [];
  /** v4.x per-SMMU ASID bitmap (`asid_map`). */
  readonly asidMap = new Set<number>();
  /** `smmu->iommu`. */
  readonly iommu: IommuDevice;
  readonly #devm: DevmFrame[] = [];
  /**
   * A command batch no caller holds, reused by the next `arm_smmu_cmdq_batch` user (the kernel's batch lives on the
   * stack; this spares an allocation per invalidation). Taken and given back by `cmdq.ts`; null while in use.
   * @internal
   */
  spareBatch: CmdqBatchSlot | null = null;

  constructor(ctx: ArmSmmuV3Context, dev: Device, base: PhysAddr, iommuName: string) {
    this.ctx = ctx;
    this.dev = dev;
    this.base = base;
    this.page1 = base + ARM_SMMU_PAGE1_OFFSET;
    const q = (entDwords: number): ArmSmmuQueue => ({
      maxNShift: 0,
      entDwords,
      base: 0,
      qBaseLo: 0,
      qBaseHi: 0,
      prod: 0,
      cons: 0,
      prodReg: 0,
      consReg: 0,
      irq: 0,
    });
    this.cmdq = q(2);
    this.evtq = q(4);
    this.priq = q(2);
    this.iommu = { name: iommuName, dev, ops: null, fwnode: null };
  }

  /** `readl_relaxed(smmu->base + off)`; a bus error reads as all ones, as on real hardware. */
  readl(off: number): number {
    return this.ctx.mmio.read32(this.base + off) >>> 0;
  }
  /** `writel_relaxed(val, smmu->base + off)`. */
  writel(val: number, off: number): void {
    this.ctx.mmio.write32(this.base + off, val >>> 0);
  }
  /** `writeq_relaxed(lo | hi << 32, smmu->base + off)`. */
  writeq(lo: number, hi: number, off: number): void {
    this.ctx.mmio.write64(this.base + off, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
  }
  /** `readl(addr)` at an absolute register address (queue PROD/CONS registers). */
  readReg(pa: PhysAddr): number {
    return this.ctx.mmio.read32(pa) >>> 0;
  }
  /** `writel(val, addr)` at an absolute register address. */
  writeReg(pa: PhysAddr, val: number): void {
    this.ctx.mmio.write32(pa, val >>> 0);
  }

  /** `dev_<level>(smmu->dev, ...)`. */
  log(level: LogLevel, text: string): void {
    devPrintk(this.ctx.trace, level, this.dev, driverFile(this.ctx.era), text);
  }

  /** `dmam_alloc_coherent`: zeroed, naturally aligned memory owned by the device until unbind. */
  dmamAlloc(size: number, owner: string): PhysAddr | null {
    const align = Math.max(0x1000, pow2Ceil(size));
    const pa = this.ctx.frames.alloc(size, owner, align);
    if (pa !== null) this.#devm.push({ pa, owner });
    return pa;
  }

  /** Frees a single devm allocation (`dmam_free_coherent`). */
  dmamFree(pa: PhysAddr): void {
    const i = this.#devm.findIndex((d) => d.pa === pa);
    if (i < 0) return;
    this.#devm.splice(i, 1);
    this.ctx.frames.free(pa);
  }

  /** devres release: frees every devm allocation, newest first (probe failure or unbind). */
  devresRelease(): void {
    for (let d = this.#devm.pop(); d !== undefined; d = this.#devm.pop()) this.ctx.frames.free(d.pa);
  }

  /** Outstanding devm allocations (for leak accounting and tests). */
  get devmFrames(): readonly { readonly pa: PhysAddr; readonly owner: string }[] {
    return this.#devm;
  }

  /** `arm_smmu_find_master(smmu, sid)`: binary search of the stream tree. */
  findStream(sid: number): ArmSmmuStream | undefined {
    const i = this.streamIndex(sid);
    const s = this.streams[i];
    return s !== undefined && s.id === sid ? s : undefined;
  }

  /** The index where `sid` is or would be inserted. */
  streamIndex(sid: number): number {
    let lo = 0;
    let hi = this.streams.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.streams[mid] as ArmSmmuStream).id < sid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function pow2Ceil(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
