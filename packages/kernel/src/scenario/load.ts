/**
 * Loading a scenario file: YAML or JSON text → the zod schema (every bad field reported with its path) → the board's
 * DTB/IORT files read relative to the scenario file and parsed (a bad blob is reported with the file and the byte
 * offset through firmware's formatter) → the board built, and every device name the scenario mentions checked
 * against it. Never throws on input.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { formatFirmwareError, parseFdt, parseIort, type FdtNode } from "@dmasim/firmware";
import { ofDeviceMakeBusId } from "../firmware-glue/of-address";
import type { Platform, PlatformError } from "../platform/types";
import { scenarioPlatform } from "../scenarios/run";
import { describeValue, formatPath, suggestion, type ScenarioIssue, type ScenarioResult } from "./issues";
import { scenarioFileSchema, type Scenario, type ScenarioBoard, type ScenarioFile } from "./schema";

/** Where a scenario value came from: its file name (for messages) and the folder its file paths are relative to. */
export interface ScenarioSource {
  /** The name messages show (`seed.yaml`). */
  readonly file: string;
  /** Folder for relative `dtb:`/`iort:` paths (default: the current directory). */
  readonly baseDir?: string;
  /** Reads a file the scenario names (default: `fs.readFileSync`); returns null when it cannot be read. */
  readonly readFile?: (path: string) => Uint8Array | string | null;
}

const EXPECTED_NAMES: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping of fields",
  record: "a mapping of fields",
};

/** The generic messages (types, sizes) in the same `expected X, got Y` form as the schema's own. */
const errorMap: z.core.$ZodErrorMap = (iss) => {
  if (iss.code === "invalid_type") return `expected ${EXPECTED_NAMES[iss.expected] ?? iss.expected}, got ${describeValue(iss.input)}`;
  if (iss.code === "too_small" && iss.origin === "array") return `expected at least ${String(iss.minimum)} entries`;
  return undefined;
};

function defaultRead(path: string): Uint8Array | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/** The zod issues of a parse as scenario issues (unknown keys one per key; missing fields said so). */
function toIssues(file: string, error: z.ZodError): ScenarioIssue[] {
  const out: ScenarioIssue[] = [];
  for (const iss of error.issues) {
    if (iss.code === "unrecognized_keys") {
      const lines = iss.message.split("\n");
      iss.keys.forEach((k, i) => out.push({ file, path: formatPath([...iss.path, k]), message: lines[i] ?? `unknown field "${k}"` }));
      continue;
    }
    const message = iss.message.endsWith(", got nothing") ? `missing (${iss.message.slice(0, -", got nothing".length)})` : iss.message;
    out.push({ file, path: formatPath(iss.path), message });
  }
  return out;
}

/** Parses the text of a scenario file (`.json` as JSON, anything else as YAML). */
export function parseScenarioText(text: string, file: string): ScenarioResult<unknown> {
  if (file.toLowerCase().endsWith(".json")) {
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch (e) {
      return { ok: false, error: [{ file, path: "", message: `bad JSON: ${(e as Error).message}` }] };
    }
  }
  try {
    return { ok: true, value: parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 }) as unknown };
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const at = e.linePos?.[0];
      const where = at === undefined ? "" : `line ${at.line}, column ${at.col}: `;
      return { ok: false, error: [{ file, path: "", message: `bad YAML: ${where}${e.message.split("\n")[0] ?? e.message}` }] };
    }
    return { ok: false, error: [{ file, path: "", message: `bad YAML: ${(e as Error).message}` }] };
  }
}

/** Validates a parsed document against the schema (no files read). */
export function validateScenarioFile(value: unknown, file: string): ScenarioResult<ScenarioFile> {
  const r = scenarioFileSchema.safeParse(value, { error: errorMap });
  return r.success ? { ok: true, value: r.data } : { ok: false, error: toIssues(file, r.error) };
}

/** Reads the board's DTB or IORT and checks that it parses. */
function resolveBoard(s: ScenarioFile, src: ScenarioSource): ScenarioResult<ScenarioBoard> {
  const b = s.board;
  if ("qemuVirt" in b || "generated" in b) return { ok: true, value: b };
  const isDtb = "dtbFile" in b;
  const name = isDtb ? b.dtbFile : b.iortFile;
  const path = isDtb ? "board.dtb" : "board.iort";
  const full = resolve(src.baseDir ?? ".", name);
  const raw = (src.readFile ?? defaultRead)(full);
  if (raw === null) return { ok: false, error: [{ file: src.file, path, message: `cannot read ${name}` }] };
  const bytes = typeof raw === "string" ? new TextEncoder().encode(raw) : raw;
  const parsed = isDtb ? parseFdt(bytes) : parseIort(bytes, { checksum: "ignore" });
  if (!parsed.ok) return { ok: false, error: [{ file: src.file, path, message: formatFirmwareError(basename(name), parsed.error) }] };
  const pci = b.pci === undefined ? {} : { pci: b.pci };
  return { ok: true, value: isDtb ? { dtb: bytes, ...pci } : { iort: bytes, ...pci } };
}

/** The field of the file a platform builder's error is about, and the message without what the path now says. */
function platformIssue(file: string, b: ScenarioBoard, e: PlatformError): ScenarioIssue {
  const message = e.offset === undefined ? e.message : `offset 0x${e.offset.toString(16)}: ${e.message}`;
  const devices = "qemuVirt" in b ? b.qemuVirt.devices : "generated" in b ? undefined : b.pci !== undefined && "devices" in b.pci ? b.pci.devices : undefined;
  const base = "qemuVirt" in b ? "board.qemu-virt.devices" : "board.pci";
  // The QEMU builders name a bad -device argument in the field (`devices: ARG`) or at the start of the message.
  const i = devices?.findIndex((d) => e.field === `devices: ${d}` || message.startsWith(`${d}: `)) ?? -1;
  if (devices !== undefined && i >= 0) {
    const arg = devices[i] as string;
    return { file, path: `${base}[${i}]`, message: message.startsWith(`${arg}: `) ? message.slice(arg.length + 2) : `${message} (${arg})` };
  }
  if ("qemuVirt" in b) return { file, path: e.field.length > 0 && e.source === "qemu" ? `board.qemu-virt.${e.field}` : "board.qemu-virt", message };
  if ("generated" in b) return { file, path: `board.generated.${e.field}`, message };
  return { file, path: e.source === "pci" ? "board.pci" : "dtb" in b ? "board.dtb" : "board.iort", message };
}

/** Every name a device of this board (or one the scenario itself creates) can have in the kernel. */
function knownDeviceNames(platform: Platform, s: Scenario): Set<string> {
  const names = new Set<string>();
  for (const f of platform.board.pciFunctions) names.add(f.name);
  for (const d of platform.board.platformDevices) names.add(d.name);
  const fw = platform.firmware;
  if (fw.kind === "acpi") fw.smmuNodes.forEach((_, i) => names.add(`arm-smmu-v3.${i}.auto`));
  else {
    const walk = (n: FdtNode): void => {
      names.add(n.name);
      names.add(n.name.split("@")[0] ?? n.name);
      names.add(ofDeviceMakeBusId(fw.dt, n));
      n.children.forEach(walk);
    };
    walk(fw.dt.root);
  }
  for (const d of s.drivers) for (const a of d.probe ?? []) for (const c of a.children ?? []) if (c.name !== undefined) names.add(c.name);
  for (const a of s.actions ?? []) if ("registerDevice" in a) names.add(a.registerDevice);
  return names;
}

/** Device names the scenario mentions, with their paths. */
function deviceReferences(s: Scenario): { path: string; name: string }[] {
  const out: { path: string; name: string }[] = [];
  (s.actions ?? []).forEach((a, i) => {
    if ("unbind" in a) out.push({ path: `actions[${i}].unbind`, name: a.unbind });
    else if ("remove" in a) out.push({ path: `actions[${i}].remove`, name: a.remove });
    else if ("msi" in a) out.push({ path: `actions[${i}].msi`, name: a.msi });
    else if ("bind" in a) out.push({ path: `actions[${i}].bind.device`, name: a.bind.device });
    else if ("dma" in a) out.push({ path: `actions[${i}].dma.device`, name: a.dma.device });
  });
  s.drivers.forEach((d, i) =>
    (d.probe ?? []).forEach((a, j) => {
      (a.until ?? []).forEach((c, k) => {
        const at = c.indexOf(":");
        if (at > 0) out.push({ path: `drivers[${i}].probe[${j}].until[${k}]`, name: c.slice(at + 1) });
      });
      (a.dma ?? []).forEach((op, k) => {
        if (op.device !== undefined) out.push({ path: `drivers[${i}].probe[${j}].dma[${k}].device`, name: op.device });
      });
    }),
  );
  (s.probeFailures ?? []).forEach((f, i) => out.push({ path: `probeFailures[${i}].device`, name: f.device }));
  (s.explore?.faults?.devices ?? []).forEach((d, i) => out.push({ path: `explore.faults.devices[${i}]`, name: d }));
  for (const [profile, e] of Object.entries(s.expect ?? {})) {
    for (const d of Object.keys(e?.devices ?? {})) out.push({ path: formatPath(["expect", profile, "devices", d]), name: d });
  }
  return out;
}

/** Checks the scenario's device names against its board (building the board reports its own errors). */
function checkAgainstBoard(s: Scenario, file: string): ScenarioIssue[] {
  const p = scenarioPlatform(s);
  if (!p.ok) return [platformIssue(file, s.board, p.error)];
  const known = knownDeviceNames(p.value, s);
  const candidates = [...known];
  return deviceReferences(s)
    .filter((r) => !known.has(r.name))
    .map((r) => ({ file, path: r.path, message: `no device "${r.name}" on this board${suggestion(r.name, candidates)}` }));
}

/**
 * A parsed document to a bootable scenario: schema, board files, board, device names.
 *
 * @example
 * ```ts
 * const r = resolveScenario({ name: "x", firmware: "dt", board: { "qemu-virt": {} } }, { file: "x.yaml" });
 * ```
 */
export function resolveScenario(value: unknown, src: ScenarioSource): ScenarioResult<Scenario> {
  const parsed = validateScenarioFile(value, src.file);
  if (!parsed.ok) return parsed;
  const board = resolveBoard(parsed.value, src);
  if (!board.ok) return board;
  const scenario: Scenario = { ...parsed.value, board: board.value };
  const issues = checkAgainstBoard(scenario, src.file);
  return issues.length > 0 ? { ok: false, error: issues } : { ok: true, value: scenario };
}

/**
 * Loads a scenario file (YAML, or JSON by its `.json` extension); file paths inside are relative to it.
 *
 * @example
 * ```ts
 * const r = loadScenario("scenarios/seed.yaml");
 * if (!r.ok) console.error(formatScenarioIssues(r.error)); // one line per problem; exit status 2
 * ```
 */
export function loadScenario(path: string, options: { readonly file?: string } = {}): ScenarioResult<Scenario> {
  const file = options.file ?? basename(path);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    return { ok: false, error: [{ file, path: "", message: `cannot read the file (${code})` }] };
  }
  const doc = parseScenarioText(text, file);
  if (!doc.ok) return doc;
  return resolveScenario(doc.value, { file, baseDir: dirname(resolve(path)) });
}
