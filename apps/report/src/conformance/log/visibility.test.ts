import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseBootCmd } from "./boot-cmd";
import { dyndbgEnabled, lineVisible, matchWildcard, parseDyndbgQueries, splitKernelCmdline, visibilityFromCmdline } from "./visibility";

const DIR = resolve(import.meta.dirname, "../../../../../fixtures/qemu-boots");
const append = (name: string): string => {
  const cmd = parseBootCmd(readFileSync(`${DIR}/${name}.cmd`, "utf8"));
  if (!cmd.ok) throw new Error(name);
  return cmd.value.command.append ?? "";
};

describe("kernel command line", () => {
  it("keeps a quoted dyndbg value in one parameter, quotes removed", () => {
    expect(splitKernelCmdline('console=ttyAMA0 dyndbg="file a.c +p; file b/* +p" virtio_pci.dyndbg=+p quiet')).toEqual([
      { key: "console", value: "ttyAMA0" },
      { key: "dyndbg", value: "file a.c +p; file b/* +p" },
      { key: "virtio_pci.dyndbg", value: "+p" },
      { key: "quiet", value: null },
    ]);
  });

  it("parses queries and skips malformed ones", () => {
    expect(parseDyndbgQueries("file drivers/iommu/* +p; module nvme -p; bogus; file x.c")).toEqual([
      { file: "drivers/iommu/*", module: null, func: null, op: "+", print: true },
      { file: null, module: "nvme", func: null, op: "-", print: true },
    ]);
  });

  it("match_wildcard: * crosses directories", () => {
    expect(matchWildcard("drivers/iommu/*", "drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c")).toBe(true);
    expect(matchWildcard("drivers/of/device.c", "drivers/of/base.c")).toBe(false);
    expect(matchWildcard("dd.c", "dd.c")).toBe(true);
  });
});

describe("what each recorded boot's console shows", () => {
  it("dt-initrd: info and up, no debug", () => {
    const v = visibilityFromCmdline(append("dt-initrd"));
    expect(v.consoleLoglevel).toBe(7);
    expect(lineVisible(v, "info", "drivers/iommu/iommu.c")).toBe(true);
    expect(lineVisible(v, "debug", "drivers/base/dd.c")).toBe(false);
  });

  it("dt-topo-gic3: iommu, of/device.c and of/base.c debug lines, but not dd.c", () => {
    const v = visibilityFromCmdline(append("dt-topo-gic3"));
    expect(v.consoleLoglevel).toBe(8);
    expect(lineVisible(v, "debug", "drivers/of/base.c")).toBe(true);
    expect(lineVisible(v, "debug", "drivers/iommu/of_iommu.c")).toBe(true);
    expect(lineVisible(v, "debug", "drivers/base/dd.c")).toBe(false);
    expect(lineVisible(v, "debug", "drivers/of/irq.c")).toBe(false);
  });

  it("dt-topo-gic3-defer and acpi-topo-gic3-defer: dd.c too", () => {
    for (const name of ["dt-topo-gic3-defer", "acpi-topo-gic3-defer"]) expect(lineVisible(visibilityFromCmdline(append(name)), "debug", "drivers/base/dd.c")).toBe(true);
  });

  it("dt-dyndbg: all of drivers/of and the virtio_pci module", () => {
    const v = visibilityFromCmdline(append("dt-dyndbg"));
    expect(dyndbgEnabled(v, "drivers/of/irq.c")).toBe(true);
    expect(dyndbgEnabled(v, "drivers/virtio/virtio_pci_modern.c")).toBe(true);
    expect(dyndbgEnabled(v, "drivers/virtio/virtio_ring.c")).toBe(false);
  });

  it("debug lines need loglevel 8 even when dyndbg enables them; later queries override earlier ones", () => {
    expect(lineVisible(visibilityFromCmdline('dyndbg="file dd.c +p"'), "debug", "drivers/base/dd.c")).toBe(false);
    expect(lineVisible(visibilityFromCmdline('loglevel=8 dyndbg="file dd.c +p; file drivers/base/* -p"'), "debug", "drivers/base/dd.c")).toBe(false);
    expect(lineVisible(visibilityFromCmdline("quiet"), "info", "x.c")).toBe(false);
    expect(lineVisible(visibilityFromCmdline("quiet"), "err", "x.c")).toBe(true);
  });
});
