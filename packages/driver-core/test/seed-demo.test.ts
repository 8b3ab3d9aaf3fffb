import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const EXAMPLE = resolve(import.meta.dirname, "../examples/seed-demo.ts");
const TSX_CLI = createRequire(import.meta.url).resolve("tsx/cli");

/** Runs the example the way `pnpm start` does and returns its lines without the seq/time prefix. */
function runDemo(...args: string[]): string[] {
  const out = execFileSync(process.execPath, [TSX_CLI, "--conditions=@dmasim/source", EXAMPLE, ...args], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return out.split("\n").map((l) => l.replace(/^\s*\d+ \[\s*\d+\.\d{6}\] /, "").trimEnd());
}

const at = (lines: string[], text: string): number => {
  const i = lines.indexOf(text);
  if (i < 0) throw new Error(`missing line: ${text}`);
  return i;
};

describe("examples/seed-demo.ts (pnpm start)", () => {
  const lines = runDemo();

  it("names the era and ends with a clean invariant check", () => {
    expect(lines[0]).toBe("dmasim driver-core seed demo, era v4.7");
    expect(lines).toContain("invariants: none violated");
    expect(lines.slice(lines.indexOf("final state:"))).toEqual([
      "final state:",
      "  a000000.ethernet: bound to demo-eth",
      "  10000.regulator: bound to reg-fixed-voltage",
      "  a010000.dma: no driver",
      "invariants: none violated",
      "",
    ]);
  });

  it("runs iommu_bus_notifier (0) before __iommu_attach_notifier (-100) although it registered later", () => {
    expect(at(lines, "  notifier __iommu_attach_notifier registered on bus:platform (priority -100)")).toBeLessThan(
      at(lines, "  notifier iommu_bus_notifier registered on bus:platform (priority 0)"),
    );
    const walk = at(lines, "    bus:platform ADD_DEVICE a000000.ethernet: 2 block(s)");
    expect(lines.slice(walk + 1, walk + 6)).toEqual([
      "      -> iommu_bus_notifier (priority 0)",
      "      <- iommu_bus_notifier returned NOTIFY_DONE",
      "      -> __iommu_attach_notifier (priority -100)",
      "      <- __iommu_attach_notifier returned NOTIFY_OK",
      "    bus:platform ADD_DEVICE done: 2 call(s)",
    ]);
  });

  it("shows the v4.7 chain stop: a raw -ENODEV skips the -100 notifier for that device", () => {
    const walk = at(lines, "    bus:platform ADD_DEVICE a010000.dma: 2 block(s)");
    expect(lines.slice(walk + 1, walk + 4)).toEqual([
      "      -> iommu_bus_notifier (priority 0)",
      "      <- iommu_bus_notifier returned -ENODEV (0xffffffed): stops the chain",
      "    bus:platform ADD_DEVICE done: 1 call(s), stopped",
    ]);
  });

  it("keeps the deferred Ethernet device pending until the late_initcall trigger, then binds it", () => {
    const firstBind = at(lines, "      bus:platform BIND_DRIVER a000000.ethernet: 2 block(s)");
    const notBound = at(lines, "      bus:platform DRIVER_NOT_BOUND a000000.ethernet: 2 block(s)");
    const added = at(lines, "      platform a000000.ethernet: Added to deferred list");
    const noop = at(lines, "      driver_deferred_probe_trigger: disabled (before late_initcall), no-op");
    const late = at(lines, "initcall deferred_probe_initcall (late)");
    const retry = at(lines, "    platform a000000.ethernet: Retrying from deferred list");
    const bound = at(lines, "        bus:platform BOUND_DRIVER a000000.ethernet: 2 block(s)");
    expect([firstBind, notBound, added, noop, late, retry, bound]).toEqual([...[firstBind, notBound, added, noop, late, retry, bound]].sort((a, b) => a - b));
    expect(lines.filter((l) => l.trim() === "bus:platform DRIVER_NOT_BOUND a000000.ethernet: 2 block(s)")).toHaveLength(1);
    expect(lines.filter((l) => l.trim() === "bus:platform BIND_DRIVER a000000.ethernet: 2 block(s)")).toHaveLength(2);
  });

  it("runs under another era when asked", () => {
    const modern = runDemo("v6.1");
    expect(modern[0]).toBe("dmasim driver-core seed demo, era v6.1");
    expect(modern).toContain("  initcalls_done = true");
    expect(modern).toContain("invariants: none violated");
  });
});
