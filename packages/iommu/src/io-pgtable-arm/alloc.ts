/**
 * `alloc_io_pgtable_ops(ARM_64_LPAE_S1, cfg, cookie)`: validate the configuration the way the kernel does, derive the
 * geometry and the stage-1 registers, and allocate the PGD.
 */
import { LpaeCore } from "./core";
import { ARM_LPAE_MAX_ADDR_BITS, computeGeometry, restrictPgsizes } from "./geometry";
import { makeArmLpaeOps } from "./arm-lpae";
import { IoPgtableQuirk } from "./prot";
import { packTcr, s1Mair, s1Tcr } from "./regs";
import type {
  IoPgtableAllocErrorCode,
  IoPgtableAllocResult,
  IoPgtableCfg,
  IoPgtableDeps,
  IoPgtableFormat,
  IoPgtableResolvedCfg,
} from "./types";

/** Quirks `arm_64_lpae_alloc_pgtable_s1` accepts (v4.4: ARM_NS only). TTBR1 is a real quirk this model leaves out. */
const QUIRKS_V44 = IoPgtableQuirk.ARM_NS;
const QUIRKS_MODERN =
  IoPgtableQuirk.ARM_NS | IoPgtableQuirk.ARM_OUTER_WBWA | IoPgtableQuirk.ARM_HD | IoPgtableQuirk.NO_WARN;

/** The smallest start-level table the SMMU accepts: modern kernels allocate at least 64 bytes. */
const MIN_PGD_ALLOC = 64;

function fail(code: IoPgtableAllocErrorCode, message: string): IoPgtableAllocResult {
  return { ok: false, error: { code, message } };
}

function isCount(x: number, max: number): boolean {
  return Number.isSafeInteger(x) && x >= 0 && x <= max;
}

/**
 * Allocates ARM LPAE stage-1 page tables in simulated RAM and returns their ops, with `cfg.s1` holding the TCR, MAIR
 * and TTBR the SMMU driver programs into a context descriptor. Fails (as the kernel returns NULL) for an unsupported
 * format, quirk, page-size bitmap, IAS or OAS, or when no frame is left for the PGD.
 *
 * Geometry: the bitmap is restricted to one granule (the CPU page size preferred), then
 * `levels = ceil((ias - pg_shift) / (pg_shift - 3))`, walk start level `4 - levels`, PGD of
 * `2^(ias - pg_shift - (levels - 1)(pg_shift - 3) + 3)` bytes (allocated as a whole frame).
 *
 * @example
 * const r = allocIoPgtable("ARM_64_LPAE_S1",
 *   { pgsizeBitmap: 0x40201000, ias: 48, oas: 48, quirks: 0, coherentWalk: true,
 *     era: { splitBlockOnUnmap: true, pteBits: "modern" } },
 *   { memory, frames, tlb: makeNoopIoPgtableTlbOps() });
 * if (r.ok) r.value.map(0x1000, 0x8000_0000, 0x1000, IommuProt.IOMMU_READ | IommuProt.IOMMU_WRITE);
 *
 * @see drivers/iommu/io-pgtable-arm.c arm_64_lpae_alloc_pgtable_s1
 * @see drivers/iommu/io-pgtable.c alloc_io_pgtable_ops
 */
export function allocIoPgtable(fmt: IoPgtableFormat, cfg: IoPgtableCfg, deps: IoPgtableDeps): IoPgtableAllocResult {
  if (fmt !== "ARM_64_LPAE_S1") return fail("bad-config", `format ${String(fmt)} is not modelled`);
  const cpuPageSize = cfg.cpuPageSize ?? 0x1000;
  if (cpuPageSize !== 0x1000 && cpuPageSize !== 0x4000 && cpuPageSize !== 0x1_0000) {
    return fail("bad-config", `cpuPageSize ${cpuPageSize} is not 4K, 16K or 64K`);
  }
  if (!isCount(cfg.pgsizeBitmap, Number.MAX_SAFE_INTEGER) || !isCount(cfg.ias, 64) || !isCount(cfg.oas, 64)) {
    return fail("bad-config", "pgsizeBitmap, ias and oas must be non-negative integers (ias/oas at most 64)");
  }
  if (!isCount(cfg.quirks, 0xffff_ffff)) return fail("bad-config", "quirks must be a 32-bit flag set");
  const era = cfg.era;
  const modern = era.pteBits === "modern";
  const allowed = modern ? QUIRKS_MODERN : QUIRKS_V44;
  if ((cfg.quirks & ~allowed) !== 0) {
    return fail("quirks-unsupported", `quirks 0x${(cfg.quirks & ~allowed).toString(16)} not supported for S1`);
  }
  if (modern && cfg.coherentWalk && (cfg.quirks & IoPgtableQuirk.ARM_OUTER_WBWA) !== 0) {
    return fail("quirks-unsupported", "ARM_OUTER_WBWA makes no sense for a coherent walker");
  }
  const pgsizeBitmap = restrictPgsizes(cfg.pgsizeBitmap, cpuPageSize);
  if ((pgsizeBitmap & (0x1000 | 0x4000 | 0x1_0000)) === 0) {
    return fail("bad-pgsize", `no 4K, 16K or 64K granule in 0x${cfg.pgsizeBitmap.toString(16)}`);
  }
  // Modern kernels clamp IAS/OAS to what the granule can address (48 bits here: LPA is not modelled).
  const ias = modern ? Math.min(cfg.ias, ARM_LPAE_MAX_ADDR_BITS) : cfg.ias;
  const oas = modern ? Math.min(cfg.oas, ARM_LPAE_MAX_ADDR_BITS) : cfg.oas;
  if (ias > ARM_LPAE_MAX_ADDR_BITS) return fail("ias-unsupported", `IAS ${ias} > ${ARM_LPAE_MAX_ADDR_BITS}`);
  if (oas > ARM_LPAE_MAX_ADDR_BITS) return fail("oas-unsupported", `OAS ${oas} > ${ARM_LPAE_MAX_ADDR_BITS}`);
  const geo = computeGeometry(pgsizeBitmap, ias, era);
  if (geo === null) return fail("ias-unsupported", `IAS ${ias} leaves no index bits above the granule`);
  const tcr = s1Tcr(geo.granule, ias, oas, cfg.coherentWalk, cfg.quirks, era);
  if (tcr === null) return fail("oas-unsupported", `OAS ${oas} has no IPS encoding`);

  const core = new LpaeCore(deps, geo, era, { pgsizeBitmap, ias, oas, quirks: cfg.quirks, coherentWalk: cfg.coherentWalk });
  const pgd = core.allocTable(modern ? Math.max(geo.pgdSize, MIN_PGD_ALLOC) : geo.pgdSize, geo.startLevel);
  if (pgd < 0) return fail("no-memory", "no frame left for the PGD");
  core.pgd = pgd;

  const resolved: IoPgtableResolvedCfg = {
    ...cfg,
    cpuPageSize,
    pgsizeBitmap,
    ias,
    oas,
    fmt,
    granule: geo.granule,
    levels: geo.levels,
    startLevel: geo.startLevel,
    bitsPerLevel: geo.bitsPerLevel,
    pgdSize: geo.pgdSize,
    s1: { tcr, tcrReg: packTcr(tcr), mair: s1Mair(era), ttbr: pgd },
  };
  return { ok: true, value: makeArmLpaeOps(core, resolved) };
}
