/**
 * Exploration progress on the terminal: a bar redrawn in place on a TTY (states so far against the budget, frontier,
 * elapsed), plain lines at most every {@link PLAIN_INTERVAL_MS} when stdout is not a terminal (logs, CI). Progress
 * goes to stderr so `--format json` output on stdout stays clean. Elapsed time is shown only here, never written to
 * a report file.
 */
import type { CliIo } from "./io/cli-io";

/** A progress sample from the explorer. */
export interface ProgressSample {
  readonly states: number;
  readonly frontier: number;
  readonly elapsedMs: number;
}

/** A progress display. */
export interface ProgressDisplay {
  readonly update: (sample: ProgressSample) => void;
  /** Clears the bar (TTY) or prints a final line (plain). */
  readonly done: (sample: ProgressSample | null) => void;
}

/** Plain lines are at most this frequent. */
export const PLAIN_INTERVAL_MS = 2000;

const BAR_WIDTH = 24;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The text of one progress line (no colour, no control characters). */
export function progressLine(label: string, s: ProgressSample, budget: number | null): string {
  const budgetText = budget === null ? "" : `/${budget}`;
  return `${label}: ${s.states}${budgetText} states, frontier ${s.frontier}, ${seconds(s.elapsedMs)}`;
}

/** The bar: `[#####-----]` filled by states/budget, or a bouncing block without a budget. */
export function progressBar(s: ProgressSample, budget: number | null): string {
  if (budget !== null && budget > 0) {
    const filled = Math.min(BAR_WIDTH, Math.round((s.states / budget) * BAR_WIDTH));
    return `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
  }
  const pos = Math.floor(s.elapsedMs / 120) % (2 * (BAR_WIDTH - 3));
  const at = pos < BAR_WIDTH - 3 ? pos : 2 * (BAR_WIDTH - 3) - pos;
  return `[${" ".repeat(at)}###${" ".repeat(BAR_WIDTH - 3 - at)}]`;
}

/** A display for `label` on `io`'s stderr (a bar when stderr is a terminal, periodic lines otherwise). */
export function createProgress(io: CliIo, label: string, budget: number | null): ProgressDisplay {
  if (io.stderrIsTTY) {
    let drawn = false;
    return {
      update: (s) => {
        io.stderr.write(`\r\u001b[2K${progressBar(s, budget)} ${progressLine(label, s, budget)}`);
        drawn = true;
      },
      done: (s) => {
        if (drawn) io.stderr.write("\r\u001b[2K");
        if (s !== null) io.stderr.write(`${progressLine(label, s, budget)}\n`);
      },
    };
  }
  let last = Number.NEGATIVE_INFINITY;
  return {
    update: (s) => {
      if (s.elapsedMs - last < PLAIN_INTERVAL_MS) return;
      last = s.elapsedMs;
      io.stderr.write(`${progressLine(label, s, budget)}\n`);
    },
    done: (s) => {
      if (s !== null) io.stderr.write(`${progressLine(label, s, budget)} (done)\n`);
    },
  };
}
