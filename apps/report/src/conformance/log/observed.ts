/**
 * The facts a real boot shows: groups, drivers and group membership from the `/init` sysfs dump (or, when the boot
 * never reached `/init`, from the log's `Adding to iommu group` lines and PCI enumeration), and the rest from the
 * log lines its console level and dynamic-debug selection let through.
 */
import { NO_DRIVER_REASON, type BootFacts, type FactGroup, type Observable } from "../facts";
import { logEvents, type ParsedBootLog } from "./boot-log";
import { defaultDomainLine, deferralOrder, msiDoorbellMaps, smmuEvents, streamIdsFromMaps, tlbPolicyLine, ungroupedReasons } from "./log-facts";
import type { LogEvent } from "./records";
import { lineVisible, visibilityFromCmdline, type LogVisibility } from "./visibility";

const DD = "drivers/base/dd.c";

/** Why a field is not visible, or null when it is. */
export function fieldVisibility(v: LogVisibility, firmware: "dt" | "acpi"): {
  streamIds: string | null;
  deferrals: string | null;
  info: string | null;
  iommuMaps: string | null;
} {
  return {
    streamIds:
      firmware !== "dt"
        ? "ACPI boots log no iommu-map translations"
        : lineVisible(v, "debug", "drivers/of/base.c")
          ? null
          : "needs dyndbg for drivers/of/base.c and loglevel=8",
    deferrals: lineVisible(v, "debug", DD) ? null : "needs dyndbg for drivers/base/dd.c and loglevel=8",
    info: lineVisible(v, "info", "drivers/iommu/iommu.c") ? null : "console log level hides info lines",
    iommuMaps: lineVisible(v, "debug", "drivers/iommu/iommu.c") ? null : "needs dyndbg for drivers/iommu/iommu.c and loglevel=8",
  };
}

function observable<T>(why: string | null, value: () => T): Observable<T> {
  return why === null ? { ok: true, value: value() } : { ok: false, why };
}

function sortedGroups(groups: FactGroup[]): FactGroup[] {
  return groups.map((g) => ({ ...g, devices: [...g.devices].sort() })).sort((a, b) => a.id - b.id);
}

/** Facts of a parsed real boot. `firmware` comes from the `.cmd` (`-bios` → ACPI). */
export function observedFacts(log: ParsedBootLog, firmware: "dt" | "acpi", visibility?: LogVisibility): BootFacts {
  const v = visibility ?? visibilityFromCmdline(log.cmdline);
  const events: LogEvent[] = logEvents(log);
  const vis = fieldVisibility(v, firmware);
  const reasons = ungroupedReasons(events);
  let pciFunctions: string[];
  let groups: FactGroup[];
  let drivers: { device: string; driver: string | null }[];
  if (log.sysfs !== null) {
    pciFunctions = log.sysfs.pci.map((p) => p.device).sort();
    groups = sortedGroups(log.sysfs.groups.map((g) => ({ id: g.group, type: g.type, devices: g.devices })));
    drivers = log.sysfs.pci.map((p) => ({ device: p.device, driver: p.driver })).sort((a, b) => (a.device < b.device ? -1 : 1));
  } else {
    pciFunctions = [...new Set(events.flatMap((e) => (e.type === "pci-function" ? [e.device] : [])))].sort();
    const byGroup = new Map<number, string[]>();
    const driverOf = new Map<string, string>();
    for (const e of events) {
      if (e.type === "iommu-group-add") {
        byGroup.set(e.group, [...(byGroup.get(e.group) ?? []), e.device]);
        if (!driverOf.has(e.device) && e.driverString !== "pci") driverOf.set(e.device, e.driverString);
      } else if (e.type === "driver-bound") {
        driverOf.set(e.device, e.driver);
      }
    }
    groups = sortedGroups([...byGroup].map(([id, devices]) => ({ id, type: null, devices })));
    drivers = pciFunctions.map((device) => ({ device, driver: driverOf.get(device) ?? null }));
  }
  const grouped = new Set(groups.flatMap((g) => g.devices));
  const driverOf = new Map(drivers.map((d) => [d.device, d.driver]));
  const ungrouped = pciFunctions
    .filter((d) => !grouped.has(d))
    .map((device) => ({ device, reasons: [...(reasons.get(device) ?? []), ...(driverOf.get(device) == null ? [NO_DRIVER_REASON] : [])] }));
  return {
    source: log.sysfs !== null ? "sysfs" : "log",
    pciFunctions,
    groups,
    drivers,
    streamIds: observable(vis.streamIds, () => streamIdsFromMaps(events)),
    ungrouped,
    deferrals: observable(vis.deferrals, () => deferralOrder(events)),
    defaultDomain: observable(vis.info, () => defaultDomainLine(events)),
    tlbPolicy: observable(vis.info, () => tlbPolicyLine(events)),
    smmuEvents: observable(vis.info, () => smmuEvents(events)),
    doorbellMaps: observable(vis.iommuMaps, () => msiDoorbellMaps(events)),
  };
}
