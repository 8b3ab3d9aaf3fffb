/**
 * The same QEMU topologies composed with every layer's v4.12 switches (driver core, PCI, IOMMU core, arm-smmu-v3):
 * no real v4.12 boot exists, so the expectations are the real 6.1 boots' results plus the era differences the code
 * of each generation implies, each checked here:
 * - v4.12's arm-smmu-v3 keeps no StreamID tree, so 03:02.0 (alias 0x300, like 03:01.0) is added to the group of its
 *   bridge like its sibling instead of being refused;
 * - the group lines are v4.12's pr_info "iommu: Adding device %s to group %d";
 * - the driver requests ACS itself just before `bus_set_iommu(&pci_bus_type)` — after the DT scan, before the ACPI
 *   one's probes but after its enumeration — so ACPI still isolates (IORT init requested it) and DT still does not;
 * - unbinding leaves the IOMMU alone (no DMA ownership before v5.19); removal reaches `remove_device` at
 *   REMOVED_DEVICE, whose detach writes a bypass STE (`disable_bypass` defaulted to false then) with CFGI_STE.
 */
import { describe, expect, it } from "vitest";
import type { Device } from "@dmasim/driver-core";
import { pciStopAndRemoveBusDevice, toPciDev } from "@dmasim/pci";
import { fixtureText, loggedGroups } from "./core-fixtures";
import { bootTopo, makeTopoKernel, printedLines, type TopoKernel } from "./qemu-topo-harness";
import { realSmmu, type RealSmmu } from "./qemu-topo-smmu";

function boot(fixture: string): { k: TopoKernel; smmu: RealSmmu } {
  const k = makeTopoKernel(fixture, { era: "v4.12" });
  const smmu = realSmmu();
  bootTopo(k, smmu.factory);
  return { k, smmu };
}

function find(k: TopoKernel, name: string): Device {
  const dev = k.pci.bus.devices.find((d) => d.name === name);
  if (dev === undefined) throw new Error(`no ${name}`);
  return dev;
}

describe("v4.12 on the topo-gic3 machines", () => {
  for (const fixture of ["dt-topo-gic3", "acpi-topo-gic3"]) {
    it(`${fixture}: the 6.1 groups, with the 6.1 orphan joined to its sibling's group`, () => {
      const { k } = boot(fixture);
      const six = loggedGroups(fixtureText(`qemu-boots/${fixture}.log`));
      // The orphan of the 6.1 boot: a PCI function of the listing in no group.
      const inGroups = new Set(six.flatMap((g) => g.devices));
      const orphan = k.pci.bus.devices.find((d) => d.driver !== null && !inGroups.has(d.name));
      if (orphan === undefined) throw new Error("the 6.1 log has no orphan");
      const pdev = toPciDev(orphan);
      const sibling = pdev?.bus.devices.find((p) => p !== pdev && inGroups.has(p.name));
      const expected = six.map((g) => (sibling !== undefined && g.devices.includes(sibling.name) ? { ...g, devices: [...g.devices, orphan.name].sort() } : g));
      expect(k.iommu.sysfsGroups()).toEqual(expected);
      expect(printedLines(k)).toContain(`iommu: Adding device ${orphan.name} to group ${k.iommu.iommuGroupGet(orphan)?.id}`);
      expect(printedLines(k).some((l) => l.includes("Adding to iommu group"))).toBe(false);
    });
  }

  it("unbind leaves group, domain and STE; removal goes through remove_device, which writes a bypass STE", () => {
    const { k } = boot("dt-topo-gic3");
    const dev = find(k, "0000:00:01.0");
    const sid = k.iommu.devIommuFwspecGet(dev)?.ids[0];
    const group = k.iommu.iommuGroupGet(dev);
    let from = k.trace.records.length;
    k.core.deviceReleaseDriver(dev);
    const touched = (start: number): string[] =>
      k.trace.records.slice(start).flatMap((r) => {
        const x = r as unknown as Record<string, unknown>;
        if (r.type === "arm-smmu-ste" && x.sid === sid) return [`ste ${String(x.config)}`];
        if (r.type === "iommu-group-notify") return [`notify ${String(x.action)}`];
        if (r.type.startsWith("iommu-")) return [r.type];
        return [];
      });
    // Only the v4.x group notifier re-publishes the unbind; nothing changes.
    expect(touched(from)).toEqual(["notify UNBIND_DRIVER", "notify UNBOUND_DRIVER"]);
    expect(k.iommu.iommuGroupGet(dev)).toBe(group);
    from = k.trace.records.length;
    const pdev = toPciDev(dev);
    if (pdev === undefined) throw new Error("not pci");
    pciStopAndRemoveBusDevice(k.pci, pdev);
    expect(touched(from).filter((t) => !t.startsWith("notify")).slice(0, 2)).toEqual(["iommu-release-device", "ste bypass"]);
  });

  // v4.12 arm_smmu_remove_device ends with iommu_group_remove_device(dev) and iommu_fwspec_free(dev).
  it("removal leaves the group and frees the fwspec", () => {
    const { k } = boot("dt-topo-gic3");
    const dev = find(k, "0000:00:01.0");
    const group = k.iommu.iommuGroupGet(dev);
    const pdev = toPciDev(dev);
    if (pdev === undefined) throw new Error("not pci");
    const from = k.trace.records.length;
    pciStopAndRemoveBusDevice(k.pci, pdev);
    const types = k.trace.records.slice(from).flatMap((r) => (r.type.startsWith("iommu-") && r.type !== "iommu-group-notify" ? [r.type] : []));
    expect(types).toEqual(["iommu-release-device", "iommu-group-remove", "iommu-domain-free", "iommu-group-release", "iommu-fwspec-free"]);
    expect(printedLines(k)).toContain(`iommu: Removing device 0000:00:01.0 from group ${group?.id}`);
  });
});
