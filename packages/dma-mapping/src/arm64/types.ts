/**
 * The arm64 DMA setup policy interface: one object per kernel generation behind the same calls the kernel makes
 * (`arch_setup_dma_ops` from the firmware glue, `arch_teardown_dma_ops` from the driver core or the device's
 * destroyer, `__iommu_dma_init` at arch_initcall).
 *
 * @see arch/arm64/mm/dma-mapping.c
 */
import type { Bus, Device } from "@dmasim/driver-core";
import type { ArchSetupDmaArgs } from "../device-dma";

/** The generations of arch/arm64/mm/dma-mapping.c this package models. */
export type Arm64DmaSetupPolicyName = "v4.7" | "v4.8" | "v4.8-not-bound" | "v4.12" | "v6.1";

/** An `iommu_dma_masters` entry (`struct iommu_dma_notifier_data`). */
export interface IommuDmaMasterEntry {
  readonly dev: Device;
  /** The IOMMU ops `arch_setup_dma_ops` was given (opaque here). */
  readonly iommu: object;
  readonly dmaBase: number;
  readonly size: number;
}

/** Options of the hypothetical `v4.8-not-bound` cleanup. */
export interface NotBoundCleanupOptions {
  /**
   * Whether the cleanup also unmaps what the failed probe (or the unbound driver) left mapped through iommu-dma, so
   * its IOVAs and page-table entries go away with the ops (default true). Coherent buffers still mapped are freed.
   */
  readonly unmapProbeIovas?: boolean;
}

/**
 * One generation's arm64 DMA setup.
 *
 * @see arch/arm64/mm/dma-mapping.c arch_setup_dma_ops, arch_teardown_dma_ops
 */
export interface Arm64DmaSetup {
  readonly policy: Arm64DmaSetupPolicyName;
  /** True for `v4.8-not-bound` (the cleanup Marek asked for; never merged). */
  readonly hypothetical: boolean;
  /**
   * `arch_setup_dma_ops(dev, dma_base, size, iommu, coherent)`.
   *
   * @see arch/arm64/mm/dma-mapping.c arch_setup_dma_ops
   */
  archSetupDmaOps(dev: Device, args: ArchSetupDmaArgs): void;
  /**
   * `arch_teardown_dma_ops(dev)`: clears the ops pointer. It never removes a queued attach (v4.7–v4.11).
   *
   * @see arch/arm64/mm/dma-mapping.c arch_teardown_dma_ops
   */
  archTeardownDmaOps(dev: Device): void;
  /**
   * `__iommu_dma_init` (arch_initcall): registers `__iommu_attach_notifier` on each of `buses` (the kernel's
   * platform, amba and, with CONFIG_PCI, pci) at the generation's action and priority, and in v4.7 drains the queue
   * once for devices queued earlier (722ec35f7fae). Returns 0 (a no-op in v4.12 and later, where the notifier is gone).
   *
   * @see arch/arm64/mm/dma-mapping.c __iommu_dma_init
   */
  iommuDmaInit(buses: readonly Bus[]): number;
  /** `iommu_dma_masters`, head first (empty from v4.12). */
  readonly queue: readonly IommuDmaMasterEntry[];
}
