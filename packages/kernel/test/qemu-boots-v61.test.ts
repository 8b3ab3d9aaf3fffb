/**
 * v6.1 against the real Debian 6.1 boots: every recorded QEMU boot (DT and ACPI, the topology boots and the simple
 * ones) booted by the model with the default driver set must show the same IOMMU groups (numbers, types, members),
 * the same driver and group for every PCI function, the same pcieport deferrals, the StreamID collision of 03:02.0
 * and the one SMMU event its MSI causes. Expected values are parsed from the logs.
 */
import { describe, expect, it } from "vitest";
import { printkLine, type PrintkEvent } from "@dmasim/driver-core";
import { PROFILES, boot, kernelCmdlineFromQemu, platformFromQemuCommandLine, type BootResult } from "@dmasim/kernel";
import { readRealBoot, recordedBoots } from "./helpers/real-log";

const boots = recordedBoots();

function modelBoot(cmd: string): BootResult {
  const p = platformFromQemuCommandLine(cmd);
  if (!p.ok) throw new Error(`${p.error.field}: ${p.error.message}`);
  const r = boot(p.value, PROFILES["v6.1"], { cmdline: kernelCmdlineFromQemu(cmd) });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function modelLines(r: BootResult): string[] {
  return r.trace.filter((e): e is typeof e & PrintkEvent => e.type === "printk").map((e) => printkLine(e));
}

describe("v6.1 reproduces the recorded Debian 6.1 QEMU boots", () => {
  it("has the 13 recorded boots with a .cmd to compare against (fixtures/qemu-boots)", () => {
    expect(boots.length).toBe(13);
  });
  describe.each(boots)("%s", (name) => {
    const real = readRealBoot(name);
    const model = modelBoot(real.cmd);
    const iommu = model.kernel.iommu;

    it("has the same IOMMU groups: numbers, default-domain types and members", () => {
      const groups = iommu?.sysfsGroups().map((g) => ({ id: g.id, type: g.type, devices: [...g.devices] })) ?? [];
      expect(groups).toEqual(real.groups.map((g) => ({ id: g.id, type: g.type, devices: [...g.devices] })));
    });

    it("binds the same driver to every PCI function and puts it in the same group", () => {
      const pci = model.outcomes.filter((o) => o.bus === "pci").map((o) => ({ name: o.name, driver: o.driver, group: o.iommuGroup }));
      expect(pci).toEqual(real.pci.map((d) => ({ name: d.name, driver: d.driver, group: d.group })));
    });

    it.skipIf(!real.ddDyndbg)("defers and retries the same devices (dd.c dynamic debug)", () => {
      const deferred = model.trace.filter((e) => e.type === "deferred-add").map((e) => (e as { device: string }).device);
      const retried = model.trace.filter((e) => e.type === "deferred-retry").map((e) => (e as { device: string }).device);
      expect(deferred).toEqual(real.deferred);
      expect(retried).toEqual(real.retried);
    });

    it("logs the StreamID collisions, the failed IOMMU adds and the SMMU events of the real boot", () => {
      const lines = modelLines(model);
      const wanted = real.lines.filter(
        (l) => l.includes("already in tree from dev") || (real.iommuDyndbg && l.includes("Adding to IOMMU failed: -22")),
      );
      for (const l of wanted) expect(lines).toContain(l);
      const events = real.lines.flatMap((l, i) => (/: event 0x[0-9a-f]+ received:$/.test(l) ? [real.lines.slice(i, i + 5)] : []));
      const modelEvents = lines.flatMap((l, i) => (/: event 0x[0-9a-f]+ received:$/.test(l) ? [lines.slice(i, i + 5)] : []));
      expect(modelEvents).toEqual(events);
    });
  });
});
