/** `--choices 0,2,1`: a replayable choice sequence from the explorer. */
import { inputError, type Result } from "../errors";

/** Parses a comma-separated list of non-negative integers. */
export function parseChoices(text: string): Result<readonly number[]> {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, value: [] };
  const out: number[] = [];
  let offset = 0;
  for (const part of trimmed.split(",")) {
    const t = part.trim();
    if (!/^\d{1,6}$/.test(t)) return inputError("--choices", `offset ${offset}`, `expected a comma-separated list of choice indices, got "${part}"`);
    out.push(Number.parseInt(t, 10));
    offset += part.length + 1;
  }
  return { ok: true, value: out };
}
