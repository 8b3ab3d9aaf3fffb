/**
 * The kernel lines the comparison reads, each with the level and source file that print it in 6.1 and what it means
 * as a trace event. One table classifies real console lines and the model's predicted lines alike.
 */
import type { LogLevel } from "@dmasim/driver-core";
import type { LogEvent } from "./records";

/** A recognised kind of line. */
export interface LinePattern {
  readonly name: string;
  readonly level: LogLevel;
  /** The file whose `pr_debug`/`dev_dbg` prints it (what `dyndbg` selects on). */
  readonly file: string;
  /** A substring every matching line contains (checked before the regular expression). */
  readonly hint: string;
  readonly re: RegExp;
  readonly event: (m: RegExpExecArray) => LogEvent | null;
}

const DD = "drivers/base/dd.c";
const IOMMU = "drivers/iommu/iommu.c";
const SMMU = "drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c";
const hex = (s: string | undefined): number => Number.parseInt(s ?? "", 16);
const dec = (s: string | undefined): number => Number.parseInt(s ?? "", 10);
const g = (m: RegExpExecArray, i: number): string => m[i] ?? "";

/** The patterns, tried in order on the line text after the timestamp. */
export const LINE_PATTERNS: readonly LinePattern[] = [
  /** @see drivers/base/dd.c driver_deferred_probe_add */
  { name: "deferred-add", hint: "Added to deferred", level: "debug", file: DD, re: /^(\S+) (\S+): Added to deferred list$/, event: (m) => ({ type: "deferred-add", driverString: g(m, 1), device: g(m, 2) }) },
  /** @see drivers/base/dd.c deferred_probe_work_func */
  { name: "deferred-retry", hint: "Retrying from deferred", level: "debug", file: DD, re: /^(\S+) (\S+): Retrying from deferred list$/, event: (m) => ({ type: "deferred-retry", driverString: g(m, 1), device: g(m, 2) }) },
  /** @see drivers/base/dd.c deferred_probe_timeout_work_func */
  {
    name: "deferred-probe-pending", hint: "deferred probe pending",
    level: "info",
    file: DD,
    re: /^(\S+) (\S+): deferred probe pending(?:: (.*))?$/,
    event: (m) => ({ type: "deferred-probe-pending", driverString: g(m, 1), device: g(m, 2), reason: m[3] ?? null }),
  },
  /** @see drivers/base/dd.c deferred_probe_extend_timeout */
  { name: "deferred-timeout-extended", hint: "Extended deferred probe", level: "debug", file: DD, re: /^Extended deferred probe timeout by (\d+) secs$/, event: (m) => ({ type: "deferred-timeout-extended", seconds: dec(m[1]) }) },
  /** @see drivers/base/dd.c __driver_probe_device */
  {
    name: "probe-match", hint: "matched device",
    level: "debug",
    file: DD,
    re: /^bus: '([^']+)': (__driver_probe_device|driver_probe_device): matched device (\S+) with driver (\S+)$/,
    event: (m) => ({ type: "probe-match", bus: g(m, 1), fn: g(m, 2), device: g(m, 3), driver: g(m, 4) }),
  },
  /** @see drivers/base/dd.c really_probe */
  {
    name: "really-probe", hint: "really_probe: probing",
    level: "debug",
    file: DD,
    re: /^bus: '([^']+)': really_probe: probing driver (\S+) with device (\S+)$/,
    event: (m) => ({ type: "really-probe", bus: g(m, 1), driver: g(m, 2), device: g(m, 3) }),
  },
  {
    name: "really-probe-bound", hint: "really_probe: bound",
    level: "debug",
    file: DD,
    re: /^bus: '([^']+)': really_probe: bound device (\S+) to driver (\S+)$/,
    event: (m) => ({ type: "really-probe-bound", bus: g(m, 1), device: g(m, 2), driver: g(m, 3) }),
  },
  /** @see drivers/base/dd.c driver_bound */
  { name: "driver-bound", hint: "driver_bound:", level: "debug", file: DD, re: /^driver: '([^']+)': driver_bound: bound to device '([^']+)'$/, event: (m) => ({ type: "driver-bound", driver: g(m, 1), device: g(m, 2) }) },
  /** @see drivers/base/dd.c call_driver_probe */
  {
    name: "probe-deferral", hint: "requests probe deferral",
    level: "debug",
    file: DD,
    re: /^(\S+) (\S+): Driver (\S+) requests probe deferral$/,
    event: (m) => ({ type: "probe-deferral", driverString: g(m, 1), device: g(m, 2), driver: g(m, 3) }),
  },
  /** @see drivers/iommu/iommu.c iommu_group_alloc */
  { name: "iommu-group-alloc", hint: "Allocated group", level: "debug", file: IOMMU, re: /^iommu: Allocated group (\d+)$/, event: (m) => ({ type: "iommu-group-alloc", group: dec(m[1]) }) },
  /** @see drivers/iommu/iommu.c iommu_group_add_device */
  {
    name: "iommu-group-add", hint: "Adding to iommu group",
    level: "info",
    file: IOMMU,
    re: /^(\S+) (\S+): Adding to iommu group (\d+)$/,
    event: (m) => ({ type: "iommu-group-add", driverString: g(m, 1), device: g(m, 2), group: dec(m[3]) }),
  },
  /** @see drivers/iommu/of_iommu.c of_iommu_configure */
  { name: "iommu-add-failed", hint: "Adding to IOMMU failed", level: "debug", file: "drivers/iommu/of_iommu.c", re: /^(\S+) (\S+): Adding to IOMMU failed: (-?\d+)$/, event: (m) => ({ type: "iommu-add-failed", device: g(m, 2), ret: dec(m[3]) }) },
  /** @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_insert_master */
  {
    name: "smmu-stream-collision", hint: "already in tree",
    level: "warning",
    file: SMMU,
    re: /^(\S+) (\S+): stream (\d+) already in tree(?: from dev (\S+))?$/,
    event: (m) => ({ type: "smmu-stream-collision", device: g(m, 2), streamId: dec(m[3]), other: m[4] ?? null }),
  },
  /** @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_evtq_thread (the dwords follow as "\t0x%016llx") */
  { name: "smmu-event", hint: "received:", level: "info", file: SMMU, re: /^arm-smmu-v3 (\S+): event 0x([0-9a-f]{2}) received:$/, event: (m) => ({ type: "smmu-event", smmu: g(m, 1), id: hex(m[2]), dwords: [] }) },
  /** @see drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_device_hw_probe */
  {
    name: "smmu-probe", hint: "oas ",
    level: "info",
    file: SMMU,
    re: /^arm-smmu-v3 (\S+): ias (\d+)-bit, oas (\d+)-bit \(features 0x([0-9a-f]+)\)$/,
    event: (m) => ({ type: "smmu-probe", smmu: g(m, 1), ias: dec(m[2]), oas: dec(m[3]), features: hex(m[4]) }),
  },
  /** @see drivers/iommu/iommu.c iommu_subsys_init */
  {
    name: "iommu-default-domain", hint: "Default domain type",
    level: "info",
    file: IOMMU,
    re: /^iommu: Default domain type: (\S+)\s*(\(set via kernel command line\))?\s*$/,
    event: (m) => ({ type: "iommu-default-domain", domain: g(m, 1), viaCmdline: m[2] !== undefined }),
  },
  {
    name: "iommu-dma-policy", hint: "TLB invalidation policy",
    level: "info",
    file: IOMMU,
    re: /^iommu: DMA domain TLB invalidation policy: (\S+) mode\s*(\(set via kernel command line\))?\s*$/,
    event: (m) => ({ type: "iommu-dma-policy", policy: g(m, 1), viaCmdline: m[2] !== undefined }),
  },
  /** @see drivers/iommu/iommu.c iommu_map (`__iommu_map`'s pr_debug, before the per-page "mapping:" lines) */
  {
    name: "iommu-map", hint: "iommu: map: iova",
    level: "debug",
    file: IOMMU,
    re: /^iommu: map: iova 0x([0-9a-f]+) pa 0x([0-9a-f]+) size 0x([0-9a-f]+)$/,
    event: (m) => ({ type: "iommu-map", iova: hex(m[1]), pa: hex(m[2]), size: hex(m[3]) }),
  },
  /** @see drivers/of/base.c of_map_id */
  {
    name: "of-map-id", hint: "-map, using mask",
    level: "debug",
    file: "drivers/of/base.c",
    re: /^OF: (\S+): (iommu-map|msi-map), using mask ([0-9a-f]+), id-base: ([0-9a-f]+), out-base: ([0-9a-f]+), length: ([0-9a-f]+), id: ([0-9a-f]+) -> ([0-9a-f]+)$/,
    event: (m) => ({
      type: "of-map-id",
      node: g(m, 1),
      map: g(m, 2) === "iommu-map" ? "iommu-map" : "msi-map",
      mask: hex(m[3]),
      idBase: hex(m[4]),
      outBase: hex(m[5]),
      length: hex(m[6]),
      id: hex(m[7]),
      out: hex(m[8]),
    }),
  },
  /** @see drivers/of/device.c of_dma_configure_id */
  { name: "dma-coherent", hint: "dma coherent", level: "debug", file: "drivers/of/device.c", re: /^(\S+) (\S+): device is (not )?dma coherent$/, event: (m) => ({ type: "dma-coherent", device: g(m, 2), coherent: m[3] === undefined }) },
  { name: "behind-iommu", hint: "behind an iommu", level: "debug", file: "drivers/of/device.c", re: /^(\S+) (\S+): device is (not )?behind an iommu$/, event: (m) => ({ type: "behind-iommu", device: g(m, 2), behind: m[3] === undefined }) },
  /** @see drivers/pci/probe.c pci_setup_device */
  {
    name: "pci-function", hint: "] type ",
    level: "info",
    file: "drivers/pci/probe.c",
    re: /^pci (\S+): \[([0-9a-f]{4}):([0-9a-f]{4})\] type ([0-9a-f]{2}) class 0x([0-9a-f]+)/,
    event: (m) => ({ type: "pci-function", device: g(m, 1), vendor: hex(m[2]), deviceId: hex(m[3]), header: hex(m[4]), class: hex(m[5]) }),
  },
  /** @see init/main.c start_kernel */
  { name: "kernel-cmdline", hint: "Kernel command line", level: "notice", file: "init/main.c", re: /^Kernel command line: (.*)$/, event: (m) => ({ type: "kernel-cmdline", cmdline: g(m, 1) }) },
  /** @see kernel/panic.c panic */
  { name: "kernel-panic", hint: "Kernel panic", level: "emerg", file: "kernel/panic.c", re: /^Kernel panic - not syncing: (.*)$/, event: (m) => ({ type: "kernel-panic", message: g(m, 1) }) },
];

/** The SMMU event dword continuation line. */
export const SMMU_DWORD_RE = /^arm-smmu-v3 (\S+): \t0x([0-9a-f]{16})$/;

/** One alternation of every hint: most kernel lines match none, and are rejected by one scan. */
const ANY_HINT = new RegExp(LINE_PATTERNS.map((p) => p.hint.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"));

/** Classifies one line's text (without timestamp): the first matching pattern and its event, or null. */
export function classifyLine(text: string): { pattern: LinePattern; event: LogEvent | null } | null {
  if (!ANY_HINT.test(text)) return null;
  for (const p of LINE_PATTERNS) {
    if (!text.includes(p.hint)) continue;
    const m = p.re.exec(text);
    if (m !== null) return { pattern: p, event: p.event(m) };
  }
  return null;
}
