/**
 * The platform of `dmasim boot`: a QEMU `virt` command line (`--qemu`), a DTB (`--dtb`) or an ACPI IORT with a PCI
 * topology (`--iort`, `--pci`). Every problem is an input error naming the file (or option) and the field or byte
 * offset the platform builders report.
 */
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { platformFromDtb, platformFromIort, platformFromQemu, type PciTopologySpec, type PlatformResult } from "@dmasim/kernel";
import { parseQemuCommandLine, qemuVirtOptionsFromCommandLine, type QemuCommandLineError } from "@dmasim/machine";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { fromPlatformError, inputError, type Result } from "../errors";
import { formatPath } from "../result-schema";

/** Where the platform comes from. */
export type PlatformSource =
  | { readonly kind: "qemu"; readonly args: string; readonly firmware: "dt" | "acpi" | null }
  | { readonly kind: "dtb"; readonly file: string; readonly pci: string | null }
  | { readonly kind: "iort"; readonly file: string; readonly pci: string | null };

/** A built platform factory (a fresh platform per boot) with the kernel command line the source implies. */
export interface PlatformInput {
  readonly build: () => PlatformResult;
  /** The scenario name the result carries. */
  readonly name: string;
  readonly description: string;
  readonly firmware: "dt" | "acpi";
  /** Kernel command line from the source (QEMU `-append`). */
  readonly cmdline: string;
  /** The file errors are reported against. */
  readonly file: string;
}

/** Files larger than this are refused (a DTB or IORT is kilobytes). */
const MAX_INPUT_BYTES = 64 * 2 ** 20;

function readInput(file: string, cwd: string): Result<Uint8Array> {
  const path = resolve(cwd, file);
  try {
    const st = statSync(path);
    if (!st.isFile()) return inputError(file, null, "not a regular file");
    if (st.size > MAX_INPUT_BYTES) return inputError(file, null, `too large (${st.size} bytes; at most ${MAX_INPUT_BYTES})`);
    return { ok: true, value: new Uint8Array(readFileSync(path)) };
  } catch (err) {
    const code = (err as { code?: string }).code;
    return inputError(file, null, code === "ENOENT" ? "no such file" : err instanceof Error ? err.message : String(err));
  }
}

const pciSchema = z.strictObject({ devices: z.array(z.string().min(1)).max(4096) });

/** Reads a `--pci` file: YAML or JSON `{ devices: [QEMU -device strings] }`. */
export function readPciTopology(file: string, cwd: string): Result<PciTopologySpec> {
  const bytes = readInput(file, cwd);
  if (!bytes.ok) return bytes;
  let data: unknown;
  try {
    data = parseYaml(new TextDecoder().decode(bytes.value), { maxAliasCount: 100 });
  } catch (err) {
    const pos = (err as { linePos?: readonly { line: number; col: number }[] }).linePos?.[0];
    return inputError(file, pos === undefined ? null : `line ${pos.line} column ${pos.col}`, `not YAML or JSON: ${err instanceof Error ? err.message.split("\n")[0] ?? "" : String(err)}`);
  }
  const parsed = pciSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return inputError(file, issue === undefined ? null : formatPath(issue.path), `${issue?.message ?? "bad PCI topology"} (expected { devices: [QEMU -device arguments] })`);
  }
  return { ok: true, value: { devices: parsed.data.devices } };
}

function describeQemuError(e: QemuCommandLineError): { field: string | null; message: string } {
  switch (e.kind) {
    case "unterminated-quote":
      return { field: `offset ${e.offset}`, message: "unterminated quote" };
    case "no-qemu":
      return { field: null, message: e.message };
    case "missing-argument":
      return { field: e.option, message: "needs an argument" };
    case "unknown-option":
      return { field: e.option, message: "unknown or unmodelled option" };
    case "unexpected-argument":
      return { field: e.argument, message: "unexpected argument" };
    case "bad-option":
      return { field: `${e.option} ${e.value}`, message: e.message };
    case "device":
      return { field: `-device ${e.error.arg}`, message: e.error.kind };
  }
}

/** The QEMU command line of `--qemu ARGS`: the binary and `-M virt,iommu=smmuv3` are added when not given. */
export function qemuCommandLine(args: string): string {
  const withBinary = /(^|[\s/])qemu-system-[a-z0-9_]+(\s|$)/.test(args) ? args : `qemu-system-aarch64 ${args}`;
  return /(^|\s)--?(M|machine)(\s|$)/.test(args) ? withBinary : withBinary.replace(/(qemu-system-[a-z0-9_]+)/, "$1 -M virt,iommu=smmuv3");
}

function qemuInput(args: string, firmware: "dt" | "acpi" | null): Result<PlatformInput> {
  const cmd = parseQemuCommandLine(qemuCommandLine(args));
  if (!cmd.ok) {
    const d = describeQemuError(cmd.error);
    return inputError("--qemu", d.field, d.message);
  }
  const o = qemuVirtOptionsFromCommandLine(cmd.value);
  const fw = firmware ?? o.firmware ?? "dt";
  const build = (): PlatformResult =>
    platformFromQemu({
      iommu: o.iommu ?? "none",
      gic: o.gic ?? 2,
      devices: (o.devices ?? []).map((d) => (typeof d === "string" ? d : d.arg)),
      firmware: fw,
      ...(o.memoryBytes === undefined ? {} : { memoryBytes: o.memoryBytes }),
    });
  return { ok: true, value: { build, name: "qemu-virt", description: `QEMU virt: ${args}`, firmware: fw, cmdline: cmd.value.append ?? "", file: "--qemu" } };
}

/** Resolves a platform source; the platform is built once here to report errors before any boot. */
export function platformInput(source: PlatformSource, cwd: string): Result<PlatformInput> {
  let input: Result<PlatformInput>;
  if (source.kind === "qemu") input = qemuInput(source.args, source.firmware);
  else {
    const bytes = readInput(source.file, cwd);
    if (!bytes.ok) return bytes;
    const pci = source.pci === null ? null : readPciTopology(source.pci, cwd);
    if (pci !== null && !pci.ok) return pci;
    const spec = pci?.value;
    const file = source.file;
    const name = file.split(/[\\/]/).pop() ?? file;
    input = {
      ok: true,
      value:
        source.kind === "dtb"
          ? { build: () => platformFromDtb(bytes.value, spec === undefined ? {} : { pci: spec }), name, description: `DTB ${name}`, firmware: "dt", cmdline: "", file }
          : { build: () => platformFromIort(bytes.value, spec), name, description: `IORT ${name}`, firmware: "acpi", cmdline: "", file },
    };
  }
  if (!input.ok) return input;
  const probe = input.value.build();
  if (!probe.ok) return { ok: false, error: fromPlatformError(probe.error.source === "pci" && source.kind !== "qemu" ? source.pci : input.value.file, probe.error) };
  return { ok: true, value: { ...input.value, description: `${input.value.description} (${probe.value.name})` } };
}
