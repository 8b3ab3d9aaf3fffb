import { describe, expect, it } from "vitest";
import { computeGeometry, restrictPgsizes } from "./geometry";

const SZ_4K = 0x1000;
const SZ_16K = 0x4000;
const SZ_64K = 0x1_0000;
const SZ_2M = 0x20_0000;
const SZ_32M = 0x200_0000;
const SZ_512M = 0x2000_0000;
const SZ_1G = 0x4000_0000;

describe("restrictPgsizes (arm_lpae_restrict_pgsizes)", () => {
  it("prefers the CPU page size, then the largest size below it, then the smallest above it", () => {
    const all = SZ_4K | SZ_16K | SZ_64K | SZ_2M | SZ_32M | SZ_512M | SZ_1G;
    expect(restrictPgsizes(all, SZ_4K)).toBe(SZ_4K | SZ_2M | SZ_1G);
    expect(restrictPgsizes(all, SZ_16K)).toBe(SZ_16K | SZ_32M);
    expect(restrictPgsizes(SZ_4K | SZ_64K | SZ_512M, SZ_16K)).toBe(SZ_4K);
    expect(restrictPgsizes(SZ_64K | SZ_512M | SZ_1G, SZ_4K)).toBe(SZ_64K | SZ_512M);
  });

  it("drops sizes of other granules and yields 0 when no granule is left", () => {
    expect(restrictPgsizes(SZ_4K | SZ_32M, SZ_4K)).toBe(SZ_4K);
    expect(restrictPgsizes(0x800 | SZ_2M, SZ_4K)).toBe(0);
    expect(restrictPgsizes(0, SZ_4K)).toBe(0);
    // Sizes above 2^31 do not confuse the bit tests.
    expect(restrictPgsizes(2 ** 39 + SZ_4K + SZ_1G, SZ_4K)).toBe(SZ_4K | SZ_1G);
  });
});

describe("computeGeometry", () => {
  const v44 = { splitBlockOnUnmap: true, pteBits: "v4.4" } as const;
  const modern = { splitBlockOnUnmap: false, pteBits: "modern" } as const;

  it("derives levels, start level and block sizes (4K, 48-bit)", () => {
    expect(computeGeometry(SZ_4K | SZ_2M | SZ_1G, 48, v44)).toMatchObject({
      pgShift: 12,
      bitsPerLevel: 9,
      levels: 4,
      startLevel: 0,
      pgdBits: 9,
      pgdSize: 4096,
      blockSize: [2 ** 39, SZ_1G, SZ_2M, SZ_4K],
    });
  });

  it("indexes the start level with the PGD's bits in modern kernels and a full level in v4.4", () => {
    // 4K, IAS 32: three levels from level 1, a 4-entry PGD.
    expect(computeGeometry(SZ_4K, 32, modern)?.levelMask[1]).toBe(3);
    expect(computeGeometry(SZ_4K, 32, v44)?.levelMask[1]).toBe(511);
  });

  it("refuses an IAS that leaves no index bits", () => {
    expect(computeGeometry(SZ_4K, 12, modern)).toBeNull();
    expect(computeGeometry(SZ_64K, 16, modern)).toBeNull();
  });
});
