/**
 * The stage-1 translation registers io-pgtable computes for the IOMMU driver: TCR fields, MAIR and TTBR.
 */
import { IoPgtableQuirk } from "./prot";
import type { ArmLpaeS1Tcr, IoPgtableEra } from "./types";

const TCR_RGN_NC = 0;
const TCR_RGN_WBWA = 1;
const TCR_SH_OS = 2;
const TCR_SH_IS = 3;

const MAIR_ATTR_NC = 0x44;
const MAIR_ATTR_WBRWA = 0xff;
const MAIR_ATTR_DEVICE = 0x04;
/** Inner non-cacheable, outer write-back RWA: index 3, for system-cache (LLC) mappings (2019, ~v5.3). */
const MAIR_ATTR_INC_OWBRWA = 0xf4;

/** IPS encodings by output size (`ARM_LPAE_TCR_PS_*_BIT`). */
const IPS_BY_OAS: ReadonlyMap<number, number> = new Map([
  [32, 0],
  [36, 1],
  [40, 2],
  [42, 3],
  [44, 4],
  [48, 5],
]);

/** TG0 encodings by granule. */
const TG0_BY_GRANULE: ReadonlyMap<number, number> = new Map([
  [0x1000, 0],
  [0x1_0000, 1],
  [0x4000, 2],
]);

/**
 * Stage-1 TCR fields: T0SZ = 64 - IAS, TG0 from the granule, IPS from the OAS, and walk attributes. v4.4 always
 * uses SH=IS, IRGN0=ORGN0=WBWA and sets EPD1; modern kernels use those for a coherent walker and SH=OS with
 * non-cacheable walks otherwise (outer WBWA with the ARM_OUTER_WBWA quirk), and leave EPD1 to the SMMU driver.
 * `null` for an OAS with no IPS encoding (the kernel fails the allocation).
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_64_lpae_alloc_pgtable_s1
 */
export function s1Tcr(
  granule: number,
  ias: number,
  oas: number,
  coherentWalk: boolean,
  quirks: number,
  era: IoPgtableEra,
): ArmLpaeS1Tcr | null {
  const ips = IPS_BY_OAS.get(oas);
  const tg = TG0_BY_GRANULE.get(granule);
  if (ips === undefined || tg === undefined) return null;
  const v44 = era.pteBits === "v4.4";
  const coherent = v44 || coherentWalk;
  const outerWbwa = (quirks & IoPgtableQuirk.ARM_OUTER_WBWA) !== 0;
  return {
    tsz: 64 - ias,
    tg,
    irgn: coherent ? TCR_RGN_WBWA : TCR_RGN_NC,
    orgn: coherent || outerWbwa ? TCR_RGN_WBWA : TCR_RGN_NC,
    sh: coherent ? TCR_SH_IS : TCR_SH_OS,
    ips,
    epd1: v44,
  };
}

/** Packs TCR fields in the TCR_EL1 layout (T0SZ[5:0] IRGN0[9:8] ORGN0[11:10] SH0[13:12] TG0[15:14] EPD1[23] IPS[34:32]). */
export function packTcr(tcr: ArmLpaeS1Tcr): number {
  const lo = (tcr.tsz | (tcr.irgn << 8) | (tcr.orgn << 10) | (tcr.sh << 12) | (tcr.tg << 14) | (tcr.epd1 ? 1 << 23 : 0)) >>> 0;
  return tcr.ips * 0x1_0000_0000 + lo;
}

/**
 * MAIR: NC (0x44) at index 0, WBRWA (0xFF) at 1, Device-nGnRE (0x04) at 2 — 0x0004FF44 in v4.4. Modern kernels add
 * inner-NC/outer-WBRWA (0xF4) at index 3 (Vivek Gautam, "iommu/io-pgtable-arm: Add support to use system cache",
 * 2019): 0xF404FF44.
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_64_lpae_alloc_pgtable_s1
 */
export function s1Mair(era: IoPgtableEra): number {
  const base = MAIR_ATTR_NC | (MAIR_ATTR_WBRWA << 8) | (MAIR_ATTR_DEVICE << 16);
  return era.pteBits === "v4.4" ? base : base + MAIR_ATTR_INC_OWBRWA * 0x100_0000;
}
