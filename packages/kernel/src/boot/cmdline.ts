/**
 * The kernel command-line parameters the model reads. Unknown parameters are ignored (the kernel passes them on to
 * init); a known parameter with a bad value is ignored too, as `kstrtobool`/`kstrtoint` failures are.
 *
 * @see kernel/params.c parse_args; lib/kstrtox.c kstrtobool
 */

/**
 * What the model takes from the command line.
 *
 * @see kernel/params.c parse_args
 */
export interface KernelCmdline {
  /** `iommu.passthrough=` (drivers/iommu/iommu.c iommu_set_def_domain_type). */
  readonly iommuPassthrough?: boolean;
  /** `iommu.strict=` (drivers/iommu/iommu.c iommu_dma_setup). */
  readonly iommuStrict?: boolean;
  /** `arm-smmu-v3.disable_bypass=` (module parameter of the built-in driver). */
  readonly smmuDisableBypass?: boolean;
  /** `deferred_probe_timeout=` in seconds (drivers/base/dd.c deferred_probe_timeout_setup). */
  readonly deferredProbeTimeoutSec?: number;
  /** Parameters the model does not use, in order (`console=ttyAMA0`, `dyndbg=...`). */
  readonly other: readonly string[];
}

/**
 * `kstrtobool` as recent kernels have it: only the first character counts (`y`/`Y`/`t`/`T`/`1` true, `n`/`N`/`f`/`F`/`0` false,
 * so `yes`, `true` and even `yellow` are true), except `o`, which needs `on`/`off` (`n` or `f` second); anything else
 * is -EINVAL (undefined here). (`t`/`f` came after the v4.x trees, which took only `YyNn10` and `on`/`off`; no
 * modelled parameter depends on the difference.)
 *
 * @see lib/kstrtox.c kstrtobool
 */
export function kstrtobool(s: string): boolean | undefined {
  switch (s[0]) {
    case "y":
    case "Y":
    case "t":
    case "T":
    case "1":
      return true;
    case "n":
    case "N":
    case "f":
    case "F":
    case "0":
      return false;
    case "o":
    case "O":
      if (s[1] === "n" || s[1] === "N") return true;
      if (s[1] === "f" || s[1] === "F") return false;
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Splits a command line into parameters, keeping double-quoted values together (`dyndbg="file x +p"`).
 *
 * @see kernel/params.c parse_args
 */
export function splitCmdline(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && /\s/.test(ch)) {
      if (cur.length > 0) out.push(cur);
      cur = "";
      continue;
    }
    cur += ch;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * Parses the parameters the model knows.
 *
 * @example
 * ```ts
 * parseCmdline("console=ttyAMA0 iommu.strict=0").iommuStrict; // false
 * ```
 *
 * @see kernel/params.c parse_args
 */
export function parseCmdline(text: string): KernelCmdline {
  const result: {
    iommuPassthrough?: boolean;
    iommuStrict?: boolean;
    smmuDisableBypass?: boolean;
    deferredProbeTimeoutSec?: number;
    other: string[];
  } = { other: [] };
  for (const param of splitCmdline(text)) {
    const eq = param.indexOf("=");
    const key = eq < 0 ? param : param.slice(0, eq);
    const value = eq < 0 ? "" : param.slice(eq + 1);
    switch (key.replace(/_/g, "-")) {
      case "iommu.passthrough": {
        const b = kstrtobool(value);
        if (b !== undefined) result.iommuPassthrough = b;
        break;
      }
      case "iommu.strict": {
        const b = kstrtobool(value);
        if (b !== undefined) result.iommuStrict = b;
        break;
      }
      case "arm-smmu-v3.disable-bypass": {
        const b = kstrtobool(value);
        if (b !== undefined) result.smmuDisableBypass = b;
        break;
      }
      case "deferred-probe-timeout": {
        if (/^-?\d+$/.test(value)) result.deferredProbeTimeoutSec = Number(value);
        break;
      }
      default:
        result.other.push(param);
    }
  }
  return result;
}

/**
 * The deferred-probe timeout in µs for the driver core: the command line wins over the era default; `> 0` arms the
 * timeout work, `0` means expired at once, a negative value means none (null).
 */
export function deferredProbeTimeoutUs(cmdline: KernelCmdline, eraDefault: number | null): number | null {
  const sec = cmdline.deferredProbeTimeoutSec;
  if (sec === undefined) return eraDefault;
  if (sec < 0) return null;
  return sec * 1_000_000;
}
