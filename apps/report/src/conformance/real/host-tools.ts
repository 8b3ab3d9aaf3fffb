/**
 * The host side of the oracle: `qemu-system-aarch64` (Debian `qemu-system-arm`), the UEFI firmware for the ACPI
 * path (`qemu-efi-aarch64`) and `dpkg`/`apt-get` to fetch and unpack the arm64 packages. Missing host packages are
 * installed with apt (through `sudo` when not root).
 */
import { existsSync } from "node:fs";
import { oracleFail, type OracleResult } from "./errors";
import { runProcess } from "./exec";

/** The UEFI image QEMU boots with `-bios` for the ACPI path. */
export const QEMU_EFI_FD = "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd";

/** The QEMU binary. */
export const QEMU_BINARY = "qemu-system-aarch64";

/** What the host offers, once checked. */
export interface HostTools {
  readonly qemu: string;
  /** `qemu-system-aarch64 --version`'s first line. */
  readonly qemuVersion: string;
  readonly efiFirmware: string;
}

/** Options of {@link ensureHostTools}. */
export interface HostToolsOptions {
  /** Install missing packages with apt (default true). */
  readonly install?: boolean;
  readonly onProgress?: (message: string) => void;
}

async function commandWorks(file: string, args: readonly string[]): Promise<string | null> {
  const r = await runProcess(file, args, { timeoutMs: 30_000 });
  if (!r.ok || r.value.code !== 0) return null;
  return r.value.stdout.split("\n")[0] ?? "";
}

/** `apt-get` prefixed with `sudo` when not root. */
function aptCommand(): { file: string; prefix: string[] } {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  return root ? { file: "apt-get", prefix: [] } : { file: "sudo", prefix: ["-n", "apt-get"] };
}

/** Runs host `apt-get` with the given arguments (non-interactive). */
async function hostApt(args: readonly string[]): Promise<{ ok: boolean; message: string }> {
  const { file, prefix } = aptCommand();
  const r = await runProcess(file, [...prefix, ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    timeoutMs: 900_000,
  });
  if (!r.ok) return { ok: false, message: `${file}: ${r.error.message}` };
  if (r.value.code !== 0) {
    const lines = r.value.stderr.trim().split("\n").filter((l) => l.startsWith("E:"));
    return { ok: false, message: lines[lines.length - 1] ?? `exit code ${r.value.code}` };
  }
  return { ok: true, message: "" };
}

/**
 * Checks for QEMU, the EFI firmware, `dpkg` and `apt-get`; installs `qemu-system-arm` and `qemu-efi-aarch64` when
 * missing (running `apt-get update` first only if the install fails without it).
 */
export async function ensureHostTools(options: HostToolsOptions = {}): Promise<OracleResult<HostTools>> {
  if ((await commandWorks("apt-get", ["--version"])) === null) {
    return oracleFail({ kind: "apt-unavailable", message: "the oracle needs a Debian-like host with apt-get and dpkg" });
  }
  if ((await commandWorks("dpkg", ["--version"])) === null) {
    return oracleFail({ kind: "tool-missing", tool: "dpkg", message: "needed to unpack the arm64 .deb files" });
  }
  let qemuVersion = await commandWorks(QEMU_BINARY, ["--version"]);
  const missing: string[] = [];
  if (qemuVersion === null) missing.push("qemu-system-arm");
  if (!existsSync(QEMU_EFI_FD)) missing.push("qemu-efi-aarch64");
  if (missing.length > 0) {
    if (options.install === false) {
      return oracleFail({ kind: "host-install-failed", packages: missing, message: "not installed (installation disabled)" });
    }
    options.onProgress?.(`installing host packages: ${missing.join(" ")}`);
    const install = ["install", "-y", "--no-install-recommends", ...missing];
    let r = await hostApt(install);
    if (!r.ok) {
      const update = await hostApt(["update"]);
      if (!update.ok) return oracleFail({ kind: "host-install-failed", packages: missing, message: `apt-get update: ${update.message}` });
      r = await hostApt(install);
    }
    if (!r.ok) return oracleFail({ kind: "host-install-failed", packages: missing, message: r.message });
    qemuVersion = await commandWorks(QEMU_BINARY, ["--version"]);
    if (qemuVersion === null) return oracleFail({ kind: "qemu-missing", message: "still not runnable after installing qemu-system-arm" });
    if (!existsSync(QEMU_EFI_FD)) {
      return oracleFail({ kind: "host-install-failed", packages: ["qemu-efi-aarch64"], message: `${QEMU_EFI_FD} is still missing` });
    }
  }
  if (qemuVersion === null) return oracleFail({ kind: "qemu-missing", message: `${QEMU_BINARY} --version failed` });
  return { ok: true, value: { qemu: QEMU_BINARY, qemuVersion, efiFirmware: QEMU_EFI_FD } };
}
