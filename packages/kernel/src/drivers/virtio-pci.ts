/**
 * `virtio_pci`: the PCI transport of virtio. Its probe only finds the device class, enables bus mastering and
 * registers the `virtio<N>` device on the virtio bus; interrupts and rings come later, when a class driver calls
 * `find_vqs` (MSI-X vectors first — one for config changes and one per queue that has a callback, else one shared,
 * else INTx — then one vring per queue). QEMU's virtio devices without `iommu_platform=on` do not offer
 * VIRTIO_F_ACCESS_PLATFORM, so `vring_use_dma_api()` is false: rings and buffers are handed over by physical
 * address and the device reaches them directly (the machine routes its non-MSI DMA around the SMMU), while its MSI-X
 * writes go through the SMMU. A kicked request is completed by the device, which then raises the queue's vector only
 * if the queue has a callback (a queue without one has `VRING_AVAIL_F_NO_INTERRUPT` set).
 *
 * @see drivers/virtio/virtio_pci_common.c virtio_pci_probe, virtio_pci_remove, vp_find_vqs, vp_find_vqs_msix,
 *      vp_request_msix_vectors, vp_del_vqs; drivers/virtio/virtio_pci_modern_dev.c vp_modern_probe (the device id)
 * @see drivers/virtio/virtio_ring.c vring_use_dma_api, vring_create_virtqueue, virtqueue_disable_cb
 * @see hw/virtio/virtio.c virtio_should_notify (QEMU); hw/virtio/virtio-pci.c virtio_pci_notify
 */
import { Errno, type Device } from "@dmasim/driver-core";
import { PCI_ANY_ID, pciDevice, pciSetMaster, toPciDev, type PciDev } from "@dmasim/pci";
import type { Kernel } from "../boot/kernel";
import { performDmaOp } from "../dma-actions";
import { PciIrqFlag, pciAllocIrqVectors, pciFreeIrqVectors, pciIrqVectors, signalIrqLater } from "./msi";
import type { KernelDriver } from "./register";
import {
  VIRTIO_DEVICE,
  registerVirtioDevice,
  unregisterVirtioDevice,
  type Virtqueue,
  type VirtqueueSpec,
  type VirtioRequest,
  type VirtioTransport,
} from "./virtio-bus";

/** QEMU's queue sizes per queue name prefix (`virtio_add_queue` sizes in hw/virtio): net 256, rng 8, blk 256. */
function queueSize(name: string): number {
  if (name.startsWith("input")) return 8;
  if (name === "control") return 64;
  return 256;
}

/** `vring_size(num, align)` of a split ring, in whole pages (descriptors, avail ring, used ring). */
function vringBytes(num: number): number {
  const avail = 16 * num + 6 + 2 * num;
  const used = 6 + 8 * num;
  return Math.ceil((Math.ceil(avail / 4096) * 4096 + used) / 4096) * 4096;
}

/** `vp_find_vqs_msix(..., per_vq_vectors)`: the vectors, then each queue's vector index. 0 or a negative errno. */
function findVqsMsix(k: Kernel, pdev: PciDev, specs: readonly VirtqueueSpec[], perVq: boolean): (number | null)[] | number {
  const withCallback = specs.filter((s) => s.callback).length;
  const nvectors = perVq ? 1 + withCallback : 2;
  const got = pciAllocIrqVectors(k, pdev, nvectors, nvectors, PciIrqFlag.MSIX);
  if (got < 0) return got;
  let next = 1; // vector 0 is VP_MSIX_CONFIG_VECTOR
  return specs.map((s) => (!s.callback ? null : perVq ? next++ : 1));
}

/** The virtio-pci transport of one PCI function. */
function transport(k: Kernel, pdev: PciDev): VirtioTransport {
  const dev = pdev.dev;
  return {
    findVqs: (_vdev, specs) => {
      let vectors = findVqsMsix(k, pdev, specs, true);
      if (typeof vectors === "number") vectors = findVqsMsix(k, pdev, specs, false);
      if (typeof vectors === "number") {
        // vp_find_vqs_intx: no MSI-X; without an INTx line either, give up.
        if (pciAllocIrqVectors(k, pdev, 1, 1, PciIrqFlag.LEGACY) < 0) return vectors;
        vectors = specs.map(() => null);
      }
      const dma = k.dma;
      const vqs: Virtqueue[] = [];
      specs.forEach((s, index) => {
        if (dma !== null) performDmaOp(k, dma, dev, { op: "alloc-coherent", size: vringBytes(queueSize(s.name)), api: "phys" }, (d) => k.iommuView.domainTypeOf(d));
        vqs.push({ index, name: s.name, callback: s.callback, vector: (vectors as (number | null)[])[index] ?? null });
      });
      return vqs;
    },
    delVqs: () => pciFreeIrqVectors(k, pdev),
    kick: (_vdev, vq, request: VirtioRequest) => {
      const dma = k.dma;
      if (dma === null) return;
      // The device fills the buffer (by its guest-physical address), returns it on the used ring, and notifies.
      performDmaOp(k, dma, dev, { op: "map-single", size: request.bytes, api: "phys", dir: "from-device" }, (d) => k.iommuView.domainTypeOf(d));
      if (!vq.callback) return;
      const v = pciIrqVectors(k, dev);
      if (v?.kind === "msix" && vq.vector !== null) signalIrqLater(k, dev, vq.vector);
    },
    reset: () => undefined,
  };
}

/** The virtio device a transport function registered. */
const registered = new WeakMap<Device, Device>();

/**
 * `virtio_pci_probe`: vendor 0x1af4, device 0x1000–0x107f (others -ENODEV, as `vp_modern_probe` and the legacy
 * probe reject them); the class is the subsystem device ID for transitional devices (< 0x1040) and `device - 0x1040`
 * for modern-only ones; bus mastering; `register_virtio_device`.
 */
export function virtioPciDriver(k: Kernel): KernelDriver {
  return {
    name: "virtio-pci",
    match: { kind: "pci", ids: [pciDevice(0x1af4, PCI_ANY_ID)] },
    probe: (dev) => {
      const pdev = toPciDev(dev);
      if (pdev === undefined || pdev.device < 0x1000 || pdev.device > 0x107f) return -Errno.ENODEV;
      const id = { device: pdev.device < 0x1040 ? pdev.subsystemDevice : pdev.device - 0x1040, vendor: pdev.subsystemVendor };
      pciSetMaster(pdev);
      const vdev = registerVirtioDevice(k, dev, id, transport(k, pdev));
      if (vdev === null) {
        pciSetMaster(pdev, false);
        return -Errno.ENOMEM;
      }
      registered.set(dev, vdev);
      return 0;
    },
    remove: (dev) => {
      const vdev = registered.get(dev);
      if (vdev !== undefined && vdev.hasData(VIRTIO_DEVICE)) unregisterVirtioDevice(k, vdev);
      registered.delete(dev);
      const pdev = toPciDev(dev);
      if (pdev !== undefined) pciSetMaster(pdev, false);
    },
  };
}
