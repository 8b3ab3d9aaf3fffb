/**
 * The sysfs state `/init` prints (`=== INIT:` sections): IOMMU groups with type, member devices and reserved
 * regions; each PCI function's IDs, bound driver and group; platform devices in a group; and, on request, PCI config
 * spaces and ACPI tables as hexdumps. The same format in live and recorded boots.
 */
import { parseHexdump } from "./hexdump";

/** One `/sys/kernel/iommu_groups/N`. */
export interface SysfsGroup {
  readonly group: number;
  /** `type`: `DMA`, `DMA-FQ`, `identity`, ... */
  readonly type: string;
  readonly devices: readonly string[];
  readonly resv: readonly { readonly start: number; readonly end: number; readonly type: string }[];
}

/** One `/sys/bus/pci/devices/X`. */
export interface SysfsPciDevice {
  readonly device: string;
  readonly vendor: number;
  readonly deviceId: number;
  readonly class: number;
  /** Bound driver, or null. */
  readonly driver: string | null;
  readonly group: number | null;
}

/** Everything `/init` printed from sysfs. */
export interface SysfsDump {
  readonly groups: readonly SysfsGroup[];
  readonly pci: readonly SysfsPciDevice[];
  readonly platform: readonly { readonly device: string; readonly group: number }[];
  readonly pciConfig: readonly { readonly device: string; readonly bytes: Uint8Array }[];
  readonly acpiTables: readonly { readonly signature: string; readonly bytes: Uint8Array }[];
}

/** A line /init printed (not a kernel line), with its 1-based log line number. */
export interface UserLine {
  readonly line: number;
  readonly text: string;
}

/** A line inside a section that did not parse. */
export interface DumpWarning {
  readonly line: number;
  readonly message: string;
}

const GROUP_RE = /^group (\d+) type=(\S*) devices:((?: \S+)*) ?$/;
const RESV_RE = /^\s+resv: 0x([0-9a-f]+) 0x([0-9a-f]+) (\S+)$/;
const PCI_RE = /^([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) vendor=0x([0-9a-f]+) device=0x([0-9a-f]+) class=0x([0-9a-f]+) driver=(\S*) iommu_group=(\d*)$/;
const PLATFORM_RE = /^(\S+) iommu_group=(\d+)$/;

/** Parses the `/init` sections of the user lines; null when the dump never started (no `iommu groups` marker). */
export function parseSysfsDump(lines: readonly UserLine[], warnings: DumpWarning[]): SysfsDump | null {
  const groups: { group: number; type: string; devices: string[]; resv: { start: number; end: number; type: string }[] }[] = [];
  const pci: SysfsPciDevice[] = [];
  const platform: { device: string; group: number }[] = [];
  const pciConfig: { device: string; bytes: Uint8Array }[] = [];
  const acpiTables: { signature: string; bytes: Uint8Array }[] = [];
  let section: string | null = null;
  let seen = false;
  let dump: { kind: "pci" | "acpi"; name: string; start: number; lines: string[] } | null = null;
  for (const { line, text } of lines) {
    const marker = /^=== INIT: (.*)$/.exec(text);
    if (marker !== null) {
      const body = marker[1] as string;
      const begin = /^(?:PCICFG (\S+)|ACPI (\S+) hexdump) begin$/.exec(body);
      const end = /^(?:PCICFG (\S+)|ACPI (\S+) hexdump) end$/.exec(body);
      if (begin !== null) {
        dump = begin[1] !== undefined ? { kind: "pci", name: begin[1], start: line, lines: [] } : { kind: "acpi", name: begin[2] as string, start: line, lines: [] };
        continue;
      }
      if (end !== null && dump !== null) {
        const bytes = parseHexdump(dump.lines);
        if (!bytes.ok) warnings.push({ line: dump.start + 1 + bytes.error.index, message: bytes.error.message });
        else if (dump.kind === "pci") pciConfig.push({ device: dump.name, bytes: bytes.value });
        else acpiTables.push({ signature: dump.name, bytes: bytes.value });
        dump = null;
        continue;
      }
      section = body;
      if (body === "iommu groups") seen = true;
      continue;
    }
    if (dump !== null) {
      dump.lines.push(text);
      continue;
    }
    if (section === "iommu groups") {
      const gm = GROUP_RE.exec(text);
      const rm = RESV_RE.exec(text);
      if (gm !== null) {
        groups.push({ group: Number(gm[1]), type: gm[2] as string, devices: (gm[3] ?? "").trim().split(" ").filter((d) => d !== ""), resv: [] });
      } else if (rm !== null && groups.length > 0) {
        groups[groups.length - 1]?.resv.push({ start: Number.parseInt(rm[1] as string, 16), end: Number.parseInt(rm[2] as string, 16), type: rm[3] as string });
      } else if (text.trim() !== "") {
        warnings.push({ line, message: `unexpected line in iommu groups: ${text.slice(0, 60)}` });
      }
    } else if (section === "pci devices") {
      const m = PCI_RE.exec(text);
      if (m !== null) {
        pci.push({
          device: m[1] as string,
          vendor: Number.parseInt(m[2] as string, 16),
          deviceId: Number.parseInt(m[3] as string, 16),
          class: Number.parseInt(m[4] as string, 16),
          driver: m[5] === "" ? null : (m[5] as string),
          group: m[6] === "" ? null : Number(m[6]),
        });
      } else if (text.trim() !== "") {
        warnings.push({ line, message: `unexpected line in pci devices: ${text.slice(0, 60)}` });
      }
    } else if (section === "platform devices with iommu") {
      const m = PLATFORM_RE.exec(text);
      if (m !== null) platform.push({ device: m[1] as string, group: Number(m[2]) });
    }
  }
  if (!seen) return null;
  return { groups, pci, platform, pciConfig, acpiTables };
}
