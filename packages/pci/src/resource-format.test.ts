import { describe, expect, it } from "vitest";
import { formatBusRange, formatResource } from "./resource-format";

describe("%pR", () => {
  it("formats the resources the 6.1 boots print", () => {
    expect(formatBusRange(0, 0xff)).toBe("[bus 00-ff]");
    expect(formatBusRange(3, 3)).toBe("[bus 03]");
    expect(formatResource("io", 0, 0xffff)).toBe("[io  0x0000-0xffff]");
    expect(formatResource("io", 0, 0xffff, { window: true })).toBe("[io  0x0000-0xffff window]");
    expect(formatResource("mem", 0x1000_0000, 0x3efe_ffff)).toBe("[mem 0x10000000-0x3efeffff]");
    expect(formatResource("mem", 0x80_0000_0000, 0xff_ffff_ffff, { window: true })).toBe("[mem 0x8000000000-0xffffffffff window]");
    expect(formatResource("mem", 0, 0x3fff, { mem64: true, prefetch: true })).toBe("[mem 0x00000000-0x00003fff 64bit pref]");
    expect(formatResource("mem", 0x1000, 0x1000)).toBe("[mem 0x00001000]");
  });
});
