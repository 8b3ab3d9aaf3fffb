/**
 * One simulated kernel's IOMMU core: the registered IOMMU instances, the buses' ops, the groups and their id
 * allocator, the default-domain policy, and every core function drivers and upper layers call. No module state:
 * each kernel the explorer boots gets its own instance.
 *
 * @see drivers/iommu/iommu.c
 */
import { NULL_TRACE_SINK, printk, type Bus, type Device, type DriverCore, type Fwnode, type TraceSink } from "@dmasim/driver-core";
import type { FdtNode, IortTable } from "@dmasim/firmware";
import type { PciSubsystem } from "@dmasim/pci";
import type { IommuIotlbGather } from "../io-pgtable-arm/index";
import { busSetIommu } from "./bus";
import { computeDefaults, type IommuCmdline, type IommuKconfig } from "./defaults";
import { attachDevice, domainAlloc, domainFree } from "./domain";
import type { IommuEra } from "./era";
import type { IommuTraceEvent } from "./events";
import { fwspecAddIds, fwspecFree, fwspecGet, fwspecInit, opsFromFwnode } from "./fwspec";
import { GroupImpl, iommuGroupRemoveDevice } from "./group";
import { Ida } from "./ida";
import type {
  IommuDevice,
  IommuDomain,
  IommuDriverApi,
  IommuFwspec,
  IommuGroup,
  IommuGroupResult,
  IommuOps,
  IommuResvRegion,
} from "./iommu-ops";
import { iommuFlushIotlbAll, iommuIotlbSync, iommuIovaToPhys, iommuMap, iommuUnmap, iommuUnmapFast } from "./map";
import { genericDeviceGroup, pciDeviceGroup } from "./pci-group";
import { groupGetForDev, iommuProbeDevice, iommuReleaseDevice, probeForEra } from "./probe";
import { createDirectMappings, iommuGetResvRegions } from "./resv";
import { sysfsGroups, type IommuGroupSysfs } from "./sysfs";
import type { IommuCoreHooks, IommuCoreOptions } from "./options";
import { devGroup, devIommu, devIommuGet } from "./state";
import { useDefaultDomain, unuseDefaultDomain } from "./ownership";
import type { IommuConfigureResult } from "./configure-result";
import { ofIommuConfigure, type OfIommuEnv } from "./of-iommu";
import { iortEnableAcs, iortIommuConfigure, type IortIommuEnv } from "./iort-iommu";

/**
 * The IOMMU core of one simulated kernel. Methods are named after the kernel functions they model.
 *
 * @example
 * ```ts
 * const iommu = new IommuCore({ era: IOMMU_ERAS["v6.1"], driverCore, trace, pci });
 * iommu.iommuSubsysInit();                       // subsys_initcall: "iommu: Default domain type: Translated "
 * // the SMMU driver's probe: iommu.iommuDeviceRegister(...); iommu.busSetIommu(pciBus, ops)
 * const r = iommu.ofIommuConfigure(dev, hostNode, env); // pci_dma_configure → of_dma_configure
 * ```
 *
 * @see drivers/iommu/iommu.c (the IOMMU core), drivers/iommu/of_iommu.c, drivers/acpi/arm64/iort.c
 */
export class IommuCore implements IommuDriverApi {
  readonly era: IommuEra;
  readonly driverCore: DriverCore;
  readonly trace: TraceSink<IommuTraceEvent>;
  readonly pci: PciSubsystem | null;
  readonly hooks: IommuCoreHooks;
  /** @internal `bus->iommu_ops`. */
  readonly busOps = new Map<Bus, IommuOps>();
  /** @internal `iommu_device_list`, registration order. */
  readonly iommuDevices: IommuDevice[] = [];
  /** @internal v4.7 `of_iommu_list` (`of_iommu_set_ops`). */
  readonly ofSetOps: { readonly fwnode: Fwnode; readonly ops: IommuOps }[] = [];
  /** @internal `iommu_group_ida`. */
  readonly groupIda = new Ida();
  /** @internal Live groups in allocation order. */
  readonly liveGroups: GroupImpl[] = [];
  /** `iommu_def_domain_type` (final after {@link iommuSubsysInit} in 6.1). */
  defDomainType: number;
  /** `iommu_dma_strict`. */
  dmaStrict: boolean;
  /**
   * @internal Whether drivers/iommu/iommu.c's pr_debug lines are enabled (dyndbg) and someone reads them: with
   * driver-core's `NULL_TRACE_SINK` nothing is kept, so the lines are not even formatted.
   */
  readonly debugLines: boolean;
  /** @internal False when the trace is driver-core's `NULL_TRACE_SINK`: hot paths then skip building events. */
  readonly tracing: boolean;
  readonly #cmdline: IommuCmdline;
  readonly #kconfig: IommuKconfig;
  #domainIds = 0;
  readonly #dyndbg: ((file: string) => boolean) | null;

  constructor(options: IommuCoreOptions) {
    this.era = options.era;
    this.driverCore = options.driverCore;
    this.trace = options.trace;
    this.pci = options.pci ?? null;
    this.hooks = options.hooks ?? {};
    this.#dyndbg = options.dyndbg ?? null;
    this.tracing = (options.trace as unknown) !== NULL_TRACE_SINK;
    this.debugLines = this.tracing && this.debugOn("drivers/iommu/iommu.c");
    this.#cmdline = options.cmdline ?? {};
    this.#kconfig = options.kconfig ?? { defaultDomain: "DMA", strictDefault: true };
    const d = computeDefaults(this.era, this.#kconfig, this.#cmdline);
    this.defDomainType = d.defDomainType;
    this.dmaStrict = d.dmaStrict;
  }

  /** Whether dynamic debug enables `pr_debug`/`dev_dbg` lines of `file` (always, without a `dyndbg` option). */
  debugOn(file: string): boolean {
    return this.#dyndbg === null ? true : this.#dyndbg(file);
  }

  /** @internal A fresh domain number. */
  nextDomainId(): number {
    return this.#domainIds++;
  }

  /** @internal The core's object behind a group handed out (a driver returns only groups the core made). */
  groupImpl(group: IommuGroup): GroupImpl {
    if (!(group instanceof GroupImpl) || !this.liveGroups.includes(group)) {
      throw new Error(`iommu group ${group.id} was not allocated by this IOMMU core`);
    }
    return group;
  }

  /**
   * `dev_iommu_ops(dev)` (6.1: the probed instance's ops) or, before a probe and in v4.x, `dev->bus->iommu_ops`.
   */
  opsForDev(dev: Device): IommuOps | null {
    const viaProbe = devIommu(dev)?.iommuDev?.ops ?? null;
    if (viaProbe !== null) return viaProbe;
    return dev.bus === null ? null : (this.busOps.get(dev.bus) ?? null);
  }

  // ---- init and defaults -------------------------------------------------------------------------------------

  /**
   * `iommu_subsys_init` (subsys_initcall): settles `iommu_def_domain_type` (DMA-FQ when translated and lazy) and prints
   * "Default domain type: ..." and "DMA domain TLB invalidation policy: ..." as the era does.
   *
   * @see drivers/iommu/iommu.c iommu_subsys_init
   */
  iommuSubsysInit(): number {
    const d = computeDefaults(this.era, this.#kconfig, this.#cmdline);
    this.defDomainType = d.defDomainType;
    this.dmaStrict = d.dmaStrict;
    for (const line of d.logLines) printk(this.trace, "info", "iommu", "drivers/iommu/iommu.c", line);
    this.trace.emit({ type: "iommu-subsys-init", defaultDomain: d.typeName, strict: d.dmaStrict });
    return 0;
  }

  // ---- iommu_device -----------------------------------------------------------------------------------------

  /** @see drivers/iommu/iommu.c iommu_device_register */
  iommuDeviceRegister(iommu: IommuDevice, ops: IommuOps, hwdev: Device | null): number {
    iommu.ops = ops;
    if (hwdev !== null) iommu.fwnode = hwdev.fwnode;
    this.iommuDevices.push(iommu);
    this.trace.emit({ type: "iommu-device-register", iommu: iommu.name, fwnode: iommu.fwnode?.name ?? null, driver: ops.name, ret: 0 });
    return 0;
  }

  /** @see drivers/iommu/iommu.c iommu_device_unregister */
  iommuDeviceUnregister(iommu: IommuDevice): void {
    const at = this.iommuDevices.indexOf(iommu);
    if (at >= 0) this.iommuDevices.splice(at, 1);
    this.trace.emit({ type: "iommu-device-unregister", iommu: iommu.name });
  }

  /** The registered instances (`/sys/class/iommu`), in registration order. */
  get registeredIommus(): readonly IommuDevice[] {
    return this.iommuDevices;
  }

  /** @see drivers/iommu/of_iommu.c of_iommu_set_ops (v4.7) */
  ofIommuSetOps(fwnode: Fwnode, ops: IommuOps): void {
    this.ofSetOps.push({ fwnode, ops });
    this.trace.emit({ type: "iommu-of-set-ops", fwnode: fwnode.name, driver: ops.name });
  }

  /** `iommu_ops_from_fwnode(fwnode)` (v4.7: `of_iommu_get_ops`). @see drivers/iommu/iommu.c iommu_ops_from_fwnode */
  iommuOpsFromFwnode(fwnode: Fwnode): IommuOps | null {
    return opsFromFwnode(this, fwnode);
  }

  // ---- buses and probing -------------------------------------------------------------------------------------

  /** @see drivers/iommu/iommu.c bus_set_iommu */
  busSetIommu(bus: Bus, ops: IommuOps): number {
    return busSetIommu(this, bus, ops);
  }

  /** `bus->iommu_ops`. */
  busIommuOps(bus: Bus): IommuOps | null {
    return this.busOps.get(bus) ?? null;
  }

  /** `iommu_present(bus)` (v4.x–6.1): the bus has IOMMU ops. @see drivers/iommu/iommu.c iommu_present */
  iommuPresent(bus: Bus): boolean {
    return this.busOps.has(bus);
  }

  /** `iommu_probe_device(dev)` (6.1). @see drivers/iommu/iommu.c iommu_probe_device */
  iommuProbeDevice(dev: Device): number {
    return iommuProbeDevice(this, dev, "direct");
  }

  /** The era's probe (`add_device` or `iommu_probe_device`), as the OF/IORT replays call it. */
  probeDeviceForEra(dev: Device, trigger: "of-replay" | "iort-replay" | "direct" = "direct"): number {
    return probeForEra(this, dev, trigger);
  }

  // ---- firmware configuration --------------------------------------------------------------------------------

  /**
   * `of_iommu_configure(dev, master_np, id)`: what `of_dma_configure` gets (ops, none, or -EPROBE_DEFER).
   *
   * @see drivers/iommu/of_iommu.c of_iommu_configure
   */
  ofIommuConfigure(dev: Device, master: FdtNode | null, env: OfIommuEnv, id?: number): IommuConfigureResult {
    return ofIommuConfigure(this, dev, master, env, id);
  }

  /**
   * `acpi_iommu_configure_id` / `iort_iommu_configure`: what `acpi_dma_configure` gets.
   *
   * @see drivers/acpi/scan.c acpi_iommu_configure_id
   */
  iortIommuConfigure(dev: Device, env: IortIommuEnv): IommuConfigureResult {
    return iortIommuConfigure(this, dev, env);
  }

  /**
   * `iort_enable_acs` at IORT init (`acpi_iort_init` → `iort_init_platform_devices`, subsys_initcall, before the PCI
   * scan): `pci_request_acs()` when a root complex maps to an SMMU.
   *
   * @see drivers/acpi/arm64/iort.c iort_enable_acs
   */
  iortEnableAcs(iort: IortTable): boolean {
    return iortEnableAcs(this, iort);
  }

  /** `iommu_release_device(dev)` (6.1). @see drivers/iommu/iommu.c iommu_release_device */
  iommuReleaseDevice(dev: Device): void {
    iommuReleaseDevice(this, dev);
  }

  /** `iommu_group_get_for_dev(dev)` (v4.x drivers call it from `add_device`). */
  iommuGroupGetForDev(dev: Device): IommuGroupResult {
    return groupGetForDev(this, dev);
  }

  /** `iommu_group_remove_device(dev)` (v4.x drivers call it from `remove_device`). */
  iommuGroupRemoveDevice(dev: Device): void {
    iommuGroupRemoveDevice(this, dev);
  }

  /** @see drivers/iommu/iommu.c pci_device_group */
  pciDeviceGroup(dev: Device): IommuGroupResult {
    return pciDeviceGroup(this, dev);
  }

  /** @see drivers/iommu/iommu.c generic_device_group */
  genericDeviceGroup(dev: Device): IommuGroupResult {
    return genericDeviceGroup(this, dev);
  }

  // ---- fwspec and per-device data ----------------------------------------------------------------------------

  /** @see drivers/iommu/iommu.c iommu_fwspec_init */
  iommuFwspecInit(dev: Device, fwnode: Fwnode, ops: IommuOps | null): number {
    return fwspecInit(this, dev, fwnode, ops);
  }

  /** @see drivers/iommu/iommu.c iommu_fwspec_add_ids */
  iommuFwspecAddIds(dev: Device, ids: readonly number[]): number {
    return fwspecAddIds(this, dev, ids);
  }

  /** @see drivers/iommu/iommu.c iommu_fwspec_free */
  iommuFwspecFree(dev: Device): void {
    fwspecFree(this, dev);
  }

  /** `dev_iommu_fwspec_get(dev)`. */
  devIommuFwspecGet(dev: Device): IommuFwspec | null {
    return fwspecGet(dev);
  }

  /** `dev_iommu_priv_get(dev)`. */
  devIommuPrivGet(dev: Device): unknown {
    return devIommu(dev)?.priv ?? null;
  }

  /** `dev_iommu_priv_set(dev, priv)`. */
  devIommuPrivSet(dev: Device, priv: unknown): void {
    devIommuGet(dev).priv = priv;
  }

  /** `device_iommu_mapped(dev)`. */
  deviceIommuMapped(dev: Device): boolean {
    return devGroup(dev) !== null;
  }

  // ---- groups and domains ------------------------------------------------------------------------------------

  /** `iommu_group_get(dev)`. */
  iommuGroupGet(dev: Device): IommuGroup | null {
    return devGroup(dev);
  }

  /** `iommu_get_domain_for_dev(dev)`: `group->domain`, null without a group. */
  iommuGetDomainForDev(dev: Device): IommuDomain | null {
    return devGroup(dev)?.domain ?? null;
  }

  /**
   * `iommu_report_device_fault(dev, evt)`: -EINVAL unless a fault handler is registered for the device
   * (`iommu_register_device_fault_handler`, used by SVA/IOPF users, none of which the model has), so the SMMU
   * driver logs the event itself.
   *
   * @see drivers/iommu/iommu.c iommu_report_device_fault
   */
  iommuReportDeviceFault(_dev: Device, _fault: unknown): number {
    return -22;
  }

  /** `iommu_get_dma_domain(dev)`: the group's default domain. */
  iommuGetDmaDomain(dev: Device): IommuDomain | null {
    return devGroup(dev)?.defaultDomain ?? null;
  }

  /** `iommu_domain_alloc(bus)`: an UNMANAGED domain. @see drivers/iommu/iommu.c iommu_domain_alloc */
  iommuDomainAlloc(bus: Bus, type = 1): IommuDomain | null {
    return domainAlloc(this, bus, type);
  }

  /** @see drivers/iommu/iommu.c iommu_domain_free */
  iommuDomainFree(domain: IommuDomain): void {
    domainFree(this, domain);
  }

  /** `__iommu_attach_device(domain, dev)`. */
  iommuAttachDeviceRaw(domain: IommuDomain, dev: Device): number {
    return attachDevice(this, domain, dev);
  }

  /** The live groups in id-allocation order. */
  get groups(): readonly IommuGroup[] {
    return [...this.liveGroups].sort((a, b) => a.id - b.id);
  }

  /** `/sys/kernel/iommu_groups/*` as the boots' /init printed it: type, members, reserved regions. */
  sysfsGroups(): IommuGroupSysfs[] {
    return sysfsGroups(this);
  }

  /** `iommu_device_use_default_domain(dev)` (v5.19+; `pci_dma_configure` calls it). */
  iommuDeviceUseDefaultDomain(dev: Device): number {
    return useDefaultDomain(this, dev);
  }

  /** `iommu_device_unuse_default_domain(dev)` (v5.19+; `pci_dma_cleanup` calls it). */
  iommuDeviceUnuseDefaultDomain(dev: Device): void {
    unuseDefaultDomain(this, dev);
  }

  // ---- reserved regions and mapping --------------------------------------------------------------------------

  /** `iommu_get_resv_regions(dev)`. */
  iommuGetResvRegions(dev: Device): IommuResvRegion[] {
    return iommuGetResvRegions(this, dev);
  }

  /** `iommu_dma_get_resv_regions(dev, list)`: what the kernel composition's firmware hook reports. */
  iommuDmaGetResvRegions(dev: Device): IommuResvRegion[] {
    return this.hooks.dmaResvRegions?.(dev) ?? [];
  }

  /** @internal `iommu_create_device_direct_mappings(group, dev)`. */
  createDirectMappings(group: GroupImpl, dev: Device): number {
    return createDirectMappings(this, group, dev);
  }

  /** @see drivers/iommu/iommu.c iommu_map */
  iommuMap(domain: IommuDomain, iova: number, paddr: number, size: number, prot: number): number {
    return iommuMap(this, domain, iova, paddr, size, prot);
  }

  /** @see drivers/iommu/iommu.c iommu_unmap */
  iommuUnmap(domain: IommuDomain, iova: number, size: number): number {
    return iommuUnmap(this, domain, iova, size);
  }

  /** @see drivers/iommu/iommu.c iommu_unmap_fast */
  iommuUnmapFast(domain: IommuDomain, iova: number, size: number, gather: IommuIotlbGather): number {
    return iommuUnmapFast(this, domain, iova, size, gather);
  }

  /** @see include/linux/iommu.h iommu_iotlb_sync */
  iommuIotlbSync(domain: IommuDomain, gather: IommuIotlbGather): void {
    iommuIotlbSync(this, domain, gather);
  }

  /** @see include/linux/iommu.h iommu_flush_iotlb_all */
  iommuFlushIotlbAll(domain: IommuDomain): void {
    iommuFlushIotlbAll(this, domain);
  }

  /** @see drivers/iommu/iommu.c iommu_iova_to_phys */
  iommuIovaToPhys(domain: IommuDomain, iova: number): number {
    return iommuIovaToPhys(domain, iova);
  }
}
