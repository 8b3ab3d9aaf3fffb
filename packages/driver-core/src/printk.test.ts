import { describe, expect, it } from "vitest";
import { DRIVER_CORE_ERAS, DriverCore, Trace, devPrintk, formatKernelLog, printk } from "./index";
import type { DriverCoreEvent } from "./index";

describe("printk events", () => {
  it("render as the kernel prints them, dev_* lines prefixed by driver string and device name", () => {
    const trace = new Trace<DriverCoreEvent>();
    const core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace });
    const registered = core.busRegister({ name: "pci", match: () => 0 });
    if (!registered.ok) throw new Error("bus");
    const pci = registered.value;
    const dev = core.deviceInitialize({ name: "0000:00:01.0", bus: pci });
    printk(trace, "info", "iommu", "drivers/iommu/iommu.c", "Default domain type: Translated ");
    devPrintk(trace, "debug", dev, "drivers/iommu/of_iommu.c", "device is behind an iommu");
    printk(trace, "info", null, "init/main.c", "Run /init as init process");
    expect(formatKernelLog(trace.records, { time: false }).split("\n")).toEqual([
      "iommu: Default domain type: Translated ",
      "pci 0000:00:01.0: device is behind an iommu",
      "Run /init as init process",
    ]);
  });
});
