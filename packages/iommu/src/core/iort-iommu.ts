/**
 * The ACPI half: `iort_iommu_configure` (v4.12) / `acpi_iommu_configure_id` + `iort_iommu_configure_id` (6.1) — the
 * StreamIDs of a PCI function (every DMA alias walked from the root complex of its segment) or a named component,
 * deferral while a built-in (6.1: enabled) SMMU driver has not registered, and the replay of the device's IOMMU
 * probe — plus `iort_enable_acs`, which requests ACS at IORT init when a root complex maps to an SMMU (before the
 * PCI scan, so ACPI boots isolate root ports where DT 6.1 boots do not).
 *
 * v4.7 has no IORT IOMMU configuration: every device gets no IOMMU.
 *
 * @see drivers/acpi/arm64/iort.c iort_iommu_configure (v4.12), iort_iommu_configure_id, iort_pci_iommu_init,
 *   iort_nc_iommu_map, iort_iommu_xlate, iort_iommu_driver_enabled, iort_enable_acs
 * @see drivers/acpi/scan.c acpi_iommu_configure_id, acpi_iommu_fwspec_init
 */
import { devPrintk, type Device, type Fwnode } from "@dmasim/driver-core";
import { iortNodeMapId, iortNodeMapPlatformId, type FirmwareEra, type IortTable } from "@dmasim/firmware";
import { pciForEachDmaAlias, toPciDev } from "@dmasim/pci";
import { EPROBE_DEFER, type IommuConfigureResult } from "./configure-result";
import { fwspecAddIds, fwspecGet, fwspecInit, opsFromFwnode } from "./fwspec";
import type { IommuCore } from "./iommu-core";
import { IOMMU_FWSPEC_PCI_RC_ATS, type IommuOps } from "./iommu-ops";
import { probeForEra } from "./probe";
import { deviceIommuMapped } from "./state";

const ENODEV = -19;

/**
 * Kconfig state of an SMMU driver: `=y`, `=m`, not set.
 *
 * @see drivers/acpi/arm64/iort.c iort_iommu_driver_enabled
 */
export type SmmuDriverConfig = "builtin" | "module" | "absent";

/** What the ACPI side of the kernel composition provides. */
export interface IortIommuEnv {
  readonly iort: IortTable;
  /** `iort_get_fwnode(node)`: the fwnode `iort_set_fwnode` gave the SMMU's platform device; null if none was made. */
  readonly fwnodeOf: (nodeIndex: number) => Fwnode | null;
  /** CONFIG_ARM_SMMU_V3. */
  readonly smmuV3Config: SmmuDriverConfig;
  /** CONFIG_ARM_SMMU (SMMUv1/v2 nodes); default absent. */
  readonly smmuConfig?: SmmuDriverConfig;
  /** `iort_scan_node(NAMED_COMPONENT, iort_match_node_callback, dev)`: the device's named component, if any. */
  readonly namedComponentOf?: (dev: Device) => number | undefined;
  /** Which IORT ID-count rule the walk applies (firmware's era). */
  readonly firmwareEra?: FirmwareEra;
}

/** `iort_iommu_driver_enabled(type)` for the era (v4.12 `IS_BUILTIN`, 6.1 `IS_ENABLED`). */
function driverEnabled(core: IommuCore, env: IortIommuEnv, nodeType: string): boolean {
  const cfg = nodeType === "smmu-v3" ? env.smmuV3Config : nodeType === "smmu" ? (env.smmuConfig ?? "absent") : "absent";
  return core.era.iortDriverCheck === "enabled" ? cfg !== "absent" : cfg === "builtin";
}

/**
 * `iort_iommu_xlate(dev, node, streamid)`: -ENODEV without an SMMU node or fwnode; without registered ops
 * -EPROBE_DEFER if the driver is enabled, else -ENODEV; otherwise fwspec init + the StreamID.
 *
 * @see drivers/acpi/arm64/iort.c iort_iommu_xlate
 */
function iortIommuXlate(core: IommuCore, dev: Device, env: IortIommuEnv, node: number | null, streamId: number): number {
  if (node === null) return ENODEV;
  const fwnode = env.fwnodeOf(node);
  if (fwnode === null) return ENODEV;
  const ops = opsFromFwnode(core, fwnode);
  if (ops === null) return driverEnabled(core, env, env.iort.nodes[node]?.type ?? "") ? EPROBE_DEFER : ENODEV;
  const ret = fwspecInit(core, dev, fwnode, ops);
  return ret !== 0 ? ret : fwspecAddIds(core, dev, [streamId]);
}

/** `iort_iommu_configure_id(dev, NULL)`: 0, or the error of the first alias / mapping that failed. */
function iortConfigureIds(core: IommuCore, dev: Device, env: IortIommuEnv): number {
  const options = { era: env.firmwareEra ?? "v6.1" } as const;
  const pdev = toPciDev(dev);
  if (pdev !== undefined) {
    const segment = pdev.bus.domain;
    const rc = env.iort.nodes.findIndex((n) => n.type === "root-complex" && n.pciSegment === segment);
    if (rc < 0) return ENODEV;
    const err = pciForEachDmaAlias(pdev, (_p, alias) => {
      const walk = iortNodeMapId(env.iort, rc, alias, "iommu", options);
      return iortIommuXlate(core, dev, env, walk.kind === "mapped" ? walk.node : null, walk.id);
    });
    const fwspec = fwspecGet(dev);
    const node = env.iort.nodes[rc];
    if (fwspec !== null && node?.type === "root-complex" && (node.atsAttribute & 1) !== 0) fwspec.flags |= IOMMU_FWSPEC_PCI_RC_ATS;
    return err;
  }
  const nc = env.namedComponentOf?.(dev);
  if (nc === undefined) return ENODEV;
  let err = ENODEV;
  for (let i = 0; ; i++) {
    const r = iortNodeMapPlatformId(env.iort, nc, i, "iommu", options);
    if (r === undefined || r.kind !== "mapped") break;
    err = iortIommuXlate(core, dev, env, r.node, r.id);
    if (err !== 0) break;
  }
  return err;
}

/**
 * `acpi_iommu_configure_id(dev, NULL)` (6.1) / `iort_iommu_configure(dev)` (v4.12): cached `fwspec->ops`, else the
 * IORT walk, the replay (`iommu_probe_device` / `ops->add_device` when not yet grouped), and every error but
 * -EPROBE_DEFER turned into "no IOMMU" ("Adding to IOMMU failed: %d" at debug level).
 *
 * @see drivers/acpi/scan.c acpi_iommu_configure_id
 * @see drivers/acpi/arm64/iort.c iort_iommu_configure (v4.12)
 */
export function iortIommuConfigure(core: IommuCore, dev: Device, env: IortIommuEnv): IommuConfigureResult {
  const done = (ops: IommuOps | null, err: number): IommuConfigureResult => {
    core.trace.emit({ type: "iommu-configure", device: dev.name, firmware: "iort", result: ops === null ? "none" : "ops", err });
    return { ok: true, ops };
  };
  if (core.era.iortDriverCheck === "none") return done(null, 0);
  const cached = fwspecGet(dev)?.ops ?? null;
  if (cached !== null) return done(cached, 0);
  let err = iortConfigureIds(core, dev, env);
  if (err === 0 && dev.bus !== null && !deviceIommuMapped(dev)) {
    const ops = fwspecGet(dev)?.ops ?? null;
    if (core.era.probePath === "probe_device") err = probeForEra(core, dev, "iort-replay");
    else if (ops?.addDevice !== undefined) err = probeForEra(core, dev, "iort-replay", ops);
  }
  if (err === EPROBE_DEFER) {
    core.trace.emit({ type: "iommu-configure", device: dev.name, firmware: "iort", result: "defer", err });
    return { ok: false, errno: EPROBE_DEFER };
  }
  if (err !== 0) {
    const file = core.era.probePath === "probe_device" ? "drivers/acpi/scan.c" : "drivers/acpi/arm64/iort.c";
    if (core.debugOn(file)) devPrintk(core.trace, "debug", dev, file, `Adding to IOMMU failed: ${err}`);
    return done(null, err);
  }
  return done(fwspecGet(dev)?.ops ?? null, 0);
}

/**
 * `iort_enable_acs` over the whole table, as `iort_init_platform_devices` runs it at IORT init: the first root
 * complex with an ID mapping whose output is an SMMU makes the kernel call `pci_request_acs()`. Returns whether it
 * did. No-op in an era without IORT IOMMU support.
 *
 * @see drivers/acpi/arm64/iort.c iort_enable_acs, iort_init_platform_devices
 */
export function iortEnableAcs(core: IommuCore, iort: IortTable): boolean {
  if (core.era.iortDriverCheck === "none") return false;
  for (const node of iort.nodes) {
    if (node.type !== "root-complex") continue;
    for (const map of node.idMappings) {
      if (map.outputReference === null) continue;
      const parent = iort.nodes[map.outputReference];
      if (parent?.type === "smmu" || parent?.type === "smmu-v3") {
        core.pci?.requestAcs();
        return true;
      }
    }
  }
  return false;
}
