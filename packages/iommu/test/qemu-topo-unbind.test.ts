/**
 * Unbinding and removing PCI functions on the booted 6.1 DT topology, as 6.1 does it: unbinding only gives back the
 * DMA-API ownership of the group (`pci_dma_cleanup` → `iommu_device_unuse_default_domain`); the device stays in its
 * group, attached to the default domain. Removing it (`pci_stop_and_remove_bus_device` → `device_del`) reaches
 * `iommu_release_device` only at BUS_NOTIFY_REMOVED_DEVICE: the driver's `release_device`, "Removing from iommu
 * group N", and the group's release with its default domain when it was the last member. A device sharing its
 * group leaves it without releasing it.
 */
import { describe, expect, it } from "vitest";
import type { Device } from "@dmasim/driver-core";
import { pciStopAndRemoveBusDevice, toPciDev } from "@dmasim/pci";
import { bootTopo, makeTopoKernel, printedLines, type TopoKernel } from "./qemu-topo-harness";
import { realSmmu, type RealSmmu } from "./qemu-topo-smmu";

function booted(): TopoKernel {
  return bootedWithSmmu().k;
}

function bootedWithSmmu(): { k: TopoKernel; smmu: RealSmmu } {
  const k = makeTopoKernel("dt-topo-gic3");
  const smmu = realSmmu();
  bootTopo(k, smmu.factory);
  return { k, smmu };
}

/** The StreamID the machine presents for a PCI function (its requester ID after hardware aliasing). */
function sidOf(k: TopoKernel, dev: Device): number {
  const ids = k.iommu.devIommuFwspecGet(dev)?.ids;
  if (ids === undefined || ids.length === 0) throw new Error(`${dev.name} has no StreamID`);
  return ids[0] as number;
}

/** The arm-smmu-ste and smmu-cfgi records after `from`, for `sid`. */
function steTraffic(k: TopoKernel, from: number, sid: number): string[] {
  const out: string[] = [];
  for (const r of k.trace.records.slice(from)) {
    const x = r as unknown as Record<string, unknown>;
    if (r.type === "arm-smmu-ste" && x.sid === sid) out.push(`ste ${String(x.config)} ${String(x.device)}`);
    if (r.type === "smmu-cfgi" && typeof x.first === "number" && typeof x.last === "number" && x.first <= sid && sid <= x.last) {
      out.push(`cfgi ${String(x.command)}`);
    }
  }
  return out;
}

function find(k: TopoKernel, name: string): Device {
  const dev = k.pci.bus.devices.find((d) => d.name === name);
  if (dev === undefined) throw new Error(`no ${name}`);
  return dev;
}

/** The types of the records after `from`, limited to those `keep` accepts. */
function after(k: TopoKernel, from: number, keep: (type: string, r: Record<string, unknown>) => string | null): string[] {
  const out: string[] = [];
  for (const r of k.trace.records.slice(from)) {
    const s = keep(r.type, r as unknown as Record<string, unknown>);
    if (s !== null) out.push(s);
  }
  return out;
}

const lifecycle = (type: string, r: Record<string, unknown>): string | null => {
  if (type === "notifier-call" && r.block === "iommu_bus_notifier") return `notify ${String(r.action)}`;
  if (type === "driver-remove") return "driver remove";
  if (type.startsWith("iommu-") && type !== "iommu-configure") return type;
  return null;
};

describe("6.1 unbind and removal on dt-topo-gic3", () => {
  it("unbind gives back ownership only; the device keeps its group and domain, and its STE is not touched", () => {
    const { k, smmu } = bootedWithSmmu();
    const dev = find(k, "0000:00:01.0");
    const sid = sidOf(k, dev);
    expect(steTraffic(k, 0, sid).at(-1)).toBe("ste s1-trans 0000:00:01.0");
    const group = k.iommu.iommuGroupGet(dev);
    const domain = k.iommu.iommuGetDomainForDev(dev);
    expect(group?.ownerCnt).toBe(1);
    const from = k.trace.records.length;
    k.core.deviceReleaseDriver(dev);
    expect(dev.driver).toBeNull();
    expect(k.iommu.iommuGroupGet(dev)).toBe(group);
    expect(k.iommu.iommuGetDomainForDev(dev)).toBe(domain);
    expect(group?.ownerCnt).toBe(0);
    expect(after(k, from, lifecycle)).toEqual(["notify UNBIND_DRIVER", "driver remove", "iommu-group-owner", "notify UNBOUND_DRIVER"]);
    expect(steTraffic(k, from, sid)).toEqual([]);
    // The stream still translates through the default domain (nothing mapped there: a translation fault).
    expect(smmu.hw().translate({ streamId: sid, iova: 0x1000, access: "write", size: 4 })).toMatchObject({ kind: "abort", eventId: 0x10 });
  });

  it("removing the only member releases the device at REMOVED_DEVICE (abort STE + CFGI_STE), then the group and its domain", () => {
    const { k, smmu } = bootedWithSmmu();
    const dev = find(k, "0000:00:01.0");
    const sid = sidOf(k, dev);
    const id = k.iommu.iommuGroupGet(dev)?.id;
    const from = k.trace.records.length;
    const pdev = toPciDev(dev);
    if (pdev === undefined) throw new Error("not pci");
    pciStopAndRemoveBusDevice(k.pci, pdev);
    expect(after(k, from, lifecycle)).toEqual([
      "notify UNBIND_DRIVER",
      "driver remove",
      "iommu-group-owner",
      "notify UNBOUND_DRIVER",
      "notify DEL_DEVICE",
      "notify REMOVED_DEVICE",
      "iommu-release-device",
      "iommu-group-remove",
      "iommu-domain-free",
      "iommu-group-release",
      "iommu-fwspec-free", // dev_iommu_free, last step of iommu_release_device
    ]);
    expect(printedLines(k).slice(-2)).toEqual([`pci 0000:00:01.0: Removing from iommu group ${id}` /* unbound by then: dev_driver_string is the bus */, `iommu: Releasing group ${id}`]);
    expect(k.iommu.groups.map((g) => g.id)).not.toContain(id);
    // arm_smmu_release_device → arm_smmu_detach_dev: the STE goes back to abort (disable_bypass), then CFGI_STE.
    expect(steTraffic(k, from, sid)).toEqual(["cfgi CMD_CFGI_STE", "ste abort null"]);
    expect(smmu.hw().translate({ streamId: sid, iova: 0x1000, access: "write", size: 4 })).toMatchObject({ kind: "abort", eventId: null });
  });

  it("removing a device that shares its group leaves the group and its domain to the others", () => {
    const k = booted();
    const dev = find(k, "0000:03:01.0");
    const group = k.iommu.iommuGroupGet(dev);
    const pdev = toPciDev(dev);
    if (pdev === undefined || group === null) throw new Error("setup");
    pciStopAndRemoveBusDevice(k.pci, pdev);
    expect(group.live).toBe(true);
    expect(group.devices.map((d) => d.name)).toEqual(["0000:00:04.0", "0000:02:00.0"]);
    expect(k.trace.records.some((r) => r.type === "iommu-group-release")).toBe(false);
  });

  it("removing the orphan (no group, no dev->iommu) does nothing in the IOMMU core", () => {
    const k = booted();
    const pdev = toPciDev(find(k, "0000:03:02.0"));
    if (pdev === undefined) throw new Error("not pci");
    const from = k.trace.records.length;
    pciStopAndRemoveBusDevice(k.pci, pdev);
    expect(after(k, from, lifecycle).filter((s) => s.startsWith("iommu-"))).toEqual([]);
  });
});
