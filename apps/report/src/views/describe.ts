/**
 * One line of text per trace record, for counterexample traces and the sequence view. Driver-core events use the
 * driver core's own wording (`describeEvent`); the other layers' events (IOMMU core, arm-smmu-v3 driver, SMMUv3
 * hardware, DMA layer, kernel composition) get a line naming the kernel function or hardware step. A type this
 * file does not know prints as its type and fields, so a new event never breaks a report.
 */
import { describeEvent, errnoName, isDriverCoreEvent, type DriverCoreEvent } from "@dmasim/driver-core";

/** The minimum of a trace record of any layer. */
export interface AnyRecord {
  readonly type: string;
  readonly seq: number;
  readonly time: number;
}

/** A record's fields, read loosely (the union of every layer's events is not needed to describe them). */
type Fields = Readonly<Record<string, unknown>>;

function str(f: Fields, key: string): string {
  const v = f[key];
  return v === null || v === undefined ? "-" : typeof v === "string" ? v : JSON.stringify(v);
}

function hex(f: Fields, key: string): string {
  const v = f[key];
  return typeof v === "number" && Number.isInteger(v) && v >= 0 ? `0x${v.toString(16)}` : str(f, key);
}

function errno(f: Fields, key: string): string {
  const v = f[key];
  return typeof v === "number" ? errnoName(v) : str(f, key);
}

/** The generic line: type and scalar fields (arrays and objects as JSON, capped). */
function generic(f: Fields): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(f)) {
    if (k === "type" || k === "seq" || k === "time") continue;
    const text = typeof v === "string" ? v : JSON.stringify(v) ?? "undefined";
    parts.push(`${k}=${text.length > 60 ? `${text.slice(0, 57)}...` : text}`);
  }
  return `${str(f, "type")} ${parts.join(" ")}`.trim();
}

function describeOther(f: Fields): string {
  switch (f["type"]) {
    case "fw-device-create":
      return `${str(f, "by")} creates ${str(f, "device")}`;
    case "fw-dma-configure":
      return `${str(f, "fn")} ${str(f, "device")} (${str(f, "at")}): IOMMU ${str(f, "iommu")}, ${errno(f, "ret")}`;
    case "probe-dma-state":
      return `${str(f, "driver")} probe starts: ${str(f, "device")} has ${str(f, "ops")} ops, group ${str(f, "group")} (${str(f, "domainType")}), behind ${str(f, "behindIommu")}`;
    case "probe-script":
      return `${str(f, "driver")} probe attempt ${str(f, "attempt")} returns ${errno(f, "result")}`;
    case "dma-action":
      return `${str(f, "driver")}: ${str(f, "op")} ${hex(f, "size")} via ${str(f, "ops")} ops, device uses ${hex(f, "dmaAddr")}: ${str(f, "outcome")}${f["detail"] === null ? "" : ` (${str(f, "detail")})`}`;
    case "msi-action":
      return `${str(f, "device")} raises an MSI to ${hex(f, "address")}: ${str(f, "outcome")}`;
    case "runtime-action":
      return `action ${str(f, "action")} ${str(f, "target")}: ${errno(f, "ret")}`;
    case "boot-phase":
      return `boot phase: ${str(f, "phase")} done`;
    case "attach-queue-final":
      return `iommu_dma_masters at idle: [${Array.isArray(f["queue"]) ? (f["queue"] as unknown[]).join(", ") : ""}]`;
    case "dma-ops-set":
      return `${str(f, "reason")}: ${str(f, "device")} DMA ops ${str(f, "from")} -> ${str(f, "to")}${f["bound"] === true ? " (driver bound)" : ""}`;
    case "dma-alloc":
      return `dma_alloc_coherent ${str(f, "device")} ${hex(f, "size")} via ${str(f, "ops")}: ${hex(f, "dmaAddr")}`;
    case "dma-free":
      return `dma_free_coherent ${str(f, "device")} ${hex(f, "dmaAddr")}`;
    case "dma-map":
      return `dma_map_${str(f, "api")} ${str(f, "device")} pa ${hex(f, "pa")} ${hex(f, "size")} via ${str(f, "ops")}: ${hex(f, "dmaAddr")}`;
    case "dma-unmap":
      return `dma_unmap_${str(f, "api")} ${str(f, "device")} ${hex(f, "dmaAddr")}`;
    case "dma-transaction":
      return `${str(f, "master")} ${str(f, "access")}s ${hex(f, "address")}: ${transactionOutcome(f["result"])}`;
    case "iommu-dma-attach":
      return `${str(f, "via")} ${str(f, "device")}: ${f["ok"] === true ? `attached (domain ${str(f, "domain")})` : "no IOMMU yet"}`;
    case "iommu-dma-queue":
      return `iommu_dma_masters ${str(f, "op")} ${str(f, "device")}`;
    case "iommu-dma-queue-drain":
      return `queue drain on ${str(f, "action")}: attached [${Array.isArray(f["attached"]) ? (f["attached"] as unknown[]).join(", ") : ""}]`;
    case "iommu-dma-error":
      return `${str(f, "device")}: ${str(f, "message")}`;
    case "iommu-probe-device":
      return `iommu ${str(f, "path")} ${str(f, "device")}`;
    case "iommu-probe-device-end":
      return `iommu ${str(f, "device")} probed: ${errno(f, "ret")}`;
    case "iommu-group-add":
      return `${str(f, "device")} joins IOMMU group ${str(f, "group")}`;
    case "iommu-group-remove":
      return `${str(f, "device")} leaves IOMMU group ${str(f, "group")}`;
    case "iommu-attach":
      return `iommu_attach_device ${str(f, "device")} to domain ${str(f, "domain")}: ${errno(f, "ret")}`;
    case "iommu-domain-alloc":
      return `${str(f, "driver")} allocates ${str(f, "domainType")} domain ${str(f, "domain")}`;
    case "iommu-fwspec-init":
      return `iommu_fwspec_init ${str(f, "device")} (${str(f, "ops")}): ${errno(f, "ret")}`;
    case "iommu-fwspec-add-ids":
      return `iommu_fwspec_add_ids ${str(f, "device")} ${str(f, "ids")}`;
    case "iommu-fwspec-free":
      return `iommu_fwspec_free ${str(f, "device")}`;
    case "iommu-configure":
      return `${str(f, "firmware")} IOMMU configure ${str(f, "device")}: ${str(f, "result")}`;
    case "iommu-map":
      return `iommu_map domain ${str(f, "domain")} ${hex(f, "iova")} -> ${hex(f, "pa")} ${hex(f, "size")}`;
    case "iommu-unmap":
      return `iommu_unmap domain ${str(f, "domain")} ${hex(f, "iova")} ${hex(f, "size")}`;
    case "arm-smmu-ste":
      return `${str(f, "smmu")}: STE ${hex(f, "sid")} = ${str(f, "config")}${f["device"] === null ? "" : ` for ${str(f, "device")}`}`;
    case "arm-smmu-cd":
      return `${str(f, "smmu")}: CD for domain ${str(f, "domain")} (ASID ${str(f, "asid")})`;
    case "arm-smmu-evt":
      return `${str(f, "smmu")}: event ${hex(f, "id")} from SID ${hex(f, "sid")} at ${hex(f, "inputAddr")}`;
    case "smmu-event":
      return `SMMU records ${str(f, "name")} for SID ${hex(f, "sid")} at ${hex(f, "inputAddr")}`;
    case "smmu-abort":
      return `SMMU aborts SID ${hex(f, "sid")} ${str(f, "access")} at ${hex(f, "iova")} (${str(f, "reason")})`;
    case "smmu-cfgi":
      return `SMMU ${str(f, "command")} ${hex(f, "first")}..${hex(f, "last")}`;
    case "smmu-cmd":
      return `SMMU ${str(f, "name")}`;
    case "pci-scan-device":
      return `pci_scan_device ${str(f, "device")} [${hex(f, "vendor")}:${hex(f, "deviceId")}]`;
    case "pci-dma-configure":
      return `pci_dma_configure ${str(f, "device")} at ${str(f, "at")} (${str(f, "firmware")}): ${errno(f, "ret")}`;
    case "pci-device-add":
      return `pci_device_add ${str(f, "device")}`;
    case "msi-write":
      return `${str(f, "master")} MSI write reaches ${str(f, "doorbell")} (device ID ${hex(f, "deviceId")})`;
    case "iommu-group-notify":
      return `iommu_bus_notifier: group ${str(f, "group")} sees ${str(f, "action")} for ${str(f, "device")}`;
    case "iommu-group-alloc":
      return `iommu_group_alloc: group ${str(f, "group")}`;
    case "iommu-release-device":
      return `iommu ${str(f, "path")} ${str(f, "device")}`;
    case "iommu-dma-msi-page":
      return `iommu_dma_get_msi_page ${str(f, "device")}: doorbell ${hex(f, "doorbell")} at IOVA ${hex(f, "iova")}`;
    case "iommu-dma-init-domain":
      return `iommu_dma_init_domain ${str(f, "device")} domain ${str(f, "domain")}: ${errno(f, "ret")}`;
    case "pci-host-bridge-add":
      return `PCI host bridge ${str(f, "host")}`;
    default:
      return generic(f);
  }
}

function transactionOutcome(result: unknown): string {
  if (typeof result !== "object" || result === null) return "-";
  const r = result as Fields;
  const where = r["at"] === undefined ? "" : ` at ${str(r, "at")}`;
  const why = r["reason"] === undefined ? "" : ` (${str(r, "reason")})`;
  return `${str(r, "outcome")}${where}${why}`;
}

/** One line describing `record` (no seq or time). */
export function describeRecord(record: AnyRecord): string {
  if (isDriverCoreEvent(record)) return describeEvent(record as unknown as DriverCoreEvent);
  return describeOther(record as unknown as Fields);
}

/** A record's fields as a loose map (for views that pick fields by name). */
export function fieldsOf(record: AnyRecord): Fields {
  return record as unknown as Fields;
}
