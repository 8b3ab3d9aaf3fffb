/**
 * The seed scenario and S1–S7 of kernel-behaviour.md §(d.3), loaded from their files under
 * `packages/kernel/scenarios/`. Each sets up a board, drivers and actions; the situation §(d.3) describes has to
 * arise from the mechanism of the profile it is booted under.
 */
import { builtinScenario } from "../scenario/builtin";
import type { Scenario } from "./types";

/** The e1000e function's kernel name on the seed/S1–S3/S5/S7 boards. */
export const SCENARIO_ENDPOINT = "0000:01:00.0";

function builtin(id: string): Scenario {
  const s = builtinScenario(id);
  if (s === undefined) throw new Error(`built-in scenario ${id} is missing`);
  return s;
}

/** The seed: ACPI, the PCI endpoint enumerated at acpi_init before its SMMU has probed (`scenarios/seed.yaml`). */
export const SEED_SCENARIO: Scenario = builtin("seed");
/** S1: the seed's ordering problem, probed before the SMMU, then a rescan (`scenarios/s1-acpi-ordering.yaml`). */
export const S1: Scenario = builtin("s1");
/** S2: a probe that maps and fails with -ENOMEM (`scenarios/s2-failed-probe-leak.yaml`). */
export const S2: Scenario = builtin("s2");
/** S3: a probe deferred until a regulator binds (`scenarios/s3-deferred-probe.yaml`). */
export const S3: Scenario = builtin("s3");
/** S4: DMA on a child device no driver binds (`scenarios/s4-driverless-child.yaml`). */
export const S4: Scenario = builtin("s4");
/** S5: probe-time deferral until late_initcall (`scenarios/s5-probe-time-deferral.yaml`). */
export const S5: Scenario = builtin("s5");
/** S6: a queued master destroyed while its IOMMU never probes (`scenarios/s6-dangling-queue-entry.yaml`). */
export const S6: Scenario = builtin("s6");
/** S7: add_device's -ENODEV stopping the v4.7 ADD_DEVICE chain (`scenarios/s7-notifier-chain-stop.yaml`). */
export const S7: Scenario = builtin("s7");

/** S1–S7 in order. */
export const D3_SCENARIOS: readonly Scenario[] = [S1, S2, S3, S4, S5, S6, S7];
