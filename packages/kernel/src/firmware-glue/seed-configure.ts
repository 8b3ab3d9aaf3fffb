/**
 * Firmware IOMMU configuration as the tree the seed patch was posted against did it at device creation: Robin
 * Murphy's generic bindings (`of_iommu_configure` with `iommu-map` for PCI and `iommus` for platform devices, ops
 * looked up by firmware node, `iommu_fwspec`, `of_xlate`) and Lorenzo Pieralisi's IORT RFC (the same for ACPI:
 * RID → root complex → SMMU node, `iommu_fwspec_add_ids`). Neither deferred nor replayed `add_device` (both came
 * with v4.12's probe-time configuration): missing ops mean "no IOMMU", found ops are returned whether or not the
 * IOMMU driver has seen the device yet — which is what lets `arch_setup_dma_ops` queue an attach for later.
 *
 * @see drivers/iommu/of_iommu.c of_iommu_configure, of_pci_iommu_configure (v4.9)
 * @see "[RFC PATCH v2 00/15] ACPI IORT ARM SMMU support" (June 2016), iort_iommu_configure
 */
import type { Device } from "@dmasim/driver-core";
import { iortMapPciRid, ofMapId, ofParsePhandleList, type FdtNode } from "@dmasim/firmware";
import type { IommuConfigureResult, IommuOps } from "@dmasim/iommu";
import { pciForEachDmaAlias, toPciDev } from "@dmasim/pci";
import type { Kernel } from "../boot/kernel";

/** The requester ID `pci_for_each_dma_alias` ends on (the last alias wins, as `of_pci_iommu_configure` kept it). */
function lastAlias(dev: Device): number | null {
  const pdev = toPciDev(dev);
  if (pdev === undefined) return null;
  let rid = (pdev.bus.number << 8) | pdev.devfn;
  pciForEachDmaAlias(pdev, (_p, alias) => {
    rid = alias;
    return 0;
  });
  return rid;
}

function xlate(k: Kernel, dev: Device, ops: IommuOps | null, fwnode: Parameters<NonNullable<IommuOps["ofXlate"]>>[1]["fwnode"], args: readonly number[]): IommuOps | null {
  const iommu = k.iommu;
  if (iommu === null || ops === null || ops.ofXlate === undefined) return null;
  if (iommu.iommuFwspecInit(dev, fwnode, ops) !== 0) return null;
  return ops.ofXlate(dev, { fwnode, args }) === 0 ? ops : null;
}

/** The seed tree's `of_iommu_configure(dev, master_np)`. */
export function ofIommuConfigureSeed(k: Kernel, dev: Device, master: FdtNode): IommuConfigureResult {
  const fw = k.platform.firmware;
  const iommu = k.iommu;
  if (fw.kind !== "dt" || iommu === null) return { ok: true, ops: null };
  const rid = lastAlias(dev);
  let ops: IommuOps | null = null;
  if (rid !== null) {
    const m = ofMapId(fw.dt, master, rid, "iommu-map", { era: "v4.12" });
    if (m.kind === "mapped") {
      const fwnode = k.fwnodes.of(m.target);
      ops = xlate(k, dev, iommu.iommuOpsFromFwnode(fwnode), fwnode, [m.id]);
    }
  } else {
    for (const entry of ofParsePhandleList(fw.dt, master, "iommus", "#iommu-cells").entries) {
      const fwnode = k.fwnodes.of(entry.provider);
      ops = xlate(k, dev, iommu.iommuOpsFromFwnode(fwnode), fwnode, entry.args);
      if (ops === null) break;
    }
  }
  k.trace.emit({ type: "iommu-configure", device: dev.name, firmware: "of", result: ops === null ? "none" : "ops", err: 0 });
  return { ok: true, ops };
}

/** The IORT RFC's `iort_iommu_configure(dev)` for a PCI device. */
export function iortIommuConfigureRfc(k: Kernel, dev: Device): IommuConfigureResult {
  const fw = k.platform.firmware;
  const iommu = k.iommu;
  const pdev = toPciDev(dev);
  const rid = lastAlias(dev);
  if (fw.kind !== "acpi" || iommu === null || pdev === undefined || rid === null) return { ok: true, ops: null };
  const r = iortMapPciRid(fw.iort, pdev.bus.domain, rid);
  let ops: IommuOps | null = null;
  if (r.kind === "smmu" && k.iortSmmuNode(r.node)) {
    const fwnode = k.fwnodes.acpi(`iort-node-${r.node}`, r.node);
    const found = iommu.iommuOpsFromFwnode(fwnode);
    if (found !== null && iommu.iommuFwspecInit(dev, fwnode, found) === 0 && iommu.iommuFwspecAddIds(dev, [r.streamId]) === 0) ops = found;
  }
  k.trace.emit({ type: "iommu-configure", device: dev.name, firmware: "iort", result: ops === null ? "none" : "ops", err: 0 });
  return { ok: true, ops };
}
