/**
 * Context Descriptor decode (smmuv3-model.md §2.4, §2.5 step 5): a pure function over the CD's sixteen 32-bit words.
 *
 * @see hw/arm/smmuv3.c decode_cd
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h CTXDESC_CD_*
 */
import { oasBits } from "./config";

/**
 * One translation table half (TTB0 or TTB1) of a CD.
 *
 * @see include/hw/arm/smmu-common.h SMMUTransTableInfo
 */
export interface CdTranslationTable {
  /** EPDx = 1: walks through this half fault. Its `tsz` is then 0, as in QEMU, which `select_tt` relies on. */
  readonly disabled: boolean;
  /** TxSZ (16..39), 0 when disabled. */
  readonly tsz: number;
  /** Granule shift: 12 (4K), 14 (16K) or 16 (64K); 0 when disabled. */
  readonly granuleShift: number;
  /** TTBx, bits [51:4]. */
  readonly ttb: number;
  /** HADx: APTable bits are ignored. */
  readonly had: boolean;
}

/**
 * A decoded, valid CD.
 *
 * @see hw/arm/smmuv3.c decode_cd
 */
export interface DecodedCd {
  readonly asid: number;
  /** Effective output size in bits: min(IPS, IDR5.OAS), capped at 48 unless every enabled half uses 64K. */
  readonly oas: number;
  /** AFFD: an access flag of 0 is treated as 1. */
  readonly affd: boolean;
  /** R: record F_TRANSLATION / F_ADDR_SIZE / F_ACCESS / F_PERMISSION (they abort regardless). */
  readonly recordFaults: boolean;
  /** TBI0 | TBI1 << 1. */
  readonly tbi: number;
  readonly tt: readonly [CdTranslationTable, CdTranslationTable];
}

/**
 * Why a CD is ILLEGAL: the transaction aborts with C_BAD_CD.
 *
 * @see hw/arm/smmuv3.c decode_cd (bad_cd)
 */
export interface BadCd {
  readonly field: string;
  readonly message: string;
}

/** Result of {@link decodeCd}. */
export type CdDecodeResult = { readonly ok: true; readonly value: DecodedCd } | { readonly ok: false; readonly error: BadCd };

/** What the SMMU implements, as far as CD validity depends on it. */
export interface CdFeatures {
  /** IDR5.OAS in bits. */
  readonly oas: number;
  /** IDR5.GRAN16K. */
  readonly gran16k: boolean;
  /** IDR0.ASID16: with 8-bit ASIDs only ASID[7:0] is used. */
  readonly asid16: boolean;
}

const bad = (field: string, message: string): CdDecodeResult => ({ ok: false, error: { field, message } });

const DISABLED: CdTranslationTable = Object.freeze({ disabled: true, tsz: 0, granuleShift: 0, ttb: 0, had: false });

/** TG0 encoding → granule shift (0 = reserved). */
function tg0Shift(tg: number): number {
  return tg === 0 ? 12 : tg === 1 ? 16 : tg === 2 ? 14 : 0;
}
/** TG1 encoding → granule shift (it differs from TG0: 1 = 16K, 2 = 4K, 3 = 64K). */
function tg1Shift(tg: number): number {
  return tg === 1 ? 14 : tg === 2 ? 12 : tg === 3 ? 16 : 0;
}

/** Word `i` of the image, unsigned. */
function w(words: ArrayLike<number>, i: number): number {
  return (words[i] ?? 0) >>> 0;
}

/**
 * Decodes a CD with QEMU's C_BAD_CD rules, in QEMU's order: V = 0 or AA64 = 0; A = 0 (IDR0.TERM_MODEL = 1 requires
 * it); S = 1 (no stall); HA or HD (no HTTU); then per enabled half: TxSZ outside [16, 39], an unsupported granule,
 * ENDI = 1, TTBx beyond the effective IPS.
 *
 * @see hw/arm/smmuv3.c decode_cd
 */
export function decodeCd(words: ArrayLike<number>, features: CdFeatures): CdDecodeResult {
  const w0 = w(words, 0);
  const w1 = w(words, 1);
  if (((w0 >>> 31) & 1) === 0) return bad("V", "CD.V = 0");
  if (((w1 >>> 9) & 1) === 0) return bad("AA64", "CD.AA64 = 0 (AArch32 tables are not supported)");
  if (((w1 >>> 14) & 1) === 0) return bad("A", "CD.A = 0 but IDR0.TERM_MODEL = 1 requires aborts");
  if (((w1 >>> 12) & 1) === 1) return bad("S", "CD.S = 1 on an SMMU without stall support");
  if (((w1 >>> 10) & 3) !== 0) return bad("HA/HD", "CD.HA or CD.HD set on an SMMU without HTTU");

  const ipsBits = oasBits(w1 & 7);
  let oas = Math.min(ipsBits, features.oas);
  const endi = ((w0 >>> 15) & 1) === 1;
  const halves: CdTranslationTable[] = [];
  for (let i = 0; i < 2; i++) {
    const epd = i === 0 ? (w0 >>> 14) & 1 : (w0 >>> 30) & 1;
    if (epd === 1) {
      halves.push(DISABLED);
      continue;
    }
    const tsz = i === 0 ? w0 & 0x3f : (w0 >>> 16) & 0x3f;
    if (tsz < 16 || tsz > 39) return bad(`T${i}SZ`, `CD.T${i}SZ = ${tsz} outside [16, 39]`);
    const tg = i === 0 ? (w0 >>> 6) & 3 : (w0 >>> 22) & 3;
    const g = i === 0 ? tg0Shift(tg) : tg1Shift(tg);
    if (g === 0 || (g === 14 && !features.gran16k)) return bad(`TG${i}`, `CD.TG${i} = ${tg} is not a supported granule`);
    if (endi) return bad("ENDI", "CD.ENDI = 1 (big-endian tables) on a little-endian-only SMMU");
    // TTB0 is dword1 [51:4] = words 2,3; TTB1 is dword2 [51:4] = words 4,5.
    const lo = w(words, 2 + 2 * i);
    const hi = w(words, 3 + 2 * i);
    const ttb = (hi & 0xfffff) * 0x1_0000_0000 + ((lo & ~0xf) >>> 0);
    halves.push({ disabled: false, tsz, granuleShift: g, ttb, had: ((lo >>> 1) & 1) === 1 });
  }
  // QEMU caps the output size at 48 bits for 4K/16K granules (52-bit needs LPA2 there).
  const h0 = halves[0] ?? DISABLED;
  const h1 = halves[1] ?? DISABLED;
  if ((!h0.disabled && h0.granuleShift !== 16) || (!h1.disabled && h1.granuleShift !== 16)) oas = Math.min(oas, 48);
  for (let i = 0; i < 2; i++) {
    const h = i === 0 ? h0 : h1;
    if (!h.disabled && h.ttb >= 2 ** oas) {
      return bad(`TTB${i}`, `CD.TTB${i} = 0x${h.ttb.toString(16)} beyond the ${oas}-bit IPS`);
    }
  }
  const asidField = w1 >>> 16;
  return {
    ok: true,
    value: {
      asid: features.asid16 ? asidField : asidField & 0xff,
      oas,
      affd: ((w1 >>> 3) & 1) === 1,
      recordFaults: ((w1 >>> 13) & 1) === 1,
      tbi: (w1 >>> 6) & 3,
      tt: [h0, h1],
    },
  };
}
