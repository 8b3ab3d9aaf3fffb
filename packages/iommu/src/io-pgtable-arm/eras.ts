/**
 * Named io-pgtable-arm generations, for composing a kernel profile.
 */
import type { IoPgtableEra } from "./types";

/**
 * Era presets: `v4.4` (the 2016 file: v4.4 bits, v4.4 split), `v6.1` (modern bits, split on partial unmap, as every
 * kernel from v4.13 to v6.12), `v6.13` (modern bits; partial unmap of a block fails, commit 33729a5fc0ca).
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_lpae_split_blk_unmap
 */
export const ioPgtableEras = {
  "v4.4": { splitBlockOnUnmap: true, pteBits: "v4.4" },
  "v6.1": { splitBlockOnUnmap: true, pteBits: "modern" },
  "v6.13": { splitBlockOnUnmap: false, pteBits: "modern" },
} as const satisfies Record<string, IoPgtableEra>;
