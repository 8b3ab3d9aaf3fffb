/**
 * TSDoc coverage of the library packages' public API: every name a package's entry points export (its `exports`
 * map: `src/index.ts`, and `src/smmuv3-hw/index.ts` for `@dmasim/iommu/smmuv3-hw`) should carry a TSDoc summary,
 * and one modelling a kernel function or structure should name it (`@see drivers/base/dd.c really_probe`).
 *
 *   pnpm tsdoc-coverage                   # exports without a summary, per package
 *   pnpm tsdoc-coverage --see             # also exports whose TSDoc has no @see (to review: not all model one)
 *   pnpm tsdoc-coverage --members         # also public members of exported classes and interfaces
 *   pnpm tsdoc-coverage --check firmware  # exit 1 when a listed package has an export without a summary
 *
 * Output lines are `<package><subpath>  <file>:<line>  <name>  <what is missing>`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const PACKAGES = ["driver-core", "firmware", "machine", "pci", "iommu", "dma-mapping", "kernel"] as const;

/** One public entry point: the package, its subpath and the source file behind it. */
export interface EntryPoint {
  readonly pkg: string;
  readonly subpath: string;
  readonly file: string;
}

/** What the coverage check found wrong with one export. */
export interface TsdocGap {
  readonly entry: string;
  readonly location: string;
  readonly name: string;
  readonly missing: "summary" | "@see";
}

function entryPoints(only: readonly string[]): EntryPoint[] {
  const out: EntryPoint[] = [];
  for (const dir of PACKAGES) {
    if (only.length > 0 && !only.includes(dir)) continue;
    const manifest = JSON.parse(readFileSync(join(ROOT, "packages", dir, "package.json"), "utf8")) as {
      name: string;
      exports: Record<string, string | Record<string, string>>;
    };
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (typeof target === "string") continue;
      const src = target["@dmasim/source"];
      if (src === undefined) continue;
      const file = join(ROOT, "packages", dir, src);
      if (existsSync(file)) out.push({ pkg: manifest.name, subpath: subpath === "." ? "" : subpath.slice(2), file });
    }
  }
  return out;
}

function hasSummary(symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() !== "";
}

function hasSee(symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  if (symbol.getJsDocTags(checker).some((t) => t.name === "see")) return true;
  // Prose naming a kernel source file, a `struct xxx`, or a C identifier in backquotes (`really_probe`,
  // `BUS_NOTIFY_BIND_DRIVER`) also names what it models.
  const text = ts.displayPartsToString(symbol.getDocumentationComment(checker));
  return (
    /\b(drivers|kernel|arch|include|init|hw|mm|lib|scripts|softmmu|system|util)\/[\w/-]+\.[ch]\b/.test(text) ||
    /\bstruct [a-z_][a-z0-9_]*/.test(text) ||
    /`[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_*]*(\([^`]*\))?`/.test(text)
  );
}

function location(decl: ts.Declaration | undefined): string {
  if (decl === undefined) return "?";
  const sf = decl.getSourceFile();
  const { line } = sf.getLineAndCharacterOfPosition(decl.getStart(sf));
  return `${relative(ROOT, sf.fileName)}:${line + 1}`;
}

/** Every gap in the given packages (all when `only` is empty). */
export function tsdocGaps(
  options: {
    readonly only?: readonly string[];
    readonly see?: boolean;
    readonly members?: boolean;
    /** Check these entry points instead of the packages' (for tests). */
    readonly entries?: readonly EntryPoint[];
  } = {},
): TsdocGap[] {
  const entries = options.entries ?? entryPoints(options.only ?? []);
  const base = ts.getParsedCommandLineOfConfigFile(join(ROOT, "tsconfig.base.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: () => undefined,
  });
  const program = ts.createProgram(entries.map((e) => e.file), { ...(base?.options ?? {}), noEmit: true });
  const checker = program.getTypeChecker();
  const gaps: TsdocGap[] = [];
  for (const e of entries) {
    const sf = program.getSourceFile(e.file);
    const moduleSymbol = sf === undefined ? undefined : checker.getSymbolAtLocation(sf);
    if (moduleSymbol === undefined) continue;
    const entry = `${e.pkg}${e.subpath === "" ? "" : `/${e.subpath}`}`;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const decl = symbol.declarations?.[0];
      const at = location(decl);
      if (!hasSummary(symbol, checker)) gaps.push({ entry, location: at, name: exported.name, missing: "summary" });
      else if (options.see === true && !hasSee(symbol, checker)) gaps.push({ entry, location: at, name: exported.name, missing: "@see" });
      if (options.members !== true || decl === undefined) continue;
      if (!(symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface))) continue;
      const type = checker.getDeclaredTypeOfSymbol(symbol);
      for (const member of checker.getPropertiesOfType(type)) {
        const mdecl = member.declarations?.[0];
        if (mdecl === undefined || mdecl.getSourceFile() !== decl.getSourceFile()) continue; // inherited
        const mods = ts.canHaveModifiers(mdecl) ? ts.getModifiers(mdecl) ?? [] : [];
        if (mods.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) continue;
        if (member.name.startsWith("#")) continue;
        if (!hasSummary(member, checker)) {
          gaps.push({ entry, location: location(mdecl), name: `${exported.name}.${member.name}`, missing: "summary" });
        }
      }
    }
  }
  return gaps;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const check = args.includes("--check");
  const only = args.filter((a) => !a.startsWith("--"));
  const gaps = tsdocGaps({ only, see: args.includes("--see"), members: args.includes("--members") });
  for (const g of gaps) process.stdout.write(`${g.entry}  ${g.location}  ${g.name}  no ${g.missing}\n`);
  const counts = new Map<string, number>();
  for (const g of gaps) if (g.missing === "summary") counts.set(g.entry, (counts.get(g.entry) ?? 0) + 1);
  const summary = [...counts].map(([e, n]) => `${e}: ${n}`).join(", ");
  process.stdout.write(`${gaps.filter((g) => g.missing === "summary").length} export(s) without a TSDoc summary${summary === "" ? "" : ` (${summary})`}\n`);
  if (check && counts.size > 0) process.exitCode = 1;
}
