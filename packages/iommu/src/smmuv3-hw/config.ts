/**
 * Build-time configuration of the SMMUv3 model: what the ID registers advertise, and which of QEMU's deviations from
 * the architecture (smmuv3-model.md §9) the model reproduces.
 *
 * The defaults reproduce QEMU 7.2's `-M virt,iommu=smmuv3`, because the real-kernel oracle (Debian's 6.1 kernel in
 * `shared/fixtures/qemu-boots`) ran on QEMU 7.2. The ID register values are those of smmuv3-model.md §1.2.
 */

/**
 * Switches for the places where QEMU's SMMUv3 departs from the architecture (smmuv3-model.md §9). `true` means "do what
 * QEMU does". {@link QEMU_COMPAT} sets them all; {@link SPEC_COMPAT} clears them all.
 */
export interface SmmuV3Compat {
  /**
   * §9.1: record C_BAD_STREAMID whatever CR2.RECINVSID says (QEMU). Off: only when RECINVSID = 1 (SPEC §7.3.3).
   * @see hw/arm/smmuv3.c smmu_find_ste
   */
  readonly recordBadStreamIdAlways: boolean;
  /**
   * §9.2: a 2-level L2 index is bounded by `2^Span - 1` and an overrun is C_BAD_STE (QEMU). Off: the bound is
   * `2^(Span-1) - 1`, Span > SPLIT+1 is invalid too, and both give C_BAD_STREAMID (SPEC §7.3.3).
   */
  readonly l2BoundQemu: boolean;
  /**
   * §9.3: a full event queue raises GERROR.EVENTQ_ABT_ERR (QEMU). Off: the record is discarded and EVENTQ_PROD.OVFLG
   * toggles unless an overflow is already pending (SPEC §7.4).
   * @see hw/arm/smmuv3.c smmuv3_record_event
   */
  readonly eventqFullRaisesGerror: boolean;
  /** §9.7: STRTAB_BASE_CFG.FMT = 1 latches 2-level mode until reset (QEMU). Off: FMT is honoured on every write. */
  readonly latchTwoLevel: boolean;
  /**
   * §9.7: queue bases are masked to bits [51:6] (QEMU applies the stream-table mask). Off: [51:5], and the base is
   * aligned down to the queue size as the spec says the low ADDR bits are ignored.
   */
  readonly queueBaseMask64: boolean;
  /** §5.2/§9.4: block descriptors are accepted at any level below 3 (QEMU). Off: only 4K L1/L2, 16K L2, 64K L2. */
  readonly blockAtAnyLevel: boolean;
  /** §9.4: the output address size is checked on the final output only (QEMU). Off: table addresses are checked too. */
  readonly addrSizeFinalOnly: boolean;
  /**
   * QEMU checks APTable[1] only while walking for a write, and caches the leaf's AP alone, so after a read fills the
   * IOTLB a write under an APTable[1] = 1 table succeeds. Off: the cached permission includes the table's.
   * @see hw/arm/smmu-common.c smmu_ptw_64_s1 (PTE_AP_TO_PERM)
   */
  readonly tlbIgnoresApTable: boolean;
  /**
   * QEMU 7.2 leaves CLASS = 0 in F_TRANSLATION / F_ADDR_SIZE / F_ACCESS / F_PERMISSION records (the real 6.1 boot logs
   * show `0x0000000000000000` as dword1 of an event 0x10). Off: CLASS = IN (0b10), as the spec defines for a fault
   * on the input address.
   */
  readonly translationFaultClassZero: boolean;
  /** §4.1: F_CD_FETCH's FetchAddr goes in dword2, the InputAddr slot (QEMU). Off: dword3 [55:3], like F_STE_FETCH. */
  readonly cdFetchAddrInDword2: boolean;
  /**
   * QEMU 7.2 (no stage 2) treats CMD_TLBI_S12_VMALL and CMD_TLBI_S2_IPA as no-ops. Off: CERROR_ILL when IDR0.S2P = 0,
   * as later QEMU does.
   */
  readonly s2CommandsNop: boolean;
  /**
   * QEMU does not check TLBI range encodings. Off: TG != 0 with TTL = NUM = SCALE = 0 is reserved and CERROR_ILL
   * (SPEC §4.4.1.1), and a range TLBI on an SMMU without IDR3.RIL is CERROR_ILL.
   */
  readonly lenientTlbiRange: boolean;
}

/** Every QEMU deviation on (the default). */
export const QEMU_COMPAT: SmmuV3Compat = Object.freeze({
  recordBadStreamIdAlways: true,
  l2BoundQemu: true,
  eventqFullRaisesGerror: true,
  latchTwoLevel: true,
  queueBaseMask64: true,
  blockAtAnyLevel: true,
  addrSizeFinalOnly: true,
  tlbIgnoresApTable: true,
  translationFaultClassZero: true,
  cdFetchAddrInDword2: true,
  s2CommandsNop: true,
  lenientTlbiRange: true,
});

/** Every QEMU deviation off: the architecture as smmuv3-model.md reads it. */
export const SPEC_COMPAT: SmmuV3Compat = Object.freeze({
  recordBadStreamIdAlways: false,
  l2BoundQemu: false,
  eventqFullRaisesGerror: false,
  latchTwoLevel: false,
  queueBaseMask64: false,
  blockAtAnyLevel: false,
  addrSizeFinalOnly: false,
  tlbIgnoresApTable: false,
  translationFaultClassZero: false,
  cdFetchAddrInDword2: false,
  s2CommandsNop: false,
  lenientTlbiRange: false,
});

/** The resolved configuration of one SMMUv3 instance. */
export interface SmmuV3Config {
  /** IDR1.SIDSIZE: StreamID bits (QEMU 16). */
  readonly sidBits: number;
  /**
   * IDR1.SSIDSIZE: SubstreamID bits. QEMU has 0 (no substreams; S1CDMax != 0 is then C_BAD_STE). A non-zero value
   * enables the minimal substream model (linear and 2-level CD tables, S1DSS), needed for F_STREAM_DISABLED.
   */
  readonly ssidBits: number;
  /** IDR0.ST_LEVEL = 1: 2-level stream tables supported (QEMU yes). */
  readonly twoLevelStreamTable: boolean;
  /** IDR3.RIL: range invalidation (QEMU yes). */
  readonly rangeInvalidation: boolean;
  /** Output address size in bits, one of 32/36/40/42/44/48/52 → IDR5.OAS (QEMU 44). */
  readonly oas: number;
  /** IDR0.ASID16 (QEMU yes). */
  readonly asid16: boolean;
  /**
   * IDR5.GRAN16K. §1.2's reset value (0x74) advertises it; QEMU 7.2 itself had only 4K/64K (IDR5 = 0x54) and rejected
   * a 16K CD as C_BAD_CD. Linux on 4K pages never uses 16K, so the default follows §1.2.
   */
  readonly gran16k: boolean;
  /** IDR0.ATS (QEMU no). Without it every ATS-translated transaction is checked and EATS is treated as 0. */
  readonly ats: boolean;
  /** IDR1.CMDQS (QEMU 19). */
  readonly cmdqLog2Size: number;
  /** IDR1.EVENTQS (QEMU 19). */
  readonly eventqLog2Size: number;
  /** Which QEMU deviations to reproduce. */
  readonly compat: SmmuV3Compat;
}

/** What {@link resolveSmmuV3Config} accepts: any subset, with `compat` as a preset name or a partial override. */
export type SmmuV3ConfigInput = Partial<Omit<SmmuV3Config, "compat">> & {
  readonly compat?: "qemu" | "spec" | Partial<SmmuV3Compat>;
};

/**
 * OAS in bits → IDR5.OAS encoding.
 *
 * @see hw/arm/smmuv3-internal.h oas2bits (the inverse mapping)
 */
export const OAS_ENCODING: Readonly<Record<number, number>> = Object.freeze({
  32: 0,
  36: 1,
  40: 2,
  42: 3,
  44: 4,
  48: 5,
  52: 6,
});

/**
 * IDR5.OAS / CD.IPS encoding → bits (`oas2bits` in QEMU). Encoding 7 is reserved; the model reads it as 52.
 *
 * @see hw/arm/smmuv3-internal.h oas2bits
 */
export function oasBits(encoding: number): number {
  switch (encoding) {
    case 0:
      return 32;
    case 1:
      return 36;
    case 2:
      return 40;
    case 3:
      return 42;
    case 4:
      return 44;
    case 5:
      return 48;
    default:
      return 52;
  }
}

/**
 * Fills defaults (QEMU 7.2, §1.2) and validates. A bad configuration is a programming error of whoever builds the
 * board, so this throws a RangeError naming the field.
 */
export function resolveSmmuV3Config(input: SmmuV3ConfigInput = {}): SmmuV3Config {
  const compatIn = input.compat ?? "qemu";
  const compat: SmmuV3Compat =
    compatIn === "qemu" ? QEMU_COMPAT : compatIn === "spec" ? SPEC_COMPAT : { ...QEMU_COMPAT, ...compatIn };
  const cfg: SmmuV3Config = {
    sidBits: input.sidBits ?? 16,
    ssidBits: input.ssidBits ?? 0,
    twoLevelStreamTable: input.twoLevelStreamTable ?? true,
    rangeInvalidation: input.rangeInvalidation ?? true,
    oas: input.oas ?? 44,
    asid16: input.asid16 ?? true,
    gran16k: input.gran16k ?? true,
    ats: input.ats ?? false,
    cmdqLog2Size: input.cmdqLog2Size ?? 19,
    eventqLog2Size: input.eventqLog2Size ?? 19,
    compat,
  };
  checkInt("sidBits", cfg.sidBits, 0, 32);
  checkInt("ssidBits", cfg.ssidBits, 0, 20);
  checkInt("cmdqLog2Size", cfg.cmdqLog2Size, 0, 19);
  checkInt("eventqLog2Size", cfg.eventqLog2Size, 0, 19);
  if (OAS_ENCODING[cfg.oas] === undefined) throw new RangeError(`SMMUv3 config: oas ${cfg.oas} is not an OAS size`);
  return cfg;
}

function checkInt(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`SMMUv3 config: ${name} ${v} outside [${lo}, ${hi}]`);
  }
}
