/**
 * The attach step every generation shares: find the device's IOMMU domain, give it an IOVA allocator
 * (`iommu_dma_init_domain`) and switch the device to `iommu_dma_ops`, or warn and keep the platform ops.
 *
 * @see arch/arm64/mm/dma-mapping.c do_iommu_attach (v4.7, v4.8), __iommu_setup_dma_ops (v4.12)
 * @see drivers/iommu/dma-iommu.c iommu_setup_dma_ops (v6.1)
 */
import { printk, type Device } from "@dmasim/driver-core";
import { iommuIsDmaType } from "@dmasim/iommu";
import type { DmaSubsystem } from "../subsystem";

/** Which kernel function is attaching (names the trace event and the warning's source file). */
export type AttachVia = "do_iommu_attach" | "__iommu_setup_dma_ops" | "iommu_setup_dma_ops";

/** The warning every generation prints when the attach fails. */
export function warnRetainingPlatformOps(dma: DmaSubsystem, dev: Device, via: AttachVia): void {
  const file = via === "iommu_setup_dma_ops" ? "drivers/iommu/dma-iommu.c" : "arch/arm64/mm/dma-mapping.c";
  printk(dma.ctx.trace, "warning", null, file, `Failed to set up IOMMU for device ${dev.name}; retaining platform DMA ops`);
}

/**
 * Attach `dev` to iommu-dma through its current domain. `requireDmaType`: v4.12+ attach only DMA / DMA-FQ domains
 * and leave identity domains on the platform ops silently; v4.x treated any domain alike (an identity domain has no
 * cookie, so `iommu_dma_init_domain` fails and the warning prints). Returns whether the device now has iommu ops.
 */
export function attachIommuDma(
  dma: DmaSubsystem,
  dev: Device,
  dmaBase: number,
  size: number,
  via: AttachVia,
  requireDmaType: boolean,
): boolean {
  const ctx = dma.ctx;
  const domain = ctx.iommu?.getDomainForDev(dev) ?? null;
  const label = domain === null ? null : domain.id;
  if (dev.isDead) {
    ctx.trace.emit({ type: "iommu-dma-error", device: dev.name, message: `${via} on a deleted device (use after free)` });
  }
  if (domain !== null && requireDmaType && !iommuIsDmaType(domain.type)) {
    ctx.trace.emit({ type: "iommu-dma-attach", device: dev.name, ok: false, domain: label, via });
    return false;
  }
  const limit = size > 0 ? dmaBase + size - 1 : dmaBase;
  const ok = domain !== null && dma.iommuDmaInitDomain(domain, dmaBase, limit, dev) === 0;
  ctx.trace.emit({ type: "iommu-dma-attach", device: dev.name, ok, domain: label, via });
  if (!ok) {
    warnRetainingPlatformOps(dma, dev, via);
    return false;
  }
  dma.setDmaOps(dev, dma.ops.iommu, via === "do_iommu_attach" ? "do_iommu_attach" : "iommu_setup_dma_ops");
  return true;
}
