/**
 * arm64 DMA setup once DMA is configured at probe time (v4.12's `dma_configure` in `really_probe`, and modern
 * kernels): the IOMMU core has already put the device in a group with a default domain, so `arch_setup_dma_ops`
 * attaches at once. No queue, no notifier.
 *
 * - v4.12: the ops pointer defaults to `swiotlb_dma_ops`; a DMA domain gets `iommu_dma_ops`, an IDENTITY domain keeps
 *   swiotlb; teardown clears the pointer, so an unconfigured or torn-down device falls back to `dummy_dma_ops`.
 * - v6.1: the pointer stays NULL (dma-direct) unless a DMA or DMA-FQ domain gives `iommu_dma_ops`.
 *
 * @see arch/arm64/mm/dma-mapping.c arch_setup_dma_ops, __iommu_setup_dma_ops, arch_teardown_dma_ops (v4.12, v6.1)
 * @see drivers/iommu/dma-iommu.c iommu_setup_dma_ops (v6.1)
 */
import type { Device } from "@dmasim/driver-core";
import type { ArchSetupDmaArgs } from "../device-dma";
import type { DmaSubsystem } from "../subsystem";
import { attachIommuDma } from "./attach";
import type { Arm64DmaSetup, IommuDmaMasterEntry } from "./types";

/** The probe-time generations. */
export type ProbeTimePolicy = "v4.12" | "v6.1";

const NO_QUEUE: readonly IommuDmaMasterEntry[] = [];

/** An arm64 DMA setup that attaches immediately. */
export class ProbeTimeSetup implements Arm64DmaSetup {
  readonly policy: ProbeTimePolicy;
  readonly hypothetical = false;
  readonly queue = NO_QUEUE;
  readonly #dma: DmaSubsystem;

  constructor(policy: ProbeTimePolicy, dma: DmaSubsystem) {
    this.policy = policy;
    this.#dma = dma;
  }

  archSetupDmaOps(dev: Device, args: ArchSetupDmaArgs): void {
    const dma = this.#dma;
    const st = dma.deviceInit(dev);
    if (this.policy === "v4.12" && st.ops === null) dma.setDmaOps(dev, dma.ops.swiotlb, "arch_setup_dma_ops");
    st.coherent = args.coherent;
    st.archSetup = { ...args };
    if (args.iommu === null) return;
    attachIommuDma(dma, dev, args.dmaBase, args.size, this.policy === "v4.12" ? "__iommu_setup_dma_ops" : "iommu_setup_dma_ops", true);
  }

  archTeardownDmaOps(dev: Device): void {
    this.#dma.setDmaOps(dev, null, "arch_teardown_dma_ops");
  }

  iommuDmaInit(): number {
    return 0;
  }
}
