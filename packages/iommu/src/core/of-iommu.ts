/**
 * `of_iommu_configure(dev, master_np[, id])` per era: which IOMMU a DT device sits behind and with which IDs, over
 * `iommus` (platform masters) or `iommu-map` (PCI, per DMA alias), deferring while the IOMMU driver has not
 * registered, and replaying the device's IOMMU probe when the driver missed it.
 *
 * - v4.7: PCI masters get no IOMMU; `iommus` entries use `of_iommu_get_ops` (set at `IOMMU_OF_DECLARE` time); any
 *   failure means no IOMMU; there is no deferral and no replay.
 * - v4.12: an ops-less fwspec left by a deferral is freed and the walk restarts; PCI maps only the last DMA alias
 *   (`of_pci_map_rid`, a no-match is -EFAULT); missing ops defer only while booting for nodes in `__iommu_of_table`;
 *   the replay is `ops->add_device` when `!dev->iommu_group`.
 * - 6.1: `pci_request_acs()` for PCI masters, every alias mapped (`of_map_id`, a no-match bypasses to no IOMMU),
 *   `driver_deferred_probe_check_state` for missing ops, `iommu_probe_device` as the replay; any error but
 *   -EPROBE_DEFER is logged at debug level ("Adding to IOMMU failed: %d") and means no IOMMU.
 *
 * @see drivers/iommu/of_iommu.c of_iommu_configure, of_iommu_xlate, of_pci_iommu_init,
 *   of_iommu_configure_dev_id, of_iommu_configure_dev (v4.7, v4.12, v6.1)
 * @see drivers/of/base.c of_map_id (the "iommu-map, using mask" debug line)
 */
import { devPrintk, printk, type Device, type Fwnode } from "@dmasim/driver-core";
import { compatibleOf, fdtGetProp, isAvailable, ofMapId, ofParsePhandleList, type DeviceTree, type FdtNode } from "@dmasim/firmware";
import { pciDmaAliases, pciForEachDmaAlias, toPciDev } from "@dmasim/pci";
import { EPROBE_DEFER, NO_IOMMU, type IommuConfigureResult } from "./configure-result";
import { fwspecFree, fwspecGet, fwspecInit, opsFromFwnode } from "./fwspec";
import type { IommuCore } from "./iommu-core";
import type { IommuOps } from "./iommu-ops";
import { probeForEra } from "./probe";
import { deviceIommuMapped } from "./state";

/** What the OF side of the kernel composition provides. */
export interface OfIommuEnv {
  readonly dt: DeviceTree;
  /** `&np->fwnode`: the handle of a DT node — the same object the IOMMU's platform device carries as its fwnode. */
  readonly fwnodeOf: (node: FdtNode) => Fwnode;
  /** v4.12 `__iommu_of_table`: compatibles of the built-in IOMMU drivers with an `IOMMU_OF_DECLARE`. */
  readonly iommuOfTable?: readonly string[];
}

/** `of_map_id`'s pr_debug line for a match (6.1 wording; v4.12's `of_pci_map_rid` said rid-base/rid). */
function logMapId(core: IommuCore, env: OfIommuEnv, node: FdtNode, id: number, entry: number, out: number): void {
  const map = fdtGetProp(node, "iommu-map");
  const maskProp = fdtGetProp(node, "iommu-map-mask");
  if (map === undefined) return;
  const dv = new DataView(map.value.buffer, map.value.byteOffset, map.value.byteLength);
  const h = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");
  const mask = maskProp !== undefined && maskProp.value.length >= 4 ? new DataView(maskProp.value.buffer, maskProp.value.byteOffset, 4).getUint32(0) : 0xffffffff;
  const base = dv.getUint32(entry * 16);
  const outBase = dv.getUint32(entry * 16 + 8);
  const len = dv.getUint32(entry * 16 + 12);
  const v412 = core.era.ofPciAliases === "last";
  const text = v412
    ? `${env.dt.pathOf(node)}: iommu-map, using mask ${h(mask)}, rid-base: ${h(base)}, out-base: ${h(outBase)}, length: ${h(len)}, rid: ${h(id)} -> ${h(out)}`
    : `${env.dt.pathOf(node)}: iommu-map, using mask ${h(mask)}, id-base: ${h(base)}, out-base: ${h(outBase)}, length: ${h(len)}, id: ${h(id)} -> ${h(out)}`;
  const file = v412 ? "drivers/of/of_pci.c" : "drivers/of/base.c";
  if (core.debugOn(file)) printk(core.trace, "debug", "OF", file, text);
}

/**
 * `of_iommu_xlate(dev, spec)` (v4.12/6.1): NO_IOMMU for a disabled IOMMU node, for ops without `of_xlate`, and (v4.12)
 * for missing ops of a node no built-in driver declares or after boot; else `iommu_fwspec_init` and, without ops,
 * deferral; else `ops->of_xlate`.
 *
 * @see drivers/iommu/of_iommu.c of_iommu_xlate
 */
function ofIommuXlate(core: IommuCore, dev: Device, env: OfIommuEnv, np: FdtNode, args: readonly number[]): number {
  const fwnode = env.fwnodeOf(np);
  const ops = opsFromFwnode(core, fwnode);
  if ((ops !== null && ops.ofXlate === undefined) || !isAvailable(np)) return NO_IOMMU;
  if (ops === null && core.era.ofIommuMissingOps === "of-table") {
    const declared = compatibleOf(np).some((c) => env.iommuOfTable?.includes(c) === true);
    if (!declared || core.driverCore.systemState !== "BOOTING") return NO_IOMMU;
  }
  const ret = fwspecInit(core, dev, fwnode, ops);
  if (ret !== 0) return ret;
  if (ops === null) {
    if (core.era.ofIommuMissingOps === "check-state") return core.driverCore.driverDeferredProbeCheckState(dev);
    return EPROBE_DEFER;
  }
  return (ops.ofXlate as NonNullable<IommuOps["ofXlate"]>)(dev, { fwnode, args });
}

/** `of_iommu_configure_dev_id(master_np, dev, id)`: map `id` through `iommu-map` and xlate. */
function configureDevId(core: IommuCore, dev: Device, env: OfIommuEnv, master: FdtNode, id: number): number {
  const r = ofMapId(env.dt, master, id, "iommu-map", { era: core.era.ofPciAliases === "last" ? "v4.12" : "v6.1" });
  switch (r.kind) {
    case "no-map":
      return NO_IOMMU;
    case "error":
      return r.errno === -19 ? NO_IOMMU : r.errno;
    case "no-match":
      // 6.1 bypasses translation: no target node, so of_iommu_xlate finds no available IOMMU.
      printk(core.trace, "info", "OF", "drivers/of/base.c", `${env.dt.pathOf(master)}: no iommu-map translation for id 0x${id.toString(16)} on (null)`);
      return NO_IOMMU;
    case "mapped":
      logMapId(core, env, master, id, r.entry, r.id);
      return ofIommuXlate(core, dev, env, r.target, [r.id]);
  }
}

/** `of_iommu_configure_dev(master_np, dev)`: every `iommus` entry until one fails. */
function configureDev(core: IommuCore, dev: Device, env: OfIommuEnv, master: FdtNode): number {
  let err = NO_IOMMU;
  for (const entry of ofParsePhandleList(env.dt, master, "iommus", "#iommu-cells").entries) {
    err = ofIommuXlate(core, dev, env, entry.provider, entry.args);
    if (err !== 0) break;
  }
  return err;
}

/** v4.7: `of_iommu_configure` without fwspec, deferral or PCI. */
function ofIommuConfigureV47(core: IommuCore, dev: Device, env: OfIommuEnv, master: FdtNode): IommuConfigureResult {
  let ops: IommuOps | null = null;
  if (toPciDev(dev) === undefined) {
    for (const entry of ofParsePhandleList(env.dt, master, "iommus", "#iommu-cells").entries) {
      const fwnode = env.fwnodeOf(entry.provider);
      ops = opsFromFwnode(core, fwnode);
      if (ops === null || ops.ofXlate === undefined || ops.ofXlate(dev, { fwnode, args: entry.args }) !== 0) {
        ops = null;
        break;
      }
    }
  }
  core.trace.emit({ type: "iommu-configure", device: dev.name, firmware: "of", result: ops === null ? "none" : "ops", err: 0 });
  return { ok: true, ops };
}

/**
 * `of_iommu_configure(dev, master_np, id)`: the IOMMU ops for `dev` (null: none) or -EPROBE_DEFER.
 * `master` is `dev->of_node` for a platform device, the host bridge's parent node for PCI; `id` is the fsl-mc style
 * input ID for non-PCI `iommu-map` users.
 *
 * @see drivers/iommu/of_iommu.c of_iommu_configure
 */
export function ofIommuConfigure(core: IommuCore, dev: Device, master: FdtNode | null, env: OfIommuEnv, id?: number): IommuConfigureResult {
  if (master === null) return { ok: true, ops: null };
  if (core.era.ofPciAliases === "unsupported") return ofIommuConfigureV47(core, dev, env, master);
  const existing = fwspecGet(dev);
  if (existing !== null) {
    if (existing.ops !== null) {
      core.trace.emit({ type: "iommu-configure", device: dev.name, firmware: "of", result: "ops", err: 0 });
      return { ok: true, ops: existing.ops };
    }
    fwspecFree(core, dev); // the deferred case: start again from scratch
  }
  const pdev = toPciDev(dev);
  let err: number;
  if (pdev !== undefined) {
    if (core.era.ofIommuRequestsAcs) core.pci?.requestAcs();
    if (core.era.ofPciAliases === "last") {
      const aliases = pciDmaAliases(pdev);
      const rid = aliases[aliases.length - 1]?.alias ?? 0;
      err = configureDevId(core, dev, env, master, rid);
    } else err = pciForEachDmaAlias(pdev, (_p, alias) => configureDevId(core, dev, env, master, alias));
  } else err = id === undefined ? configureDev(core, dev, env, master) : configureDevId(core, dev, env, master, id);
  let ops: IommuOps | null = null;
  if (err === 0) ops = fwspecGet(dev)?.ops ?? null;
  if (err === 0 && dev.bus !== null && !deviceIommuMapped(dev)) {
    if (core.era.probePath === "probe_device") err = probeForEra(core, dev, "of-replay");
    else if (ops?.addDevice !== undefined) err = probeForEra(core, dev, "of-replay", ops);
  }
  if (err === EPROBE_DEFER) {
    core.trace.emit({ type: "iommu-configure", device: dev.name, firmware: "of", result: "defer", err });
    return { ok: false, errno: EPROBE_DEFER };
  }
  if (err < 0) {
    if (core.debugOn("drivers/iommu/of_iommu.c")) devPrintk(core.trace, "debug", dev, "drivers/iommu/of_iommu.c", `Adding to IOMMU failed: ${err}`);
    ops = null;
  } else if (err > 0) ops = null;
  core.trace.emit({ type: "iommu-configure", device: dev.name, firmware: "of", result: ops === null ? "none" : "ops", err: err < 0 ? err : 0 });
  return { ok: true, ops };
}
