/**
 * Boot of a generated ACPI platform with 1,000 / 4,000 / 16,000 PCI endpoints behind 4 SMMUv3s under v6.1, with the
 * default driver set (e1000e binds every endpoint: DMA at probe, one MSI each). Prints the time of each boot, the
 * 16k/4k ratio (linear growth means ≤ 4.5) and memory. Target: 16k devices in under 10 s.
 *
 * Run: pnpm --filter @dmasim/kernel bench
 */
import { PROFILES, boot, generatedPlatform } from "@dmasim/kernel";

const sizes = (process.argv[2] ?? "1000,4000,16000").split(",").map(Number);
const checks = process.argv.includes("--checks");
const times = new Map<number, number>();

function mb(n: number): string {
  return `${(n / 2 ** 20).toFixed(0)} MiB`;
}

for (const n of sizes) {
  const p = generatedPlatform({ endpoints: n, smmus: 4 });
  if (!p.ok) throw new Error(p.error.message);
  globalThis.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const r = boot(p.value, PROFILES["v6.1"], { skipChecks: !checks });
  const ms = performance.now() - t0;
  if (!r.ok) throw new Error(r.error.message);
  const bound = r.value.outcomes.filter((o) => o.driver === "e1000e").length;
  const grouped = r.value.outcomes.filter((o) => o.iommuGroup !== null).length;
  const okDma = r.value.outcomes.filter((o) => o.dma.length > 0 && o.dma.every((d) => d.outcome === "ok")).length;
  const heap = process.memoryUsage();
  times.set(n, ms);
  console.log(
    `${String(n).padStart(6)} endpoints: ${(ms / 1000).toFixed(2)} s  (${(ms * 1000 / n).toFixed(0)} µs/endpoint)  ` +
      `bound ${bound}, grouped ${grouped}, DMA+MSI ok ${okDma}, ${r.value.trace.length} trace records, ` +
      `heap +${mb(heap.heapUsed - heap0)} (rss ${mb(heap.rss)})`,
  );
}
const t4 = times.get(4000);
const t16 = times.get(16000);
if (t4 !== undefined && t16 !== undefined) {
  console.log(`ratio 16k/4k: ${(t16 / t4).toFixed(2)} (linear: 4.0, limit 4.5); 16k boot ${(t16 / 1000).toFixed(2)} s (limit 10 s)`);
}
