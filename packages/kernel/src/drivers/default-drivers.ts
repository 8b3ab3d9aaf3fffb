/**
 * The endpoint drivers of the default driver set for QEMU boards, as Debian's 6.1 kernel has them
 * (real-kernel-oracle.md §2, §7): `virtio_pci` and the virtio class drivers (`virtio_net`, `virtio-rng`,
 * `virtio_blk`), `e1000e` and `nvme`, modules loaded after late_initcall in the order the reference boots' /init
 * loads them (`=== INIT: insmod` lines; the library modules that register no driver are left out). Each module
 * registers one driver, which is what prints "Extended deferred probe timeout by 10 secs" in 6.1. When the profile's
 * Kconfig builds them in, they register at device_initcall in drivers/Makefile order (virtio/ with the class drivers,
 * nvme/, net/).
 *
 * What each probe does decides the interrupts and doorbell mappings the real boots show: interrupt vectors first
 * (the doorbell page is mapped into an IOMMU DMA domain by the first vector allocated in it), then DMA; only devices
 * that complete a request at boot raise an MSI (virtio-rng's entropy request, nvme's admin commands).
 *
 * @see drivers/virtio/virtio_pci_common.c virtio_pci_probe, virtio_pci_id_table
 * @see drivers/net/ethernet/intel/e1000e/netdev.c e1000_probe, e1000e_set_interrupt_capability, e1000e_open
 * @see drivers/nvme/host/pci.c nvme_probe, nvme_reset_work, nvme_pci_enable, nvme_alloc_queue, nvme_id_table
 */
import { Errno, type Device } from "@dmasim/driver-core";
import { dmaBitMask } from "@dmasim/dma-mapping";
import { pciDevice, pciDeviceClass, pciSetMaster, toPciDev } from "@dmasim/pci";
import type { Kernel } from "../boot/kernel";
import { performDmaOp } from "../dma-actions";
import type { DmaOpSpec } from "../scenarios/types";
import { PciIrqFlag, pciAllocIrqVectors, pciFreeIrqVectors, signalIrqLater } from "./msi";
import type { KernelDriver } from "./register";
import { VIRTIO_BLK_SPEC, VIRTIO_NET_SPEC, VIRTIO_RNG_SPEC, virtioClassDriver } from "./virtio-drivers";
import { virtioPciDriver } from "./virtio-pci";

/** An endpoint driver of the default set: its driver, module name and initcall name. */
export interface DefaultEndpointDriver {
  readonly module: string;
  /** The `module_init` function (its initcall name when built in). */
  readonly initcall: string;
  readonly driver: (k: Kernel) => KernelDriver;
}

/** What a PCI endpoint's probe does, in order: the DMA mask, vectors, DMA, and whether a request completes. */
interface PciEndpointProbe {
  readonly mask64: boolean;
  /** `pci_alloc_irq_vectors(dev, min, max, flags)`. */
  readonly vectors: { readonly min: number; readonly max: number; readonly flags: number };
  readonly dma: readonly DmaOpSpec[];
  /** The device completes a request at boot and signals vector 0. */
  readonly completesRequest: boolean;
}

function pciEndpoint(k: Kernel, name: string, ids: KernelDriver["match"], work: PciEndpointProbe): KernelDriver {
  const releases = new Map<string, (() => void)[]>();
  return {
    name,
    match: ids,
    probe: (dev: Device) => {
      const pdev = toPciDev(dev);
      const dma = k.dma;
      if (pdev === undefined || dma === null) return -Errno.ENODEV;
      if (work.mask64) dma.dmaSetMaskAndCoherent(dev, dmaBitMask(64));
      pciSetMaster(pdev);
      pciAllocIrqVectors(k, pdev, work.vectors.min, work.vectors.max, work.vectors.flags);
      const made: (() => void)[] = [];
      for (const op of work.dma) {
        const r = performDmaOp(k, dma, dev, op, (d) => k.iommuView.domainTypeOf(d));
        if (r.release !== null) made.push(r.release);
      }
      releases.set(dev.name, made);
      if (work.completesRequest) signalIrqLater(k, dev, 0);
      return 0;
    },
    remove: (dev: Device) => {
      for (const r of (releases.get(dev.name) ?? []).reverse()) r();
      releases.delete(dev.name);
      const pdev = toPciDev(dev);
      if (pdev !== undefined) {
        pciFreeIrqVectors(k, pdev);
        pciSetMaster(pdev, false);
      }
    },
  };
}

/** `virtio-pci` (module `virtio_pci`); built in, the class drivers register with it (see `KernelDriver.alsoRegisters`). */
export const VIRTIO_PCI: DefaultEndpointDriver = {
  module: "virtio_pci",
  initcall: "virtio_pci_driver_init",
  driver: (k) => {
    const drv = virtioPciDriver(k);
    if (k.profile.kconfig.endpointDriversAsModules) return drv;
    return { ...drv, alsoRegisters: [virtioClassDriver(VIRTIO_RNG_SPEC), virtioClassDriver(VIRTIO_BLK_SPEC), virtioClassDriver(VIRTIO_NET_SPEC)] };
  },
};

/** `virtio_net` (module `virtio_net`). */
export const VIRTIO_NET: DefaultEndpointDriver = { module: "virtio_net", initcall: "virtio_net_driver_init", driver: () => virtioClassDriver(VIRTIO_NET_SPEC) };

/** `virtio_rng` (module `virtio-rng`). */
export const VIRTIO_RNG: DefaultEndpointDriver = { module: "virtio-rng", initcall: "virtio_rng_driver_init", driver: () => virtioClassDriver(VIRTIO_RNG_SPEC) };

/** `virtio_blk` (module `virtio_blk`). */
export const VIRTIO_BLK: DefaultEndpointDriver = { module: "virtio_blk", initcall: "virtio_blk_init", driver: () => virtioClassDriver(VIRTIO_BLK_SPEC) };

/**
 * `e1000e` (the 82574L QEMU models, 8086:10d3, among its ids): 64-bit mask, bus mastering, three MSI-X vectors
 * (`e1000e_set_interrupt_capability`: rx, tx, other; MSI then INTx as fallbacks). Its descriptor rings belong to
 * `e1000e_open`, which a boot without `ip link set up` never runs; the model allocates one ring at the end of probe
 * so the outcome shows where the function's DMA goes (after the vectors, so the doorbell keeps the domain's first
 * IOVA as in the real boots). The link is down: no interrupt at boot.
 */
export const E1000E: DefaultEndpointDriver = {
  module: "e1000e",
  initcall: "e1000_init_module",
  driver: (k) =>
    pciEndpoint(
      k,
      "e1000e",
      { kind: "pci", ids: [pciDevice(0x8086, 0x10d3), pciDevice(0x8086, 0x10f6), pciDevice(0x8086, 0x150c), pciDevice(0x8086, 0x153a)] },
      { mask64: true, vectors: { min: 3, max: 3, flags: PciIrqFlag.MSIX | PciIrqFlag.MSI | PciIrqFlag.LEGACY }, dma: [{ op: "alloc-coherent", size: 4096 }], completesRequest: false },
    ),
};

/**
 * `nvme`: any NVM Express class function (QEMU's 1b36:0010 among them). `nvme_reset_work` → `nvme_pci_enable`:
 * 64-bit mask, bus mastering, one vector of any type; then the admin queue (`nvme_alloc_queue`: completion queue,
 * then submission queue, a page each at depth 32); the admin commands that follow complete with an interrupt.
 */
export const NVME: DefaultEndpointDriver = {
  module: "nvme",
  initcall: "nvme_init",
  driver: (k) =>
    pciEndpoint(
      k,
      "nvme",
      { kind: "pci", ids: [pciDevice(0x1b36, 0x0010), pciDeviceClass(0x010802, 0xffffff)] },
      {
        mask64: true,
        vectors: { min: 1, max: 1, flags: PciIrqFlag.ALL_TYPES },
        dma: [
          { op: "alloc-coherent", size: 4096 },
          { op: "alloc-coherent", size: 4096 },
        ],
        completesRequest: true,
      },
    ),
};

/** The endpoint drivers in drivers/Makefile link order (virtio/ before nvme/ before net/)... */
export const DEFAULT_ENDPOINT_DRIVERS_LINK_ORDER: readonly DefaultEndpointDriver[] = [VIRTIO_PCI, NVME, E1000E];

/** ...and in the order the reference boots' /init insmods them. */
export const DEFAULT_ENDPOINT_MODULE_ORDER: readonly DefaultEndpointDriver[] = [VIRTIO_PCI, VIRTIO_NET, VIRTIO_RNG, VIRTIO_BLK, E1000E, NVME];
