import { describe, expect, it } from "vitest";
import { BUS_NOTIFY_ACTIONS, busNotifyValue, isDriverCoreEvent } from "./events";

describe("BUS_NOTIFY_* by name", () => {
  it("gives the v4.5–v6.2 #define values and the later 0-based enum", () => {
    expect(BUS_NOTIFY_ACTIONS.map((a) => busNotifyValue(a, "define"))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(busNotifyValue("ADD_DEVICE", "define")).toBe(0x1);
    expect(busNotifyValue("BIND_DRIVER", "define")).toBe(0x4);
    expect(busNotifyValue("DRIVER_NOT_BOUND", "define")).toBe(0x8);
    expect(busNotifyValue("ADD_DEVICE", "enum")).toBe(0);
    expect(busNotifyValue("DRIVER_NOT_BOUND", "enum")).toBe(7);
  });

  it("recognises driver-core events in a composed trace", () => {
    expect(isDriverCoreEvent({ type: "deferred-retry" })).toBe(true);
    expect(isDriverCoreEvent({ type: "smmu-cmd" })).toBe(false);
    expect(isDriverCoreEvent({ type: "toString" })).toBe(false);
  });
});
