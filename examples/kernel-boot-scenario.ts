/**
 * Boot the seed scenario (ACPI, a PCI endpoint enumerated before its SMMUv3 probes, then its driver's first DMA)
 * under two kernel generations and compare what the endpoint ends up with: the DMA ops at probe, where its DMA
 * landed, and the invariants that failed. Run: `npx tsx examples/kernel-boot-scenario.ts`.
 */
import { PROFILES, bootScenario, builtinScenario } from "@dmasim/kernel";

const seed = builtinScenario("seed"); // scenarios/seed.yaml, shipped with the package
if (seed === undefined) throw new Error("built-in scenario 'seed' missing");

for (const name of ["v4.7", "v4.8"] as const) {
  const r = bootScenario(seed, PROFILES[name]);
  if (!r.ok) throw new Error(`${r.error.field}: ${r.error.message}`);
  const ep = r.value.outcomes.find((o) => o.name === "0000:01:00.0");
  const failed = r.value.verdicts.filter((v) => v.status === "fail").map((v) => v.invariant);
  console.log(
    `${name}: 0000:01:00.0 driver=${ep?.driver} dmaOps=${ep?.dmaOps} ` +
      `dma=[${ep?.dma.map((d) => `${d.op}:${d.outcome}`).join(" ")}] failed=[${failed.join(" ")}]`,
  );
}
