/**
 * `--inject enomem=1,defer=2`: how many probe calls of one run the explorer may fail on purpose, per errno (the
 * kernel's `inject` option; replaces the scenario's `explore.faults` budget). `run --inject` replays a counterexample
 * found with it: the fault choice points only exist where a budget is left.
 */
import { inputError, type Result } from "../errors";
import type { InjectBudget } from "../result";

/** Parses `enomem=N,defer=N` (either part may be left out; at most 16 each). */
export function parseInject(text: string): Result<InjectBudget> {
  const out = { enomem: 0, defer: 0 };
  let offset = 0;
  for (const part of text.split(",")) {
    const m = /^\s*(enomem|defer)=(\d{1,2})\s*$/.exec(part);
    if (m === null || Number(m[2]) > 16) {
      return inputError("--inject", `offset ${offset}`, `expected enomem=N or defer=N with N from 0 to 16, got "${part}"`);
    }
    out[m[1] as "enomem" | "defer"] = Number(m[2]);
    offset += part.length + 1;
  }
  return { ok: true, value: out };
}
