/**
 * The three report files of a set of results: `report.html`, `report.md`, `report.json`. All three are rendered in
 * memory first, then written through temporary files and renamed, so a failed render or write leaves any earlier
 * report in the directory untouched.
 */
import { join } from "node:path";
import { inputError, type Result } from "../errors";
import { writeFilesAtomic, type FileOps } from "../io/atomic-write";
import { REPORT_FORMAT, type ReportDocument, type ScenarioResult } from "../result";
import { renderHtml } from "../render/html/page";
import { renderMarkdown } from "../render/markdown/report";
import { VERSION } from "../version";

/** The rendered files. */
export interface ReportFiles {
  readonly html: string;
  readonly md: string;
  readonly json: string;
}

/** The renderers (a test can make one fail). */
export interface ReportRenderers {
  readonly html: (results: readonly ScenarioResult[]) => Promise<string>;
  readonly md: (results: readonly ScenarioResult[]) => string;
  readonly json: (results: readonly ScenarioResult[]) => string;
}

/** The JSON document of several results (stable key order, two-space indent, final newline). */
export function reportJson(results: readonly ScenarioResult[]): string {
  const doc: ReportDocument = { format: REPORT_FORMAT, scenarios: results };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The default renderers. */
export const DEFAULT_RENDERERS: ReportRenderers = {
  html: (results) => renderHtml(results, { version: VERSION }),
  md: renderMarkdown,
  json: reportJson,
};

/** Renders all three files. */
export async function renderReportFiles(results: readonly ScenarioResult[], renderers: ReportRenderers = DEFAULT_RENDERERS): Promise<ReportFiles> {
  const json = renderers.json(results);
  const md = renderers.md(results);
  const html = await renderers.html(results);
  return { html, md, json };
}

/** Where the files of `dir` go. */
export function reportPaths(dir: string): { readonly html: string; readonly md: string; readonly json: string } {
  return { html: join(dir, "report.html"), md: join(dir, "report.md"), json: join(dir, "report.json") };
}

/** Writes the files into `dir` (created if needed), atomically per file and all-or-nothing for the set. */
export function writeReportFiles(dir: string, files: ReportFiles, ops?: FileOps): readonly string[] {
  const p = reportPaths(dir);
  writeFilesAtomic(
    [
      { path: p.html, data: files.html },
      { path: p.md, data: files.md },
      { path: p.json, data: files.json },
    ],
    ops,
  );
  return [p.html, p.md, p.json];
}

/** The errno code of a filesystem error (`ENOTDIR`, `EACCES`, `ENOSPC` ...), or null for anything else. */
function fsErrorCode(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const code: unknown = (err as Error & { code?: unknown }).code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code) ? code : null;
}

/**
 * {@link writeReportFiles}, with the filesystem's refusals (a file where the directory should be, no permission, a
 * full disk) as an input error naming the output directory as the user gave it; the previous files stay as they were.
 */
export function tryWriteReportFiles(dir: string, shownAs: string, files: ReportFiles, ops?: FileOps): Result<readonly string[]> {
  try {
    return { ok: true, value: writeReportFiles(dir, files, ops) };
  } catch (err) {
    const code = fsErrorCode(err);
    if (code === null) throw err;
    const why = err instanceof Error ? err.message.replace(/^[A-Z]+: /, "") : String(err);
    return inputError(shownAs, null, `cannot write the report: ${code}: ${why}`);
  }
}
