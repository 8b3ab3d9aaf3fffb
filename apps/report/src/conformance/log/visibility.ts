/**
 * Which kernel lines a boot's console shows, from its command line: the console log level (`loglevel=`, `quiet`,
 * `debug`, `ignore_loglevel`; Debian's default is 7, so `info` and above) and dynamic debug (`dyndbg="file X +p;
 * ..."`, `<module>.dyndbg=+p`), which turns a file's `pr_debug`/`dev_dbg` into `KERN_DEBUG` lines — printed on the
 * console only when the log level lets `debug` through (`loglevel=8`). The comparison shows a field only when the
 * real log can show it, and filters the model's predicted lines the same way.
 *
 * @see lib/dynamic_debug.c ddebug_parse_query, ddebug_change
 * @see kernel/printk/printk.c loglevel, ignore_loglevel
 */
import type { LogLevel } from "@dmasim/driver-core";

/** One dynamic-debug query. */
export interface DyndbgQuery {
  readonly file: string | null;
  readonly module: string | null;
  readonly func: string | null;
  /** `+`, `-` or `=` followed by the flags (`p` is what prints). */
  readonly op: "+" | "-" | "=";
  readonly print: boolean;
}

/** What a boot's console shows. */
export interface LogVisibility {
  /** Lines with a level number below this are printed (7: up to `info`; 8: `debug` too). */
  readonly consoleLoglevel: number;
  readonly queries: readonly DyndbgQuery[];
}

const LEVELS: Readonly<Record<LogLevel, number>> = { emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7 };

/** Debian 6.1's `CONFIG_CONSOLE_LOGLEVEL_DEFAULT` and `CONFIG_CONSOLE_LOGLEVEL_QUIET`. */
export const CONSOLE_LOGLEVEL_DEFAULT = 7;
const CONSOLE_LOGLEVEL_QUIET = 4;

/** Splits a kernel command line into `param[=value]` words, honouring double quotes (`dyndbg="a b"`). */
export function splitKernelCmdline(cmdline: string): { readonly key: string; readonly value: string | null }[] {
  const out: { key: string; value: string | null }[] = [];
  let cur = "";
  let inQuote = false;
  let have = false;
  const flush = (): void => {
    if (!have) return;
    const eq = cur.indexOf("=");
    out.push(eq < 0 ? { key: cur, value: null } : { key: cur.slice(0, eq), value: cur.slice(eq + 1) });
    cur = "";
    have = false;
  };
  for (const c of cmdline) {
    if (c === '"') {
      inQuote = !inQuote;
      have = true;
    } else if (!inQuote && /\s/.test(c)) {
      flush();
    } else {
      cur += c;
      have = true;
    }
  }
  flush();
  return out;
}

/** Parses `dyndbg` query text (`;`- or newline-separated queries). Unparseable queries are skipped, as the kernel does. */
export function parseDyndbgQueries(text: string, module: string | null = null): DyndbgQuery[] {
  const out: DyndbgQuery[] = [];
  for (const q of text.split(/[;\n]/)) {
    const words = q.trim().split(/\s+/).filter((w) => w !== "");
    if (words.length === 0) continue;
    const flags = words[words.length - 1] as string;
    const fm = /^([-+=])([a-z_]*)$/.exec(flags);
    if (fm === null) continue;
    let file: string | null = null;
    let mod = module;
    let func: string | null = null;
    const pairs = words.slice(0, -1);
    let ok = pairs.length % 2 === 0;
    for (let i = 0; ok && i < pairs.length; i += 2) {
      const k = pairs[i];
      const v = pairs[i + 1] as string;
      if (k === "file") file = v;
      else if (k === "module") mod = v;
      else if (k === "func") func = v;
      else if (k !== "line" && k !== "format") ok = false;
    }
    if (!ok) continue;
    out.push({ file, module: mod, func, op: fm[1] as "+" | "-" | "=", print: (fm[2] ?? "").includes("p") });
  }
  return out;
}

/** The visibility a command line gives. */
export function visibilityFromCmdline(cmdline: string | null): LogVisibility {
  let level = CONSOLE_LOGLEVEL_DEFAULT;
  const queries: DyndbgQuery[] = [];
  for (const { key, value } of splitKernelCmdline(cmdline ?? "")) {
    if (key === "loglevel" && value !== null && /^\d+$/.test(value)) level = Number(value);
    else if (key === "quiet") level = CONSOLE_LOGLEVEL_QUIET;
    else if (key === "debug") level = 10;
    else if (key === "ignore_loglevel") level = 16;
    else if (key === "dyndbg" && value !== null) queries.push(...parseDyndbgQueries(value));
    else if (key.endsWith(".dyndbg") && value !== null) queries.push(...parseDyndbgQueries(value, key.slice(0, -".dyndbg".length)));
  }
  return { consoleLoglevel: level, queries };
}

/** `match_wildcard`: `*` matches any run of characters (including `/`), `?` any one. */
export function matchWildcard(pattern: string, text: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return re.test(text);
}

/**
 * The module a source file's `pr_debug` belongs to, approximated by its base name (`KBUILD_MODNAME` of a built-in
 * object) and accepting a multi-file module whose name prefixes it (`virtio_pci` for `virtio_pci_modern.c`).
 */
function fileInModule(file: string, module: string): boolean {
  const base = (file.split("/").pop() ?? file).replace(/\.c$/, "").replace(/-/g, "_");
  const mod = module.replace(/-/g, "_");
  return base === mod || base.startsWith(`${mod}_`);
}

/** Whether the `pr_debug` sites of `file` print under these queries (applied in order). */
export function dyndbgEnabled(v: LogVisibility, file: string): boolean {
  let on = false;
  const base = file.split("/").pop() ?? file;
  for (const q of v.queries) {
    if (q.file !== null && !matchWildcard(q.file, file) && !matchWildcard(q.file, base)) continue;
    if (q.module !== null && !fileInModule(file, q.module)) continue;
    if (q.func !== null) continue;
    if (q.op === "+") on = on || q.print;
    else if (q.op === "-") on = on && !q.print;
    else on = q.print;
  }
  return on;
}

/** Whether a line of `level` from `file` reaches the console. */
export function lineVisible(v: LogVisibility, level: LogLevel, file: string): boolean {
  if (level === "debug") return v.consoleLoglevel > LEVELS.debug && dyndbgEnabled(v, file);
  return LEVELS[level] < v.consoleLoglevel;
}
