/**
 * The scenario file (DESIGN.md "The scenario file") as zod 4 schemas. The TypeScript scenario types of the package
 * are derived from these schemas (`z.output`), so the file format and the types `boot` reads cannot drift apart.
 * Objects are strict (a misspelt key is an error with a "did you mean"); errno names go through driver-core's
 * `parseErrno`; driver matches through the same parser the drivers use.
 *
 * File-level names follow DESIGN.md (`board.qemu-virt`, `drivers[].probe[].until`, ...); the in-memory board key is
 * `qemuVirt`, and DTB/IORT file names become the blob's bytes once {@link resolveScenario} has read them.
 */
import { z } from "zod";
import { INITCALL_LEVELS, parseErrno } from "@dmasim/driver-core";
import { DRIVER_CORE_INVARIANTS, KERNEL_INVARIANTS } from "../checker/index";
import { parseDriverMatches } from "../drivers/register";
import type { PciTopologySpec, PlatformMasterSpec } from "../platform/types";
import { PROFILE_NAMES } from "../profiles";
import { describeValue, suggestion } from "./issues";

/** A strict object whose unknown keys are reported one per line with a "did you mean". */
function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => (iss.code === "unrecognized_keys" ? iss.keys.map((k) => `unknown field "${k}"${suggestion(k, known)}`).join("\n") : undefined),
  });
}

/** A value from a fixed set, with a "did you mean" for near misses. */
function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (iss) => {
      const got = iss.input;
      const hint = typeof got === "string" ? suggestion(got, values) : "";
      return `expected ${what} (${values.join(", ")}), got ${describeValue(got)}${hint}`;
    },
  });
}

const text = z.string({ error: (iss) => `expected a string, got ${describeValue(iss.input)}` }).min(1, { error: "expected a non-empty string" });
const flag = z.boolean({ error: (iss) => `expected true or false, got ${describeValue(iss.input)}` });
const count = (what: string, min = 0) =>
  z.number({ error: (iss) => `expected ${what}, got ${describeValue(iss.input)}` }).int({ error: (iss) => `expected ${what}, got ${describeValue(iss.input)}` }).min(min, { error: (iss) => `expected ${what}, got ${describeValue(iss.input)}` });
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: (iss) => `expected a list, got ${describeValue(iss.input)}` }).readonly();

/** A kernel device name (`0000:01:00.0`, `9050000.smmuv3`). */
const deviceName = text;

/** `0`, a negative errno, or its name (`-EPROBE_DEFER`, `ENOMEM`), kept as written. */
const errnoValue = z.custom<number | string>(
  (v) => (typeof v === "number" ? Number.isInteger(v) && v <= 0 : typeof v === "string" && parseErrno(v).ok),
  { error: (iss) => `expected an errno name or 0, got ${describeValue(iss.input)}` },
);

/** An errno as a negative number. */
const errnoNumber = errnoValue.transform((v) => (typeof v === "number" ? v : (parseErrno(v) as { ok: true; value: number }).value));

/** An initcall level (`device`, `subsys_sync`, ...). */
export const initcallLevelSchema = oneOf(INITCALL_LEVELS, "an initcall level");

/** `enum dma_data_direction` by name. */
export const dmaDirectionSchema = oneOf(["bidirectional", "to-device", "from-device"], "a DMA direction");

/** One DMA operation of a driver (`drivers[].probe[].dma[]`, `actions[].dma.ops[]`). */
export const dmaOpSchema = strict({
  op: oneOf(["alloc-coherent", "map-single", "map-sg"], "a DMA operation"),
  size: count("a size in bytes (a positive integer)", 1),
  dir: dmaDirectionSchema.exactOptional(),
  nents: count("a scatterlist length (a positive integer)", 1).exactOptional(),
  device: deviceName.exactOptional(),
  api: oneOf(["dma-api", "phys"], "how the device gets the address").exactOptional(),
  release: flag.exactOptional(),
}).readonly();

const UNTIL = /^(bound:.+|registered:.+|after-late)$/;

/** A probe-script wait condition: `bound:NAME`, `registered:NAME`, `after-late`. */
export const untilConditionSchema = z.custom<`bound:${string}` | "after-late" | `registered:${string}`>(
  (v) => typeof v === "string" && UNTIL.test(v),
  { error: (iss) => `expected bound:DEVICE, registered:DEVICE or after-late, got ${describeValue(iss.input)}` },
);

/** A child device a probe creates. */
export const childDeviceSchema = strict({ name: deviceName.exactOptional(), ofNode: text.exactOptional() })
  .readonly()
  .refine((c) => (c.name === undefined) !== (c.ofNode === undefined), { error: "expected exactly one of name or ofNode" });

/** One probe attempt: children, DMA, MSI, then the result, repeated while `until` does not hold. */
export const probeAttemptSchema = strict({
  children: list(childDeviceSchema).exactOptional(),
  dma: list(dmaOpSchema).exactOptional(),
  result: errnoValue,
  until: list(untilConditionSchema).exactOptional(),
  msi: flag.exactOptional(),
}).readonly();

const matchesSchema = z
  .array(text, { error: (iss) => `expected a list, got ${describeValue(iss.input)}` })
  .min(1, { error: "expected at least one match (pci:VVVV:DDDD, pci-class:0xCCCCCC, of:COMPATIBLE, platform:NAME)" })
  .superRefine((m, ctx) => {
    const r = parseDriverMatches(m);
    if (!r.ok) ctx.addIssue({ code: "custom", message: r.error });
  })
  .readonly();

/** A driver of the scenario. */
export const driverSpecSchema = strict({
  name: text,
  matches: matchesSchema,
  load: oneOf(["builtin", "module"], "how the driver is loaded"),
  initcall: initcallLevelSchema.exactOptional(),
  probe: list(probeAttemptSchema).exactOptional(),
  removeReleasesDma: flag.exactOptional(),
  asyncProbe: flag.exactOptional(),
}).readonly();

const address = count("an address (a non-negative integer)");

/** A DT platform master added to a QEMU board (recursive: children). */
export const platformMasterSchema: z.ZodType<PlatformMasterSpec> = z.lazy(() =>
  strict({
    node: text.regex(/^[^@/\s]+@[0-9a-f]+$/i, { error: (iss) => `expected a DT node name NAME@UNIT, got ${describeValue(iss.input)}` }),
    compatible: list(text),
    reg: strict({ base: address, size: count("a size (a positive integer)", 1) }).readonly(),
    streamIds: list(count("a StreamID")),
    dmaCoherent: flag.exactOptional(),
    children: list(platformMasterSchema).exactOptional(),
  }).readonly(),
);

/** The PCI topology beside a DTB or IORT: QEMU `-device` arguments, as a list or `{ devices: [...] }`. */
export const pciTopologySchema: z.ZodType<PciTopologySpec, unknown> = z.union([
  list(text).transform((devices) => ({ devices })),
  strict({ devices: list(text) }).readonly(),
], { error: "expected a list of QEMU -device arguments" });

/** `board.qemu-virt`: the QEMU `virt` machine's options. */
export const qemuVirtSchema = strict({
  iommu: oneOf(["smmuv3", "none"], "an IOMMU (-M virt,iommu=)").exactOptional(),
  gic: z.union([z.literal(2), z.literal(3)], { error: (iss) => `expected 2 or 3, got ${describeValue(iss.input)}` }).exactOptional(),
  devices: list(text).exactOptional(),
  memoryBytes: count("a RAM size in bytes", 1 << 20).exactOptional(),
  platformMasters: list(platformMasterSchema).exactOptional(),
}).readonly();

/** `board.generated`: an ACPI machine with `endpoints` PCI endpoints behind `smmus` SMMUv3s (scale scenarios). */
export const generatedBoardSchema = strict({
  endpoints: count("an endpoint count (1..65536)", 1).max(65536, { error: "expected at most 65536 endpoints" }),
  smmus: count("an SMMU count (1..64)", 1).max(64, { error: "expected at most 64 SMMUs" }).exactOptional(),
}).readonly();

const BOARD_KINDS = ["qemu-virt", "dtb", "iort", "generated"] as const;

/**
 * The board as the file writes it: exactly one of `qemu-virt`, `dtb` (a file, with `pci`), `iort` (a file, with
 * `pci`), `generated`. File names stay names here; {@link resolveScenario} reads them.
 */
export const boardFileSchema = strict({
  "qemu-virt": qemuVirtSchema.exactOptional(),
  dtb: text.exactOptional(),
  iort: text.exactOptional(),
  pci: pciTopologySchema.exactOptional(),
  generated: generatedBoardSchema.exactOptional(),
})
  .superRefine((b, ctx) => {
    const kinds = BOARD_KINDS.filter((k) => b[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: "custom", message: `expected exactly one of ${BOARD_KINDS.join(", ")}, got ${kinds.length === 0 ? "none" : kinds.join(" and ")}` });
    } else if (b.pci !== undefined && b.dtb === undefined && b.iort === undefined) {
      ctx.addIssue({ code: "custom", path: ["pci"], message: "pci goes with dtb or iort (a qemu-virt board lists its devices)" });
    }
  })
  .transform((b): ScenarioBoardFile => {
    const pci = b.pci === undefined ? {} : { pci: b.pci };
    if (b["qemu-virt"] !== undefined) return { qemuVirt: b["qemu-virt"] };
    if (b.generated !== undefined) return { generated: b.generated };
    if (b.dtb !== undefined) return { dtbFile: b.dtb, ...pci };
    return { iortFile: b.iort as string, ...pci };
  });

/** A QEMU `virt` board. */
export interface QemuVirtBoard {
  readonly qemuVirt: z.output<typeof qemuVirtSchema>;
}

/** A generated ACPI machine. */
export interface GeneratedBoard {
  readonly generated: z.output<typeof generatedBoardSchema>;
}

/** The board as parsed, DTB/IORT file names not yet read. */
export type ScenarioBoardFile =
  | QemuVirtBoard
  | GeneratedBoard
  | { readonly dtbFile: string; readonly pci?: PciTopologySpec }
  | { readonly iortFile: string; readonly pci?: PciTopologySpec };

/** One runtime action: exactly one key. */
const ACTION_SCHEMAS = {
  unbind: deviceName,
  bind: strict({ device: deviceName, driver: text }).readonly(),
  remove: deviceName,
  dma: strict({ device: deviceName, ops: list(dmaOpSchema) }).readonly(),
  msi: deviceName,
  loadModule: text,
  registerDevice: deviceName,
  rescan: z.literal(true, { error: "expected true" }),
  advanceUs: count("a time in microseconds (a non-negative integer)"),
} as const;

type ActionSchemas = typeof ACTION_SCHEMAS;
/** A runtime action after boot, derived from the per-key schemas. */
export type ScenarioAction = { [K in keyof ActionSchemas]: { readonly [P in K]: z.output<ActionSchemas[K]> } }[keyof ActionSchemas];

const ACTION_KEYS = Object.keys(ACTION_SCHEMAS) as (keyof ActionSchemas)[];

/** `actions[i]`: one of unbind, bind, remove, dma, msi, loadModule, registerDevice, rescan, advanceUs. */
export const actionSchema = z
  .record(z.string(), z.unknown(), { error: (iss) => `expected an action (${ACTION_KEYS.join(", ")}), got ${describeValue(iss.input)}` })
  .transform((obj, ctx): ScenarioAction => {
    const keys = Object.keys(obj);
    const key = keys[0];
    if (keys.length !== 1 || key === undefined) {
      ctx.addIssue({ code: "custom", message: `expected exactly one action key (${ACTION_KEYS.join(", ")}), got ${keys.length === 0 ? "none" : keys.join(", ")}` });
      return z.NEVER;
    }
    if (!(ACTION_KEYS as string[]).includes(key)) {
      ctx.addIssue({ code: "custom", path: [key], message: `unknown action "${key}"${suggestion(key, ACTION_KEYS)}` });
      return z.NEVER;
    }
    const r = ACTION_SCHEMAS[key as keyof ActionSchemas].safeParse(obj[key]);
    if (!r.success) {
      for (const issue of r.error.issues) ctx.addIssue({ code: "custom", path: [key, ...issue.path], message: issue.message });
      return z.NEVER;
    }
    return { [key]: r.data } as ScenarioAction;
  });

/** Link order overrides per initcall level: `{ device: [arm_smmu_driver_init, e1000e_init] }`. */
export const linkOrderSchema = z.partialRecord(initcallLevelSchema, list(text)).readonly();

/** An injected probe failure: `times` probes of `driver` (any) on `device` fail with `errno`. */
export const probeFailureSchema = strict({
  device: deviceName,
  driver: text.exactOptional(),
  errno: errnoNumber,
  times: count("a positive count", 1).exactOptional(),
}).readonly();

/** `explore`: what the probe-order explorer may vary for this scenario, and its defaults. */
export const exploreSchema = strict({
  /** Kernel initcalls whose place in their level may vary (scenario built-ins always may). */
  orderable: linkOrderSchema.exactOptional(),
  /** Module loads race the runtime actions (default true). */
  raceActions: flag.exactOptional(),
  /** The boot thread may run ahead of pending async probes (default true). */
  asyncPreemption: flag.exactOptional(),
  /** Injected probe failures at each probe call, at most `max` per run. */
  faults: strict({
    max: count("a fault count"),
    errnos: list(errnoNumber).exactOptional(),
    devices: list(deviceName).exactOptional(),
  }).readonly().exactOptional(),
  maxStates: count("a state budget", 1).exactOptional(),
  seed: count("a seed").exactOptional(),
}).readonly();

const INVARIANT_NAMES = [...DRIVER_CORE_INVARIANTS, ...KERNEL_INVARIANTS] as unknown as readonly [string, ...string[]];

/** An invariant name of architecture.md. */
export const invariantNameSchema = oneOf(INVARIANT_NAMES, "an invariant name");

/** What one device must look like after the boot (any subset of its outcome). */
export const deviceExpectSchema = strict({
  driver: z.union([text, z.null()], { error: "expected a driver name or null" }).exactOptional(),
  dmaOps: oneOf(["iommu", "direct", "swiotlb", "dummy", "none"], "a DMA ops kind").exactOptional(),
  iommu: z.union([text, z.null()], { error: "expected an IOMMU device name or null" }).exactOptional(),
  iommuGroup: z.union([count("a group number"), z.null()], { error: "expected a group number or null" }).exactOptional(),
  domainType: z.union([oneOf(["DMA", "DMA-FQ", "identity", "blocked", "unmanaged"], "a domain type"), z.null()]).exactOptional(),
  streamIds: list(count("a StreamID")).exactOptional(),
  deferrals: count("a deferral count").exactOptional(),
  /** `op:outcome` per DMA in order (`alloc-coherent:ok`, `msi:fault`). */
  dma: list(text.regex(/^(alloc-coherent|map-single|map-sg|msi):(ok|fault|untranslated|failed)$/, { error: (iss) => `expected OP:OUTCOME (alloc-coherent:ok, msi:fault, ...), got ${describeValue(iss.input)}` })).exactOptional(),
  leaks: count("a leak count").exactOptional(),
}).readonly();

/** The expected verdicts of one profile: exactly the invariants in `fail` fail; devices match their subsets. */
export const profileExpectSchema = strict({
  fail: list(invariantNameSchema),
  devices: z.record(deviceName, deviceExpectSchema).readonly().exactOptional(),
}).readonly();

const profileNameSchema = oneOf(PROFILE_NAMES as unknown as readonly [string, ...string[]], "a profile");

/** The scenario file. */
export const scenarioFileSchema = strict({
  name: text,
  description: z.string().exactOptional(),
  firmware: oneOf(["acpi", "dt"], "a firmware kind"),
  board: boardFileSchema,
  drivers: list(driverSpecSchema).default([]),
  defaultDrivers: flag.exactOptional(),
  loadModules: flag.exactOptional(),
  actions: list(actionSchema).exactOptional(),
  cmdline: z.string().exactOptional(),
  profiles: list(profileNameSchema).exactOptional(),
  linkOrder: linkOrderSchema.exactOptional(),
  probeFailures: list(probeFailureSchema).exactOptional(),
  explore: exploreSchema.exactOptional(),
  expect: z.partialRecord(profileNameSchema, profileExpectSchema).readonly().exactOptional(),
}).readonly();

/** A DMA operation. */
export type DmaOpSpec = z.output<typeof dmaOpSchema>;
/** `enum dma_data_direction` by name. */
export type DmaDirectionName = z.output<typeof dmaDirectionSchema>;
/** A probe-script wait condition. */
export type UntilCondition = z.output<typeof untilConditionSchema>;
/** A child device a probe creates. */
export type ChildDeviceSpec = z.output<typeof childDeviceSchema>;
/** One probe attempt. */
export type ProbeAttemptSpec = z.output<typeof probeAttemptSchema>;
/** A driver of a scenario. */
export type ScenarioDriverSpec = z.output<typeof driverSpecSchema>;
/** An injected probe failure. */
export type ProbeFailureSpec = z.output<typeof probeFailureSchema>;
/** The explorer settings of a scenario. */
export type ExploreSpec = z.output<typeof exploreSchema>;
/** The expected outcome of one device. */
export type DeviceExpect = z.output<typeof deviceExpectSchema>;
/** The expected verdicts of one profile. */
export type ProfileExpect = z.output<typeof profileExpectSchema>;
/** A board whose firmware blobs have been read: QEMU options, a generated machine, or DTB/IORT bytes. */
export type ScenarioBoard =
  | QemuVirtBoard
  | GeneratedBoard
  | { readonly dtb: Uint8Array; readonly pci?: PciTopologySpec }
  | { readonly iort: Uint8Array; readonly pci?: PciTopologySpec };

/** A scenario as the file gives it, with the board's files not yet read. */
export type ScenarioFile = z.output<typeof scenarioFileSchema>;

/** A scenario ready to boot (the type `boot` and the explorer take). */
export type Scenario = Omit<ScenarioFile, "board" | "drivers"> & {
  readonly board: ScenarioBoard;
  readonly drivers: readonly ScenarioDriverSpec[];
};
