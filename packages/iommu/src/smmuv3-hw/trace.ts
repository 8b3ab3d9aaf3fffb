/**
 * Trace events of the SMMUv3 hardware model. Plain JSON-serialisable objects discriminated on `type`, naming the SMMU
 * by its name. Register writes of interest, every command, CFGI and TLBI effects, events, GERROR changes, IRQ pulses
 * and aborted transactions are traced; successful translations are not (too hot).
 */

/** Where an event the SMMU raised ended up. */
export type SmmuEventDisposition =
  /** Written to the event queue. */
  | "queued"
  /** A stage-1 fault with CD.R = 0 (or C_BAD_STREAMID with CR2.RECINVSID = 0 in spec mode): not recorded. */
  | "not-recorded"
  /** CR0.EVENTQEN = 0: dropped silently. */
  | "eventq-disabled"
  /** Queue full, QEMU behaviour: dropped and GERROR.EVENTQ_ABT_ERR raised. */
  | "queue-full-gerror"
  /** Queue full, spec behaviour: dropped, EVENTQ_PROD.OVFLG toggled (or already pending). */
  | "overflow"
  /** Writing the record to memory aborted: GERROR.EVENTQ_ABT_ERR. */
  | "write-abort";

/** Everything the model traces. */
export type SmmuHwEvent =
  | {
      readonly type: "smmu-reg-write";
      readonly smmu: string;
      readonly reg: string;
      readonly offset: number;
      /** Hex, since 64-bit values (STRTAB_BASE with RA) exceed 2^53. */
      readonly value: string;
    }
  | {
      readonly type: "smmu-cmd";
      readonly smmu: string;
      /** CMDQ_CONS index the command was read from. */
      readonly index: number;
      readonly opcode: number;
      readonly name: string;
      readonly fields: Readonly<Record<string, number | boolean>>;
    }
  | {
      readonly type: "smmu-cmd-error";
      readonly smmu: string;
      readonly index: number;
      readonly opcode: number | null;
      readonly name: string | null;
      readonly error: "CERROR_ILL" | "CERROR_ABT";
      readonly message: string;
    }
  | {
      readonly type: "smmu-cfgi";
      readonly smmu: string;
      readonly command: string;
      /** StreamID range invalidated (inclusive). */
      readonly first: number;
      readonly last: number;
      /** Cached configurations dropped, by StreamID. */
      readonly dropped: readonly number[];
    }
  | {
      readonly type: "smmu-tlbi";
      readonly smmu: string;
      readonly command: string;
      readonly dropped: readonly { readonly asid: number; readonly iova: number; readonly size: number; readonly level: number }[];
    }
  | { readonly type: "smmu-iotlb-flush"; readonly smmu: string; readonly reason: "capacity"; readonly dropped: number }
  | {
      readonly type: "smmu-event";
      readonly smmu: string;
      readonly id: number;
      readonly name: string;
      readonly sid: number;
      readonly ssid: number | null;
      readonly inputAddr: number | null;
      /** FetchAddr of F_STE_FETCH / F_CD_FETCH / F_WALK_EABT. */
      readonly fetchAddr: number | null;
      readonly access: "read" | "write" | null;
      readonly disposition: SmmuEventDisposition;
      readonly message: string;
    }
  | {
      readonly type: "smmu-abort";
      readonly smmu: string;
      readonly sid: number;
      readonly iova: number;
      readonly access: "read" | "write";
      /** Silent aborts: `"ste-abort"` (STE.Config = abort) or `"gbpa-abort"` (SMMUEN = 0, GBPA.ABORT = 1). */
      readonly reason: "ste-abort" | "gbpa-abort";
    }
  | {
      readonly type: "smmu-gerror";
      readonly smmu: string;
      readonly change: "raised" | "acknowledged";
      /** Bits that became active (raised) or were acknowledged. */
      readonly bits: number;
      readonly gerror: number;
      readonly gerrorn: number;
    }
  | { readonly type: "smmu-irq"; readonly smmu: string; readonly line: "eventq" | "gerror" | "cmd-sync" };

/** Where the model sends trace events (structurally the driver-core `TraceSink<SmmuHwEvent>`). */
export interface SmmuTraceSink {
  emit(event: SmmuHwEvent): void;
}

/**
 * The wired interrupt lines (IDR0.MSI = 0). Each call is one pulse.
 *
 * @see hw/arm/smmuv3.c smmuv3_trigger_irq
 */
export interface SmmuV3Irqs {
  /** Event queue written (if IRQ_CTRL.EVENTQ_IRQEN). */
  eventq?(): void;
  /** New GERROR bits (if IRQ_CTRL.GERROR_IRQEN). */
  gerror?(): void;
  /** CMD_SYNC with CS = IRQ completed. */
  cmdSync?(): void;
}
