/**
 * Kernel generations as compositions of era switches (kernel-behaviour.md §c). A {@link KernelProfile} says, for
 * every layer, which behaviour of which kernel runs; `boot` wires the lower packages from it and never asks for a
 * profile by name. The table in README.md lists every switch per profile.
 *
 * @see kernel-behaviour.md §a.5 (initcall placements), §b.4–b.12 (sequences), §c (policies)
 */
import { DMA_ERAS, type Arm64DmaSetupPolicyName, type DmaEra } from "@dmasim/dma-mapping";
import { DRIVER_CORE_ERAS, type DriverCoreEra } from "@dmasim/driver-core";
import { ARM_SMMU_V3_ERAS, IOMMU_ERAS, ioPgtableEras, type ArmSmmuV3Era, type IommuEra, type IoPgtableEra } from "@dmasim/iommu";
import { PCI_ERAS, type PciEra } from "@dmasim/pci";

/**
 * Where firmware DMA configuration of platform devices (`of_dma_configure` / `acpi_dma_configure`) runs: in
 * `of_platform_device_create_pdata` / `acpi_bind_one` (v4.7–v4.11) or in `really_probe` (v4.12+).
 */
export type DmaConfigurePoint = "creation" | "probe";

/** The arm-smmu-v3 driver and how a generation registers it (drivers/iommu/arm-smmu-v3.c). */
export interface SmmuDriverSwitches {
  /**
   * The driver file's era (`@dmasim/iommu`'s `ArmSmmuV3Era`): queue sizes, `disable_bypass` default (false in
   * v4.7–v4.12: `static bool disable_bypass;` read next to MSI_IOVA_BASE; true in 6.1), add_device vs probe_device,
   * the StreamID tree ("stream %u already in tree"), TLB maintenance.
   */
  readonly era: ArmSmmuV3Era;
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
   * Buses `bus_set_iommu` is called for. Stock v4.7 arm-smmu-v3 set only `pci_bus_type` (its `arm_smmu_init`, found
   * with find_string "subsys_initcall(arm_smmu_init)"); the seed tree's generic DT bindings add platform and amba;
   * v4.12/6.1: pci, amba, platform.
   */
  readonly buses: readonly ("pci" | "amba" | "platform")[];
  /** The driver calls `pci_request_acs()` just before `bus_set_iommu(&pci_bus_type)` (v4.12; v4.19 moved it to of_iommu). */
  readonly requestAcsAtBusSetIommu: boolean;
  /** CONFIG_ARM_SMMU_V3=y: IORT / of_iommu defer while it has not registered (`IS_BUILTIN` check, b.5 [V]). */
  readonly builtin: boolean;
}

/**
 * Kconfig choices that change behaviour.
 *
 * @see drivers/iommu/Kconfig IOMMU_DEFAULT_DMA_STRICT, IOMMU_DEFAULT_PASSTHROUGH
 */
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
  /**
   * Which `iort_iommu_configure` runs at device creation: the IOMMU core's (`@dmasim/iommu`, released kernels) or the
   * RFC's (`seed-tree`: no deferral, no `add_device` replay, ops returned as soon as the SMMU's ops are known).
   */
  readonly configureAtCreation: "iommu-core" | "seed-tree";
}

/** Device-tree behaviour (drivers/of). */
export interface OfSwitches {
  /** `of_dma_configure` prints "device is [not] dma coherent" / "device is [not] behind an iommu" (6.1 dyndbg). */
  readonly dmaConfigureDebugLines: boolean;
  /**
   * Which `of_iommu_configure` runs at device creation: the IOMMU core's (released kernels) or the seed tree's generic
   * bindings (v4.9 form: `iommu-map`/`iommus`, fwspec, `of_xlate`, no deferral, no `add_device` replay).
   */
  readonly configureAtCreation: "iommu-core" | "seed-tree";
}

/**
 * One kernel generation, as switches. The lower packages' era objects are embedded as they are (each documents its
 * own switches with the kernel they come from); the rest are the composition's own.
 */
export interface KernelProfile {
  /** Short name (`v4.7`, `v4.8-not-bound`, or a custom name). */
  readonly name: string;
  /** What reports show; hypothetical profiles say so. */
  readonly label: string;
  /** Never merged upstream (v4.8-not-bound). */
  readonly hypothetical: boolean;
  readonly description: string;
  /** drivers/base (`@dmasim/driver-core`'s `DriverCoreEra`): really_probe ordering, deferral, timeout. */
  readonly driverCore: DriverCoreEra;
  /** drivers/iommu core (`@dmasim/iommu`'s `IommuEra`): probe path, notifier return, default domains, fwspec. */
  readonly iommu: IommuEra;
  /** kernel/dma + dma-iommu (`@dmasim/dma-mapping`'s `DmaEra`): NULL-ops fallback, IOVA caches, MSI pages. */
  readonly dma: DmaEra;
  /**
   * arch/arm64/mm/dma-mapping.c setup (`@dmasim/dma-mapping`'s policies): `v4.7` ADD_DEVICE queue (P1), `v4.8`
   * BIND_DRIVER queue (P2a), `v4.8-not-bound` (P2b, hypothetical), `v4.12` probe time (P3), `v6.1` modern.
   */
  readonly arm64DmaSetup: Arm64DmaSetupPolicyName;
  /** drivers/pci (`@dmasim/pci`'s `PciEra`): where `pci_dma_configure` runs, DMA ownership, ACS bits. */
  readonly pci: PciEra;
  /** Where platform devices get their DMA configuration. */
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

/**
 * The IOMMU core of the tree the seed patch was posted against: v4.7 plus Robin Murphy's "Generic DT bindings for PCI
 * IOMMUs and ARM SMMU" series that Lorenzo Pieralisi's IORT RFC depended on (merged for v4.9: `struct iommu_fwspec`,
 * iommu-map for PCI with the last alias, ops registered per firmware node), and the RFC's IORT configuration (ops
 * found as with `of_iommu_set_ops`, registered when IORT init meets the SMMU).
 */
const SEED_IOMMU: IommuEra = { ...IOMMU_ERAS["v4.7"], name: "v4.7+rfc", fwspec: true, ofPciAliases: "last", iortDriverCheck: "builtin" };

const OLD_SMMU: SmmuDriverSwitches = {
  era: ARM_SMMU_V3_ERAS["v4.7"],
  initcall: "subsys",
  registration: "init",
  buses: ["pci", "amba", "platform"],
  requestAcsAtBusSetIommu: false,
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
  iommu: SEED_IOMMU,
  dma: DMA_ERAS["v4.7"],
  arm64DmaSetup: "v4.7",
  pci: PCI_ERAS["v4.7"],
  platformDmaConfigure: "creation",
  smmuDriver: OLD_SMMU,
  ioPgtable: ioPgtableEras["v4.4"],
  kconfig: OLD_KCONFIG,
  acpi: { opsAtCreation: true, enableAcsAtIortInit: false, configureAtCreation: "seed-tree" },
  of: { dmaConfigureDebugLines: false, configureAtCreation: "seed-tree" },
};

const v48: KernelProfile = {
  ...v47,
  name: "v4.8",
  label: "v4.8 (seed patch 16c11325cc44)",
  description: "The seed patch as merged: attach on BIND_DRIVER at priority 0, bound device only, no replay, no cleanup.",
  dma: DMA_ERAS["v4.8"],
  arm64DmaSetup: "v4.8",
};

const v48NotBound: KernelProfile = {
  ...v48,
  name: "v4.8-not-bound",
  label: "v4.8-not-bound (hypothetical, never merged)",
  hypothetical: true,
  description:
    "Hypothetical: v4.8 plus the cleanup Marek Szyprowski asked for (DRIVER_NOT_BOUND/UNBOUND_DRIVER restore swiotlb and re-queue). Never merged.",
  dma: DMA_ERAS["v4.8-not-bound"],
  arm64DmaSetup: "v4.8-not-bound",
};

const v412: KernelProfile = {
  name: "v4.12",
  label: "v4.12 (probe-time dma_configure)",
  hypothetical: false,
  description: "IOMMU probe deferral (Sricharan R): dma_configure in really_probe, -EPROBE_DEFER until the SMMU registers.",
  driverCore: DRIVER_CORE_ERAS["v4.12"],
  iommu: IOMMU_ERAS["v4.12"],
  dma: DMA_ERAS["v4.12"],
  arm64DmaSetup: "v4.12",
  pci: PCI_ERAS["v4.12"],
  platformDmaConfigure: "probe",
  smmuDriver: { era: ARM_SMMU_V3_ERAS["v4.12"], initcall: "device", registration: "probe", buses: ["pci", "amba", "platform"], requestAcsAtBusSetIommu: true, builtin: true },
  ioPgtable: ioPgtableEras["v4.4"],
  kconfig: OLD_KCONFIG,
  acpi: { opsAtCreation: false, enableAcsAtIortInit: true, configureAtCreation: "iommu-core" },
  of: { dmaConfigureDebugLines: false, configureAtCreation: "iommu-core" },
};

const v61: KernelProfile = {
  name: "v6.1",
  label: "v6.1 (Debian 6.1.0-56)",
  hypothetical: false,
  description: "Modern probe path (iommu_probe_device from the bus notifier and dma_configure), Debian's Kconfig.",
  driverCore: DRIVER_CORE_ERAS["v6.1"],
  iommu: IOMMU_ERAS["v6.1"],
  dma: DMA_ERAS["v6.1"],
  arm64DmaSetup: "v6.1",
  pci: PCI_ERAS["v6.1"],
  platformDmaConfigure: "probe",
  smmuDriver: { era: ARM_SMMU_V3_ERAS["v6.1"], initcall: "device", registration: "probe", buses: ["pci", "amba", "platform"], requestAcsAtBusSetIommu: false, builtin: true },
  ioPgtable: ioPgtableEras["v6.1"],
  kconfig: { iommuDefaultDmaStrict: true, iommuDefaultPassthrough: false, endpointDriversAsModules: true },
  acpi: { opsAtCreation: false, enableAcsAtIortInit: true, configureAtCreation: "iommu-core" },
  of: { dmaConfigureDebugLines: true, configureAtCreation: "iommu-core" },
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
