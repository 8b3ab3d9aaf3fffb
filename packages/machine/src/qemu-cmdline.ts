/**
 * Parses a `qemu-system-aarch64` command line — as written in the oracle's `.cmd` files, with shell backslash
 * escapes and quotes — into the machine options, the `-device` list, the kernel command line and which firmware
 * interface the guest gets (`-bios` → UEFI + ACPI, else QEMU's direct kernel boot with a DT).
 *
 * Option values follow QEMU's QemuOpts rules (`,,` is a literal comma; a bare `key` means `key=on`).
 */
import { parseQemuInt, type QemuDeviceError, type Result } from "./qemu-device-types";

/** One parsed `-device` argument. */
export interface QemuDeviceSpec {
  readonly driver: string;
  readonly id: string | null;
  /** The bus to plug into (`bus=`), `null` for the default (`pcie.0`). */
  readonly bus: string | null;
  /** `addr=slot[.fn]`, or `null` to take the next free slot. */
  readonly addr: { readonly slot: number; readonly fn: number } | null;
  readonly multifunction: boolean;
  /** `romfile=`; `""` disables the option ROM; `null` keeps the model's default. */
  readonly romfile: string | null;
  /** Every other property, in command-line order. */
  readonly props: ReadonlyMap<string, string>;
  /** The argument as given. */
  readonly arg: string;
}

/**
 * `-M virt,...` options that change the hardware.
 *
 * @see hw/arm/virt.c virt_set_iommu, virt_set_gic_version
 */
export interface QemuMachineOptions {
  readonly type: "virt";
  readonly iommu: "smmuv3" | "none";
  readonly gic: 2 | 3;
  /** GICv3 ITS present (`its=on`, the default with GICv3). */
  readonly its: boolean;
  /** All `-M` properties as given. */
  readonly props: ReadonlyMap<string, string>;
}

/** A parsed command line. */
export interface QemuCommandLine {
  readonly machine: QemuMachineOptions;
  readonly cpu: string;
  readonly memoryBytes: number;
  readonly smp: number;
  readonly devices: readonly QemuDeviceSpec[];
  /** `-append`, or `null`. */
  readonly append: string | null;
  readonly kernel: string | null;
  readonly initrd: string | null;
  readonly bios: string | null;
  /** `"acpi"` when `-bios` gives the guest UEFI firmware (EDK2 builds ACPI tables and enumerates PCI), else `"dt"`. */
  readonly firmware: "dt" | "acpi";
  /** `-nic none` / `-nodefaults` given: no default NIC. */
  readonly noDefaultNic: boolean;
}

/** Why a command line could not be parsed. */
export type QemuCommandLineError =
  | { readonly kind: "unterminated-quote"; readonly offset: number }
  | { readonly kind: "no-qemu"; readonly message: string }
  | { readonly kind: "missing-argument"; readonly option: string }
  | { readonly kind: "unknown-option"; readonly option: string }
  | { readonly kind: "unexpected-argument"; readonly argument: string }
  | { readonly kind: "bad-option"; readonly option: string; readonly value: string; readonly message: string }
  | { readonly kind: "device"; readonly error: QemuDeviceError };

const WITH_ARG = new Set([
  "M", "machine", "cpu", "m", "smp", "nic", "net", "netdev", "bios", "kernel", "initrd", "append", "device", "drive",
  "dtb", "serial", "monitor", "name", "accel", "global", "object", "chardev", "display", "vga", "L", "pflash", "boot",
  "rtc", "d", "D", "trace", "numa", "fw_cfg", "qmp", "gdb", "blockdev", "icount", "semihosting-config", "k", "uuid",
]);
const NO_ARG = new Set(["nographic", "no-reboot", "no-shutdown", "nodefaults", "S", "s", "enable-kvm", "snapshot", "daemonize"]);

/**
 * Splits shell text into words: backslash escapes the next character (backslash-newline continues the line),
 * single quotes are literal, double quotes allow `\"`, `\\`, `\$`, `` \` ``. Stops at the first unquoted newline
 * after a word was read, so trailing lines (`rc=0 wall=…`) are ignored.
 */
export function splitShellWords(text: string): Result<string[], QemuCommandLineError> {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let i = 0;
  const flush = (): void => {
    if (inWord) words.push(cur);
    cur = "";
    inWord = false;
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (c === "\\") {
      const n = text[i + 1];
      if (n === undefined) break;
      if (n !== "\n") {
        cur += n;
        inWord = true;
      }
      i += 2;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { ok: false, error: { kind: "unterminated-quote", offset: i } };
      cur += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      for (;;) {
        const d = text[j];
        if (d === undefined) return { ok: false, error: { kind: "unterminated-quote", offset: i } };
        if (d === '"') break;
        if (d === "\\" && j + 1 < text.length && '"\\$`'.includes(text[j + 1] as string)) {
          cur += text[j + 1];
          j += 2;
        } else {
          cur += d;
          j++;
        }
      }
      inWord = true;
      i = j + 1;
    } else if (c === "\n" || c === "\r") {
      flush();
      if (words.length > 0) break;
      i++;
    } else if (c === " " || c === "\t") {
      flush();
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  flush();
  return { ok: true, value: words };
}

/**
 * Splits QemuOpts text on commas, `,,` standing for a literal comma.
 *
 * @see util/qemu-option.c qemu_opts_parse
 */
export function splitQemuOpts(text: string): string[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ",") {
      if (text[i + 1] === ",") {
        cur += ",";
        i++;
      } else {
        parts.push(cur);
        cur = "";
      }
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

function keyValues(parts: readonly string[]): [string, string][] {
  return parts.map((p) => {
    const eq = p.indexOf("=");
    return eq < 0 ? [p, "on"] : [p.slice(0, eq), p.slice(eq + 1)];
  });
}

/**
 * Parses QEMU's PCI `addr` property: `slot[.fn]` in hex (a `0x` prefix is allowed), slot ≤ 31, fn ≤ 7.
 * @see hw/core/qdev-properties-system.c set_pci_devfn
 */
export function parsePciAddr(text: string): { slot: number; fn: number } | null {
  const m = /^(?:0x)?([0-9a-f]+)(?:\.(?:0x)?([0-9a-f]+))?$/i.exec(text.trim());
  if (m === null) return null;
  const slot = Number.parseInt(m[1] as string, 16);
  const fn = m[2] === undefined ? 0 : Number.parseInt(m[2], 16);
  return slot > 31 || fn > 7 ? null : { slot, fn };
}

/**
 * Parses one `-device` argument (`driver,key=value,...`).
 *
 * @see softmmu/qdev-monitor.c qdev_device_add
 */
export function parseQemuDevice(arg: string): Result<QemuDeviceSpec, QemuDeviceError> {
  const parts = splitQemuOpts(arg);
  let driver = parts[0] ?? "";
  let rest = parts.slice(1);
  if (driver.includes("=")) {
    rest = parts;
    driver = keyValues(parts).find(([k]) => k === "driver")?.[1] ?? "";
  }
  if (driver === "") return { ok: false, error: { kind: "unknown-device", arg, driver } };
  let id: string | null = null;
  let bus: string | null = null;
  let addr: { slot: number; fn: number } | null = null;
  let multifunction = false;
  let romfile: string | null = null;
  const props = new Map<string, string>();
  for (const [k, v] of keyValues(rest)) {
    switch (k) {
      case "driver":
        break;
      case "id":
        id = v;
        break;
      case "bus":
        bus = v;
        break;
      case "addr": {
        addr = parsePciAddr(v);
        if (addr === null) return { ok: false, error: { kind: "bad-property", arg, property: "addr", message: `bad PCI address ${v}` } };
        break;
      }
      case "multifunction":
        if (!["on", "off", "true", "false", "yes", "no"].includes(v)) {
          return { ok: false, error: { kind: "bad-property", arg, property: k, message: `not a boolean: ${v}` } };
        }
        multifunction = v === "on" || v === "true" || v === "yes";
        break;
      case "romfile":
        romfile = v;
        break;
      default:
        props.set(k, v);
    }
  }
  return { ok: true, value: { driver, id, bus, addr, multifunction, romfile, props, arg } };
}

/** Parses a size as `-m` takes it: a plain number is MiB; suffixes K, M, G, T. */
export function parseQemuSize(text: string): number | null {
  const m = /^(?:size=)?([0-9]+)([KMGT]?)B?$/i.exec(text.trim());
  if (m === null) return null;
  const n = Number.parseInt(m[1] as string, 10);
  const unit = (m[2] ?? "").toUpperCase();
  const mult = unit === "" || unit === "M" ? 2 ** 20 : unit === "K" ? 2 ** 10 : unit === "G" ? 2 ** 30 : 2 ** 40;
  return n * mult;
}

function parseMachine(text: string): Result<QemuMachineOptions, QemuCommandLineError> {
  const [type = "", ...rest] = splitQemuOpts(text);
  const props = new Map(keyValues(rest));
  const bad = (value: string, message: string): Result<QemuMachineOptions, QemuCommandLineError> => ({
    ok: false,
    error: { kind: "bad-option", option: "-M", value, message },
  });
  if (type !== "virt" && type !== "virt-7.2") return bad(type, "only the QEMU 7.2 'virt' machine is modelled");
  const iommu = props.get("iommu") ?? "none";
  if (iommu !== "smmuv3" && iommu !== "none") return bad(iommu, "iommu must be smmuv3 or none");
  const gicText = props.get("gic-version") ?? "2";
  if (gicText !== "2" && gicText !== "3") return bad(gicText, "gic-version must be 2 or 3");
  const gic = gicText === "3" ? 3 : 2;
  const itsText = props.get("its") ?? "on";
  return { ok: true, value: { type: "virt", iommu, gic, its: gic === 3 && itsText !== "off", props } };
}

/**
 * Parses the first command of `text` (the `.cmd` fixture format). Everything before the `qemu-system-*` word
 * (e.g. `timeout 300`) is skipped.
 */
export function parseQemuCommandLine(text: string): Result<QemuCommandLine, QemuCommandLineError> {
  const split = splitShellWords(text);
  if (!split.ok) return split;
  const words = split.value;
  const start = words.findIndex((w) => /(^|\/)qemu-system-[a-z0-9_]+$/.test(w));
  if (start < 0) return { ok: false, error: { kind: "no-qemu", message: "no qemu-system-* command found" } };
  if (!/aarch64$/.test(words[start] as string)) {
    return { ok: false, error: { kind: "no-qemu", message: `${words[start] ?? ""} is not qemu-system-aarch64` } };
  }
  let machineText: string | null = null;
  let cpu = "cortex-a15";
  let memoryBytes = 128 * 2 ** 20;
  let smp = 1;
  let append: string | null = null;
  let kernel: string | null = null;
  let initrd: string | null = null;
  let bios: string | null = null;
  let noDefaultNic = false;
  const devices: QemuDeviceSpec[] = [];
  for (let i = start + 1; i < words.length; i++) {
    const w = words[i] as string;
    if (!w.startsWith("-")) return { ok: false, error: { kind: "unexpected-argument", argument: w } };
    const name = w.replace(/^--?/, "");
    if (NO_ARG.has(name)) {
      if (name === "nodefaults") noDefaultNic = true;
      continue;
    }
    if (!WITH_ARG.has(name)) return { ok: false, error: { kind: "unknown-option", option: w } };
    const value = words[i + 1];
    if (value === undefined) return { ok: false, error: { kind: "missing-argument", option: w } };
    i++;
    switch (name) {
      case "M":
      case "machine":
        machineText = value;
        break;
      case "cpu":
        cpu = value;
        break;
      case "m": {
        const size = parseQemuSize(value);
        if (size === null || size === 0) return { ok: false, error: { kind: "bad-option", option: w, value, message: "bad memory size" } };
        memoryBytes = size;
        break;
      }
      case "smp": {
        const first = splitQemuOpts(value)[0] ?? "";
        const n = parseQemuInt(first.startsWith("cpus=") ? first.slice(5) : first);
        if (n === null || n < 1 || n > 512) return { ok: false, error: { kind: "bad-option", option: w, value, message: "bad CPU count" } };
        smp = n;
        break;
      }
      case "append":
        append = value;
        break;
      case "kernel":
        kernel = value;
        break;
      case "initrd":
        initrd = value;
        break;
      case "bios":
        bios = value;
        break;
      case "nic":
        if (value === "none") noDefaultNic = true;
        else return { ok: false, error: { kind: "bad-option", option: w, value, message: "only -nic none is modelled" } };
        break;
      case "device": {
        const dev = parseQemuDevice(value);
        if (!dev.ok) return { ok: false, error: { kind: "device", error: dev.error } };
        devices.push(dev.value);
        break;
      }
      default:
        break;
    }
  }
  if (machineText === null) return { ok: false, error: { kind: "missing-argument", option: "-M (no machine specified)" } };
  const machine = parseMachine(machineText);
  if (!machine.ok) return machine;
  return {
    ok: true,
    value: {
      machine: machine.value,
      cpu,
      memoryBytes,
      smp,
      devices,
      append,
      kernel,
      initrd,
      bios,
      firmware: bios === null ? "dt" : "acpi",
      noDefaultNic,
    },
  };
}
