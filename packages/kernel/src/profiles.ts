/**
 * Kernel generations as compositions of era switches (kernel-behaviour.md §c). A {@link KernelProfile} says, for
 * every layer, which behaviour of which kernel runs; `boot` wires the lower packages from it and never asks for a
 * profile by name. The table in README.md lists every switch per profile.
 *
 * @see kernel-behaviour.md §a.5 (initcall placements), §b.4–b.12 (sequences), §c (policies)
 */
import { DRIVER_CORE_ERAS, type DriverCoreEra } from "@dmasim/driver-core";
import { ioPgtableEras, type IoPgtableEra } from "@dmasim/iommu";

/**
 * How the arm64 DMA layer sets up a device's ops, per generation (kernel-behaviour.md §c P1, P2a, P2b, P3, modern).
 *
 * - `add-device-queue` (P1, v4.7): `arch_setup_dma_ops` at creation queues on `iommu_dma_masters` (head insertion);
 *   `__iommu_attach_notifier` at priority -100 on ADD_DEVICE drains the whole queue; one drain at arch_initcall
 *   (722ec35f7fae); no cleanup.
 * - `bind-driver` (P2a, v4.8, 16c11325cc44 as merged): same queue; the notifier acts on BIND_DRIVER at priority 0,
 *   for the bound device only, breaking after success; no replay; NOT_BOUND/UNBOUND ignored.
 * - `bind-driver-not-bound` (P2b, hypothetical: what Marek asked for, never merged): P2a plus DRIVER_NOT_BOUND and
 *   UNBOUND_DRIVER handlers that restore swiotlb ops and re-queue the entry.
 * - `probe-time` (P3, v4.12): `dma_configure` in `really_probe`, `__iommu_setup_dma_ops` attaching at once, dummy
 *   ops for unconfigured devices, `dma_deconfigure` on failure and unbind.
 * - `modern` (v6.1): `iommu_setup_dma_ops` from `arch_setup_dma_ops` at probe (DMA/DMA-FQ → iommu-dma, identity →
 *   direct), NULL ops meaning dma-direct.
 */
export type DmaSetupPolicy = "add-device-queue" | "bind-driver" | "bind-driver-not-bound" | "probe-time" | "modern";

/** Where firmware DMA configuration (`of_dma_configure` / `acpi_dma_configure` / `pci_dma_configure`) runs. */
export type DmaConfigurePoint = "creation" | "probe";

/** The IOMMU core switches of a generation (drivers/iommu/iommu.c, of_iommu.c, acpi/arm64/iort.c). */
export interface IommuSwitches {
  /**
   * `add_device`/`remove_device` (v4.7 … v5.7) or `probe_device`/`release_device` (cf193888bfbd, v5.8 [S]).
   *
   * @see drivers/iommu/iommu.c iommu_bus_notifier
   */
  readonly probePath: "add_device" | "probe_device";
  /**
   * `iommu_bus_notifier`'s return: the raw `ops->add_device` errno in v4.7 (a negative errno has 0x8000 set, so the
   * chain stops before arm64's -100 notifier, a.2 [V]) or `ret ? NOTIFY_DONE : NOTIFY_OK` (v4.12 [V]).
   */
  readonly busNotifierReturn: "raw-errno" | "done-ok";
  /**
   * Default-domain type: always IOMMU_DOMAIN_DMA (v4.7 `iommu_group_get_for_dev` [V]), `iommu_def_domain_type`
   * (v4.12: DMA or identity under `iommu.passthrough=1` [V]), or modern (DMA-FQ under `iommu.strict=0`, Kconfig
   * defaults, "iommu: Default domain type" lines; 6.1 logs).
   */
  readonly defaultDomainPolicy: "always-dma" | "def-domain-type" | "modern";
  /** `struct iommu_fwspec` exists (v4.9+ [U]; present in v4.12 [V]); before, `of_xlate` kept IDs in driver data. */
  readonly fwspec: boolean;
  /**
   * How firmware code finds an IOMMU's ops: `of_iommu_set_ops` from `IOMMU_OF_DECLARE` init functions inside
   * `of_iommu_init` at arch_initcall_sync (v4.7 [V]), or `iommu_device_register` at the IOMMU driver's probe,
   * looked up with `iommu_ops_from_fwnode` (v4.12 [V]).
   */
  readonly opsLookup: "of-iommu-set-ops" | "iommu-device-register";
  /**
   * After boot (`system_state > SYSTEM_BOOTING`) a missing IOMMU driver means "no IOMMU" (v4.12
   * `of_iommu_driver_present` [V]) or `driver_deferred_probe_check_state` decides (modern [V]).
   */
  readonly ofIommuAfterBoot: "no-iommu" | "check-state";
  /**
   * `of_iommu_configure` handles PCI masters through `iommu-map`. False: v4.7 returns NULL for PCI [V] ("can't do
   * much for PCI"); Robin Murphy's generic bindings (merged v4.9 [U]) added it, and the seed RFC depended on them.
   */
  readonly ofPciIommuMap: boolean;
  /** How the IORT "Number of IDs" field is read: plain count (v4.12 [V]) or count − 1 with workaround (v6.1). */
  readonly iortIdCountRule: "v4.12" | "v6.1";
}

/** The arm-smmu-v3 driver's registration per generation (drivers/iommu/arm-smmu-v3.c). */
export interface SmmuDriverSwitches {
  /**
   * `subsys_initcall(arm_smmu_init)` (v4.7 [V]: `platform_driver_register` + `bus_set_iommu` in the initcall) or
   * `module_platform_driver` = `device_initcall` (v4.12 [V], 6.1).
   */
  readonly initcall: "subsys" | "device";
  /**
   * `init`: `bus_set_iommu` from the initcall, before and independent of any SMMU probing (v4.7 [V]); `probe`:
   * `iommu_device_register` + `bus_set_iommu`/`arm_smmu_set_bus_ops` inside `arm_smmu_device_probe` (v4.12 [V], 6.1).
   */
  readonly registration: "init" | "probe";
  /**
   * Buses `bus_set_iommu` is called for. v4.7 arm-smmu-v3 set only `pci_bus_type` (found with find_string
   * "subsys_initcall(arm_smmu_init)", the SMMUv3 file of that era); with the generic DT bindings the seed RFC sat on,
   * platform and amba too; v4.12/6.1: pci, amba, platform.
   */
  readonly buses: readonly ("pci" | "amba" | "platform")[];
  /**
   * `arm-smmu-v3.disable_bypass` default: false in the v4.7–v4.12 files (`static bool disable_bypass;`, read next to
   * MSI_IOVA_BASE), true in 6.1 (`static bool disable_bypass = true;`).
   */
  readonly disableBypass: boolean;
  /** CONFIG_ARM_SMMU_V3=y: IORT / of_iommu defer while it has not registered (`IS_BUILTIN` check, b.5 [V]). */
  readonly builtin: boolean;
}

/** Kconfig choices that change behaviour. */
export interface KconfigSwitches {
  /** CONFIG_IOMMU_DEFAULT_DMA_STRICT (Debian 6.1: y; real-kernel-oracle.md §2). */
  readonly iommuDefaultDmaStrict: boolean;
  /** CONFIG_IOMMU_DEFAULT_PASSTHROUGH (Debian 6.1: not set). */
  readonly iommuDefaultPassthrough: boolean;
  /** The endpoint drivers of the default set (virtio-pci, e1000e, nvme) are modules (Debian 6.1: =m). */
  readonly endpointDriversAsModules: boolean;
}

/** ACPI / IORT behaviour (drivers/acpi/arm64/iort.c, drivers/acpi/glue.c). */
export interface AcpiSwitches {
  /**
   * IORT-derived IOMMU ops handed to `arch_setup_dma_ops` at device creation (`acpi_bind_one`), as Lorenzo
   * Pieralisi's June 2016 RFC series ("ACPI IORT ARM SMMU support", v2) did: the setting the seed patch lived in.
   * Stock v4.7 passes NULL (a.5/b.1 [V]).
   */
  readonly opsAtCreation: boolean;
  /** `iort_enable_acs` → `pci_request_acs()` during IORT init, before the PCI scan (v4.12 [V], 6.1). */
  readonly enableAcsAtIortInit: boolean;
}

/** Device-tree behaviour (drivers/of). */
export interface OfSwitches {
  /** `of_dma_configure` prints "device is [not] dma coherent" / "device is [not] behind an iommu" (6.1 dyndbg). */
  readonly dmaConfigureDebugLines: boolean;
  /** `of_iommu_configure` calls `pci_request_acs()` for PCI masters (6.1: too late for the scan; §7 of the oracle). */
  readonly requestAcsInOfIommuConfigure: boolean;
}

/** One kernel generation, as switches. */
export interface KernelProfile {
  /** Short name (`v4.7`, `v4.8-not-bound`, or a custom name). */
  readonly name: string;
  /** What reports show; hypothetical profiles say so. */
  readonly label: string;
  /** Never merged upstream (v4.8-not-bound). */
  readonly hypothetical: boolean;
  readonly description: string;
  /** The driver-core era (`@dmasim/driver-core`'s switches: really_probe ordering, deferral, timeout). */
  readonly driverCore: DriverCoreEra;
  readonly iommu: IommuSwitches;
  readonly dmaSetup: DmaSetupPolicy;
  /** Where `pci_dma_configure` runs: in `pci_device_add` (v4.7–v4.11 [V]) or in `really_probe` (v4.12+). */
  readonly pciDmaConfigure: DmaConfigurePoint;
  /** Where `of_dma_configure` runs for platform devices: `of_platform_device_create_pdata` (v4.7) or probe. */
  readonly platformDmaConfigure: DmaConfigurePoint;
  readonly smmuDriver: SmmuDriverSwitches;
  /** io-pgtable-arm generation (`@dmasim/iommu`'s `ioPgtableEras`). */
  readonly ioPgtable: IoPgtableEra;
  readonly kconfig: KconfigSwitches;
  readonly acpi: AcpiSwitches;
  readonly of: OfSwitches;
}

/** The five built-in profile names. */
export type ProfileName = "v4.7" | "v4.8" | "v4.8-not-bound" | "v4.12" | "v6.1";

const OLD_IOMMU: IommuSwitches = {
  probePath: "add_device",
  busNotifierReturn: "raw-errno",
  defaultDomainPolicy: "always-dma",
  fwspec: false,
  opsLookup: "of-iommu-set-ops",
  ofIommuAfterBoot: "no-iommu",
  ofPciIommuMap: true,
  iortIdCountRule: "v4.12",
};

const OLD_SMMU: SmmuDriverSwitches = {
  initcall: "subsys",
  registration: "init",
  buses: ["pci", "amba", "platform"],
  disableBypass: false,
  builtin: true,
};

const OLD_KCONFIG: KconfigSwitches = {
  iommuDefaultDmaStrict: true,
  iommuDefaultPassthrough: false,
  endpointDriversAsModules: false,
};

const v47: KernelProfile = {
  name: "v4.7",
  label: "v4.7 (+ IORT RFC)",
  hypothetical: false,
  description:
    "v4.7-rc3 with the series the seed patch was posted in: IORT-derived ops at creation, ADD_DEVICE attach at priority -100 draining the whole iommu_dma_masters queue.",
  driverCore: DRIVER_CORE_ERAS["v4.7"],
  iommu: OLD_IOMMU,
  dmaSetup: "add-device-queue",
  pciDmaConfigure: "creation",
  platformDmaConfigure: "creation",
  smmuDriver: OLD_SMMU,
  ioPgtable: ioPgtableEras["v4.4"],
  kconfig: OLD_KCONFIG,
  acpi: { opsAtCreation: true, enableAcsAtIortInit: false },
  of: { dmaConfigureDebugLines: false, requestAcsInOfIommuConfigure: false },
};

const v48: KernelProfile = {
  ...v47,
  name: "v4.8",
  label: "v4.8 (seed patch 16c11325cc44)",
  description: "The seed patch as merged: attach on BIND_DRIVER at priority 0, bound device only, no replay, no cleanup.",
  dmaSetup: "bind-driver",
};

const v48NotBound: KernelProfile = {
  ...v48,
  name: "v4.8-not-bound",
  label: "v4.8-not-bound (hypothetical, never merged)",
  hypothetical: true,
  description:
    "Hypothetical: v4.8 plus the cleanup Marek Szyprowski asked for (DRIVER_NOT_BOUND/UNBOUND_DRIVER restore swiotlb and re-queue). Never merged.",
  dmaSetup: "bind-driver-not-bound",
};

const v412: KernelProfile = {
  name: "v4.12",
  label: "v4.12 (probe-time dma_configure)",
  hypothetical: false,
  description: "IOMMU probe deferral (Sricharan R): dma_configure in really_probe, -EPROBE_DEFER until the SMMU registers.",
  driverCore: DRIVER_CORE_ERAS["v4.12"],
  iommu: {
    probePath: "add_device",
    busNotifierReturn: "done-ok",
    defaultDomainPolicy: "def-domain-type",
    fwspec: true,
    opsLookup: "iommu-device-register",
    ofIommuAfterBoot: "no-iommu",
    ofPciIommuMap: true,
    iortIdCountRule: "v4.12",
  },
  dmaSetup: "probe-time",
  pciDmaConfigure: "probe",
  platformDmaConfigure: "probe",
  smmuDriver: { initcall: "device", registration: "probe", buses: ["pci", "amba", "platform"], disableBypass: false, builtin: true },
  ioPgtable: ioPgtableEras["v4.4"],
  kconfig: OLD_KCONFIG,
  acpi: { opsAtCreation: false, enableAcsAtIortInit: true },
  of: { dmaConfigureDebugLines: false, requestAcsInOfIommuConfigure: true },
};

const v61: KernelProfile = {
  name: "v6.1",
  label: "v6.1 (Debian 6.1.0-56)",
  hypothetical: false,
  description: "Modern probe path (iommu_probe_device from the bus notifier and dma_configure), Debian's Kconfig.",
  driverCore: DRIVER_CORE_ERAS["v6.1"],
  iommu: {
    probePath: "probe_device",
    busNotifierReturn: "done-ok",
    defaultDomainPolicy: "modern",
    fwspec: true,
    opsLookup: "iommu-device-register",
    ofIommuAfterBoot: "check-state",
    ofPciIommuMap: true,
    iortIdCountRule: "v6.1",
  },
  dmaSetup: "modern",
  pciDmaConfigure: "probe",
  platformDmaConfigure: "probe",
  smmuDriver: { initcall: "device", registration: "probe", buses: ["pci", "amba", "platform"], disableBypass: true, builtin: true },
  ioPgtable: ioPgtableEras["v6.1"],
  kconfig: { iommuDefaultDmaStrict: true, iommuDefaultPassthrough: false, endpointDriversAsModules: true },
  acpi: { opsAtCreation: false, enableAcsAtIortInit: true },
  of: { dmaConfigureDebugLines: true, requestAcsInOfIommuConfigure: true },
};

/** The built-in profiles, in generation order. */
export const PROFILES: Readonly<Record<ProfileName, KernelProfile>> = {
  "v4.7": v47,
  "v4.8": v48,
  "v4.8-not-bound": v48NotBound,
  "v4.12": v412,
  "v6.1": v61,
};

/** The built-in profile names in generation order. */
export const PROFILE_NAMES: readonly ProfileName[] = ["v4.7", "v4.8", "v4.8-not-bound", "v4.12", "v6.1"];

/** Whether `name` is a built-in profile. */
export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}
