/**
 * The factory for the arm64 DMA setup of a generation.
 *
 * @see arch/arm64/mm/dma-mapping.c
 */
import type { DriverCore } from "@dmasim/driver-core";
import type { DmaSubsystem } from "../subsystem";
import { AttachQueueSetup } from "./attach-queue";
import { ProbeTimeSetup } from "./probe-time";
import type { Arm64DmaSetup, Arm64DmaSetupPolicyName, NotBoundCleanupOptions } from "./types";

/** What the setup of a generation needs. */
export interface Arm64DmaSetupDeps {
  readonly dma: DmaSubsystem;
  /** The driver core (for `bus_register_notifier`). */
  readonly core: DriverCore;
  /** Only for `v4.8-not-bound`. */
  readonly cleanup?: NotBoundCleanupOptions;
}

/**
 * The arm64 DMA setup of `policy`. The DMA subsystem's era should be the same generation (`DMA_ERAS[policy]`); the
 * two are separate so a custom profile can mix them.
 *
 * @see arch/arm64/mm/dma-mapping.c arch_setup_dma_ops
 */
export function createArm64DmaSetup(policy: Arm64DmaSetupPolicyName, deps: Arm64DmaSetupDeps): Arm64DmaSetup {
  switch (policy) {
    case "v4.7":
    case "v4.8":
    case "v4.8-not-bound":
      return new AttachQueueSetup(policy, deps.dma, deps.core, deps.cleanup);
    case "v4.12":
    case "v6.1":
      return new ProbeTimeSetup(policy, deps.dma);
  }
}
