import { describe, expect, it } from "vitest";
import { formatKernelLog, formatTime, formatTrace, notifyName } from "./format";
import { NOTIFY_BAD, NOTIFY_OK, notifierFromErrno } from "./notifier";

describe("formatting", () => {
  it("prints dmesg-style times and notifier values", () => {
    expect(formatTime(0)).toBe("    0.000000");
    expect(formatTime(1_073_387)).toBe("    1.073387");
    expect(notifyName(0)).toBe("NOTIFY_DONE");
    expect(notifyName(NOTIFY_OK)).toBe("NOTIFY_OK");
    expect(notifyName(NOTIFY_BAD)).toBe("NOTIFY_BAD");
    expect(notifyName(-19)).toBe("-ENODEV (0xffffffed)");
    expect(notifyName(notifierFromErrno(-12))).toBe("notifier_from_errno(-ENOMEM)");
  });

  it("indents nested steps and prints other layers' records as JSON", () => {
    const records = [
      { type: "initcall-start", level: "late", name: "deferred_probe_initcall", seq: 0, time: 0 },
      { type: "deferred-retry", device: "0000:00:03.0", driverString: "pci", seq: 1, time: 1_073_387 },
      { type: "smmu-cmd", op: "CMD_SYNC", seq: 2, time: 1_073_400 },
      { type: "initcall-end", level: "late", name: "deferred_probe_initcall", ret: 0, seq: 3, time: 1_073_500 },
    ];
    expect(formatTrace(records).split("\n")).toEqual([
      "    0 [    0.000000] initcall deferred_probe_initcall (late)",
      "    1 [    1.073387]   pci 0000:00:03.0: Retrying from deferred list",
      '    2 [    1.073400]   smmu-cmd {"op":"CMD_SYNC"}',
      "    3 [    1.073500] initcall deferred_probe_initcall returned 0",
    ]);
    expect(formatKernelLog(records)).toBe("[    1.073387] pci 0000:00:03.0: Retrying from deferred list");
  });
});
