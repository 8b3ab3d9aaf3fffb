/**
 * Era switches of the arm-smmu-v3 driver: the places where the file changed between the kernel generations dmasim
 * composes (v4.7, v4.12, v6.1). Everything not listed behaves as 6.1 in every era (see the driver README).
 */

/**
 * How the largest queue size is capped (`max_n_shift = min(cap, IDRx.QS)`).
 *
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_device_hw_probe
 */
export type ArmSmmuQueueCaps =
  /**
   * v5.4+: `Q_MAX_SZ_SHIFT = PAGE_SHIFT + CONFIG_CMA_ALIGNMENT` bytes per queue, so the cap in entries is
   * `Q_MAX_SZ_SHIFT - log2(entry bytes)`: Debian's 6.1 (4K pages, CMA alignment 8) gives 20 → cmdq 2^16, evtq 2^15.
   */
  | { readonly kind: "bytes"; readonly qMaxSzShift: number }
  /** v4.x: fixed entry caps `CMDQ_MAX_SZ_SHIFT` 8, `EVTQ_MAX_SZ_SHIFT` 7, `PRIQ_MAX_SZ_SHIFT` 8. */
  | { readonly kind: "entries"; readonly cmdq: number; readonly evtq: number; readonly priq: number };

/** The driver's switches for one kernel generation. */
export interface ArmSmmuV3Era {
  readonly name: string;
  readonly queueCaps: ArmSmmuQueueCaps;
  /** `arm_smmu_init_one_queue` prints "allocated %u entries for %s" (v5.4+). */
  readonly logQueueAllocation: boolean;
  /** `disable_bypass` module parameter default: false in v4.7–v4.12, true in 6.1. */
  readonly disableBypassDefault: boolean;
  /** `ops->add_device`/`remove_device` (v4.x) or `probe_device`/`release_device` (v5.8+). */
  readonly probePath: "add_device" | "probe_device";
  /**
   * The per-SMMU StreamID tree: `"none"` (v4.x: masters keep their SIDs, two masters may share one silently),
   * `"strict"` (v5.14 cdf315f907d4 "Maintain a SID->device structure": any duplicate → -EINVAL, "stream %u already in
   * tree"), `"stable-dup-fix"` (b00d24997a11, backported to 6.1.y: a master's own duplicate is skipped and the warning
   * names the other device: "stream %u already in tree from dev %s").
   */
  readonly streamTree: "none" | "strict" | "stable-dup-fix";
  /** `IOMMU_DOMAIN_IDENTITY` domains (bypass STEs) are supported (v4.11+). */
  readonly identityDomain: boolean;
  /**
   * TLB maintenance: `"immediate"` (v4.x: `tlb_add_flush` issues one TLBI per granule at once, io-pgtable calls
   * `tlb_sync` → CMD_SYNC) or `"gather"` (v5.x+: leaf pages gathered, `iotlb_sync` invalidates the range + SYNC).
   */
  readonly tlb: "immediate" | "gather";
  /** IDR3.RIL is probed and range TLBIs are used (v5.7+). */
  readonly rangeInvalidation: boolean;
  /** CR2.E2H written unconditionally (v4.x … v5.10); later only with FEAT_E2H. */
  readonly cr2E2hAlways: boolean;
  /**
   * Abort/bypass STE writes are followed by CFGI_STE + SYNC even when the old STE was not live ("the SMMU can
   * perform negative caching", v4.13+). v4.7 synced only a live STE.
   */
  readonly syncNonLiveSte: boolean;
  /** CMD_SYNC carries MSH = ISH and MSIAttr = OIWB (v4.16+). */
  readonly cmdSyncAttrs: boolean;
  /** ASID allocation: per SMMU from 0 (`arm_smmu_bitmap_alloc`, v4.x) or global from 1 (`arm_smmu_asid_xa`, v5.9+). */
  readonly asidAllocator: "per-smmu-from-0" | "global-from-1";
  /** `arm_smmu_evtq_thread` logs through `__ratelimit` (10 per 5 s) and asks `arm_smmu_handle_evt` first (v5.13+). */
  readonly evtqHandleAndRatelimit: boolean;
  /** Domain ops use `map_pages`/`unmap_pages` (v5.15+) rather than `map`/`unmap`. */
  readonly mapPages: boolean;
  /**
   * CD writes: `"synced"` (v5.x+ `arm_smmu_write_ctx_desc`: dwords 1–3, CFGI_CD + SYNC, dword 0, CFGI_CD + SYNC) or
   * `"unsynced"` (v4.x: dword 0 first, then 1 and 3, no invalidation: "we'll invalidate the STE when installing").
   */
  readonly cdWrite: "synced" | "unsynced";
  /**
   * `get_resv_regions` reports the software MSI window (MSI_IOVA_BASE, 1 MiB) for iommu-dma to map doorbells into
   * (v4.11+, with the IOMMU MSI support).
   */
  readonly swMsiRegion: boolean;
  /**
   * `def_domain_type` forces an identity domain on the HiSilicon PCIe tune-and-trace device (19e5:a12e), which can
   * only use identity mappings (6.1).
   */
  readonly hisiPttIdentity: boolean;
}

/**
 * The eras dmasim composes.
 *
 * @see drivers/iommu/arm-smmu-v3.c (v4.7, v4.12)
 * @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c (v6.1 with the 6.1.y stable backports Debian 6.1.192 carries)
 */
export const ARM_SMMU_V3_ERAS = {
  "v4.7": {
    name: "v4.7",
    queueCaps: { kind: "entries", cmdq: 8, evtq: 7, priq: 8 },
    logQueueAllocation: false,
    disableBypassDefault: false,
    probePath: "add_device",
    streamTree: "none",
    identityDomain: false,
    tlb: "immediate",
    rangeInvalidation: false,
    cr2E2hAlways: true,
    syncNonLiveSte: false,
    cmdSyncAttrs: false,
    asidAllocator: "per-smmu-from-0",
    evtqHandleAndRatelimit: false,
    mapPages: false,
    cdWrite: "unsynced",
    swMsiRegion: false,
    hisiPttIdentity: false,
  },
  "v4.12": {
    name: "v4.12",
    queueCaps: { kind: "entries", cmdq: 8, evtq: 7, priq: 8 },
    logQueueAllocation: false,
    disableBypassDefault: false,
    probePath: "add_device",
    streamTree: "none",
    identityDomain: true,
    tlb: "immediate",
    rangeInvalidation: false,
    cr2E2hAlways: true,
    syncNonLiveSte: true,
    cmdSyncAttrs: false,
    asidAllocator: "per-smmu-from-0",
    evtqHandleAndRatelimit: false,
    mapPages: false,
    cdWrite: "unsynced",
    swMsiRegion: true,
    hisiPttIdentity: false,
  },
  "v6.1": {
    name: "v6.1",
    queueCaps: { kind: "bytes", qMaxSzShift: 20 },
    logQueueAllocation: true,
    disableBypassDefault: true,
    probePath: "probe_device",
    streamTree: "stable-dup-fix",
    identityDomain: true,
    tlb: "gather",
    rangeInvalidation: true,
    cr2E2hAlways: false,
    syncNonLiveSte: true,
    cmdSyncAttrs: true,
    asidAllocator: "global-from-1",
    evtqHandleAndRatelimit: true,
    mapPages: true,
    cdWrite: "synced",
    swMsiRegion: true,
    hisiPttIdentity: true,
  },
} as const satisfies Record<string, ArmSmmuV3Era>;

/** The names of the preset eras. */
export type ArmSmmuV3EraName = keyof typeof ARM_SMMU_V3_ERAS;
