/**
 * The exit-2 path. Every expected problem with the user's input (a file, an option, a scenario field, a byte offset
 * in a DTB or IORT) is an {@link InputError}, returned as data and printed as one line
 * `dmasim: FILE: field: message`; nothing the user typed produces a stack trace. Anything else is a bug: it prints
 * one line asking for a report and exits {@link EXIT_INTERNAL}, after no file has been half written (files are
 * rendered in memory first and renamed into place).
 */

/** Exit status: nothing violated. */
export const EXIT_CLEAN = 0;
/** Exit status: at least one invariant violation (or, for the default run, a result differing from its expectation). */
export const EXIT_VIOLATIONS = 1;
/** Exit status: bad input or usage. */
export const EXIT_USAGE = 2;
/** Exit status: an internal error (EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;

/** A problem with the input: which file (or option), which field or offset in it, and what is wrong. */
export interface InputError {
  /** A file path as the user gave it, an option (`--profile`), or null. */
  readonly file: string | null;
  /** A field path (`drivers[1].probe[0].result`), a DT node path, or `offset 0x28`; null when the whole file is meant. */
  readonly field: string | null;
  readonly message: string;
}

/** A result whose failure is an input error. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: InputError };

/** Shorthand for a failed {@link Result}. */
export function inputError(file: string | null, field: string | null, message: string): { readonly ok: false; readonly error: InputError } {
  return { ok: false, error: { file, field, message } };
}

/** Messages are one line: newlines from lower layers are folded. */
function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, "; ");
}

/** `dmasim: FILE: field: message`, without the parts that are null. */
export function formatInputError(e: InputError): string {
  const parts = ["dmasim"];
  if (e.file !== null) parts.push(e.file);
  if (e.field !== null && e.field !== "") parts.push(e.field);
  parts.push(oneLine(e.message));
  return parts.join(": ");
}

/** The platform builders' and boot's error shapes, named against the input they came from. */
export function fromPlatformError(file: string | null, e: { readonly field: string; readonly offset?: number; readonly message: string }): InputError {
  const field = e.offset === undefined ? e.field : `offset 0x${e.offset.toString(16)}${e.field === "" ? "" : ` (${e.field})`}`;
  return { file, field, message: e.message };
}

/** The one line printed for a bug (an exception nothing expected). */
export function formatInternalError(err: unknown): string {
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return `dmasim: internal error: ${oneLine(what)} (this is a bug in dmasim, please report it with the command line that caused it)`;
}
