/**
 * Running a scenario: its board becomes a platform (QEMU options, a DTB or an IORT with its PCI topology), then
 * `boot` under a profile with the scenario's drivers, actions, command line and link order.
 */
import { boot, type BootError, type BootOptions, type BootResult } from "../boot/boot";
import { platformFromDtb } from "../platform/from-dtb";
import { platformFromIort } from "../platform/from-iort";
import { platformFromQemu } from "../platform/from-qemu";
import { generatedPlatform } from "../platform/generated";
import type { PlatformError, PlatformResult } from "../platform/types";
import type { KernelProfile } from "../profiles";
import type { Scenario } from "./types";

/** The platform of a scenario's board. */
export function scenarioPlatform(s: Scenario): PlatformResult {
  const b = s.board;
  if ("qemuVirt" in b) {
    const q = b.qemuVirt;
    return platformFromQemu({
      firmware: s.firmware,
      ...(q.iommu === undefined ? {} : { iommu: q.iommu }),
      ...(q.gic === undefined ? {} : { gic: q.gic }),
      ...(q.devices === undefined ? {} : { devices: q.devices }),
      ...(q.memoryBytes === undefined ? {} : { memoryBytes: q.memoryBytes }),
      ...(q.platformMasters === undefined ? {} : { platformMasters: q.platformMasters }),
    });
  }
  if ("generated" in b) return generatedPlatform({ endpoints: b.generated.endpoints, ...(b.generated.smmus === undefined ? {} : { smmus: b.generated.smmus }) });
  if ("dtb" in b) return platformFromDtb(b.dtb, b.pci === undefined ? {} : { pci: b.pci });
  return platformFromIort(b.iort, b.pci);
}

/** Boots a scenario under one profile. */
export function bootScenario(
  s: Scenario,
  profile: KernelProfile,
  options: Omit<BootOptions, "scenario"> = {},
): { ok: true; value: BootResult } | { ok: false; error: BootError | PlatformError } {
  const p = scenarioPlatform(s);
  if (!p.ok) return p;
  return boot(p.value, profile, { ...options, scenario: s });
}
