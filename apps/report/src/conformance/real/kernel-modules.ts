/**
 * Resolves which `.ko` files an initramfs needs and the order `insmod` must load them in: each module after its
 * `depends=` and its `softdep=` `pre:` modules (what `modprobe` would do; `insmod` does neither). A softdep may name
 * an alias (`crc-t10dif` wants `crct10dif`); among the modules providing it, a `*_generic` one is taken (it loads on
 * any CPU, which is what the recorded boots loaded), else the first by name.
 *
 * @see kmod libkmod-module.c kmod_module_get_softdeps
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, fstatSync } from "node:fs";
import { join } from "node:path";
import { modinfoDepends, modinfoSoftdepPre, parseModinfo, type Modinfo } from "./elf-modinfo";
import { oracleFail, type OracleResult } from "./errors";

/** One module to load. */
export interface ModuleFile {
  /** The module name as `insmod` lines in the recorded boots print it (the file's base name). */
  readonly name: string;
  readonly path: string;
}

/** Module names compare with `-` and `_` equal, as the kernel does. */
export function normaliseModuleName(name: string): string {
  return name.replace(/-/g, "_");
}

/** Finds `lib/modules/<release>` in an unpacked linux-image package (`lib/` or merged `usr/lib/`). */
export function findModulesDir(root: string): { dir: string; release: string } | null {
  for (const base of [join(root, "lib", "modules"), join(root, "usr", "lib", "modules")]) {
    if (!existsSync(base)) continue;
    const releases = readdirSync(base).sort();
    const release = releases[releases.length - 1];
    if (release !== undefined) return { dir: join(base, release), release };
  }
  return null;
}

function walkKo(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walkKo(p, out);
    else if (entry.name.endsWith(".ko")) out.push(p);
  }
}

/** Reads only what `.modinfo` needs from a large file: the whole file is small enough for modules (< a few MB). */
function readModinfo(path: string): OracleResult<Modinfo> {
  let bytes: Uint8Array;
  try {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      if (size > 64 * 2 ** 20) return oracleFail({ kind: "module-parse", file: path, message: `implausible size ${size}` });
      const buf = Buffer.alloc(size);
      readSync(fd, buf, 0, size, 0);
      bytes = buf;
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    return oracleFail({ kind: "io", path, message: (e as Error).message });
  }
  const info = parseModinfo(bytes);
  if (!info.ok) return oracleFail({ kind: "module-parse", file: path, message: `${info.error.message} (offset ${info.error.offset})` });
  return { ok: true, value: info.value };
}

/** The modules of one kernel release, indexed by name, with `.modinfo` read on demand. */
export class ModuleIndex {
  private readonly byName = new Map<string, string>();
  private readonly infos = new Map<string, Modinfo>();
  private aliases: Map<string, string[]> | null = null;

  constructor(readonly dir: string) {
    const files: string[] = [];
    if (existsSync(join(dir, "kernel"))) walkKo(join(dir, "kernel"), files);
    for (const f of files) {
      const base = f.slice(f.lastIndexOf("/") + 1, -3);
      const key = normaliseModuleName(base);
      if (!this.byName.has(key)) this.byName.set(key, f);
    }
  }

  /** How many `.ko` files were found. */
  get size(): number {
    return this.byName.size;
  }

  /** The file of a module name, or undefined. */
  path(name: string): string | undefined {
    return this.byName.get(normaliseModuleName(name));
  }

  /** `.modinfo` of a module. */
  info(name: string): OracleResult<Modinfo> {
    const key = normaliseModuleName(name);
    const have = this.infos.get(key);
    if (have !== undefined) return { ok: true, value: have };
    const path = this.byName.get(key);
    if (path === undefined) return oracleFail({ kind: "module-missing", module: name, message: `no ${name}.ko under ${this.dir}` });
    const info = readModinfo(path);
    if (info.ok) this.infos.set(key, info.value);
    return info;
  }

  /** The module providing a softdep target: the name itself, else a module with that `alias=`. */
  provider(target: string): OracleResult<string> {
    if (this.byName.has(normaliseModuleName(target))) return { ok: true, value: normaliseModuleName(target) };
    if (this.aliases === null) {
      this.aliases = new Map();
      for (const key of [...this.byName.keys()].sort()) {
        const info = this.info(key);
        if (!info.ok) continue;
        for (const a of info.value.get("alias") ?? []) {
          const list = this.aliases.get(a) ?? [];
          list.push(key);
          this.aliases.set(a, list);
        }
      }
    }
    const providers = this.aliases.get(target) ?? [];
    const chosen = providers.find((p) => p.endsWith("_generic")) ?? providers[0];
    if (chosen === undefined) return oracleFail({ kind: "module-missing", module: target, message: "no module has that name or alias" });
    return { ok: true, value: chosen };
  }
}

/**
 * The load order for `targets`: a depth-first walk that emits each module after its softdep `pre:` modules and its
 * `depends=` modules, each module once.
 */
export function moduleLoadOrder(index: ModuleIndex, targets: readonly string[]): OracleResult<ModuleFile[]> {
  const out: ModuleFile[] = [];
  const done = new Set<string>();
  const onPath = new Set<string>();
  const visit = (name: string): OracleResult<void> => {
    const key = normaliseModuleName(name);
    if (done.has(key) || onPath.has(key)) return { ok: true, value: undefined };
    onPath.add(key);
    const info = index.info(key);
    if (!info.ok) return info;
    for (const soft of modinfoSoftdepPre(info.value)) {
      const p = index.provider(soft);
      if (!p.ok) return p;
      const r = visit(p.value);
      if (!r.ok) return r;
    }
    for (const dep of modinfoDepends(info.value)) {
      const r = visit(dep);
      if (!r.ok) return r;
    }
    onPath.delete(key);
    done.add(key);
    const path = index.path(key) as string;
    out.push({ name: path.slice(path.lastIndexOf("/") + 1, -3), path });
    return { ok: true, value: undefined };
  };
  for (const t of targets) {
    const r = visit(t);
    if (!r.ok) return r;
  }
  return { ok: true, value: out };
}

/** Reads a file as bytes (for the initramfs builder). */
export function readBytes(path: string): OracleResult<Uint8Array> {
  try {
    return { ok: true, value: readFileSync(path) };
  } catch (e) {
    return oracleFail({ kind: "io", path, message: (e as Error).message });
  }
}
