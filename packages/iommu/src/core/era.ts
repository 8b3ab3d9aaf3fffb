/**
 * Era switches of the IOMMU core: how drivers/iommu/iommu.c, of_iommu.c and the IORT half of iort.c behaved in each
 * kernel generation dmasim composes. A profile is a set of switches, not a copy of the code per version.
 */

/**
 * How a device reaches its IOMMU driver.
 *
 * @see drivers/iommu/iommu.c iommu_probe_device, iommu_bus_notifier
 */
export type IommuProbePath =
  /** v4.7 … v5.7: `ops->add_device(dev)` (which itself calls `iommu_group_get_for_dev`). */
  | "add_device"
  /** v5.8+: the core's `iommu_probe_device` → `ops->probe_device`, groups and default domains in the core. */
  | "probe_device";

/** What `iommu_bus_notifier` returns for ADD_DEVICE. */
export type IommuBusNotifierReturn =
  /** v4.7: the raw `ops->add_device` result; a negative errno has bit 0x8000 set and stops the chain. */
  | "raw-errno"
  /** v4.12+: `ret ? NOTIFY_DONE : NOTIFY_OK`. */
  | "done-ok";

/**
 * How the default domain type is chosen.
 *
 * @see drivers/iommu/iommu.c iommu_def_domain_type, iommu_subsys_init
 */
export type IommuDefaultDomainPolicy =
  /** v4.7: always `IOMMU_DOMAIN_DMA`. */
  | "always-dma"
  /** v4.12: `iommu_def_domain_type` (DMA, IDENTITY with `iommu.passthrough=1`), DMA as fallback. */
  | "def-domain-type"
  /** v5.15+/6.1: Kconfig default + `iommu.passthrough` + `iommu.strict` (DMA-FQ when lazy), `def_domain_type`. */
  | "modern";

/** What `of_iommu_xlate` does for an IOMMU node whose driver has not registered ops. */
export type OfIommuMissingOps =
  /** v4.7: `of_iommu_get_ops` NULL → no IOMMU (there is no deferral). */
  | "no-iommu"
  /**
   * v4.12: defer while booting if the node is in `__iommu_of_table` (`of_iommu_driver_present`); after
   * `system_state > SYSTEM_BOOTING`, no IOMMU.
   */
  | "of-table"
  /** v4.19+/6.1: `driver_deferred_probe_check_state(dev)` decides (-EPROBE_DEFER, -ENODEV or -ETIMEDOUT). */
  | "check-state";

/**
 * How PCI DMA aliases become IOMMU IDs under DT.
 *
 * @see drivers/iommu/of_iommu.c of_pci_iommu_init, of_iommu_configure
 */
export type OfPciAliases =
  /** v4.7: `of_iommu_configure` returns NULL for PCI devices. */
  | "unsupported"
  /** v4.12: `pci_for_each_dma_alias(__get_pci_rid)`: only the last alias is mapped and xlated. */
  | "last"
  /** v4.14+/6.1: `of_pci_iommu_init` per alias: every alias is mapped and xlated (fwspec gets each ID). */
  | "each";

/** The IOMMU core's switches for one kernel generation. */
export interface IommuEra {
  /** Preset name, for traces and reports. */
  readonly name: string;
  readonly probePath: IommuProbePath;
  readonly busNotifierReturn: IommuBusNotifierReturn;
  readonly defaultDomainPolicy: IommuDefaultDomainPolicy;
  /** `struct iommu_fwspec` exists (v4.9+; v4.7's `of_xlate` kept IDs in the driver's own data). */
  readonly fwspec: boolean;
  /**
   * How ops are found for a firmware node: `"of-set-ops"` (v4.7: `of_iommu_set_ops` at `IOMMU_OF_DECLARE` time,
   * looked up by `of_iommu_get_ops`) or `"iommu-device"` (v4.12+: the `iommu_device` list filled by
   * `iommu_device_register` at the driver's probe, `iommu_ops_from_fwnode`).
   */
  readonly opsLookup: "of-set-ops" | "iommu-device";
  readonly ofIommuMissingOps: OfIommuMissingOps;
  readonly ofPciAliases: OfPciAliases;
  /**
   * `of_iommu_configure` calls `pci_request_acs()` for PCI masters (Will Deacon, "iommu/of: Request ACS from the PCI
   * core when configuring IOMMU linkage", v4.19). Before, the SMMU drivers called it just before
   * `bus_set_iommu(&pci_bus_type)`.
   */
  readonly ofIommuRequestsAcs: boolean;
  /**
   * `iort_iommu_driver_enabled`: `"builtin"` (v4.12: `IS_BUILTIN(CONFIG_ARM_SMMU_V3)`) or `"enabled"` (6.1:
   * `IS_ENABLED`, modules count). `"none"`: the era has no IORT IOMMU configuration (v4.7).
   */
  readonly iortDriverCheck: "none" | "builtin" | "enabled";
  /**
   * The group's notifier chain re-publishes BIND/BOUND/UNBIND/UNBOUND as `IOMMU_GROUP_NOTIFY_*` (v4.7 … v5.17;
   * removed with the DMA-ownership series in v5.19).
   */
  readonly groupNotifier: boolean;
  /** `iommu_device_use_default_domain`/`unuse` and `group->owner_cnt` (v5.19+). */
  readonly dmaOwnership: boolean;
  /**
   * The group-join log line: `"pr-info"` = "iommu: Adding device %s to group %d" (v4.7 … v5.5), `"dev-info"` =
   * "<drv> <dev>: Adding to iommu group %d" (v5.6+).
   */
  readonly groupJoinLog: "pr-info" | "dev-info";
  /** `iommu_subsys_init` prints the default domain type (v5.2+) and the TLB invalidation policy (v5.15+). */
  readonly subsysInitLog: "none" | "type" | "type-and-policy";
  /**
   * The iommu-dma layer's MSI doorbell mapping and the core's `iommu_map` pr_debug lines exist in every era; this
   * switch says whether `__iommu_map` splits through `map_pages` (v5.15+) or maps page by page with `map`.
   */
  readonly mapPages: boolean;
}

/**
 * The eras dmasim composes.
 *
 * - v4.7: read from a v4.7-rc3 tree (kernel-behaviour.md §e): `add_device`, raw-errno notifier return,
 *   `of_iommu_set_ops`, always DMA, no fwspec, no PCI under DT, no IORT IOMMU configuration.
 * - v4.12: v4.12.3: fwspec, `iommu_device_register`, deferral through `__iommu_of_table`, `iommu.passthrough`,
 *   `IS_BUILTIN` SMMU check, last PCI alias only, ACS requested by the SMMU driver.
 * - v6.1: stable 6.1 as the Debian 6.1.192 boots ran it: `probe_device`, DMA-FQ, `check_state`, each alias,
 *   `pci_request_acs()` in `of_iommu_configure`, DMA ownership, no group notifier.
 */
export const IOMMU_ERAS = {
  "v4.7": {
    name: "v4.7",
    probePath: "add_device",
    busNotifierReturn: "raw-errno",
    defaultDomainPolicy: "always-dma",
    fwspec: false,
    opsLookup: "of-set-ops",
    ofIommuMissingOps: "no-iommu",
    ofPciAliases: "unsupported",
    ofIommuRequestsAcs: false,
    iortDriverCheck: "none",
    groupNotifier: true,
    dmaOwnership: false,
    groupJoinLog: "pr-info",
    subsysInitLog: "none",
    mapPages: false,
  },
  "v4.12": {
    name: "v4.12",
    probePath: "add_device",
    busNotifierReturn: "done-ok",
    defaultDomainPolicy: "def-domain-type",
    fwspec: true,
    opsLookup: "iommu-device",
    ofIommuMissingOps: "of-table",
    ofPciAliases: "last",
    ofIommuRequestsAcs: false,
    iortDriverCheck: "builtin",
    groupNotifier: true,
    dmaOwnership: false,
    groupJoinLog: "pr-info",
    subsysInitLog: "none",
    mapPages: false,
  },
  "v6.1": {
    name: "v6.1",
    probePath: "probe_device",
    busNotifierReturn: "done-ok",
    defaultDomainPolicy: "modern",
    fwspec: true,
    opsLookup: "iommu-device",
    ofIommuMissingOps: "check-state",
    ofPciAliases: "each",
    ofIommuRequestsAcs: true,
    iortDriverCheck: "enabled",
    groupNotifier: false,
    dmaOwnership: true,
    groupJoinLog: "dev-info",
    subsysInitLog: "type-and-policy",
    mapPages: true,
  },
} as const satisfies Record<string, IommuEra>;

/** The names of the preset eras. */
export type IommuEraName = keyof typeof IOMMU_ERAS;
