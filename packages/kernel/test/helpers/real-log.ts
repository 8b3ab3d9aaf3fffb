/**
 * Reads what the reference boots' console logs say (the /init sysfs listing and the kernel lines the v6.1 tests
 * compare), so expected values come from the real logs, never from the code.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

/** The fixtures folder of the project. */
export const FIXTURES = resolve(import.meta.dirname, "../../../../fixtures");

/** One IOMMU group of the sysfs listing. */
export interface RealGroup {
  readonly id: number;
  readonly type: string;
  readonly devices: readonly string[];
}

/** One PCI function of the sysfs listing. */
export interface RealPciDevice {
  readonly name: string;
  readonly driver: string | null;
  readonly group: number | null;
}

/** What a recorded boot shows. */
export interface RealBoot {
  readonly cmd: string;
  readonly groups: readonly RealGroup[];
  readonly pci: readonly RealPciDevice[];
  /** Devices with an "Added to deferred list" line, in order (with repeats). */
  readonly deferred: readonly string[];
  /** Devices with a "Retrying from deferred list" line, in order. */
  readonly retried: readonly string[];
  /** The text after the timestamp of every kernel line. */
  readonly lines: readonly string[];
  /** Whether the boot had dynamic debug for drivers/iommu (the "Adding to IOMMU failed" line is dev_dbg). */
  readonly iommuDyndbg: boolean;
  /** Whether the boot had dynamic debug for drivers/base/dd.c. */
  readonly ddDyndbg: boolean;
}

/** The recorded boots that have both a `.cmd` and a `.log`. */
export function recordedBoots(): string[] {
  const dir = resolve(FIXTURES, "qemu-boots");
  if (!existsSync(dir)) return [];
  const names = ["dt-initrd", "dt-dyndbg", "dt-passthrough", "dt-lazy-smp2", "dt-topo-gic3", "dt-topo-gic3-cfg", "dt-topo-gic3-defer",
    "acpi-initrd", "acpi-dyndbg", "acpi-passthrough", "acpi-topo-gic3", "acpi-topo-gic3-cfg", "acpi-topo-gic3-defer"];
  return names.filter((n) => existsSync(resolve(dir, `${n}.cmd`)) && existsSync(resolve(dir, `${n}.log`)));
}

/** Parses a recorded boot. */
export function readRealBoot(name: string): RealBoot {
  const dir = resolve(FIXTURES, "qemu-boots");
  const cmd = readFileSync(resolve(dir, `${name}.cmd`), "utf8").split("\n")[0] ?? "";
  const log = readFileSync(resolve(dir, `${name}.log`), "utf8").replace(/\r/g, "").split("\n");
  const groups: RealGroup[] = [];
  const pci: RealPciDevice[] = [];
  const deferred: string[] = [];
  const retried: string[] = [];
  const lines: string[] = [];
  for (const line of log) {
    const g = /^group (\d+) type=(\S+) devices: (.*)$/.exec(line);
    if (g !== null) groups.push({ id: Number(g[1]), type: g[2] ?? "", devices: (g[3] ?? "").trim().split(/\s+/).filter((d) => d.length > 0) });
    const p = /^(\w{4}:\w\w:\w\w\.\d) vendor=\S+ device=\S+ class=\S+ driver=(\S*) iommu_group=(\S*)$/.exec(line);
    if (p !== null) pci.push({ name: p[1] ?? "", driver: p[2] === "" ? null : (p[2] ?? null), group: p[3] === "" ? null : Number(p[3]) });
    const k = /^\[\s*\d+\.\d+\] (.*)$/.exec(line);
    if (k === null) continue;
    const text = k[1] ?? "";
    lines.push(text);
    const d = /^pci (\S+): Added to deferred list$/.exec(text);
    if (d !== null) deferred.push(d[1] ?? "");
    const r = /^pci (\S+): Retrying from deferred list$/.exec(text);
    if (r !== null) retried.push(r[1] ?? "");
  }
  return {
    cmd,
    groups,
    pci,
    deferred,
    retried,
    lines,
    iommuDyndbg: cmd.includes("drivers/iommu/"),
    ddDyndbg: cmd.includes("drivers/base/dd.c"),
  };
}
