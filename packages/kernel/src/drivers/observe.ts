/**
 * What a device's DMA set-up looks like when `drv->probe` starts (the `probe-dma-state` record I-PROBE reads), and
 * the wrapper that records it for every driver the composition registers (its own and `@dmasim/pci`'s).
 */
import type { Device } from "@dmasim/driver-core";
import { dmaOpsKind } from "@dmasim/dma-mapping";
import { toPciDev } from "@dmasim/pci";
import type { Kernel } from "../boot/kernel";
import type { OpsKind } from "../events";

/**
 * The board SMMU a device's stream goes through, by the hardware wiring the firmware describes: a PCI function's
 * requester ID in its host bridge's map, a platform device's wiring. Null when none.
 */
export function boardSmmuOf(k: Kernel, dev: Device): string | null {
  const board = k.platform.board;
  const pdev = toPciDev(dev);
  if (pdev !== undefined) {
    const hb = board.pciHostBridges.find((h) => h.segment === pdev.bus.domain);
    const rid = (pdev.bus.number << 8) | pdev.devfn;
    return hb?.iommuMap.find((m) => rid >= m.ridBase && rid < m.ridBase + m.count)?.smmu ?? null;
  }
  return k.boardPlatformDevice(dev.name)?.iommu?.smmu ?? null;
}

/** The kernel name of the SMMU device a device sits behind (`9050000.smmuv3`, `arm-smmu-v3.0.auto`), or null. */
export function iommuDeviceOf(k: Kernel, dev: Device): string | null {
  const smmu = boardSmmuOf(k, dev);
  return smmu === null ? null : (k.smmuDeviceNames.get(smmu) ?? null);
}

/** The default-domain type the profile's policy and the command line give a device behind an IOMMU. */
export function expectedDefaultDomain(k: Kernel): string {
  const policy = k.profile.iommu.defaultDomainPolicy;
  const passthrough = k.cmdline.iommuPassthrough ?? k.profile.kconfig.iommuDefaultPassthrough;
  if (policy === "always-dma") return "DMA";
  if (passthrough) return "identity";
  if (policy === "def-domain-type") return "DMA";
  const strict = k.cmdline.iommuStrict ?? k.profile.kconfig.iommuDefaultDmaStrict;
  return strict ? "DMA" : "DMA-FQ";
}

/** Records the device's DMA state as `drv->probe` starts and counts the attempt; returns the attempt number. */
export function observeProbe(k: Kernel, dev: Device, driver: string): number {
  const attempt = (k.probeCalls.get(dev.name) ?? 0) + 1;
  k.probeCalls.set(dev.name, attempt);
  const behind = iommuDeviceOf(k, dev);
  const ops: OpsKind = dmaOpsKind(dev);
  k.trace.emit({
    type: "probe-dma-state",
    device: dev.name,
    driver,
    ops,
    behindIommu: behind,
    group: k.iommuView.groupOf(dev),
    domainType: k.iommuView.domainTypeOf(dev),
    expectDomain: behind === null ? null : expectedDefaultDomain(k),
    attempt,
  });
  return attempt;
}
