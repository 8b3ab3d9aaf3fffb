/**
 * `dmasim boot (--qemu "ARGS" | --dtb FILE | --iort FILE [--pci FILE]) [--firmware dt|acpi] [--profile P]...
 * [--cmdline "..."] [--format ...]`: what a platform gives each device under the profile's default driver set (for
 * `v6.1` on QEMU boards, Debian's: `pcieport` and `shpchp` built in, `virtio-pci`, `e1000e`, `nvme` as modules, no
 * host-bridge driver). For DTB and IORT inputs every DMA master behind a modelled SMMU also gets a driver that binds
 * and does one DMA at probe, so each master's translation is exercised.
 */
import { boot, PROFILES, type Platform, type ScenarioDriverSpec } from "@dmasim/kernel";
import { EXIT_CLEAN, EXIT_USAGE, EXIT_VIOLATIONS, formatInputError, fromPlatformError, inputError, type InputError } from "../errors";
import type { CliIo } from "../io/cli-io";
import { hasViolations, runResult, type RunResult, type ScenarioResult } from "../result";
import { resolveProfiles } from "../run-scenario";
import { platformInput, type PlatformSource } from "./platform-input";
import { printResult, type OutputFormat } from "./run";

/** Arguments of `boot`. */
export interface BootArgs {
  readonly qemu?: string;
  readonly dtb?: string;
  readonly iort?: string;
  readonly pci?: string;
  readonly firmware?: string;
  readonly profiles?: readonly string[];
  readonly cmdline?: string;
  readonly format?: OutputFormat;
}

/**
 * One driver per DMA master behind a modelled SMMU (matched by its first compatible string, or by its device name
 * when it has none), binding and doing one coherent allocation the device then writes through.
 */
export function masterDrivers(platform: Platform): ScenarioDriverSpec[] {
  const out: ScenarioDriverSpec[] = [];
  const seen = new Set<string>();
  for (const d of platform.board.platformDevices) {
    if (d.iommu === null) continue;
    const match = d.compatible[0] !== undefined ? `of:${d.compatible[0]}` : `platform:${d.name}`;
    if (seen.has(match)) continue;
    seen.add(match);
    out.push({
      name: `dma-master.${out.length}`,
      matches: [match],
      load: "builtin",
      initcall: "device",
      probe: [{ dma: [{ op: "alloc-coherent", size: 4096 }], result: 0 }],
    });
  }
  return out;
}

function sourceOf(args: BootArgs): { ok: true; value: PlatformSource } | { ok: false; error: InputError } {
  const given = [args.qemu, args.dtb, args.iort].filter((x) => x !== undefined).length;
  if (given !== 1) return inputError(null, null, "boot needs exactly one of --qemu ARGS, --dtb FILE, --iort FILE");
  const fw = args.firmware;
  if (fw !== undefined && fw !== "dt" && fw !== "acpi") return inputError("--firmware", null, `expected dt or acpi, got "${fw}"`);
  if (args.qemu !== undefined) {
    if (args.pci !== undefined) return inputError("--pci", null, "only with --dtb or --iort (QEMU's -device arguments give the PCI topology)");
    return { ok: true, value: { kind: "qemu", args: args.qemu, firmware: fw ?? null } };
  }
  if (args.dtb !== undefined) {
    if (fw === "acpi") return inputError("--firmware", null, "a DTB is device-tree firmware (use --iort for ACPI)");
    return { ok: true, value: { kind: "dtb", file: args.dtb, pci: args.pci ?? null } };
  }
  if (fw === "dt") return inputError("--firmware", null, "an IORT is ACPI firmware (use --dtb for a device tree)");
  return { ok: true, value: { kind: "iort", file: args.iort as string, pci: args.pci ?? null } };
}

/** Boots the platform under each profile. */
export function bootPlatform(args: BootArgs, io: CliIo): { ok: true; value: ScenarioResult } | { ok: false; error: InputError } {
  const source = sourceOf(args);
  if (!source.ok) return source;
  const input = platformInput(source.value, io.cwd);
  if (!input.ok) return input;
  const profiles = resolveProfiles(args.profiles, null);
  if (!profiles.ok) return profiles;
  const cmdline = [input.value.cmdline, args.cmdline ?? ""].filter((s) => s !== "").join(" ");
  const runs: RunResult[] = [];
  for (const name of profiles.value) {
    const platform = input.value.build();
    if (!platform.ok) return { ok: false, error: fromPlatformError(input.value.file, platform.error) };
    const drivers = source.value.kind === "qemu" ? [] : masterDrivers(platform.value);
    const profile = PROFILES[name];
    const booted = boot(platform.value, profile, { cmdline, defaultDrivers: true, scenario: { drivers, defaultDrivers: true } });
    if (!booted.ok) return { ok: false, error: fromPlatformError(input.value.file, booted.error) };
    runs.push(runResult({ name, label: profile.label, hypothetical: profile.hypothetical }, booted.value));
  }
  return { ok: true, value: { scenario: input.value.name, description: input.value.description, firmware: input.value.firmware, runs } };
}

/** Runs `dmasim boot`. */
export async function bootCommand(args: BootArgs, io: CliIo): Promise<number> {
  const r = bootPlatform(args, io);
  if (!r.ok) {
    io.stderr.write(`${formatInputError(r.error)}\n`);
    return EXIT_USAGE;
  }
  printResult(r.value, args.format ?? "text", io);
  return hasViolations([r.value]) ? EXIT_VIOLATIONS : EXIT_CLEAN;
}
