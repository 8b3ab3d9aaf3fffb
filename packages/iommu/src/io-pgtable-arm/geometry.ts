/**
 * Page-table geometry for the ARM LPAE formats: which granule, how many levels, how big the PGD is, and the per-level
 * shifts, index masks and block sizes the walkers use.
 */
import type { IoPgtableEra } from "./types";

const SZ_4K = 0x1000n;
const SZ_16K = 0x4000n;
const SZ_64K = 0x1_0000n;
const SZ_2M = 0x20_0000n;
const SZ_32M = 0x200_0000n;
const SZ_512M = 0x2000_0000n;
const SZ_1G = 0x4000_0000n;

/** Number of levels an LPAE walk can have (levels 0..3). */
export const ARM_LPAE_MAX_LEVELS = 4;

/** Largest IAS/OAS this model accepts (LPA/52-bit output is not modelled). */
export const ARM_LPAE_MAX_ADDR_BITS = 48;

/**
 * Restricts a page-size bitmap to one translation granule and that granule's block sizes: the CPU page size if
 * offered, else the largest size below it, else the smallest above it. 0 when none of 4K/16K/64K results.
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_lpae_restrict_pgsizes
 */
export function restrictPgsizes(pgsizeBitmap: number, cpuPageSize: number): number {
  const bitmap = BigInt(pgsizeBitmap);
  const page = BigInt(cpuPageSize);
  const below = bitmap & (page - 1n);
  const above = bitmap & ~(page - 1n);
  let granule = 0n;
  if ((bitmap & page) !== 0n) granule = page;
  else if (below !== 0n) granule = 1n << BigInt(below.toString(2).length - 1);
  else if (above !== 0n) granule = above & -above;
  switch (granule) {
    case SZ_4K:
      return Number(bitmap & (SZ_4K | SZ_2M | SZ_1G));
    case SZ_16K:
      return Number(bitmap & (SZ_16K | SZ_32M));
    case SZ_64K:
      return Number(bitmap & (SZ_64K | SZ_512M));
    default:
      return 0;
  }
}

/** The shape of one set of LPAE tables (`struct arm_lpae_io_pgtable` geometry fields). */
export interface ArmLpaeGeometry {
  readonly pgShift: number;
  readonly granule: number;
  readonly bitsPerLevel: number;
  readonly levels: number;
  readonly startLevel: number;
  readonly pgdBits: number;
  readonly pgdSize: number;
  /** Entries in a granule-sized table. */
  readonly ptesPerTable: number;
  /** `2^LVL_SHIFT(l)` per level 0..3: the IOVA divisor that brings level l's index bits to the bottom. */
  readonly levelDiv: readonly number[];
  /** Index mask per level; at the start level it reflects the PGD (see {@link computeGeometry}). */
  readonly levelMask: readonly number[];
  /** Bytes mapped by one entry at each level (`ARM_LPAE_BLOCK_SIZE`). */
  readonly blockSize: readonly number[];
}

/**
 * Geometry from the restricted bitmap and IAS, per `arm_lpae_alloc_pgtable`: `pg_shift = ffs(bitmap)`,
 * `bits_per_level = pg_shift - 3`, `levels = ceil((ias - pg_shift) / bits_per_level)`, PGD of
 * `2^(pgd_bits + 3)` bytes. The start-level index mask is `bits_per_level` wide in v4.4 (whose `ARM_LPAE_PGD_IDX` only
 * widens it for concatenated PGDs) and `pgd_bits` wide in modern kernels; the two differ only for IOVAs beyond the IAS,
 * which modern kernels reject before walking.
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_lpae_alloc_pgtable
 */
export function computeGeometry(pgsizeBitmap: number, ias: number, era: IoPgtableEra): ArmLpaeGeometry | null {
  if (pgsizeBitmap <= 0) return null;
  const pgShift = Math.log2(pgsizeBitmap & -pgsizeBitmap);
  const bitsPerLevel = pgShift - 3;
  const vaBits = ias - pgShift;
  if (vaBits <= 0) return null;
  const levels = Math.ceil(vaBits / bitsPerLevel);
  if (levels > ARM_LPAE_MAX_LEVELS) return null;
  const startLevel = ARM_LPAE_MAX_LEVELS - levels;
  const pgdBits = vaBits - bitsPerLevel * (levels - 1);
  const levelDiv: number[] = [];
  const levelMask: number[] = [];
  const blockSize: number[] = [];
  for (let l = 0; l < ARM_LPAE_MAX_LEVELS; l++) {
    const shift = (ARM_LPAE_MAX_LEVELS - l) * bitsPerLevel + 3;
    levelDiv.push(2 ** shift);
    blockSize.push(2 ** shift);
    const bits = l === startLevel && era.pteBits === "modern" ? pgdBits : bitsPerLevel;
    levelMask.push(2 ** bits - 1);
  }
  return {
    pgShift,
    granule: 2 ** pgShift,
    bitsPerLevel,
    levels,
    startLevel,
    pgdBits,
    pgdSize: 2 ** (pgdBits + 3),
    ptesPerTable: 2 ** bitsPerLevel,
    levelDiv,
    levelMask,
    blockSize,
  };
}
