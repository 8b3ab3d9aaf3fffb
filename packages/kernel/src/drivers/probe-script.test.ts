import { describe, expect, it } from "vitest";
import { ProbeScript, attemptResult, validateProbeScript } from "./probe-script";

describe("ProbeScript", () => {
  it("repeats an attempt until its condition holds, then moves on; the last attempt repeats", () => {
    let late = false;
    const script = new ProbeScript([{ result: "-EPROBE_DEFER", until: ["after-late"] }, { result: -12 }, { result: 0 }], (c) => c === "after-late" && late);
    expect(script.next("d").result).toBe(-517);
    expect(script.next("d").result).toBe(-517);
    late = true;
    expect(script.next("d")).toMatchObject({ step: 1, result: -12, call: 3 });
    expect(script.next("d")).toMatchObject({ step: 2, result: 0 });
    expect(script.next("d")).toMatchObject({ step: 2, result: 0, call: 5 });
  });

  it("keeps state per device", () => {
    const script = new ProbeScript([{ result: -517 }, { result: 0 }], () => false);
    expect(script.next("a").result).toBe(-517);
    expect(script.next("b").result).toBe(-517);
    expect(script.next("a").result).toBe(0);
  });

  it("defaults to one successful attempt", () => {
    expect(new ProbeScript([], () => true).next("x").result).toBe(0);
  });

  it("resolves errno names and rejects positive or unknown results", () => {
    expect(attemptResult("-EPROBE_DEFER")).toBe(-517);
    expect(attemptResult("ENOMEM")).toBe(-12);
    expect(attemptResult(0)).toBe(0);
    expect(attemptResult(5)).toBe(null);
    expect(validateProbeScript([{ result: "EPROBE_DEFERRED" }])).toEqual([{ step: 0, message: 'result "EPROBE_DEFERRED" is neither 0 nor an errno' }]);
  });
});
