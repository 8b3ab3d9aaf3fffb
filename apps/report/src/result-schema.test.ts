import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { ScenarioResult } from "./result";
import { formatPath, parseResultJson, scenarioResultSchema } from "./result-schema";

describe("result schema", () => {
  it("describes the same shape as the result interfaces", () => {
    type Parsed = z.infer<typeof scenarioResultSchema>;
    type DeepMutable<T> = T extends readonly (infer U)[] ? DeepMutable<U>[] : T extends object ? { -readonly [K in keyof T]: DeepMutable<T[K]> } : T;
    const asResult = (p: Parsed): ScenarioResult => p;
    expect(typeof asResult).toBe("function");
    expectTypeOf<DeepMutable<ScenarioResult>>().toEqualTypeOf<Parsed>();
  });

  it("names the field of the first problem", () => {
    const r = parseResultJson(JSON.stringify({ scenario: "x", description: null, firmware: "dt", runs: [{ profile: 1 }] }), "r.json");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.file).toBe("r.json");
      expect(r.error.field).toBe("runs[0].profile");
    }
  });

  it("reports bad JSON with its offset", () => {
    const r = parseResultJson('{"scenario": }', "r.json");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.field).toBe("offset 13");
  });

  it("formats paths like the scenario errors", () => {
    expect(formatPath(["scenarios", 0, "runs", 1, "devices", 3, "dmaOps"])).toBe("scenarios[0].runs[1].devices[3].dmaOps");
    expect(formatPath([])).toBe("(top level)");
  });
});
