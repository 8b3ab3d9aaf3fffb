/**
 * Benchmark of the conformance log reader: parsing every recorded boot log (console + /init dump) into records,
 * facts and the comparison, against the named baseline "split + one regex per line" (the least any line-based
 * reader must do). Prints MB/s of both and the ratio, in alternating rounds so both see the same machine state.
 *
 * Run: pnpm --filter @dmasim/report bench
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { compareBoots } from "../src/conformance/compare";
import { parseBootLog } from "../src/conformance/log/boot-log";
import { observedFacts } from "../src/conformance/log/observed";

const DIR = resolve(import.meta.dirname, "../../../fixtures/qemu-boots");
const logs = readdirSync(DIR)
  .filter((f) => f.endsWith(".log"))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(join(DIR, f), "utf8") }));
const bytes = logs.reduce((n, l) => n + l.text.length, 0);

let sink = 0;
function target(): void {
  for (const l of logs) {
    const facts = observedFacts(parseBootLog(l.text), l.name.startsWith("acpi") ? "acpi" : "dt");
    sink += compareBoots(l.name, facts, facts).rows.length;
  }
}

const TS = /^\[\s*(\d+)\.(\d{6})\] (\S+ \S+): (.*)$/;
function baseline(): void {
  for (const l of logs) for (const line of l.text.split("\n")) if (TS.test(line)) sink++;
}

function time(fn: () => void, reps: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e6 / reps;
}

for (let i = 0; i < 5; i++) {
  target();
  baseline();
}
const rounds = 15;
const t: number[] = [];
const b: number[] = [];
for (let r = 0; r < rounds; r++) {
  t.push(time(target, 5));
  b.push(time(baseline, 5));
}
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1] ?? 0;
const tm = median(t);
const bm = median(b);
const mb = bytes / 1e6;
console.log(`${logs.length} logs, ${mb.toFixed(2)} MB`);
console.log(`conformance reader (parse + facts + compare): ${tm.toFixed(2)} ms per pass, ${(mb / (tm / 1000)).toFixed(1)} MB/s`);
console.log(`baseline (split + one regex per line):         ${bm.toFixed(2)} ms per pass, ${(mb / (bm / 1000)).toFixed(1)} MB/s`);
console.log(`ratio target/baseline: ${(tm / bm).toFixed(2)}x   (sink ${sink % 7})`);
