/**
 * One boot of the real kernel under `qemu-system-aarch64 -M virt,iommu=smmuv3`: the command line built from the
 * user's QEMU arguments (DT: `-kernel` direct boot; ACPI: `-bios QEMU_EFI.fd` + `acpi=force`), run with a hard time
 * limit, the console written to `NAME.log` and the exact command with its wall time to `NAME.cmd` (the fixture
 * format), and the outcome classified: finished, timed out, panicked before `/init` finished, or exited early.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseQemuCommandLine, splitQemuOpts, splitShellWords, type QemuCommandLine } from "@dmasim/machine";
import { oracleFail, type OracleResult } from "./errors";
import { formatWallTime, runProcess, shellQuote } from "./exec";

/** The dynamic-debug selection the oracle boots with, so deferrals, iommu-map translations and IOMMU debug lines show. */
export const ORACLE_DYNDBG =
  'loglevel=8 dyndbg="file drivers/base/dd.c +p; file drivers/iommu/* +p; file drivers/of/device.c +p; file drivers/of/base.c +p; file drivers/acpi/arm64/* +p"';

/** NIC models whose default option ROM (`efi-*.rom`, from ipxe-qemu) is not installed: booted with `romfile=`. */
const ROM_NICS = new Set(["virtio-net-pci", "e1000e", "e1000", "e1000-82544gc", "e1000-82545em", "rtl8139", "i82559er", "ne2k_pci", "pcnet", "vmxnet3"]);

/** What to boot. */
export interface RealBootSpec {
  /** File stem of `NAME.cmd` / `NAME.log`. */
  readonly name: string;
  readonly firmware: "dt" | "acpi";
  /** QEMU arguments: `-device ...` (any number), optionally `-M virt,<props>`, `-smp N`, `-m SIZE`, `-cpu CPU`. */
  readonly qemuArgs: string;
  /** Extra kernel command line (`iommu.passthrough=1`). */
  readonly cmdline?: string;
  /** Boot with {@link ORACLE_DYNDBG} (default true). */
  readonly dyndbg?: boolean;
  /** Kill QEMU after this many seconds (default 120). */
  readonly timeoutSeconds?: number;
}

/** The files a boot needs. */
export interface BootAssets {
  readonly qemu: string;
  readonly kernel: string;
  readonly initramfs: string;
  readonly efiFirmware: string;
  readonly logDir: string;
}

/** A finished boot. */
export interface RealBoot {
  readonly name: string;
  readonly cmdPath: string;
  readonly logPath: string;
  /** The `.cmd` text (command, then `rc=… wall=…`). */
  readonly cmdText: string;
  /** The console output (CRLF as QEMU wrote it). */
  readonly logText: string;
  readonly wallNs: bigint;
  readonly command: QemuCommandLine;
}

/** The argv of a boot (without the `timeout` prefix), validated by `@dmasim/machine`'s parser. */
export function buildQemuArgv(spec: RealBootSpec, assets: Omit<BootAssets, "logDir">): OracleResult<{ argv: string[]; command: QemuCommandLine }> {
  const split = splitShellWords(spec.qemuArgs.replace(/\n/g, " "));
  if (!split.ok) return oracleFail({ kind: "bad-qemu-args", message: `unterminated quote at offset ${split.error.kind === "unterminated-quote" ? split.error.offset : 0}` });
  const words = split.value;
  const machineProps = new Map<string, string>([["iommu", "smmuv3"]]);
  let cpu = "cortex-a57";
  let memory = "1024";
  const extra: string[] = [];
  const devices: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const value = words[i + 1];
    const opt = w.replace(/^--?/, "");
    if (!w.startsWith("-")) return oracleFail({ kind: "bad-qemu-args", message: `unexpected argument ${w}` });
    if (value === undefined) return oracleFail({ kind: "bad-qemu-args", message: `${w} needs a value` });
    i++;
    switch (opt) {
      case "M":
      case "machine": {
        const parts = splitQemuOpts(value);
        const first = parts[0] ?? "";
        if (!first.includes("=")) {
          if (first !== "virt") return oracleFail({ kind: "bad-qemu-args", message: `machine ${first}: only virt is supported` });
          parts.shift();
        }
        for (const p of parts) {
          const eq = p.indexOf("=");
          machineProps.set(eq < 0 ? p : p.slice(0, eq), eq < 0 ? "on" : p.slice(eq + 1));
        }
        break;
      }
      case "cpu":
        cpu = value;
        break;
      case "m":
        memory = value;
        break;
      case "device":
        devices.push(withRomfile(value));
        break;
      case "smp":
      case "global":
        extra.push(w, value);
        break;
      default:
        return oracleFail({ kind: "bad-qemu-args", message: `${w} is not accepted (give -device, -M, -smp, -m, -cpu, -global)` });
    }
  }
  const machine = ["virt", ...[...machineProps].map(([k, v]) => `${k}=${v}`)].join(",");
  const append = ["console=ttyAMA0 panic=-1", spec.dyndbg === false ? "" : ORACLE_DYNDBG, spec.cmdline ?? "", spec.firmware === "acpi" ? "acpi=force" : ""]
    .filter((s) => s !== "")
    .join(" ");
  const argv = [
    assets.qemu,
    "-M", machine, "-cpu", cpu, "-m", memory, "-nographic", "-nic", "none",
    ...(spec.firmware === "acpi" ? ["-bios", assets.efiFirmware] : []),
    "-kernel", assets.kernel, "-initrd", assets.initramfs, "-append", append,
    ...extra,
    ...devices.flatMap((d) => ["-device", d]),
    "-no-reboot",
  ];
  const parsed = parseQemuCommandLine(argv.map(shellQuote).join(" "));
  if (!parsed.ok) return oracleFail({ kind: "bad-qemu-args", message: JSON.stringify(parsed.error) });
  return { ok: true, value: { argv, command: parsed.value } };
}

function withRomfile(device: string): string {
  const parts = splitQemuOpts(device);
  const driver = parts[0] ?? "";
  if (!ROM_NICS.has(driver) || parts.some((p) => p.startsWith("romfile="))) return device;
  return [driver, "romfile=", ...parts.slice(1)].join(",");
}

/** The first line of a log matching `re`, CR stripped. */
function firstLine(log: string, re: RegExp): string | null {
  for (const line of log.split("\n")) if (re.test(line)) return line.replace(/\r$/, "");
  return null;
}

/** Boots once and classifies the outcome. */
export async function bootReal(spec: RealBootSpec, assets: BootAssets): Promise<OracleResult<RealBoot>> {
  const built = buildQemuArgv(spec, assets);
  if (!built.ok) return built;
  const { argv, command } = built.value;
  const seconds = spec.timeoutSeconds ?? 120;
  mkdirSync(assets.logDir, { recursive: true });
  const logPath = join(assets.logDir, `${spec.name}.log`);
  const cmdPath = join(assets.logDir, `${spec.name}.cmd`);
  const run = await runProcess(argv[0] as string, argv.slice(1), { cwd: assets.logDir, timeoutMs: seconds * 1000, outputFile: logPath, captureLimit: 0 });
  if (!run.ok) {
    return oracleFail(run.error.code === "ENOENT" ? { kind: "qemu-missing", message: `${assets.qemu} not found on PATH` } : { kind: "io", path: assets.qemu, message: run.error.message });
  }
  const r = run.value;
  const rc = r.timedOut ? 124 : (r.code ?? 128);
  const cmdText = `timeout ${seconds} ${argv.map(shellQuote).join(" ")} \nrc=${rc} wall=${formatWallTime(r.wallNs)}\n`;
  let logText: string;
  try {
    writeFileSync(cmdPath, cmdText);
    logText = readFileSync(logPath, "utf8");
  } catch (e) {
    return oracleFail({ kind: "io", path: logPath, message: (e as Error).message });
  }
  if (!/^=== INIT: done/m.test(logText)) {
    const panic = firstLine(logText, /Kernel panic - not syncing/);
    if (panic !== null) return oracleFail({ kind: "kernel-panic", name: spec.name, line: panic.replace(/^\[[^\]]*\]\s*/, ""), log: logPath });
    if (r.timedOut) return oracleFail({ kind: "boot-timeout", name: spec.name, seconds, log: logPath });
    const lines = logText.replace(/\r/g, "").trim().split("\n");
    return oracleFail({ kind: "boot-incomplete", name: spec.name, exitCode: r.code, lastLine: lines[lines.length - 1] ?? "", log: logPath });
  }
  return { ok: true, value: { name: spec.name, cmdPath, logPath, cmdText, logText, wallNs: r.wallNs, command } };
}
