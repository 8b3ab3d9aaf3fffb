/**
 * The result union every dmasim package returns for expected outcomes (architecture.md, "Results, not exceptions").
 */

/** An expected outcome: a value, or a typed error. Exceptions are kept for bugs in the model itself. */
export type Result<TValue, TError> =
  | { readonly ok: true; readonly value: TValue }
  | { readonly ok: false; readonly error: TError };

/** Builds the success arm of {@link Result}. */
export function ok<TValue>(value: TValue): { readonly ok: true; readonly value: TValue } {
  return { ok: true, value };
}

/** Builds the failure arm of {@link Result}. */
export function err<TError>(error: TError): { readonly ok: false; readonly error: TError } {
  return { ok: false, error };
}
