/**
 * The model side: `predictFromQemu(cmd)` builds the QEMU `virt` platform from a parsed command line, boots it under
 * the `v6.1` profile with Debian's default driver set, and extracts the {@link PredictedBoot} the comparison reads.
 *
 * Not wired yet: `@dmasim/kernel` does not export `boot()` so far. Until it does, every prediction is an error that
 * says so — the runner still boots and parses the real kernel, and nothing is faked.
 */
import type { QemuCommandLine } from "@dmasim/machine";
import type { PredictedBoot } from "./predicted";

/** A prediction, or why there is none. */
export type PredictResult = { readonly ok: true; readonly value: PredictedBoot } | { readonly ok: false; readonly error: string };

/** Predicts one boot (injectable, so tests and tools can supply their own). */
export type Predictor = (cmd: QemuCommandLine) => PredictResult;

/** Why {@link predictFromQemu} cannot predict yet. */
export const MODEL_UNAVAILABLE = "the v6.1 model cannot boot yet: @dmasim/kernel does not export boot()";

/** The `v6.1` prediction for a QEMU command line (see the module comment). */
export function predictFromQemu(_cmd: QemuCommandLine): PredictResult {
  return { ok: false, error: MODEL_UNAVAILABLE };
}
