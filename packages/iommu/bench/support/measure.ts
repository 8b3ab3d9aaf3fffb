/**
 * Helpers the benchmark scripts share. Not a benchmark itself: `pnpm bench` runs only `bench/*.ts`.
 */

/** The median of `xs` (the upper one of an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** ns per iteration of `body`, which runs `iterations` iterations. */
export function nsPerIteration(body: () => void, iterations: number): number {
  const t0 = process.hrtime.bigint();
  body();
  return Number(process.hrtime.bigint() - t0) / iterations;
}
