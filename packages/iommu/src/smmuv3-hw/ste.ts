/**
 * Stream Table Entry decode (smmuv3-model.md §2.3, §2.5 step 2): a pure function over the STE's sixteen 32-bit words
 * (word 2n = dword n bits [31:0], word 2n+1 = bits [63:32]).
 *
 * @see hw/arm/smmuv3.c decode_ste
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h STRTAB_STE_*
 */

/**
 * The STE's view of stage 1 when Config = 0b101 (S1 translate, S2 bypass).
 *
 * @see hw/arm/smmuv3-internal.h STE_CONFIG, STE_S1FMT, STE_CTXPTR
 */
export interface SteStage1 {
  readonly kind: "s1";
  /** S1ContextPtr, bits [51:6]: the CD (S1CDMax = 0) or the CD table. */
  readonly contextPtr: number;
  /** S1Fmt: 0 linear CD table, 1 2-level with 4K leaves, 2 2-level with 64K leaves. */
  readonly s1Fmt: number;
  /** S1CDMax: log2 of the number of CDs (0 = one CD, no substreams). */
  readonly s1CdMax: number;
  /** S1DSS: 0 terminate, 1 bypass, 2 use SSID 0, for transactions without a SubstreamID. */
  readonly s1Dss: number;
  /** EATS: 0 ATS disabled, 1 full ATS, 2 split-stage ATS. */
  readonly eats: number;
  /** STRW: 0 NS-EL1, 2 EL2. */
  readonly strw: number;
  /** MEV: merge events. */
  readonly mev: boolean;
}

/**
 * A decoded STE. Config 0b0xx → abort (no event), 0b100 → bypass, 0b101 → stage 1.
 *
 * @see hw/arm/smmuv3.c decode_ste
 */
export type DecodedSte =
  | { readonly kind: "abort" }
  | { readonly kind: "bypass"; readonly eats: number }
  | SteStage1;

/**
 * Why an STE is ILLEGAL: the transaction aborts with C_BAD_STE.
 *
 * @see hw/arm/smmuv3.c decode_ste (bad_ste)
 */
export interface BadSte {
  readonly field: string;
  readonly message: string;
}

/** What the SMMU implements, as far as STE validity depends on it. */
export interface SteFeatures {
  /** IDR0.S2P. The model implements stage 1 only, so this is false. */
  readonly stage2: boolean;
  /** IDR1.SSIDSIZE. */
  readonly ssidBits: number;
}

/** Result of {@link decodeSte}. */
export type SteDecodeResult = { readonly ok: true; readonly value: DecodedSte } | { readonly ok: false; readonly error: BadSte };

const bad = (field: string, message: string): SteDecodeResult => ({ ok: false, error: { field, message } });

/** Word `i` of an STE/CD image, unsigned (missing words read as 0). */
function w(words: ArrayLike<number>, i: number): number {
  return (words[i] ?? 0) >>> 0;
}

/**
 * Decodes an STE with QEMU's validity rules (C_BAD_STE on V = 0, stage 2 when S2P = 0, S1STALLD set), plus the
 * architectural S1CDMax rules: S1CDMax must be 0 when IDR1.SSIDSIZE = 0 (QEMU rejects any S1CDMax != 0, the same
 * thing with SSIDSIZE = 0), at most SSIDSIZE otherwise, and S1Fmt / S1DSS reserved encodings are ILLEGAL.
 *
 * @see hw/arm/smmuv3.c decode_ste
 */
export function decodeSte(words: ArrayLike<number>, features: SteFeatures): SteDecodeResult {
  const w0 = w(words, 0);
  const w1 = w(words, 1);
  const w2 = w(words, 2);
  if ((w0 & 1) === 0) return bad("V", "STE.V = 0");
  const config = (w0 >>> 1) & 7;
  if ((config & 4) === 0) return { ok: true, value: { kind: "abort" } };
  const eats = (w2 >>> 28) & 3;
  if (config === 4) return { ok: true, value: { kind: "bypass", eats } };
  if ((config & 2) !== 0 && !features.stage2) {
    return bad("Config", `STE.Config = 0b${config.toString(2)} needs stage 2, which this SMMU does not implement`);
  }
  const s1CdMax = (w1 >>> 27) & 0x1f;
  if (s1CdMax > features.ssidBits) {
    return bad("S1CDMax", `STE.S1CDMax = ${s1CdMax} exceeds IDR1.SSIDSIZE = ${features.ssidBits}`);
  }
  if ((w2 >>> 27) & 1) return bad("S1STALLD", "STE.S1STALLD = 1 on an SMMU without stall support");
  const s1Fmt = (w0 >>> 4) & 3;
  const s1Dss = w2 & 3;
  if (s1CdMax !== 0) {
    if (s1Fmt === 3) return bad("S1Fmt", "STE.S1Fmt = 0b11 is reserved");
    if (s1Dss === 3) return bad("S1DSS", "STE.S1DSS = 0b11 is reserved");
  }
  // S1ContextPtr[51:6]: word0 bits [31:6] and word1 bits [19:0].
  const contextPtr = (w1 & 0xfffff) * 0x1_0000_0000 + ((w0 & ~0x3f) >>> 0);
  return {
    ok: true,
    value: {
      kind: "s1",
      contextPtr,
      s1Fmt,
      s1CdMax,
      s1Dss,
      eats,
      strw: (w2 >>> 30) & 3,
      mev: ((w2 >>> 19) & 1) === 1,
    },
  };
}
