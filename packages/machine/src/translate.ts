/**
 * The contract between a bus master's transactions and whatever IOMMU sits in front of it. The machine knows only
 * this interface; `@dmasim/iommu/smmuv3-hw` implements it.
 */
import type { PhysAddr } from "./memory";

/** An upstream transaction as it reaches an IOMMU. */
export interface IommuTransaction {
  /** The StreamID the interconnect presents for this requester. */
  readonly streamId: number;
  /** The input (IO virtual or untranslated) address. */
  readonly iova: number;
  readonly access: "read" | "write";
  readonly size: number;
  /** SubstreamID (PASID), when the master supplies one (PCIe PASID prefix). QEMU 7.2 never does. */
  readonly ssid?: number;
  /** An ATS-translated transaction (the device already holds a translation from the ATC). */
  readonly atsTranslated?: boolean;
}

/** What the IOMMU did with a transaction. */
export type TranslateOutcome =
  /** Translated through the stream's page tables. */
  | { readonly kind: "translated"; readonly pa: PhysAddr }
  /** Passed through untranslated (bypass STE, or the SMMU disabled with GBPA bypass). */
  | { readonly kind: "bypass"; readonly pa: PhysAddr }
  /**
   * Aborted. `eventId` is the event the IOMMU recorded (e.g. 0x10 F_TRANSLATION), or `null` when it aborted silently
   * (abort STE, GBPA abort, or a fault not recorded because CD.R = 0).
   */
  | { readonly kind: "abort"; readonly reason: string; readonly eventId: number | null };

/**
 * Implemented by an IOMMU model; called by the interconnect for each DMA transaction from a master behind it.
 *
 * @see include/exec/memory.h struct IOMMUMemoryRegionClass (translate)
 */
export interface IommuTranslateHook {
  translate(txn: IommuTransaction): TranslateOutcome;
}
