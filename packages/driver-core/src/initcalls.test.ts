import { describe, expect, it } from "vitest";
import type { InitcallEvent } from "./events";
import { INITCALL_LEVELS, InitcallTable } from "./initcalls";
import { Trace } from "./trace";

describe("InitcallTable", () => {
  it("runs levels in vmlinux.lds.h order with driver_init between early and pure, rootfs after fs_sync", () => {
    expect(INITCALL_LEVELS.slice(0, 4)).toEqual(["early", "driver_init", "pure", "core"]);
    expect(INITCALL_LEVELS.indexOf("rootfs")).toBe(INITCALL_LEVELS.indexOf("fs_sync") + 1);
    expect(INITCALL_LEVELS.at(-2)).toBe("late");
    const t = new InitcallTable();
    const order: string[] = [];
    const add = (level: (typeof INITCALL_LEVELS)[number], name: string) =>
      t.register({ level, name, fn: () => (order.push(name), 0) });
    add("late", "deferred_probe_initcall");
    add("device", "arm_smmu_v3_driver_init");
    add("arch_sync", "arm64_device_init");
    add("core", "iommu_init");
    add("subsys", "acpi_init");
    add("arch", "arm64_dma_init");
    const report = t.run();
    expect(report.ok).toBe(true);
    expect(order).toEqual(["iommu_init", "arm64_dma_init", "arm64_device_init", "acpi_init", "arm_smmu_v3_driver_init", "deferred_probe_initcall"]);
  });

  it("keeps registration order as link order unless told otherwise", () => {
    const run = (linkOrder?: readonly string[]) => {
      const t = new InitcallTable();
      const order: string[] = [];
      for (const name of ["pcie_portdrv_init", "shpcd_init", "arm_smmu_driver_init"]) {
        t.register({ level: "device", name, fn: () => (order.push(name), 0) });
      }
      const res = t.run(linkOrder ? { linkOrder: { device: linkOrder } } : {});
      return { res, order };
    };
    expect(run().order).toEqual(["pcie_portdrv_init", "shpcd_init", "arm_smmu_driver_init"]);
    expect(run(["arm_smmu_driver_init"]).order).toEqual(["arm_smmu_driver_init", "pcie_portdrv_init", "shpcd_init"]);
    const bad = run(["nope"]);
    expect(bad.res).toEqual({ ok: false, error: { level: "device", name: "nope", message: 'no initcall "nope" at level device' } });
    expect(bad.order).toEqual([]);
  });

  it("traces each call with its return value, and loads modules only after the initcalls", () => {
    const trace = new Trace<InitcallEvent>();
    const t = new InitcallTable(trace);
    t.register({ level: "device", name: "broken_init", fn: () => -19 });
    expect(() => t.loadModule("e1000e", () => 0)).toThrow(/before the initcalls finished/);
    t.run();
    expect(t.done).toBe(true);
    expect(t.loadModule("e1000e", () => 0)).toBe(0);
    expect(trace.records.map(({ seq: _s, time: _t, ...e }) => e)).toEqual([
      { type: "initcall-start", level: "device", name: "broken_init" },
      { type: "initcall-end", level: "device", name: "broken_init", ret: -19 },
      { type: "module-load", name: "e1000e" },
      { type: "module-load-end", name: "e1000e", ret: 0 },
    ]);
    expect(() => t.register({ level: "late", name: "x", fn: () => 0 })).toThrow();
    expect(() => t.run()).toThrow();
  });

  it("rejects duplicate names within a level", () => {
    const t = new InitcallTable();
    t.register({ level: "device", name: "a", fn: () => 0 });
    expect(() => t.register({ level: "device", name: "a", fn: () => 0 })).toThrow(/twice/);
    t.register({ level: "late", name: "a", fn: () => 0 });
  });
});
