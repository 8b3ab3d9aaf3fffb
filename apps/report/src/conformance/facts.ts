/**
 * The facts the comparison reads, the same shape on both sides: what the real kernel showed (sysfs dump plus console
 * log) and what the model predicts (per-device outcomes plus its printk trace, filtered by what the real console
 * would have shown). A field the real log cannot show is `{ ok: false, why }` and is not compared.
 */

/** A field that may be invisible in a given log. */
export type Observable<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: string };

/** One IOMMU group. */
export interface FactGroup {
  readonly id: number;
  /** `DMA`, `DMA-FQ`, `identity`, ...; null when the log does not say (no sysfs dump). */
  readonly type: string | null;
  /** Member devices, sorted. */
  readonly devices: readonly string[];
}

/** One SMMU event as the driver prints it (`event 0xNN received:` and four dwords). */
export interface FactSmmuEvent {
  readonly smmu: string;
  readonly id: number;
  /** StreamID (dword 0 bits 63:32). */
  readonly sid: number;
  /** Input address (dword 2), as 16 hex digits. */
  readonly addr: string;
  readonly dwords: readonly string[];
}

/** One `iommu: map: iova … pa … size …` line. */
export interface FactIommuMap {
  readonly iova: number;
  readonly pa: number;
  readonly size: number;
}

/** Everything compared. */
export interface BootFacts {
  /** Where groups and drivers came from. */
  readonly source: "sysfs" | "log" | "model";
  /** PCI functions (kernel names), sorted. */
  readonly pciFunctions: readonly string[];
  /** Groups, sorted by id. */
  readonly groups: readonly FactGroup[];
  /** Bound driver per PCI function (null: none), sorted by device. */
  readonly drivers: readonly { readonly device: string; readonly driver: string | null }[];
  /** StreamIDs per device (DT: the `iommu-map` translations of each configure, aliases included). */
  readonly streamIds: Observable<readonly { readonly device: string; readonly ids: readonly number[] }[]>;
  /** PCI functions in no group, with the log's reasons (sorted by device). */
  readonly ungrouped: readonly { readonly device: string; readonly reasons: readonly string[] }[];
  /** Devices in the order they were added to / retried from the deferred list. */
  readonly deferrals: Observable<{ readonly added: readonly string[]; readonly retried: readonly string[] }>;
  /** `iommu: Default domain type: …` (`Translated`, `Passthrough (set via kernel command line)`). */
  readonly defaultDomain: Observable<string | null>;
  /** `iommu: DMA domain TLB invalidation policy: …` (`strict mode`, `lazy mode (set via kernel command line)`). */
  readonly tlbPolicy: Observable<string | null>;
  readonly smmuEvents: Observable<readonly FactSmmuEvent[]>;
  /** MSI doorbell pages mapped into IOMMU domains (`iommu: map:` lines below RAM), in order. */
  readonly doorbellMaps: Observable<readonly FactIommuMap[]>;
}

/** The reason recorded for a device with no driver (6.1 groups a PCI device only when a driver probes it). */
export const NO_DRIVER_REASON = "no driver bound";

/** Normalises a default-domain type name to sysfs's spelling (`DMA`, `DMA-FQ`, `identity`, `blocked`, `unmanaged`). */
export function normaliseDomainType(type: string | null): string | null {
  if (type === null) return null;
  const t = type.trim();
  if (/^(iommu_domain_)?dma$/i.test(t)) return "DMA";
  if (/^(iommu_domain_)?dma[-_]fq$/i.test(t)) return "DMA-FQ";
  if (/^(iommu_domain_)?(identity|passthrough)$/i.test(t)) return "identity";
  if (/^(iommu_domain_)?blocked$/i.test(t)) return "blocked";
  if (/^(iommu_domain_)?unmanaged$/i.test(t)) return "unmanaged";
  return t;
}
