/**
 * The board's PCI/MSI irq domain and `pci_alloc_irq_vectors` for the composition's PCI drivers: MSI-X, then MSI,
 * sized from the function's capabilities (`__pci_enable_msix_range` / `__pci_enable_msi_range`), each vector's
 * message composed by the MSI controller — the GICv3 ITS (`its_pci_msi_prepare`: the DeviceID is the function's last
 * DMA alias through the host bridge's `msi-map` under DT, which `of_map_id` logs; `its_irq_domain_alloc` →
 * `iommu_dma_prepare_msi` with `GITS_TRANSLATER`) or the GICv2m frame (`MSI_SETSPI_NS`, one SPI per vector). The
 * doorbell page is mapped into the function's IOMMU DMA domain the first time any function of the domain allocates a
 * vector, which is where the 6.1 logs show `iommu: map: iova 0xfffff000 pa <doorbell page>`.
 *
 * The same domain is handed to `@dmasim/pci`'s drivers (pcieport, shpchp) through the device's well-known
 * `dev->msi.domain` slot, set before a PCI driver first probes the function (`pci_set_msi_domain` does it at
 * `pci_device_add`; nothing reads it before a probe).
 *
 * @see drivers/pci/msi/msi.c __pci_enable_msix_range, __pci_enable_msi_range, pci_msix_vec_count, pci_msi_vec_count
 * @see drivers/irqchip/irq-gic-v3-its-pci-msi.c its_pci_msi_prepare; drivers/pci/msi/irqdomain.c pci_msi_domain_get_msi_rid
 * @see drivers/irqchip/irq-gic-v3-its.c its_irq_domain_alloc; drivers/irqchip/irq-gic-v2m.c gicv2m_irq_domain_alloc
 * @see drivers/iommu/dma-iommu.c iommu_dma_prepare_msi; drivers/of/base.c of_map_id; drivers/of/irq.c of_msi_map_id
 */
import { Errno, printk, type Device, type DeviceDataKey } from "@dmasim/driver-core";
import { fdtGetProp, ofMapId } from "@dmasim/firmware";
import { PciCapId } from "@dmasim/machine";
import { pciFindCapability, pciForEachDmaAlias, pciReadConfig, pciWriteConfig, toPciDev, type PciDev } from "@dmasim/pci";
import type { Kernel } from "../boot/kernel";
import { msiDoorbell, raiseMsi } from "../dma-actions";
import { isOfFwnode } from "../firmware-glue/fwnode";

/** `PCI_IRQ_LEGACY` / `PCI_IRQ_MSI` / `PCI_IRQ_MSIX`. */
export const PciIrqFlag = { LEGACY: 1, MSI: 2, MSIX: 4, ALL_TYPES: 7 } as const;

/** The interrupt vectors a function has: their kind, and per vector the message (address, data) it writes. */
export interface PciIrqVectors {
  readonly kind: "msix" | "msi" | "intx";
  readonly messages: readonly { readonly address: number; readonly data: number }[];
}

/** `dev->msi.domain` as `@dmasim/pci` declares it (`PCI_MSI_DOMAIN`, a `Symbol.for` slot shared by name). */
interface PciMsiDomain {
  readonly allocIrqVectors: (pdev: PciDev, min: number, max: number, flags: number) => number;
  readonly freeIrqVectors: (pdev: PciDev) => void;
}
const PCI_MSI_DOMAIN: DeviceDataKey<PciMsiDomain> = { name: "msi-domain", id: Symbol.for("@dmasim/dev.msi.domain") };

const MSI_FLAGS = 2;
const MSI_FLAGS_ENABLE = 0x0001;
const MSI_FLAGS_64BIT = 0x0080;
const MSIX_FLAGS = 2;
const MSIX_FLAGS_QSIZE = 0x07ff;
const MSIX_FLAGS_ENABLE = 0x8000;

/** Per kernel: each function's vectors, and the GICv2m SPIs handed out. */
const state = new WeakMap<Kernel, { readonly vectors: Map<string, PciIrqVectors>; nextSpi: number }>();

function stateOf(k: Kernel): { readonly vectors: Map<string, PciIrqVectors>; nextSpi: number } {
  let s = state.get(k);
  if (s === undefined) {
    s = { vectors: new Map(), nextSpi: 0 };
    state.set(k, s);
  }
  return s;
}

/** `pci_msix_vec_count` (table size) or `pci_msi_vec_count` (Multiple Message Capable); -EINVAL without the capability. */
function vecCount(pdev: PciDev, kind: "msix" | "msi"): number {
  const cap = pciFindCapability(pdev, kind === "msix" ? PciCapId.MSIX : PciCapId.MSI);
  if (cap === 0) return -Errno.EINVAL;
  const ctrl = pciReadConfig(pdev, cap + (kind === "msix" ? MSIX_FLAGS : MSI_FLAGS), 2);
  return kind === "msix" ? (ctrl & MSIX_FLAGS_QSIZE) + 1 : 1 << ((ctrl >>> 1) & 0x7);
}

/** The requester ID `pci_msi_domain_get_msi_rid` starts from: the last DMA alias (`get_msi_id_cb`). */
function lastAlias(pdev: PciDev): number {
  let rid = (pdev.bus.number << 8) | pdev.devfn;
  pciForEachDmaAlias(pdev, (_p, alias) => {
    rid = alias;
    return 0;
  });
  return rid;
}

/**
 * `its_pci_msi_prepare` under DT: `of_msi_map_id` translates the function's last alias through the host bridge's
 * `msi-map`, and `of_map_id` logs the translation (`drivers/of/base.c`, debug).
 */
function logMsiMapId(k: Kernel, pdev: PciDev): void {
  const fw = k.platform.firmware;
  const host = pdev.bus.host.ofNode;
  if (fw.kind !== "dt" || !isOfFwnode(host)) return;
  const rid = lastAlias(pdev);
  const r = ofMapId(fw.dt, host.node, rid, "msi-map", { era: "v6.1" });
  const prop = fdtGetProp(host.node, "msi-map");
  if (r.kind !== "mapped" || prop === undefined) return;
  const file = "drivers/of/base.c";
  if (!(k.iommu?.debugOn(file) ?? true)) return;
  const dv = new DataView(prop.value.buffer, prop.value.byteOffset, prop.value.byteLength);
  const maskProp = fdtGetProp(host.node, "msi-map-mask");
  const mask = maskProp !== undefined && maskProp.value.length >= 4 ? new DataView(maskProp.value.buffer, maskProp.value.byteOffset, 4).getUint32(0) : 0xffffffff;
  const h = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");
  const e = r.entry * 16;
  printk(
    k.trace,
    "debug",
    "OF",
    file,
    `${fw.dt.pathOf(host.node)}: msi-map, using mask ${h(mask)}, id-base: ${h(dv.getUint32(e))}, out-base: ${h(dv.getUint32(e + 8))}, length: ${h(dv.getUint32(e + 12))}, id: ${h(rid)} -> ${h(r.id)}`,
  );
}

/**
 * `msi_domain_alloc_irqs` on the board's MSI controller for `nvec` vectors: the messages, or a negative errno
 * (-ENOSYS without an MSI controller, -ENOMEM when the doorbell cannot be mapped).
 */
function domainAlloc(k: Kernel, pdev: PciDev, nvec: number): { address: number; data: number }[] | number {
  const doorbell = msiDoorbell(k);
  const dma = k.dma;
  if (doorbell === null || dma === null) return -Errno.ENOSYS;
  const its = k.platform.board.gic.its !== undefined;
  if (its) logMsiMapId(k, pdev);
  const s = stateOf(k);
  const out: { address: number; data: number }[] = [];
  for (let i = 0; i < nvec; i++) {
    const r = dma.iommuDmaPrepareMsi(pdev.dev, doorbell);
    if (!r.ok) return -Errno.ENOMEM;
    const spiBase = k.platform.board.gic.v2m?.spiBase ?? 0;
    out.push({ address: r.value, data: its ? i : spiBase + s.nextSpi++ });
  }
  return out;
}

/** Programs the capability as `pci_msi_domain_write_msg` and the enable paths do (the MSI-X table is in a BAR: not modelled). */
function program(pdev: PciDev, kind: "msix" | "msi", nvec: number, first: { address: number; data: number }): void {
  if (kind === "msix") {
    const cap = pciFindCapability(pdev, PciCapId.MSIX);
    pciWriteConfig(pdev, cap + MSIX_FLAGS, 2, pciReadConfig(pdev, cap + MSIX_FLAGS, 2) | MSIX_FLAGS_ENABLE);
    return;
  }
  const cap = pciFindCapability(pdev, PciCapId.MSI);
  const ctrl = pciReadConfig(pdev, cap + MSI_FLAGS, 2);
  const is64 = (ctrl & MSI_FLAGS_64BIT) !== 0;
  pciWriteConfig(pdev, cap + 4, 4, first.address % 2 ** 32);
  if (is64) pciWriteConfig(pdev, cap + 8, 4, Math.floor(first.address / 2 ** 32));
  pciWriteConfig(pdev, cap + (is64 ? 0xc : 0x8), 2, first.data & 0xffff);
  const mme = Math.log2(nvec) << 4;
  pciWriteConfig(pdev, cap + MSI_FLAGS, 2, (ctrl & ~0x70) | mme | MSI_FLAGS_ENABLE);
}

/** `__pci_enable_msix_range` / `__pci_enable_msi_range`: the count, or a negative errno. */
function enableRange(k: Kernel, pdev: PciDev, kind: "msix" | "msi", min: number, max: number): number {
  const s = stateOf(k);
  if (s.vectors.has(pdev.name)) return -Errno.EINVAL; // already enabled (the kernel WARNs)
  let nvec = vecCount(pdev, kind);
  if (nvec < 0) return nvec;
  if (nvec < min) return -Errno.ENOSPC;
  if (nvec > max) nvec = max;
  // MSI vectors come in powers of two (Multiple Message Enable).
  if (kind === "msi") while ((nvec & (nvec - 1)) !== 0) nvec &= nvec - 1;
  if (nvec < min) return -Errno.ENOSPC;
  const messages = domainAlloc(k, pdev, nvec);
  if (typeof messages === "number") return messages;
  program(pdev, kind, nvec, messages[0] as { address: number; data: number });
  s.vectors.set(pdev.name, { kind, messages });
  return nvec;
}

/**
 * `pci_alloc_irq_vectors(dev, min, max, flags)`: MSI-X, then MSI, then (`PCI_IRQ_LEGACY`, `min == 1`, an interrupt
 * pin) INTx. The vector count, or a negative errno.
 *
 * @see drivers/pci/msi/api.c pci_alloc_irq_vectors_affinity
 */
export function pciAllocIrqVectors(k: Kernel, pdev: PciDev, min: number, max: number, flags: number): number {
  let nvecs = -Errno.ENOSPC;
  if ((flags & PciIrqFlag.MSIX) !== 0) {
    nvecs = enableRange(k, pdev, "msix", min, max);
    if (nvecs > 0) return nvecs;
  }
  if ((flags & PciIrqFlag.MSI) !== 0) {
    nvecs = enableRange(k, pdev, "msi", min, max);
    if (nvecs > 0) return nvecs;
  }
  if ((flags & PciIrqFlag.LEGACY) !== 0 && min === 1 && pciReadConfig(pdev, 0x3d, 1) !== 0) {
    stateOf(k).vectors.set(pdev.name, { kind: "intx", messages: [] });
    return 1;
  }
  return nvecs;
}

/** `pci_free_irq_vectors(dev)`: the vectors go; the doorbell stays mapped in the domain (iommu-dma's MSI page list). */
export function pciFreeIrqVectors(k: Kernel, pdev: PciDev): void {
  const v = stateOf(k).vectors.get(pdev.name);
  if (v === undefined) return;
  stateOf(k).vectors.delete(pdev.name);
  if (v.kind === "intx") return;
  const cap = pciFindCapability(pdev, v.kind === "msix" ? PciCapId.MSIX : PciCapId.MSI);
  const reg = cap + (v.kind === "msix" ? MSIX_FLAGS : MSI_FLAGS);
  pciWriteConfig(pdev, reg, 2, pciReadConfig(pdev, reg, 2) & ~(v.kind === "msix" ? MSIX_FLAGS_ENABLE : MSI_FLAGS_ENABLE));
}

/** The function's vectors, if it allocated any. */
export function pciIrqVectors(k: Kernel, dev: Device): PciIrqVectors | undefined {
  return stateOf(k).vectors.get(dev.name);
}

/**
 * The function signals vector `index`: an MSI write of the vector's message, delivered when the boot thread next
 * yields (the device does it asynchronously). An INTx line is not modelled (nothing is written). Returns whether an
 * MSI was raised.
 */
export function signalIrqLater(k: Kernel, dev: Device, index: number): boolean {
  const msg = pciIrqVectors(k, dev)?.messages[index];
  if (msg === undefined) return false;
  k.raiseLater(() => void raiseMsi(k, dev, msg.address, msg.data));
  return true;
}

/**
 * `pci_set_msi_domain(dev)`: gives a PCI function the board's MSI domain in its `dev->msi.domain` slot (for
 * `@dmasim/pci`'s drivers). Idempotent.
 */
export function pciSetMsiDomain(k: Kernel, dev: Device): void {
  const pdev = toPciDev(dev);
  if (pdev === undefined || dev.hasData(PCI_MSI_DOMAIN)) return;
  dev.setData(PCI_MSI_DOMAIN, {
    allocIrqVectors: (p, min, max, flags) => pciAllocIrqVectors(k, p, min, max, flags & (PciIrqFlag.MSI | PciIrqFlag.MSIX)),
    freeIrqVectors: (p) => pciFreeIrqVectors(k, p),
  });
}
