/**
 * TLB maintenance of a stage-1 domain: the `iommu_flush_ops` handed to io-pgtable and the `iotlb_sync` /
 * `flush_iotlb_all` domain ops, as CMD_TLBI_NH_VA (range-encoded with FEAT_RANGE_INV), CMD_TLBI_NH_ASID and
 * CMD_SYNC.
 *
 * Two generations: `"gather"` (v5.x+: leaf invalidations gathered and issued by `iotlb_sync`, walk flushes
 * synchronous) and `"immediate"` (v4.x: `tlb_add_flush` issues one TLBI per granule at once, io-pgtable's
 * `tlb_sync` issues the CMD_SYNC).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c __arm_smmu_tlb_inv_range, arm_smmu_tlb_inv_context
 */
import type { IommuIotlbGather, IoPgtableTlbOps } from "../io-pgtable-arm/index";
import type { ArmSmmuCmdqEnt } from "./cmd";
import { batchAddTlbiVa, batchGet, batchPut, batchSubmit, issueCmd, issueCmdWithSync, issueSync } from "./cmdq";
import type { ArmSmmuDevice } from "./device";
import type { ArmSmmuDomain } from "./domain";
import { ARM_SMMU_FEAT, CMDQ_TLBI_RANGE_NUM_MAX } from "./regs";

/** `__ffs(x)` for a positive safe integer (no 32-bit truncation). */
export function ffs(x: number): number {
  // 32-bit values (every page count and bitmap short of 4 GiB of pages): count trailing zeros with clz32.
  if (x > 0 && x <= 0xffffffff) return 31 - Math.clz32((x & -x) >>> 0);
  let n = 0;
  let v = x;
  while (v % 2 === 0 && v > 0) {
    v /= 2;
    n++;
  }
  return n;
}

function asidOf(domain: ArmSmmuDomain): number {
  return domain.s1Cfg?.cd.asid ?? 0;
}

/**
 * `arm_smmu_tlb_inv_context` (`tlb_flush_all`): CMD_TLBI_NH_ASID (EL2_ASID with E2H) + CMD_SYNC for a stage-1
 * domain. ATS is not modelled, so `arm_smmu_atc_inv_domain` has nothing to do.
 */
export function tlbInvContext(smmu: ArmSmmuDevice, domain: ArmSmmuDomain): void {
  const asid = asidOf(domain);
  const ent: ArmSmmuCmdqEnt =
    (smmu.features & ARM_SMMU_FEAT.E2H) !== 0 ? { op: "TLBI_EL2_ASID", asid } : { op: "TLBI_NH_ASID", asid, vmid: 0 };
  issueCmdWithSync(smmu, ent);
}

/**
 * `arm_smmu_tlb_inv_range_domain(iova, size, granule, leaf, domain)` → `__arm_smmu_tlb_inv_range`: with
 * FEAT_RANGE_INV each command covers `NUM+1 × 2^SCALE` pages of the leaf granule (TG from the domain's smallest
 * page, TTL from the granule's level), 5 bits of the remaining page count at a time; without it, one command per
 * granule. Commands are batched and the batch ends with a CMD_SYNC.
 */
export function tlbInvRangeDomain(smmu: ArmSmmuDevice, domain: ArmSmmuDomain, iova: number, size: number, granule: number, leaf: boolean): void {
  if (size === 0) return;
  const e2h = (smmu.features & ARM_SMMU_FEAT.E2H) !== 0;
  const range = (smmu.features & ARM_SMMU_FEAT.RANGE_INV) !== 0;
  const end = iova + size;
  // The command being built (`struct arm_smmu_cmdq_ent cmd`): one object, updated per command as the C loop does.
  const cmd = { asid: asidOf(domain), vmid: 0, leaf, addr: iova, num: 0, scale: 0, ttl: 0, tg: 0 };
  let tg = 0;
  let numPages = 0;
  if (range) {
    tg = ffs(domain.pgsizeBitmap);
    cmd.tg = (tg - 10) / 2;
    cmd.ttl = 4 - Math.floor((ffs(granule) - 3) / (tg - 3));
    numPages = Math.floor(size / pow2(tg));
  }
  const batch = batchGet(smmu);
  let addr = iova;
  while (addr < end) {
    let invRange = granule;
    if (range) {
      if (numPages === 0) break;
      const scale = ffs(numPages);
      const num = Math.floor(numPages / pow2(scale)) % (CMDQ_TLBI_RANGE_NUM_MAX + 1);
      cmd.scale = scale;
      cmd.num = num - 1;
      invRange = num * pow2(scale + tg);
      numPages -= num * pow2(scale);
    }
    cmd.addr = addr;
    batchAddTlbiVa(smmu, batch, e2h, cmd);
    addr += invRange;
  }
  batchSubmit(smmu, batch);
  batchPut(smmu, batch);
}

/** `1 << n` for 0 <= n < 53, exact beyond 32 bits. */
function pow2(n: number): number {
  return n < 31 ? 1 << n : 2 ** n;
}

/** `iommu_iotlb_gather_init`. */
function gatherInit(gather: IommuIotlbGather): void {
  gather.start = Number.MAX_SAFE_INTEGER;
  gather.end = 0;
  gather.pgsize = 0;
  gather.queued = false;
}

/**
 * `arm_smmu_iotlb_sync`: invalidate the gathered range (leaf) and wait. Nothing when no page was gathered.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_iotlb_sync
 */
export function iotlbSync(domain: ArmSmmuDomain, gather: IommuIotlbGather): void {
  const smmu = domain.smmu;
  if (smmu === null || gather.pgsize === 0) return;
  tlbInvRangeDomain(smmu, domain, gather.start, gather.end - gather.start + 1, gather.pgsize, true);
}

/**
 * `iommu_iotlb_gather_add_page(domain, gather, iova, size)`: a page of another size, or one not adjacent to the
 * gathered range, first syncs what was gathered (`iommu_iotlb_sync`), then the page joins the range.
 *
 * @see include/linux/iommu.h iommu_iotlb_gather_add_page
 */
export function gatherAddPage(domain: ArmSmmuDomain, gather: IommuIotlbGather, iova: number, size: number): void {
  const end = iova + size - 1;
  const disjoint = gather.end !== 0 && (end + 1 < gather.start || iova > gather.end + 1);
  if ((gather.pgsize !== 0 && gather.pgsize !== size) || disjoint) {
    iotlbSync(domain, gather);
    gatherInit(gather);
  }
  gather.pgsize = size;
  if (gather.start > iova) gather.start = iova;
  if (gather.end < end) gather.end = end;
}

/** v4.x `arm_smmu_tlb_inv_range_nosync`: one TLBI_NH_VA per granule of `[iova, iova + size)`, no sync. */
function tlbInvRangeNosync(smmu: ArmSmmuDevice, domain: ArmSmmuDomain, iova: number, size: number, granule: number, leaf: boolean): void {
  const asid = asidOf(domain);
  for (let addr = iova; addr < iova + size; addr += granule) {
    issueCmd(smmu, { op: "TLBI_NH_VA", asid, vmid: 0, leaf, addr, num: 0, scale: 0, ttl: 0, tg: 0 });
  }
}

/**
 * The `iommu_flush_ops` of a finalised domain (`arm_smmu_flush_ops`), for the era's TLB generation.
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_flush_ops
 */
export function makeFlushOps(smmu: ArmSmmuDevice, domain: ArmSmmuDomain): IoPgtableTlbOps {
  if (smmu.ctx.era.tlb === "immediate") {
    return {
      tlbFlushAll: () => tlbInvContext(smmu, domain),
      tlbFlushWalk: (iova, size, granule) => tlbInvRangeNosync(smmu, domain, iova, size, granule, false),
      tlbAddPage: (_gather, iova, granule) => tlbInvRangeNosync(smmu, domain, iova, granule, granule, true),
      tlbSync: () => {
        issueSync(smmu);
      },
    };
  }
  return {
    tlbFlushAll: () => tlbInvContext(smmu, domain),
    // Unfortunately, this can't be leaf-only since we may have zapped an entire table.
    tlbFlushWalk: (iova, size, granule) => tlbInvRangeDomain(smmu, domain, iova, size, granule, false),
    tlbAddPage: (gather, iova, granule) => gatherAddPage(domain, gather, iova, granule),
  };
}
