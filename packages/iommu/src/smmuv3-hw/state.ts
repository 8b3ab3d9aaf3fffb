/**
 * The internal state of one SMMUv3: the register file, queue pointers, the configuration cache and the IOTLB.
 * Shared by the register, command-queue, event-queue and translation modules; not exported from the package.
 *
 * @see hw/arm/smmuv3.c SMMUv3State, smmuv3_init_regs
 */
import type { PhysicalMemoryPort } from "@dmasim/machine";
import type { DecodedCd } from "./cd";
import { emptyCommand, type CommandScratch } from "./commands";
import type { SmmuV3Config } from "./config";
import { Iotlb, type IotlbSpace } from "./iotlb";
import { resetQueue, type QueueState } from "./queues";
import { computeIdRegisters, GBPA, IRQ_CTRL, type SmmuV3IdRegisters } from "./registers";
import type { DecodedSte } from "./ste";
import type { SmmuHwEvent, SmmuTraceSink, SmmuV3Irqs } from "./trace";
import type { WalkTable } from "./walk";

/** A TTBx half ready for translation: the walk parameters plus the IOTLB space its entries live in. */
export interface RuntimeTable extends WalkTable {
  /** `null` for a disabled half. */
  readonly space: IotlbSpace | null;
  /** `2^(64 - TxSZ)`: input addresses below it are in TTB0's range (0 for a disabled half). */
  readonly limit: number;
}

/** A decoded CD with its two halves prepared. */
export interface TranslationContext {
  readonly cd: DecodedCd;
  readonly cdAddr: number;
  readonly tt0: RuntimeTable;
  readonly tt1: RuntimeTable;
}

/**
 * One cached stream configuration (QEMU `SMMUTransCfg`, cached per device): the STE and, for stage 1, the CD used by
 * transactions without a SubstreamID. CDs for SubstreamIDs are added lazily.
 */
export interface StreamConfig {
  readonly sid: number;
  readonly steAddr: number;
  readonly ste: DecodedSte;
  /** CD for non-substream traffic (S1CDMax = 0, or S1DSS = SSID0); `null` otherwise. */
  readonly cd0: TranslationContext | null;
  readonly bySsid: Map<number, TranslationContext>;
}

/** Running counts, for reports and benchmarks. */
export interface SmmuV3Counters {
  configHits: number;
  configMisses: number;
  iotlbHits: number;
  iotlbMisses: number;
  eventsRecorded: number;
  eventsLost: number;
  commands: number;
  capacityFlushes: number;
}

/** The mutable device. Fields mirror the registers they hold. */
export class SmmuV3State {
  readonly name: string;
  readonly memory: PhysicalMemoryPort;
  readonly config: SmmuV3Config;
  readonly idr: SmmuV3IdRegisters;
  readonly irq: SmmuV3Irqs;
  readonly trace: SmmuTraceSink | null;

  cr0 = 0;
  cr0ack = 0;
  cr1 = 0;
  cr2 = 0;
  gbpa: number = GBPA.RESET;
  irqCtrl = 0;
  gerror = 0;
  gerrorn = 0;
  gerrorIrqCfg0Lo = 0;
  gerrorIrqCfg0Hi = 0;
  gerrorIrqCfg1 = 0;
  gerrorIrqCfg2 = 0;
  eventqIrqCfg0Lo = 0;
  eventqIrqCfg0Hi = 0;
  eventqIrqCfg1 = 0;
  eventqIrqCfg2 = 0;
  strtabBaseLo = 0;
  strtabBaseHi = 0;
  strtabBaseCfg = 0;
  /** Latched SPLIT (QEMU `sid_split`). */
  sidSplit = 0;
  /** 2-level stream table in use (QEMU `SMMU_FEATURE_2LVL_STE`). */
  twoLevel = false;
  cmdq: QueueState;
  eventq: QueueState;

  readonly configCache = new Map<number, StreamConfig>();
  /** One-entry front of {@link SmmuV3State.configCache} (DMA comes in bursts from one master); -1 when empty. */
  lastSid = -1;
  lastConfig: StreamConfig | undefined = undefined;
  readonly iotlb = new Iotlb();
  /** The command being executed (decoded in place: command consumption allocates nothing per command). */
  readonly command: CommandScratch = emptyCommand();
  readonly counters: SmmuV3Counters = {
    configHits: 0,
    configMisses: 0,
    iotlbHits: 0,
    iotlbMisses: 0,
    eventsRecorded: 0,
    eventsLost: 0,
    commands: 0,
    capacityFlushes: 0,
  };

  constructor(name: string, memory: PhysicalMemoryPort, config: SmmuV3Config, irq: SmmuV3Irqs, trace: SmmuTraceSink | null) {
    this.name = name;
    this.memory = memory;
    this.config = config;
    this.idr = computeIdRegisters(config);
    this.irq = irq;
    this.trace = trace;
    this.cmdq = resetQueue(config.cmdqLog2Size);
    this.eventq = resetQueue(config.eventqLog2Size);
  }

  /** Emits a trace event if a sink is attached. */
  emit(event: SmmuHwEvent): void {
    this.trace?.emit(event);
  }

  /** Pulses a wired IRQ line (and traces it). */
  pulse(line: "eventq" | "gerror" | "cmd-sync"): void {
    this.emit({ type: "smmu-irq", smmu: this.name, line });
    if (line === "eventq") this.irq.eventq?.();
    else if (line === "gerror") this.irq.gerror?.();
    else this.irq.cmdSync?.();
  }

  /**
   * Raises GERROR bits with the toggle protocol (smmuv3-model.md §1.6): only bits not already active toggle, and the
   * GERROR IRQ pulses if any did and IRQ_CTRL.GERROR_IRQEN is set.
   * @see hw/arm/smmuv3.c smmuv3_trigger_irq (SMMU_IRQ_GERROR)
   */
  raiseGerror(mask: number): void {
    const pending = this.gerror ^ this.gerrorn;
    const fresh = ~pending & mask;
    if (fresh === 0) return;
    this.gerror = (this.gerror ^ fresh) >>> 0;
    this.emit({ type: "smmu-gerror", smmu: this.name, change: "raised", bits: fresh, gerror: this.gerror, gerrorn: this.gerrorn });
    if ((this.irqCtrl & IRQ_CTRL.GERROR_IRQEN) !== 0) this.pulse("gerror");
  }
}
