/**
 * What a real console log becomes: typed records in dmasim's trace vocabulary. Every kernel line is a `printk`
 * record shaped like driver-core's `PrintkEvent` (level and source file filled in where the line is recognised);
 * lines the trace has a structured event for also get that event (`deferred-add`, `really-probe`, `driver-bound`,
 * `iommu-group-add`, `smmu-event`, ...), with the same `type` and field names as the model's events where they
 * exist. Times are microseconds, as in the model's trace.
 */
import type { LogLevel } from "@dmasim/driver-core";

/** Where a record sits in the log: 1-based line number and the kernel timestamp in µs (null for /init output). */
export interface LogPosition {
  readonly line: number;
  readonly time: number | null;
}

/**
 * One kernel log line, as driver-core's `PrintkEvent`: level and file are known for recognised lines (the kernel
 * function that prints them) and null otherwise (the console does not show them).
 */
export interface LogPrintk extends LogPosition {
  readonly type: "printk";
  readonly level: LogLevel | null;
  readonly prefix: string | null;
  readonly text: string;
  readonly file: string | null;
  /** The device, when the prefix is `dev_printk`'s `"<driver> <device>"`. */
  readonly device?: string;
}

/** Structured events recognised in kernel lines (a record of each also exists as `printk`). */
export type LogEvent =
  // drivers/base/dd.c (driver-core's event names and fields)
  | { readonly type: "deferred-add"; readonly device: string; readonly driverString: string }
  | { readonly type: "deferred-retry"; readonly device: string; readonly driverString: string }
  | { readonly type: "deferred-probe-pending"; readonly device: string; readonly driverString: string; readonly reason: string | null }
  | { readonly type: "deferred-timeout-extended"; readonly seconds: number }
  | { readonly type: "probe-match"; readonly device: string; readonly driver: string; readonly bus: string; readonly fn: string }
  | { readonly type: "really-probe"; readonly device: string; readonly driver: string; readonly bus: string }
  | { readonly type: "really-probe-bound"; readonly device: string; readonly driver: string; readonly bus: string }
  | { readonly type: "driver-bound"; readonly device: string; readonly driver: string }
  | { readonly type: "probe-deferral"; readonly device: string; readonly driver: string; readonly driverString: string }
  // drivers/iommu
  | { readonly type: "iommu-group-alloc"; readonly group: number }
  | { readonly type: "iommu-group-add"; readonly device: string; readonly driverString: string; readonly group: number }
  | { readonly type: "iommu-add-failed"; readonly device: string; readonly ret: number }
  | { readonly type: "smmu-stream-collision"; readonly device: string; readonly streamId: number; readonly other: string | null }
  | { readonly type: "smmu-event"; readonly smmu: string; readonly id: number; readonly dwords: readonly string[] }
  | { readonly type: "smmu-probe"; readonly smmu: string; readonly ias: number; readonly oas: number; readonly features: number }
  | { readonly type: "iommu-default-domain"; readonly domain: string; readonly viaCmdline: boolean }
  | { readonly type: "iommu-dma-policy"; readonly policy: string; readonly viaCmdline: boolean }
  | { readonly type: "iommu-map"; readonly iova: number; readonly pa: number; readonly size: number }
  // drivers/of
  | {
      readonly type: "of-map-id";
      readonly node: string;
      readonly map: "iommu-map" | "msi-map";
      readonly mask: number;
      readonly idBase: number;
      readonly outBase: number;
      readonly length: number;
      readonly id: number;
      readonly out: number;
    }
  | { readonly type: "dma-coherent"; readonly device: string; readonly coherent: boolean }
  | { readonly type: "behind-iommu"; readonly device: string; readonly behind: boolean }
  // drivers/pci, init, panic
  | { readonly type: "pci-function"; readonly device: string; readonly vendor: number; readonly deviceId: number; readonly header: number; readonly class: number }
  | { readonly type: "kernel-cmdline"; readonly cmdline: string }
  | { readonly type: "kernel-panic"; readonly message: string };

/** What `/init` prints, outside the kernel log. */
export type InitEvent =
  | { readonly type: "init-marker"; readonly text: string }
  | { readonly type: "init-insmod"; readonly module: string; readonly failed: boolean };

/** One parsed log record. */
export type LogRecord = (LogPrintk | (LogEvent & LogPosition) | (InitEvent & LogPosition));

/** The `type`s of structured log events. */
export type LogEventType = LogEvent["type"];
