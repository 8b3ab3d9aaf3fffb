/**
 * The endpoint drivers of the default driver set for QEMU boards, as Debian's 6.1 kernel has them
 * (real-kernel-oracle.md §2, §7): `virtio-pci`, `e1000e` and `nvme`, modules loaded after late_initcall in the order
 * the reference boots' /init loads them (built in, at device_initcall in drivers/Makefile order, when the profile's
 * Kconfig says so). Each enables the device, does one DMA at probe, allocates one MSI(-X) vector (its doorbell
 * mapped through the IOMMU DMA domain when there is one) and raises it later.
 *
 * virtio: QEMU's virtio devices without `iommu_platform=on` do not offer VIRTIO_F_ACCESS_PLATFORM, so Linux's
 * `vring_use_dma_api()` is false and the vrings are handed over by physical address, while QEMU's device reads them
 * from guest-physical memory directly; only its MSI-X writes go through the SMMU.
 *
 * @see drivers/virtio/virtio_pci_common.c virtio_pci_probe, virtio_pci_id_table
 * @see drivers/virtio/virtio_ring.c vring_use_dma_api
 * @see drivers/net/ethernet/intel/e1000e/netdev.c e1000_probe (dma_set_mask_and_coherent(64))
 * @see drivers/nvme/host/pci.c nvme_probe, nvme_id_table (PCI_DEVICE_CLASS(PCI_CLASS_STORAGE_EXPRESS, 0xffffff))
 */
import { Errno, type Device } from "@dmasim/driver-core";
import { dmaBitMask } from "@dmasim/dma-mapping";
import { PCI_ANY_ID, pciDevice, pciDeviceClass, toPciDev } from "@dmasim/pci";
import type { Kernel } from "../boot/kernel";
import { runEndpointWork, type EndpointWork } from "./endpoint";
import type { KernelDriver } from "./register";

/** An endpoint driver of the default set: its driver, module name and initcall name. */
export interface DefaultEndpointDriver {
  readonly module: string;
  /** The `module_init` function (its initcall name when built in). */
  readonly initcall: string;
  readonly driver: (k: Kernel) => KernelDriver;
}

function endpoint(k: Kernel, name: string, ids: KernelDriver["match"], work: EndpointWork, accept: (dev: Device) => boolean, mask64: boolean): KernelDriver {
  const releases = new Map<string, (() => void)[]>();
  return {
    name,
    match: ids,
    probe: (dev) => {
      if (!accept(dev)) return -Errno.ENODEV;
      if (mask64) k.dma?.dmaSetMaskAndCoherent(dev, dmaBitMask(64));
      releases.set(dev.name, runEndpointWork(k, dev, work));
      return 0;
    },
    remove: (dev) => {
      for (const r of releases.get(dev.name) ?? []) r();
      releases.delete(dev.name);
    },
  };
}

/** `virtio-pci`: vendor 0x1af4, device 0x1000–0x107f (others rejected with -ENODEV). */
export const VIRTIO_PCI: DefaultEndpointDriver = {
  module: "virtio_pci",
  initcall: "virtio_pci_driver_init",
  driver: (k) =>
    endpoint(
      k,
      "virtio-pci",
      { kind: "pci", ids: [pciDevice(0x1af4, PCI_ANY_ID)] },
      { dma: [{ op: "alloc-coherent", size: 4096, api: "phys" }], msi: true },
      (dev) => {
        const d = toPciDev(dev)?.device ?? 0;
        return d >= 0x1000 && d <= 0x107f;
      },
      false,
    ),
};

/** `e1000e` (the 82574L QEMU models, 8086:10d3, among its ids): a descriptor ring through the DMA API. */
export const E1000E: DefaultEndpointDriver = {
  module: "e1000e",
  initcall: "e1000_init_module",
  driver: (k) =>
    endpoint(
      k,
      "e1000e",
      { kind: "pci", ids: [pciDevice(0x8086, 0x10d3), pciDevice(0x8086, 0x10f6), pciDevice(0x8086, 0x150c), pciDevice(0x8086, 0x153a)] },
      { dma: [{ op: "alloc-coherent", size: 4096 }], msi: true },
      () => true,
      true,
    ),
};

/** `nvme`: any NVM Express class function (QEMU's 1b36:0010 among them): the admin queue through the DMA API. */
export const NVME: DefaultEndpointDriver = {
  module: "nvme",
  initcall: "nvme_init",
  driver: (k) =>
    endpoint(
      k,
      "nvme",
      { kind: "pci", ids: [pciDevice(0x1b36, 0x0010), pciDeviceClass(0x010802, 0xffffff)] },
      { dma: [{ op: "alloc-coherent", size: 4096 }], msi: true },
      () => true,
      true,
    ),
};

/** The endpoint drivers in drivers/Makefile link order (virtio/ before nvme/ before net/)... */
export const DEFAULT_ENDPOINT_DRIVERS_LINK_ORDER: readonly DefaultEndpointDriver[] = [VIRTIO_PCI, NVME, E1000E];

/** ...and in the order the reference boots' /init insmods them (virtio_pci, e1000e, nvme). */
export const DEFAULT_ENDPOINT_MODULE_ORDER: readonly DefaultEndpointDriver[] = [VIRTIO_PCI, E1000E, NVME];
