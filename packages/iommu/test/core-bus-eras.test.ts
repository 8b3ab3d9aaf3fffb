/**
 * The bus notifier per era (kernel-behaviour.md a.2, a.7): v4.7 returns `add_device`'s raw errno, whose 0x8000 bit
 * stops the chain before arm64's -100 notifier; v4.12 returns NOTIFY_DONE; both forward BIND/BOUND/UNBIND/UNBOUND
 * to the group chain but not DRIVER_NOT_BOUND; `add_iommu_group` ignores -ENODEV and unwinds on other errors;
 * REMOVED_DEVICE calls `remove_device` only for grouped devices; the v4.x default domain is made inside
 * `iommu_group_get_for_dev` with the pr_info "Adding device ... to group" line.
 */
import { describe, expect, it } from "vitest";
import { Errno, NOTIFY_DONE, type BusNotifyAction, type Device } from "@dmasim/driver-core";
import { IOMMU_ERAS } from "../src/index";
import { logLines, makeCoreTestKernel, type CoreTestKernel } from "./core-fake-driver";

function master(k: CoreTestKernel, name: string, sid: number | null): Device {
  const dev = k.dc.deviceInitialize({ name, bus: k.platform });
  if (sid !== null) {
    if (k.iommu.era.fwspec) {
      k.iommu.iommuFwspecInit(dev, k.fake.fwnode, k.fake.ops);
      k.iommu.iommuFwspecAddIds(dev, [sid]);
    } else k.iommu.devIommuPrivSet(dev, [sid]);
  }
  return dev;
}

/** arm64's v4.7 `__iommu_attach_notifier` stand-in at priority -100: records the devices it saw on ADD_DEVICE. */
function lowNotifier(k: CoreTestKernel): string[] {
  const seen: string[] = [];
  k.dc.busRegisterNotifier(k.platform, {
    name: "__iommu_attach_notifier",
    priority: -100,
    notifierCall: (action: BusNotifyAction, dev: Device) => {
      if (action === "ADD_DEVICE") seen.push(dev.name);
      return 0;
    },
  });
  return seen;
}

describe("iommu_bus_notifier return value on ADD_DEVICE", () => {
  it("v4.7: a raw -ENODEV stops the chain, so the -100 notifier misses that device", () => {
    const k = makeCoreTestKernel({ era: IOMMU_ERAS["v4.7"] });
    const seen = lowNotifier(k);
    k.iommu.busSetIommu(k.platform, k.fake.ops);
    k.dc.deviceAdd(master(k, "mine", 1));
    k.dc.deviceAdd(master(k, "not-mine", null));
    expect(seen).toEqual(["mine"]);
    const ends = k.trace.records.filter((r) => r.type === "notifier-chain-end" && r.action === "ADD_DEVICE");
    expect(ends.map((r) => (r.type === "notifier-chain-end" ? [r.data, r.ret, r.stopped] : null))).toEqual([
      ["mine", 0, false],
      ["not-mine", -Errno.ENODEV, true],
    ]);
  });

  it("v4.12: the error becomes NOTIFY_DONE and the chain goes on", () => {
    const k = makeCoreTestKernel({ era: IOMMU_ERAS["v4.12"] });
    const seen = lowNotifier(k);
    k.iommu.iommuDeviceRegister(k.fake.iommu, k.fake.ops, k.fake.hwdev);
    k.iommu.busSetIommu(k.platform, k.fake.ops);
    k.dc.deviceAdd(master(k, "not-mine", null));
    expect(seen).toEqual(["not-mine"]);
    const iommuReturn = k.trace.records.find((r) => r.type === "notifier-return" && r.block === "iommu_bus_notifier");
    expect(iommuReturn?.type === "notifier-return" ? iommuReturn.ret : null).toBe(NOTIFY_DONE);
  });
});

describe("v4.x groups through add_device", () => {
  for (const era of ["v4.7", "v4.12"] as const) {
    it(`${era}: add_device makes the group and its DMA default domain, attaches, and logs with pr_info`, () => {
      const k = makeCoreTestKernel({ era: IOMMU_ERAS[era] });
      k.iommu.busSetIommu(k.platform, k.fake.ops);
      const dev = master(k, "m0", 3);
      k.dc.deviceAdd(dev);
      expect(logLines(k.trace)).toEqual(["iommu: Allocated group 0", "iommu: Adding device m0 to group 0"]);
      expect(k.fake.calls).toEqual(["add_device m0", "attach 0 m0"]);
      expect(k.iommu.sysfsGroups()[0]?.type).toBe("DMA");
    });
  }

  it("v4.12: iommu.passthrough=1 makes identity default domains; v4.7 ignores it (always DMA)", () => {
    for (const [era, want] of [["v4.12", "identity"], ["v4.7", "DMA"]] as const) {
      const k = makeCoreTestKernel({ era: IOMMU_ERAS[era], cmdline: { passthrough: true } });
      k.iommu.busSetIommu(k.platform, k.fake.ops);
      k.dc.deviceAdd(master(k, "m", 1));
      expect(k.iommu.sysfsGroups()[0]?.type).toBe(want);
    }
  });

  it("bus_set_iommu offers existing devices: -ENODEV ignored, another error unwinds the grouped ones", () => {
    const k = makeCoreTestKernel({ era: IOMMU_ERAS["v4.12"] });
    k.dc.deviceAdd(master(k, "a", 1));
    k.dc.deviceAdd(master(k, "b", null));
    expect(k.iommu.busSetIommu(k.platform, k.fake.ops)).toBe(0);
    expect(k.iommu.groups.map((g) => g.devices.map((d) => d.name))).toEqual([["a"]]);

    const bad = makeCoreTestKernel({ era: IOMMU_ERAS["v4.12"], probeError: -Errno.ENOMEM });
    bad.dc.deviceAdd(master(bad, "a", 1));
    expect(bad.iommu.busSetIommu(bad.platform, bad.fake.ops)).toBe(-Errno.ENOMEM);
    expect(bad.platform.notifier.blocks).toEqual([]);
  });

  it("REMOVED_DEVICE calls remove_device only for a grouped device; the group goes with its last member", () => {
    const k = makeCoreTestKernel({ era: IOMMU_ERAS["v4.12"] });
    k.iommu.busSetIommu(k.platform, k.fake.ops);
    const grouped = master(k, "g", 1);
    const plain = master(k, "p", null);
    k.dc.deviceAdd(grouped);
    k.dc.deviceAdd(plain);
    k.dc.deviceDel(plain);
    k.dc.deviceDel(grouped);
    expect(k.fake.calls.filter((c) => c.startsWith("remove_device"))).toEqual(["remove_device g"]);
    expect(logLines(k.trace).slice(-2)).toEqual(["iommu: Removing device g from group 0", "iommu: Releasing group 0"]);
    expect(k.iommu.groups).toEqual([]);
  });
});

describe("group notifier forwarding (v4.7 … v5.17)", () => {
  it("BIND/BOUND/UNBIND/UNBOUND reach the group chain; DRIVER_NOT_BOUND does not", () => {
    const k = makeCoreTestKernel({ era: IOMMU_ERAS["v4.7"] });
    k.iommu.busSetIommu(k.platform, k.fake.ops);
    let fail = true;
    k.dc.driverRegister({ name: "drv", bus: k.platform, probe: () => (fail ? (fail = false, -Errno.EIO) : 0) });
    const dev = master(k, "drv", 1);
    k.dc.deviceAdd(dev); // probe fails: BIND, NOT_BOUND
    k.dc.deviceAttach(dev); // binds: BIND, BOUND
    k.dc.deviceReleaseDriver(dev); // UNBIND, UNBOUND
    const forwarded = k.trace.records.flatMap((r) => (r.type === "iommu-group-notify" ? [r.action] : []));
    expect(forwarded).toEqual(["BIND_DRIVER", "BIND_DRIVER", "BOUND_DRIVER", "UNBIND_DRIVER", "UNBOUND_DRIVER"]);
  });

  it("6.1 forwards nothing (the group notifier is gone)", () => {
    const k = makeCoreTestKernel();
    k.iommu.iommuDeviceRegister(k.fake.iommu, k.fake.ops, k.fake.hwdev);
    k.iommu.busSetIommu(k.platform, k.fake.ops);
    k.dc.driverRegister({ name: "drv", bus: k.platform, probe: () => 0 });
    k.dc.deviceAdd(master(k, "drv", 1));
    expect(k.trace.records.some((r) => r.type === "iommu-group-notify")).toBe(false);
  });
});
