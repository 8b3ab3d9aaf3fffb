/**
 * Custom profiles: a built-in profile with some switches changed, validated so that a misspelt switch or a value
 * of the wrong kind is an error naming its path, not a silently ignored field.
 */
import type { KernelProfile } from "./profiles";

/** A deep partial of the switches of a profile (arrays replace, objects merge). */
export type ProfileOverrides = {
  readonly [K in keyof KernelProfile]?: KernelProfile[K] extends readonly unknown[]
    ? KernelProfile[K]
    : KernelProfile[K] extends object
      ? { readonly [L in keyof KernelProfile[K]]?: KernelProfile[K][L] }
      : KernelProfile[K];
};

/** One problem with an override: the switch path and what is wrong. */
export interface ProfileOverrideError {
  readonly path: string;
  readonly message: string;
}

/** The allowed values of the enumerated switches, by path. */
export const SWITCH_VALUES: Readonly<Record<string, readonly (string | number | null)[]>> = {
  "driverCore.reallyProbe": ["v4.7", "v4.12", "modern"],
  "driverCore.deferredProbeCheckState": ["none", "v4.19", "modern"],
  "driverCore.busNotifyNumbering": ["define", "enum"],
  "iommu.probePath": ["add_device", "probe_device"],
  "iommu.busNotifierReturn": ["raw-errno", "done-ok"],
  "iommu.defaultDomainPolicy": ["always-dma", "def-domain-type", "modern"],
  "iommu.opsLookup": ["of-set-ops", "iommu-device"],
  "iommu.ofIommuMissingOps": ["no-iommu", "of-table", "check-state"],
  "iommu.ofPciAliases": ["unsupported", "last", "each"],
  "iommu.iortDriverCheck": ["none", "builtin", "enabled"],
  "iommu.groupJoinLog": ["pr-info", "dev-info"],
  "iommu.subsysInitLog": ["none", "type", "type-and-policy"],
  "dma.generation": ["v4.7", "v4.8", "v4.8-not-bound", "v4.12", "v6.1"],
  "dma.nullOps": ["dummy", "direct"],
  "dma.archDefaultOps": ["swiotlb", "none"],
  "dma.iommuDma.dmaDomain": ["current", "default"],
  arm64DmaSetup: ["v4.7", "v4.8", "v4.8-not-bound", "v4.12", "v6.1"],
  "pci.dmaConfigureAt": ["device-add", "probe"],
  "pci.acsEnableAt": ["init-capabilities", "dma-configure"],
  platformDmaConfigure: ["creation", "probe"],
  "acpi.configureAtCreation": ["iommu-core", "seed-tree"],
  "of.configureAtCreation": ["iommu-core", "seed-tree"],
  "smmuDriver.initcall": ["subsys", "device"],
  "smmuDriver.registration": ["init", "probe"],
  "ioPgtable.pteBits": ["v4.4", "modern"],
  "smmuDriver.era.probePath": ["add_device", "probe_device"],
  "smmuDriver.era.streamTree": ["none", "strict", "stable-dup-fix"],
  "smmuDriver.era.tlb": ["immediate", "gather"],
  "smmuDriver.era.asidAllocator": ["per-smmu-from-0", "global-from-1"],
};

const BUS_NAMES = ["pci", "amba", "platform"];

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function checkValue(path: string, base: unknown, value: unknown, errors: ProfileOverrideError[]): void {
  const allowed = SWITCH_VALUES[path];
  if (allowed !== undefined) {
    if (!allowed.includes(value as string)) {
      errors.push({ path, message: `expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${JSON.stringify(value)}` });
    }
    return;
  }
  if (path === "smmuDriver.buses") {
    if (!Array.isArray(value) || value.some((b) => !BUS_NAMES.includes(b as string))) {
      errors.push({ path, message: `expected a list of ${BUS_NAMES.join(", ")}` });
    }
    return;
  }
  const bk = kindOf(base);
  const vk = kindOf(value);
  // Nullable numbers and nullable objects (the deferred-probe timeout, the rcache geometry).
  if (bk === "null" && (vk === "null" || vk === "object")) return;
  if ((bk === "null" || bk === "number") && (vk === "null" || vk === "number")) {
    if (vk === "number" && (!Number.isSafeInteger(value) || (value as number) < 0)) {
      errors.push({ path, message: `expected a non-negative integer, got ${String(value)}` });
    }
    return;
  }
  if (bk !== vk) errors.push({ path, message: `expected ${bk}, got ${vk}` });
}

function merge(path: string, base: unknown, over: unknown, errors: ProfileOverrideError[]): unknown {
  if (kindOf(base) === "object" && kindOf(over) === "null" && path === "dma.iommuDma.rcache") return over;
  if (kindOf(base) === "object" && kindOf(over) === "object") {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [key, value] of Object.entries(over as Record<string, unknown>)) {
      const sub = path === "" ? key : `${path}.${key}`;
      if (!Object.prototype.hasOwnProperty.call(base, key)) {
        errors.push({ path: sub, message: "unknown switch" });
        continue;
      }
      out[key] = merge(sub, (base as Record<string, unknown>)[key], value, errors);
    }
    return out;
  }
  if (kindOf(base) === "object") {
    errors.push({ path, message: `expected an object of switches, got ${kindOf(over)}` });
    return base;
  }
  checkValue(path, base, over, errors);
  return over;
}

/**
 * A custom profile: `base` with `overrides` applied. Unknown switches and values of the wrong kind are errors
 * naming their path; a custom profile is labelled as such unless the overrides set a label.
 *
 * @example
 * ```ts
 * const r = defineProfile(PROFILES["v4.12"], { name: "v4.12-no-acs", acpi: { enableAcsAtIortInit: false } });
 * if (!r.ok) console.error(r.error.map((e) => `${e.path}: ${e.message}`));
 * ```
 */
export function defineProfile(
  base: KernelProfile,
  overrides: ProfileOverrides,
): { readonly ok: true; readonly value: KernelProfile } | { readonly ok: false; readonly error: readonly ProfileOverrideError[] } {
  const errors: ProfileOverrideError[] = [];
  const merged = merge("", base, overrides, errors) as KernelProfile;
  if (errors.length > 0) return { ok: false, error: errors };
  const name = overrides.name ?? `${base.name}-custom`;
  const label = overrides.label ?? `${name} (custom, from ${base.name})`;
  return { ok: true, value: { ...merged, name, label } };
}
