/**
 * Scenarios as data, mirroring DESIGN.md's scenario file (the next issue parses YAML/JSON into these types with a
 * schema). Nothing here knows a scenario by name: `boot` interprets the data through the modelled kernel.
 */
import type { InitcallLevel, LinkOrder } from "@dmasim/driver-core";
import type { PciTopologySpec, PlatformMasterSpec } from "../platform/types";

/** `enum dma_data_direction`, by name. */
export type DmaDirectionName = "bidirectional" | "to-device" | "from-device";

/**
 * One DMA operation a driver performs: the DMA API call on the device's current ops, then the device's transfer
 * with the address it got. `api: "phys"` is a driver that bypasses the DMA API and hands the device physical
 * addresses (virtio without VIRTIO_F_ACCESS_PLATFORM: `vring_use_dma_api()` is false).
 */
export interface DmaOpSpec {
  readonly op: "alloc-coherent" | "map-single" | "map-sg";
  readonly size: number;
  readonly dir?: DmaDirectionName;
  /** Scatterlist entries for `map-sg` (default 2), each `size / nents` bytes. */
  readonly nents?: number;
  /** Which device: the driver's own (default) or a child it created, by the child's name. */
  readonly device?: string;
  /** `dma-api` (default) or `phys` (no DMA API; the device gets the buffer's physical address). */
  readonly api?: "dma-api" | "phys";
  /** Unmap/free right after the transfer (default false: the driver keeps the mapping, like a ring buffer). */
  readonly release?: boolean;
}

/**
 * A condition an attempt waits for: `bound:NAME` (device NAME is bound), `after-late` (late_initcall has run),
 * `registered:NAME` (device NAME exists).
 */
export type UntilCondition = `bound:${string}` | "after-late" | `registered:${string}`;

/** A child device a probe creates (the S4 pattern: a driver registering a device it then does DMA for). */
export interface ChildDeviceSpec {
  /** Kernel name (`device_register`) or, with `ofNode`, derived from the node. */
  readonly name?: string;
  /** `of_platform_device_create(np)` of this DT node path, instead of a bare `device_register`. */
  readonly ofNode?: string;
}

/** One probe attempt: optional children and DMA, then the result. Repeats while its `until` does not hold. */
export interface ProbeAttemptSpec {
  readonly children?: readonly ChildDeviceSpec[];
  readonly dma?: readonly DmaOpSpec[];
  /** 0, or a negative errno (`-517`), or its name (`"-EPROBE_DEFER"`). */
  readonly result: number | string;
  /** The attempt repeats (with the same result) until every condition holds; then the next attempt is used. */
  readonly until?: readonly UntilCondition[];
  /** Raise one MSI after probing (needs MSI vectors: the driver allocates them when `msi` is set). */
  readonly msi?: boolean;
}

/** A driver of the scenario. */
export interface ScenarioDriverSpec {
  readonly name: string;
  /** `pci:VVVV:DDDD`, `pci-class:0xCCCCCC[/0xMASK]`, `of:COMPATIBLE`, `platform:NAME`. */
  readonly matches: readonly string[];
  /** Built in (registered at its initcall) or a module (loaded after late_initcall, in list order). */
  readonly load: "builtin" | "module";
  /** Initcall level of a built-in driver (default `device`). */
  readonly initcall?: InitcallLevel;
  /** Probe attempts in order; the last one repeats. Default: one successful attempt. */
  readonly probe?: readonly ProbeAttemptSpec[];
  /** `->remove`: release the DMA the probes left (default true; false leaks it). */
  readonly removeReleasesDma?: boolean;
  /** PROBE_PREFER_ASYNCHRONOUS. */
  readonly asyncProbe?: boolean;
}

/** The board of a scenario. */
export type ScenarioBoard =
  | {
      readonly qemuVirt: {
        readonly iommu?: "smmuv3" | "none";
        readonly gic?: 2 | 3;
        readonly devices?: readonly string[];
        readonly memoryBytes?: number;
        readonly platformMasters?: readonly PlatformMasterSpec[];
      };
    }
  | { readonly dtb: Uint8Array; readonly pci?: PciTopologySpec }
  | { readonly iort: Uint8Array; readonly pci?: PciTopologySpec };

/** A runtime action after boot. */
export type ScenarioAction =
  | { readonly unbind: string }
  | { readonly bind: { readonly device: string; readonly driver: string } }
  | { readonly remove: string }
  | { readonly dma: { readonly device: string; readonly ops: readonly DmaOpSpec[] } }
  | { readonly msi: string }
  | { readonly loadModule: string }
  /** `platform_device_register` of a device with no firmware node (any later ADD_DEVICE, as modules make them). */
  | { readonly registerDevice: string }
  /** `echo 1 > /sys/bus/pci/rescan`: rescan every root bus and add what is found (`pci_rescan_bus`). */
  | { readonly rescan: true }
  | { readonly advanceUs: number };

/** A scenario. */
export interface Scenario {
  readonly name: string;
  readonly description?: string;
  readonly firmware: "acpi" | "dt";
  readonly board: ScenarioBoard;
  readonly drivers: readonly ScenarioDriverSpec[];
  /** Add the profile's default driver set for QEMU boards (pcieport, shpchp, virtio-pci, e1000e, nvme). */
  readonly defaultDrivers?: boolean;
  readonly actions?: readonly ScenarioAction[];
  readonly cmdline?: string;
  readonly profiles?: readonly string[];
  /** Link order overrides per initcall level. */
  readonly linkOrder?: LinkOrder;
  /** Probe failures injected into drivers (e.g. an SMMU that never probes). */
  readonly probeFailures?: readonly { readonly device: string; readonly driver?: string; readonly errno: number; readonly times?: number }[];
}
