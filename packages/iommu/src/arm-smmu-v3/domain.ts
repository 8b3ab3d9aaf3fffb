/**
 * `struct arm_smmu_domain`: allocation, finalisation at first attach (io-pgtable ARM_64_LPAE_S1, an ASID, a
 * one-entry linear CD table), attach/detach (STE install through `arm_smmu_install_ste_for_dev`), context
 * descriptor writes, and freeing.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_domain_alloc, arm_smmu_domain_finalise,
 *   arm_smmu_attach_dev, arm_smmu_detach_dev, arm_smmu_write_ctx_desc, arm_smmu_domain_free
 */
import { devPrintk, Errno, type Device } from "@dmasim/driver-core";
import type { PhysAddr } from "@dmasim/machine";
import type { IommuDomain, IommuDomainGeometry, IommuDomainOps } from "../core/iommu-ops";
import { IommuDomainType } from "../core/iommu-ops";
import { allocIoPgtable, type IoPgtableOps } from "../io-pgtable-arm/index";
import { batchAdd, batchSubmit, CmdqBatch } from "./cmdq";
import { driverFile, type ArmSmmuV3Context } from "./context";
import type { ArmSmmuDevice, ArmSmmuMaster } from "./device";
import { ARM_SMMU_FEAT, CTXDESC_CD_DWORDS } from "./regs";
import { installSteForDev } from "./ste";
import { makeFlushOps, tlbInvContext } from "./tlb";

/** `struct arm_smmu_ctx_desc`: what CD 0 holds. `tcrLo`/`tcrHi` are the TCR-derived bits of CD dword 0. */
export interface ArmSmmuCtxDesc {
  asid: number;
  ttbr: PhysAddr;
  tcrLo: number;
  tcrHi: number;
  mairLo: number;
  mairHi: number;
}

/** `struct arm_smmu_s1_cfg`: the CD table (linear, 2^s1cdmax entries) and CD 0. */
export interface ArmSmmuS1Cfg {
  cdtab: PhysAddr;
  s1fmt: number;
  s1cdmax: number;
  readonly cd: ArmSmmuCtxDesc;
}

/**
 * `enum arm_smmu_domain_stage` (S1 is 0, the kzalloc default).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h enum arm_smmu_domain_stage
 */
export type ArmSmmuDomainStage = "s1" | "s2" | "nested" | "bypass";

/** CD dword 0 bits above the TCR fields. @see arm-smmu-v3.h CTXDESC_CD_0_* */
const CD0 = { EPD1: 1 << 30, V: 0x80000000, AA64_HI: 1 << 9, R_HI: 1 << 13, A_HI: 1 << 14, ASET_HI: 1 << 15, S_HI: 1 << 12 } as const;

/**
 * An arm-smmu-v3 domain. The core owns `type`, `id`, `pgsizeBitmap` and `iovaCookie` after allocation; the driver
 * narrows `pgsizeBitmap` and sets `geometry` when it finalises the domain.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h struct arm_smmu_domain
 */
export class ArmSmmuDomain implements IommuDomain {
  type: number;
  id = -1;
  ops: IommuDomainOps | null = null;
  pgsizeBitmap = 0;
  geometry: IommuDomainGeometry = { apertureStart: 0, apertureEnd: 0, forceAperture: false };
  iovaCookie: unknown = null;
  readonly ctx: ArmSmmuV3Context;
  /** `smmu_domain->smmu`: set at first attach. */
  smmu: ArmSmmuDevice | null = null;
  stage: ArmSmmuDomainStage = "s1";
  pgtblOps: IoPgtableOps | null = null;
  s1Cfg: ArmSmmuS1Cfg | null = null;
  stallEnabled = false;
  /** `smmu_domain->devices`: `list_add` puts each new master at the head. */
  readonly devices: ArmSmmuMaster[] = [];

  constructor(ctx: ArmSmmuV3Context, type: number) {
    this.ctx = ctx;
    this.type = type;
  }
}

/**
 * `arm_smmu_domain_alloc(type)`: UNMANAGED, DMA, DMA-FQ and (v4.11+) IDENTITY; anything else is NULL. Nothing is
 * set up until the first master attaches.
 */
export function armSmmuDomainAlloc(ctx: ArmSmmuV3Context, type: number, ops: IommuDomainOps): ArmSmmuDomain | null {
  const ok =
    type === IommuDomainType.UNMANAGED ||
    type === IommuDomainType.DMA ||
    (type === IommuDomainType.DMA_FQ && ctx.era.probePath === "probe_device") ||
    (type === IommuDomainType.IDENTITY && ctx.era.identityDomain);
  if (!ok) return null;
  const domain = new ArmSmmuDomain(ctx, type);
  // v4.x drivers reached domain ops through domain->ops = the iommu_ops; 6.1 leaves it to default_domain_ops.
  if (ctx.era.probePath === "add_device") domain.ops = ops;
  return domain;
}

/** Allocates an ASID: lowest free in [1, 2^bits) from the global xarray (6.1) or [0, 2^bits) per SMMU (v4.x). */
function allocAsid(smmu: ArmSmmuDevice, asidXa: Set<number>): number {
  const max = 2 ** smmu.asidBits;
  if (smmu.ctx.era.asidAllocator === "global-from-1") {
    for (let a = 1; a < max; a++) {
      if (!asidXa.has(a)) {
        asidXa.add(a);
        return a;
      }
    }
    return -Errno.EBUSY;
  }
  for (let a = 0; a < max; a++) {
    if (!smmu.asidMap.has(a)) {
      smmu.asidMap.add(a);
      return a;
    }
  }
  return -Errno.ENOSPC;
}

function freeAsid(smmu: ArmSmmuDevice, asidXa: Set<number>, asid: number): void {
  if (smmu.ctx.era.asidAllocator === "global-from-1") asidXa.delete(asid);
  else smmu.asidMap.delete(asid);
}

/** The CD's address (`arm_smmu_get_cd_ptr`, linear table). */
function cdPtr(s1: ArmSmmuS1Cfg, ssid: number): PhysAddr {
  return s1.cdtab + ssid * CTXDESC_CD_DWORDS * 8;
}

/**
 * `arm_smmu_sync_cd(domain, ssid, leaf)`: CFGI_CD for every StreamID of every master attached (newest master
 * first), then CMD_SYNC. Before the first master joins the list this is a lone CMD_SYNC.
 */
function syncCd(smmu: ArmSmmuDevice, domain: ArmSmmuDomain, ssid: number): void {
  const batch = new CmdqBatch();
  for (const master of domain.devices) {
    for (const s of master.streams) batchAdd(smmu, batch, { op: "CFGI_CD", sid: s.id, ssid, leaf: true });
  }
  batchSubmit(smmu, batch);
}

/**
 * `arm_smmu_write_ctx_desc(domain, 0, cd)` for a CD that is not live: 6.1 writes dword 1 (TTB0), dword 2 (0) and
 * dword 3 (MAIR), syncs, then dword 0 (TCR | EPD1 | AA64 | R | A | ASET | ASID | V) and syncs again. v4.x wrote
 * dword 0 first and did not invalidate (the STE install that follows does).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_write_ctx_desc
 */
export function writeCtxDesc(smmu: ArmSmmuDevice, domain: ArmSmmuDomain, ssid: number): void {
  const s1 = domain.s1Cfg;
  if (s1 === null) return;
  const cd = s1.cd;
  const mem = smmu.ctx.memory;
  const pa = cdPtr(s1, ssid);
  const d0lo = (cd.tcrLo | CD0.V) >>> 0;
  let d0hi = cd.tcrHi | CD0.AA64_HI | CD0.R_HI | CD0.A_HI | CD0.ASET_HI | ((cd.asid & 0xffff) << 16);
  if (domain.stallEnabled) d0hi |= CD0.S_HI;
  const ttbLo = (cd.ttbr % 0x1_0000_0000) & 0xfffffff0;
  const ttbHi = Math.floor(cd.ttbr / 0x1_0000_0000) & 0xfffff;
  const w = (off: number, lo: number, hi: number): void => {
    mem.write32(pa + off, lo >>> 0);
    mem.write32(pa + off + 4, hi >>> 0);
  };
  if (smmu.ctx.era.cdWrite === "unsynced") {
    w(0, d0lo, d0hi);
    w(8, ttbLo, ttbHi);
    w(24, cd.mairLo, cd.mairHi);
  } else {
    w(8, ttbLo, ttbHi);
    w(16, 0, 0);
    w(24, cd.mairLo, cd.mairHi);
    // The STE may be live and the SMMU may read the CD's dwords in any order: valid values before V=1.
    syncCd(smmu, domain, ssid);
    w(0, d0lo, d0hi);
    syncCd(smmu, domain, ssid);
  }
  smmu.ctx.trace.emit({ type: "arm-smmu-cd", smmu: smmu.dev.name, domain: domain.id, ssid, addr: pa, asid: cd.asid, ttbr: cd.ttbr });
}

/**
 * `arm_smmu_domain_finalise_s1`: ASID, a linear CD table of `2^s1cdmax` CDs (one: 64 bytes), CD 0 from the
 * io-pgtable configuration (6.1 writes it here; v4.x at every attach).
 */
function finaliseS1(smmu: ArmSmmuDevice, domain: ArmSmmuDomain, master: ArmSmmuMaster, pgtbl: IoPgtableOps, asidXa: Set<number>): number {
  const asid = allocAsid(smmu, asidXa);
  if (asid < 0) return asid;
  const s1cdmax = master.ssidBits;
  domain.stallEnabled = master.stallEnabled;
  const cdtab = smmu.dmamAlloc(2 ** s1cdmax * CTXDESC_CD_DWORDS * 8, "smmu-cd");
  if (cdtab === null) {
    freeAsid(smmu, asidXa, asid);
    return -Errno.ENOMEM;
  }
  const s1 = pgtbl.cfg.s1;
  const t = s1.tcr;
  domain.s1Cfg = {
    cdtab,
    s1fmt: 0,
    s1cdmax,
    cd: {
      asid,
      ttbr: s1.ttbr,
      // T0SZ [5:0] TG0 [7:6] IRGN0 [9:8] ORGN0 [11:10] SH0 [13:12] EPD1 [30]; IPS [34:32].
      tcrLo: (t.tsz & 0x3f) | ((t.tg & 3) << 6) | ((t.irgn & 3) << 8) | ((t.orgn & 3) << 10) | ((t.sh & 3) << 12) | CD0.EPD1,
      tcrHi: t.ips & 7,
      mairLo: s1.mair % 0x1_0000_0000 >>> 0,
      mairHi: Math.floor(s1.mair / 0x1_0000_0000) >>> 0,
    },
  };
  if (smmu.ctx.era.cdWrite === "synced") writeCtxDesc(smmu, domain, 0);
  return 0;
}

/**
 * `arm_smmu_domain_finalise(domain, master)`: identity → bypass stage; otherwise stage 1 (the only stage QEMU
 * offers; stage 2 is not modelled) with io-pgtable ARM_64_LPAE_S1 over ias = min(48 or 52 with VAX, VA_BITS),
 * oas = the SMMU's ias, the SMMU's page sizes (restricted by io-pgtable to the CPU page granule), coherent walks when
 * the SMMU is coherent. 0, -EINVAL (no usable stage) or -ENOMEM.
 */
export function armSmmuDomainFinalise(domain: ArmSmmuDomain, master: ArmSmmuMaster, asidXa: Set<number>): number {
  const smmu = master.smmu;
  if (domain.type === IommuDomainType.IDENTITY) {
    domain.stage = "bypass";
    return 0;
  }
  if ((smmu.features & ARM_SMMU_FEAT.TRANS_S1) === 0) domain.stage = "s2";
  if (domain.stage !== "s1") return -Errno.EINVAL;
  const vax = (smmu.features & ARM_SMMU_FEAT.VAX) !== 0;
  const ias = Math.min(vax ? 52 : 48, smmu.ctx.vaBits);
  const r = allocIoPgtable(
    "ARM_64_LPAE_S1",
    {
      pgsizeBitmap: smmu.pgsizeBitmap,
      ias,
      oas: smmu.ias,
      quirks: 0,
      coherentWalk: (smmu.features & ARM_SMMU_FEAT.COHERENCY) !== 0,
      era: smmu.ctx.ioPgtable,
      cpuPageSize: smmu.ctx.pageSize,
    },
    { memory: smmu.ctx.memory, frames: smmu.ctx.frames, tlb: makeFlushOps(smmu, domain), owner: "smmu-pgtable" },
  );
  if (!r.ok) return -Errno.ENOMEM;
  const pgtbl = r.value;
  domain.pgsizeBitmap = pgtbl.cfg.pgsizeBitmap;
  domain.geometry = { apertureStart: 0, apertureEnd: 2 ** pgtbl.cfg.ias - 1, forceAperture: true };
  const ret = finaliseS1(smmu, domain, master, pgtbl, asidXa);
  if (ret < 0) {
    pgtbl.free();
    return ret;
  }
  domain.pgtblOps = pgtbl;
  return 0;
}

/**
 * `arm_smmu_detach_dev(master)`: leave the domain's device list, forget the domain, and rewrite the master's STEs
 * (abort with `disable_bypass`, else bypass).
 */
export function armSmmuDetachDev(master: ArmSmmuMaster): void {
  const domain = master.domain;
  if (domain === null) return;
  const i = domain.devices.indexOf(master);
  if (i >= 0) domain.devices.splice(i, 1);
  master.domain = null;
  master.atsEnabled = false;
  installSteForDev(master);
}

/**
 * `arm_smmu_attach_dev(domain, dev)`: detach from the old domain, finalise the domain on its first attach (or refuse
 * a domain of another SMMU, or one with another SSID width or stall setting), then install the STEs and join the
 * domain's device list. 0 or a negative errno (-ENOENT without a fwspec/master).
 */
export function armSmmuAttachDev(domain: ArmSmmuDomain, dev: Device, master: ArmSmmuMaster | null, asidXa: Set<number>): number {
  if (master === null) return -Errno.ENOENT;
  const smmu = master.smmu;
  armSmmuDetachDev(master);
  if (domain.smmu === null) {
    domain.smmu = smmu;
    const ret = armSmmuDomainFinalise(domain, master, asidXa);
    if (ret !== 0) {
      domain.smmu = null;
      return ret;
    }
  } else if (domain.smmu !== smmu) {
    master.smmu.log("err", `cannot attach to SMMU ${domain.smmu.dev.name} (upstream of ${smmu.dev.name})`);
    return -Errno.ENXIO;
  } else if (domain.stage === "s1" && master.ssidBits !== domain.s1Cfg?.s1cdmax) {
    devLog(dev, master, `cannot attach to incompatible domain (${domain.s1Cfg?.s1cdmax ?? 0} SSID bits != ${master.ssidBits})`);
    return -Errno.EINVAL;
  } else if (domain.stage === "s1" && domain.stallEnabled !== master.stallEnabled) {
    devLog(dev, master, `cannot attach to stall-${domain.stallEnabled ? "enabled" : "disabled"} domain`);
    return -Errno.EINVAL;
  }
  master.domain = domain;
  if (domain.stage === "s1" && smmu.ctx.era.cdWrite === "unsynced") writeCtxDesc(smmu, domain, 0);
  installSteForDev(master);
  domain.devices.unshift(master);
  return 0;
}

/** `dev_err(dev, ...)` about the master (not the SMMU). */
function devLog(dev: Device, master: ArmSmmuMaster, text: string): void {
  devPrintk(master.smmu.ctx.trace, "err", dev, driverFile(master.smmu.ctx.era), text);
}

/**
 * `arm_smmu_domain_free`: `free_io_pgtable_ops` (which flushes the context's TLB first, then frees the tables),
 * then the CD table and the ASID.
 */
export function armSmmuDomainFree(domain: ArmSmmuDomain, asidXa: Set<number>): void {
  const smmu = domain.smmu;
  if (smmu !== null && domain.pgtblOps !== null) {
    tlbInvContext(smmu, domain);
    domain.pgtblOps.free();
  }
  domain.pgtblOps = null;
  if (smmu !== null && domain.s1Cfg !== null) {
    smmu.dmamFree(domain.s1Cfg.cdtab);
    freeAsid(smmu, asidXa, domain.s1Cfg.cd.asid);
    domain.s1Cfg = null;
  }
}
