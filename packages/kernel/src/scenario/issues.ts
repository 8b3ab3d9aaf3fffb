/**
 * Problems found in a scenario file: one per bad field, each naming the file, the field path
 * (`drivers[1].probe[0].result`) and what was expected, rendered one per line as
 * `seed.yaml: drivers[1].probe[0].result: expected an errno name or 0, got "EPROBE_DEFERRED"`.
 */

/** One problem in a scenario file. */
export interface ScenarioIssue {
  /** The scenario file as the user named it (or `<scenario>` for an in-memory value). */
  readonly file: string;
  /** The field path, `drivers[1].probe[0].result`; empty for the document as a whole. */
  readonly path: string;
  readonly message: string;
}

/** A scenario loader's result: the scenario, or every problem found (never an exception). */
export type ScenarioResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: readonly ScenarioIssue[] };

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Renders a path of keys and indices the way the messages show it: `board.qemu-virt.devices[2]`, `expect["v4.7"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else {
      const key = String(p);
      out += PLAIN_KEY.test(key) ? (out.length === 0 ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** One line per issue: `FILE: PATH: MESSAGE` (the path is left out for document-level problems). */
export function formatScenarioIssue(issue: ScenarioIssue): string {
  return issue.path.length === 0 ? `${issue.file}: ${issue.message}` : `${issue.file}: ${issue.path}: ${issue.message}`;
}

/** Every issue, one per line, in the order found. */
export function formatScenarioIssues(issues: readonly ScenarioIssue[]): string {
  return issues.map(formatScenarioIssue).join("\n");
}

/** Levenshtein distance (small strings only: field names, enum values, device names). */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The closest candidate to `word` when it is close enough to be a typo (case-insensitive), else null. */
export function didYouMean(word: string, candidates: readonly string[]): string | null {
  const w = word.toLowerCase();
  let best: string | null = null;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return best !== null && bestD <= limit && bestD > 0 ? best : best !== null && bestD === 0 && best !== word ? best : null;
}

/** ` (did you mean "x"?)` or nothing. */
export function suggestion(word: string, candidates: readonly string[]): string {
  const best = didYouMean(word, candidates);
  return best === null ? "" : ` (did you mean "${best}"?)`;
}

/** A value as a message shows what it got: strings quoted, the rest as JSON. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  if (Array.isArray(value)) return "a list";
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return "an object";
}
