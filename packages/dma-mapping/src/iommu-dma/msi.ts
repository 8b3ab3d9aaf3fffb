/**
 * MSI doorbells behind an IOMMU: a device's MSI write is a DMA like any other, so when its domain translates, the
 * doorbell page (the GICv3 ITS `GITS_TRANSLATER` page or the GICv2m frame) must be mapped in the domain and the
 * message address rewritten to the IOVA. Each domain maps a doorbell page once (`msi_page_list`), at an IOVA from the
 * normal allocator (so on a fresh domain of a PCI device it is 0xfffff000, as the real 6.1 log shows:
 * `iommu: map: iova 0xfffff000 pa 0x0000000008090000 size 0x1000`). Domains without an iommu-dma cookie (identity)
 * leave the address physical.
 *
 * @see drivers/iommu/dma-iommu.c iommu_dma_prepare_msi, iommu_dma_get_msi_page, iommu_dma_compose_msi_msg
 */
import { Errno, type Device } from "@dmasim/driver-core";
import { IommuProt } from "@dmasim/iommu";
import type { DmaContext } from "../context";
import { cookieOf } from "./cookie";
import { iommuDmaAllocIova, iommuDmaFreeIova } from "./iova-ops";

/**
 * The address a device must write its MSI to: `{ ok: true, value }`, or -ENOMEM when the page could not be mapped.
 *
 * @see drivers/iommu/dma-iommu.c iommu_dma_prepare_msi, iommu_dma_get_msi_page
 */
export type MsiPrepareResult = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: number };

/**
 * `iommu_dma_prepare_msi(desc, msi_addr)` + `iommu_dma_compose_msi_msg`: the message address for a doorbell at
 * physical address `msiAddr`, mapping its page into the device's current domain first if needed.
 */
export function iommuDmaPrepareMsi(ctx: DmaContext, dev: Device, msiAddr: number): MsiPrepareResult {
  if (!ctx.era.iommuDma.msiPages || ctx.iommu === null) return { ok: true, value: msiAddr };
  const domain = ctx.iommu.getDomainForDev(dev);
  const cookie = cookieOf(domain);
  if (domain === null || cookie === null || cookie.iovad === null) return { ok: true, value: msiAddr };
  const iovad = cookie.iovad;
  const granule = iovad.granule;
  const page = msiAddr - (msiAddr % granule);
  const offset = msiAddr - page;
  const existing = cookie.msiPages.find((p) => p.phys === page);
  if (existing !== undefined) {
    ctx.trace.emit({ type: "iommu-dma-msi-page", device: dev.name, domain: cookie.label, doorbell: page, iova: existing.iova, reused: true });
    return { ok: true, value: existing.iova + offset };
  }
  const st = ctx.state(dev);
  const iova = iommuDmaAllocIova(ctx, dev, st, domain, cookie, granule, st.dmaMask);
  if (iova === 0) return { ok: false, error: -Errno.ENOMEM };
  const prot = IommuProt.IOMMU_WRITE | IommuProt.IOMMU_NOEXEC | IommuProt.IOMMU_MMIO;
  if (ctx.iommu.map(domain, iova, page, granule, prot) !== 0) {
    iommuDmaFreeIova(ctx, cookie, iova, granule, null);
    return { ok: false, error: -Errno.ENOMEM };
  }
  cookie.msiPages.push({ phys: page, iova });
  ctx.trace.emit({ type: "iommu-dma-msi-page", device: dev.name, domain: cookie.label, doorbell: page, iova, reused: false });
  return { ok: true, value: iova + offset };
}
