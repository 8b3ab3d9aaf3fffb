/**
 * Debian's arm64 packages fetched with apt's architecture override into a private state directory (the host's own
 * package lists and cache are left alone), downloaded with `apt-get download` and unpacked with `dpkg -x` — never
 * installed.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { OracleLayout } from "./cache";
import { oracleFail, type OracleResult } from "./errors";
import { runProcess } from "./exec";

/** Re-read the arm64 package lists when they are older than this (a security update replaces the kernel package). */
const LISTS_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/** The apt options that select arm64 and the private state directories. */
export function aptArm64Options(layout: OracleLayout): string[] {
  return [
    "-oAPT::Architecture=arm64",
    "-oAPT::Architectures=arm64",
    `-oDir::State::Lists=${layout.aptLists}`,
    `-oDir::Cache=${layout.aptCache}`,
  ];
}

async function apt(tool: "apt-get" | "apt-cache", layout: OracleLayout, args: readonly string[], cwd?: string) {
  return runProcess(tool, [...aptArm64Options(layout), ...args], {
    ...(cwd === undefined ? {} : { cwd }),
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    timeoutMs: 600_000,
  });
}

function lastError(text: string, fallback: string): string {
  const lines = text.trim().split("\n").filter((l) => l.startsWith("E:") || l.startsWith("W:"));
  return lines[lines.length - 1] ?? (text.trim().split("\n").pop() || fallback);
}

function listsAreFresh(layout: OracleLayout, now: number): boolean {
  if (!existsSync(layout.aptLists)) return false;
  const files = readdirSync(layout.aptLists).filter((f) => f.endsWith("_Packages") || f.includes("_Packages."));
  if (files.length === 0) return false;
  const newest = Math.max(...files.map((f) => statSync(join(layout.aptLists, f)).mtimeMs));
  return now - newest < LISTS_MAX_AGE_MS;
}

/** `apt-get update` for arm64 into the private lists, unless they are fresh (or `force`). */
export async function updateArm64Lists(layout: OracleLayout, force = false): Promise<OracleResult<void>> {
  if (!force && listsAreFresh(layout, Date.now())) return { ok: true, value: undefined };
  for (const d of [join(layout.aptLists, "partial"), join(layout.aptCache, "archives", "partial")]) mkdirSync(d, { recursive: true });
  const r = await apt("apt-get", layout, ["update"]);
  if (!r.ok) return oracleFail({ kind: "apt-unavailable", message: r.error.message });
  if (r.value.code !== 0) {
    return oracleFail({ kind: "download-failed", pkg: "arm64 package lists", message: lastError(r.value.stderr, "apt-get update failed") });
  }
  return { ok: true, value: undefined };
}

/**
 * The versioned package a metapackage depends on, e.g. `linux-image-arm64` → `linux-image-6.1.0-56-arm64`
 * (the first `Depends:` naming a package with the given prefix).
 */
export async function resolveMetapackage(layout: OracleLayout, meta: string, prefix: string): Promise<OracleResult<string>> {
  const r = await apt("apt-cache", layout, ["depends", meta]);
  if (!r.ok) return oracleFail({ kind: "apt-unavailable", message: r.error.message });
  if (r.value.code !== 0) return oracleFail({ kind: "package-not-found", pkg: meta, message: lastError(r.value.stderr, "apt-cache depends failed") });
  const dep = parseDepends(r.value.stdout).find((d) => d.startsWith(prefix));
  if (dep === undefined) return oracleFail({ kind: "package-not-found", pkg: meta, message: `no dependency starting with ${prefix}` });
  return { ok: true, value: dep };
}

/** The `Depends:` targets of `apt-cache depends` output, in order (`<virtual>` entries skipped). */
export function parseDepends(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*\|?Depends:\s+(\S+)/.exec(line);
    if (m !== null && !(m[1] as string).startsWith("<")) out.push(m[1] as string);
  }
  return out;
}

/** The `.deb` already in `dir` for a package (`name_version_arch.deb`), or null. */
export function findDeb(dir: string, pkg: string): string | null {
  if (!existsSync(dir)) return null;
  const hits = readdirSync(dir)
    .filter((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"))
    .sort();
  const last = hits[hits.length - 1];
  return last === undefined ? null : join(dir, last);
}

/** Downloads the arm64 `.deb` of `pkg` into the cache (kept across runs). */
export async function downloadDeb(layout: OracleLayout, pkg: string): Promise<OracleResult<string>> {
  const have = findDeb(layout.debs, pkg);
  if (have !== null) return { ok: true, value: have };
  mkdirSync(layout.debs, { recursive: true });
  const r = await apt("apt-get", layout, ["download", pkg], layout.debs);
  if (!r.ok) return oracleFail({ kind: "apt-unavailable", message: r.error.message });
  if (r.value.code !== 0) {
    const msg = lastError(r.value.stderr, "apt-get download failed");
    const notFound = /Unable to locate|No packages found|has no installation candidate|Can't select/.test(r.value.stderr);
    return oracleFail(notFound ? { kind: "package-not-found", pkg, message: msg } : { kind: "download-failed", pkg, message: msg });
  }
  const deb = findDeb(layout.debs, pkg);
  if (deb === null) return oracleFail({ kind: "download-failed", pkg, message: `apt-get download left no ${pkg}_*.deb in ${layout.debs}` });
  return { ok: true, value: deb };
}

/** `dpkg -x` of a `.deb` into its own directory under the cache (done once; a marker file records completion). */
export async function unpackDeb(layout: OracleLayout, deb: string): Promise<OracleResult<string>> {
  const base = deb.slice(deb.lastIndexOf("/") + 1).replace(/\.deb$/, "");
  const dest = join(layout.extract, base);
  const marker = join(dest, ".dmasim-unpacked");
  if (existsSync(marker)) return { ok: true, value: dest };
  const tmp = `${dest}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const r = await runProcess("dpkg", ["-x", deb, tmp], { timeoutMs: 600_000 });
  if (!r.ok) return oracleFail({ kind: "tool-missing", tool: "dpkg", message: r.error.message });
  if (r.value.code !== 0) return oracleFail({ kind: "unpack-failed", file: deb, message: lastError(r.value.stderr, "dpkg -x failed") });
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  writeFileSync(marker, `${deb}\n`);
  return { ok: true, value: dest };
}

/**
 * Resolves (when `meta` names a metapackage), downloads and unpacks one arm64 package. A download that fails for
 * another reason than an unknown package (typically a 404 for a version the archive has replaced since the lists
 * were read) refreshes the lists once and retries.
 */
export async function fetchArm64Package(
  layout: OracleLayout,
  pkg: { readonly name: string; readonly metaPrefix?: string },
): Promise<OracleResult<{ readonly pkg: string; readonly deb: string; readonly dir: string }>> {
  for (let attempt = 0; ; attempt++) {
    const lists = await updateArm64Lists(layout, attempt > 0);
    if (!lists.ok) return lists;
    let name = pkg.name;
    if (pkg.metaPrefix !== undefined) {
      const resolved = await resolveMetapackage(layout, pkg.name, pkg.metaPrefix);
      if (!resolved.ok) return resolved;
      name = resolved.value;
    }
    const deb = await downloadDeb(layout, name);
    if (!deb.ok) {
      if (attempt === 0 && deb.error.kind === "download-failed") continue;
      return deb;
    }
    const dir = await unpackDeb(layout, deb.value);
    if (!dir.ok) return dir;
    return { ok: true, value: { pkg: name, deb: deb.value, dir: dir.value } };
  }
}
