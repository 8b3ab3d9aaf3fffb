/**
 * The SMMUv3 device: a register block for the MMIO space and a translate hook for the interconnect, programmed only
 * through registers and structures in simulated memory, as QEMU's `arm-smmuv3` is.
 *
 * @see hw/arm/smmuv3.c (QEMU 7.2 is the default behaviour; see `SmmuV3Compat` in config.ts)
 */
import type { IommuTranslateHook, MmioHandler, PhysicalMemoryPort, TranslateOutcome } from "@dmasim/machine";
import { resolveSmmuV3Config, type SmmuV3Config, type SmmuV3ConfigInput } from "./config";
import type { IotlbEntry } from "./iotlb";
import { readRegister32, readRegister64, writeRegister32, writeRegister64 } from "./register-file";
import type { SmmuV3IdRegisters } from "./registers";
import { SmmuV3State, type SmmuV3Counters } from "./state";
import type { DecodedSte } from "./ste";
import type { SmmuTraceSink, SmmuV3Irqs } from "./trace";
import { translate, translateFull, type SmmuV3Transaction } from "./translate";

/** What {@link createSmmuV3} takes. */
export interface SmmuV3Options {
  /** The device's name in traces (Linux's, e.g. `"9050000.smmuv3"`). */
  readonly name: string;
  /** Memory as the SMMU sees it when it fetches tables and queues. */
  readonly memory: PhysicalMemoryPort;
  /** ID register and compat choices; QEMU 7.2 when omitted. */
  readonly config?: SmmuV3ConfigInput;
  /** Wired interrupt lines. */
  readonly irq?: SmmuV3Irqs;
  /** Trace sink; when absent tracing costs nothing. */
  readonly trace?: SmmuTraceSink;
}

/** A queue's registers and effective geometry. */
export interface SmmuV3QueueSnapshot {
  readonly base: bigint;
  readonly log2size: number;
  readonly prod: number;
  readonly cons: number;
}

/** Register values, for tests and reports. 64-bit registers are bigints. */
export interface SmmuV3RegisterSnapshot extends SmmuV3IdRegisters {
  readonly cr0: number;
  readonly cr0ack: number;
  readonly cr1: number;
  readonly cr2: number;
  readonly gbpa: number;
  readonly irqCtrl: number;
  readonly gerror: number;
  readonly gerrorn: number;
  readonly strtabBase: bigint;
  readonly strtabBaseCfg: number;
  /** 2-level stream table in effect, and its latched SPLIT. */
  readonly twoLevel: boolean;
  readonly sidSplit: number;
  readonly cmdq: SmmuV3QueueSnapshot;
  readonly eventq: SmmuV3QueueSnapshot;
}

/**
 * One cached stream configuration, as introspection shows it.
 *
 * @see hw/arm/smmuv3.c smmuv3_get_config (the per-device configuration cache)
 */
export interface SmmuV3ConfigCacheEntry {
  readonly sid: number;
  readonly steAddr: number;
  readonly ste: DecodedSte;
  readonly asid: number | null;
  readonly cdAddr: number | null;
}

/**
 * The model: an MMIO register block, an IOMMU translate hook, and read-only introspection.
 *
 * @see include/hw/arm/smmuv3.h struct SMMUv3State
 */
export interface SmmuV3 extends MmioHandler, IommuTranslateHook {
  readonly name: string;
  readonly config: SmmuV3Config;
  /** Translates one DMA transaction of a master behind this SMMU. Never throws. */
  translate(txn: SmmuV3Transaction): TranslateOutcome;
  /** Current register values. */
  registers(): SmmuV3RegisterSnapshot;
  /** StreamIDs with a cached configuration. */
  readonly configCacheSize: number;
  /** IOTLB entries held. */
  readonly iotlbSize: number;
  /** Cached configurations, by StreamID. */
  configCache(): SmmuV3ConfigCacheEntry[];
  /** IOTLB entries, by (ASID, IOVA, level). */
  iotlb(): (Omit<IotlbEntry, "lastIova" | "lastOutcome"> & { readonly asid: number })[];
  /** Running counts (config/IOTLB hits and misses, events, commands). */
  readonly counters: Readonly<SmmuV3Counters>;
}

const join = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/**
 * Creates an SMMUv3 at reset. Register it with `MmioSpace.register(name, base, SMMU_MMIO_SIZE, smmu)` and hand it to
 * the interconnect as the translate hook of the masters behind it.
 *
 * @remarks Behaviour is QEMU 7.2's `arm-smmuv3` (stage 1 only, wired IRQs, synchronous command consumption, IOTLB
 * keyed by ASID/IOVA/TG/level with a 256-entry cap), with the §9 deviations switchable through `config.compat`.
 * Where the model knowingly goes beyond QEMU 7.2: GBPA is implemented as later QEMU does (7.2 read it as zero and
 * ignored writes; with the reset value, ABORT = 0, both bypass when SMMUEN = 0); CMD_SYNC with CS = 0b11 is
 * CERROR_ILL (the spec; QEMU ignores CS = 3); the AF and output-size checks follow the later QEMU walker the notes
 * describe; SubstreamIDs and ATS-translated transactions, which QEMU cannot receive, get minimal architectural
 * handling (C_BAD_SUBSTREAMID, F_STREAM_DISABLED, F_TRANSL_FORBIDDEN); a malformed transaction is F_UUT.
 *
 * @example
 * const smmu = createSmmuV3({ name: "9050000.smmuv3", memory });
 * mmio.register("smmuv3", 0x9050000, SMMU_MMIO_SIZE, smmu);
 *
 * @see hw/arm/smmuv3.c smmu_realize, smmuv3_init_regs
 */
export function createSmmuV3(options: SmmuV3Options): SmmuV3 {
  return createSmmuV3WithPaths(options, true);
}

/**
 * {@link createSmmuV3}, optionally without the translate hot path (every transaction through the full flow), so
 * tests can check that the hot path changes nothing. Internal: not exported from the package.
 */
export function createSmmuV3WithPaths(options: SmmuV3Options, hotPath: boolean): SmmuV3 {
  const config = resolveSmmuV3Config(options.config);
  const s = new SmmuV3State(options.name, options.memory, config, options.irq ?? {}, options.trace ?? null);
  return {
    name: options.name,
    config,
    read32: (offset) => readRegister32(s, offset) >>> 0,
    write32: (offset, value) => writeRegister32(s, offset, value),
    read64: (offset) => readRegister64(s, offset),
    write64: (offset, value) => writeRegister64(s, offset, value),
    translate: hotPath ? (txn) => translate(s, txn) : (txn) => translateFull(s, txn),
    registers: () => ({
      ...s.idr,
      cr0: s.cr0,
      cr0ack: s.cr0ack,
      cr1: s.cr1,
      cr2: s.cr2,
      gbpa: s.gbpa,
      irqCtrl: s.irqCtrl,
      gerror: s.gerror,
      gerrorn: s.gerrorn,
      strtabBase: join(s.strtabBaseLo, s.strtabBaseHi),
      strtabBaseCfg: s.strtabBaseCfg,
      twoLevel: s.twoLevel,
      sidSplit: s.sidSplit,
      cmdq: { base: join(s.cmdq.baseLo, s.cmdq.baseHi), log2size: s.cmdq.log2size, prod: s.cmdq.prod, cons: s.cmdq.cons },
      eventq: { base: join(s.eventq.baseLo, s.eventq.baseHi), log2size: s.eventq.log2size, prod: s.eventq.prod, cons: s.eventq.cons },
    }),
    get configCacheSize() {
      return s.configCache.size;
    },
    get iotlbSize() {
      return s.iotlb.size;
    },
    configCache: () =>
      [...s.configCache.values()]
        .map((c) => ({ sid: c.sid, steAddr: c.steAddr, ste: c.ste, asid: c.cd0?.cd.asid ?? null, cdAddr: c.cd0?.cdAddr ?? null }))
        .sort((a, b) => a.sid - b.sid),
    iotlb: () =>
      s.iotlb.entries().map((e) => ({ asid: e.asid, iova: e.iova, size: e.size, pa: e.pa, writable: e.writable, level: e.level, granuleShift: e.granuleShift })),
    counters: s.counters,
  };
}
