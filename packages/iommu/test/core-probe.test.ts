/**
 * 6.1's probe path on the platform bus: `bus_set_iommu` → bus notifier → `iommu_probe_device` (group, default
 * domain, attach, direct mappings), failures freeing `dev->iommu` (fwspec included), REMOVED_DEVICE →
 * `iommu_release_device` and the group's release, group ids reused lowest-first, and the default domain type per
 * command line and Kconfig.
 */
import { describe, expect, it } from "vitest";
import { Errno, type Device } from "@dmasim/driver-core";
import { IommuDomainType } from "../src/index";
import { iommuEvents, logLines, makeCoreTestKernel, type CoreTestKernel } from "./core-fake-driver";

function addMaster(k: CoreTestKernel, name: string, sids: readonly number[] | null): Device {
  const dev = k.dc.deviceInitialize({ name, bus: k.platform, fwnode: { name: `/${name}` } });
  if (sids !== null) {
    expect(k.iommu.iommuFwspecInit(dev, k.fake.fwnode, k.fake.ops)).toBe(0);
    expect(k.iommu.iommuFwspecAddIds(dev, sids)).toBe(0);
  }
  expect(k.dc.deviceAdd(dev)).toBe(0);
  return dev;
}

function setUp(k: CoreTestKernel): void {
  expect(k.iommu.iommuDeviceRegister(k.fake.iommu, k.fake.ops, k.fake.hwdev)).toBe(0);
  expect(k.iommu.busSetIommu(k.platform, k.fake.ops)).toBe(0);
}

describe("6.1 iommu_probe_device from the bus notifier", () => {
  it("groups a master with a fwspec: Allocated group, DMA default domain, attach, then the dev_info line", () => {
    const k = makeCoreTestKernel();
    setUp(k);
    const dev = addMaster(k, "a.master", [0x10]);
    const events = iommuEvents(k.trace).filter((e) => !e.startsWith("iommu-fwspec") && !e.startsWith("iommu-device") && !e.startsWith("iommu-bus"));
    expect(events).toEqual([
      'iommu-probe-device {"device":"a.master","path":"probe_device","trigger":"bus-notifier"}',
      'iommu-group-alloc {"group":0}',
      'iommu-group-add {"group":0,"device":"a.master"}',
      'iommu-domain-alloc {"domain":0,"domainType":"DMA","driver":"fake-iommu"}',
      'iommu-attach {"domain":0,"device":"a.master","ret":0}',
      'iommu-flush-iotlb-all {"domain":0}',
      'iommu-probe-device-end {"device":"a.master","ret":0}',
    ]);
    expect(logLines(k.trace)).toEqual(["iommu: Allocated group 0", "platform a.master: Adding to iommu group 0"]);
    expect(k.iommu.iommuGetDomainForDev(dev)?.type).toBe(IommuDomainType.DMA);
    expect(k.iommu.sysfsGroups()).toEqual([
      { id: 0, type: "DMA", devices: ["a.master"], reservedRegions: ["0x0000000008000000 0x00000000080fffff msi"] },
    ]);
  });

  it("a device without a fwspec is not the driver's (-ENODEV): no group, no log line, no dev->iommu left", () => {
    const k = makeCoreTestKernel();
    setUp(k);
    const dev = addMaster(k, "plain", null);
    expect(k.iommu.iommuGroupGet(dev)).toBeNull();
    expect(logLines(k.trace)).toEqual([]);
    expect(k.iommu.devIommuFwspecGet(dev)).toBeNull();
    expect(iommuEvents(k.trace)).toContain('iommu-probe-device-end {"device":"plain","ret":-19}');
  });

  it("a probe_device failure frees dev->iommu and with it the fwspec (dev_iommu_free)", () => {
    const k = makeCoreTestKernel();
    setUp(k);
    addMaster(k, "first", [0x300]);
    const second = addMaster(k, "second", [0x310, 0x300]);
    expect(logLines(k.trace)).toContain("platform second: stream 768 already in tree from dev first");
    expect(k.iommu.iommuGroupGet(second)).toBeNull();
    expect(k.iommu.devIommuFwspecGet(second)).toBeNull();
    expect(iommuEvents(k.trace)).toContain('iommu-probe-device-end {"device":"second","ret":-22}');
  });

  it("REMOVED_DEVICE releases the device, logs the removal, releases the group and frees its default domain", () => {
    const k = makeCoreTestKernel();
    setUp(k);
    const a = addMaster(k, "a", [1]);
    const b = addMaster(k, "b", [2]);
    expect([k.iommu.iommuGroupGet(a)?.id, k.iommu.iommuGroupGet(b)?.id]).toEqual([0, 1]);
    const domain = k.iommu.iommuGetDomainForDev(a);
    k.dc.deviceDel(a);
    expect(k.fake.calls).toContain("release_device a");
    expect(logLines(k.trace).slice(-2)).toEqual(["platform a: Removing from iommu group 0", "iommu: Releasing group 0"]);
    expect(k.fake.domains.find((d) => d === domain)?.freed).toBe(true);
    expect(k.iommu.groups.map((g) => g.id)).toEqual([1]);
    // ida_alloc: the freed number is the lowest free one and is reused.
    const c = addMaster(k, "c", [3]);
    expect(k.iommu.iommuGroupGet(c)?.id).toBe(0);
    expect(k.fake.streams.get(1)).toBeUndefined();
  });

  it("devices already on the bus when bus_set_iommu runs are probed by bus_iommu_probe, default domain per group", () => {
    const k = makeCoreTestKernel();
    const dev = k.dc.deviceInitialize({ name: "early", bus: k.platform });
    k.iommu.iommuDeviceRegister(k.fake.iommu, k.fake.ops, k.fake.hwdev);
    k.iommu.iommuFwspecInit(dev, k.fake.fwnode, k.fake.ops);
    k.iommu.iommuFwspecAddIds(dev, [7]);
    k.dc.deviceAdd(dev);
    expect(k.iommu.iommuGroupGet(dev)).toBeNull();
    expect(k.iommu.busSetIommu(k.platform, k.fake.ops)).toBe(0);
    expect(k.iommu.iommuGroupGet(dev)?.defaultDomain?.type).toBe(IommuDomainType.DMA);
    expect(k.fake.calls.filter((c) => c.startsWith("attach"))).toEqual(["attach 0 early"]);
    expect(k.iommu.busSetIommu(k.platform, k.fake.ops)).toBe(-Errno.EBUSY);
  });

  it("a non-ENODEV error while probing the bus unwinds: ops cleared, notifier unregistered", () => {
    const k = makeCoreTestKernel({ probeError: -Errno.ENOMEM });
    const dev = k.dc.deviceInitialize({ name: "x", bus: k.platform });
    k.dc.deviceAdd(dev);
    expect(k.iommu.busSetIommu(k.platform, k.fake.ops)).toBe(-Errno.ENOMEM);
    expect(k.iommu.busIommuOps(k.platform)).toBeNull();
    expect(k.platform.notifier.blocks.map((b) => b.name)).toEqual([]);
  });
});

describe("default domain type", () => {
  const typeOf = (k: CoreTestKernel): string | undefined => {
    setUp(k);
    const dev = addMaster(k, "m", [1]);
    return k.iommu.sysfsGroups().find((g) => g.devices.includes(dev.name))?.type;
  };

  it("iommu.passthrough=1 gives identity, iommu.strict=0 gives DMA-FQ, Kconfig lazy gives DMA-FQ", () => {
    expect(typeOf(makeCoreTestKernel())).toBe("DMA");
    expect(typeOf(makeCoreTestKernel({ cmdline: { passthrough: true } }))).toBe("identity");
    expect(typeOf(makeCoreTestKernel({ cmdline: { strict: false } }))).toBe("DMA-FQ");
    expect(typeOf(makeCoreTestKernel({ kconfig: { defaultDomain: "DMA-FQ", strictDefault: false } }))).toBe("DMA-FQ");
    expect(typeOf(makeCoreTestKernel({ kconfig: { defaultDomain: "identity", strictDefault: true } }))).toBe("identity");
    expect(typeOf(makeCoreTestKernel({ kconfig: { defaultDomain: "identity", strictDefault: true }, cmdline: { passthrough: false } }))).toBe("DMA");
  });

  it("a driver refusing the type falls back to DMA with the 6.1 warning", () => {
    const k = makeCoreTestKernel({ cmdline: { strict: false }, refuse: [IommuDomainType.DMA_FQ] });
    expect(typeOf(k)).toBe("DMA");
    expect(logLines(k.trace)).toContain(
      "iommu: Failed to allocate default IOMMU domain of type 11 for group (null) - Falling back to IOMMU_DOMAIN_DMA",
    );
  });
});
