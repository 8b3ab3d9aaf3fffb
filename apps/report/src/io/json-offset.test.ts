import { describe, expect, it } from "vitest";
import { jsonErrorOffset } from "./json-offset";

describe("jsonErrorOffset", () => {
  it.each([
    ['{"scenario": }', 13],
    ["[1, 2,]", 6],
    ['{"a": 1 "b": 2}', 8],
    ['{"a": "x', 8],
    ["", 0],
    ["[01]", 2],
    ['{"a": tru}', 9],
    ["[1] x", 4],
  ])("%j fails at %i", (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorOffset(text)).toBe(offset);
  });

  it("does not overflow the stack on deep nesting", () => {
    expect(jsonErrorOffset("[".repeat(100_000))).toBe(513);
  });
});
