/**
 * What the QEMU topology tests compare with a real boot log — every expected value is parsed from the log, none is
 * written here: the `/sys/kernel/iommu_groups` listing (ids, types, members, reserved regions), each PCI function's
 * driver and `iommu_group`, the IOMMU core's group lines in order, and which bound device got no group.
 */
import { expect } from "vitest";
import { toPciDev } from "@dmasim/pci";
import { makeFakeIommu } from "./core-fake-driver";
import { fixtureText, kernelLines, loggedGroups, loggedPciDevices } from "./core-fixtures";
import { bootTopo, makeTopoKernel, printedLines, type SmmuDriverFactory, type TopoKernel } from "./qemu-topo-harness";

/**
 * Until the arm-smmu-v3 driver of this package can be composed here, the SMMU's platform driver is the core tests'
 * fake driver (fwspec check, per-StreamID ownership, PCI groups, SW MSI region): `iommu_device_register`, then bus
 * ops on pci and platform as `arm_smmu_set_bus_ops` does.
 */
export const standInSmmu: SmmuDriverFactory = (k, dev) => {
  const fake = makeFakeIommu(k.iommu, dev);
  k.iommu.iommuDeviceRegister(fake.iommu, fake.ops, dev);
  const ret = k.iommu.busSetIommu(k.pci.bus, fake.ops);
  return ret !== 0 ? ret : k.iommu.busSetIommu(k.platform, fake.ops);
};

/** The lines the IOMMU core and the driver print about groups, in order. */
export const GROUP_LINE = /(iommu: Allocated group \d+|: Adding to iommu group \d+|: Adding to IOMMU failed: -?\d+|already in tree from dev \S+)$/;

/** Boots `fixture` and compares it with its log. Returns the kernel for further checks. */
export function bootAndCompare(fixture: string, smmu: SmmuDriverFactory = standInSmmu): TopoKernel {
  const k = makeTopoKernel(fixture);
  bootTopo(k, smmu);
  const log = fixtureText(`qemu-boots/${fixture}.log`);

  const groups = loggedGroups(log);
  expect(groups.length).toBeGreaterThan(0);
  expect(k.iommu.sysfsGroups()).toEqual(groups);

  const pciLogged = loggedPciDevices(log);
  const model = new Map<string, { driver: string; group: string }>();
  for (const dev of k.pci.bus.devices) {
    if (toPciDev(dev) === undefined) continue;
    model.set(dev.name, { driver: dev.driver?.name ?? "", group: String(k.iommu.iommuGroupGet(dev)?.id ?? "") });
  }
  expect(model).toEqual(pciLogged);

  // Only the group-related lines (the driver's "already in tree" line is matched by its tail).
  const real = kernelLines(log).filter((l) => GROUP_LINE.test(l));
  const printed = printedLines(k).filter((l) => GROUP_LINE.test(l));
  expect(printed.map(tail)).toEqual(real.map(tail));
  return k;
}

/** A line without the driver-specific part before "stream" (the stand-in driver logs the same text). */
function tail(line: string): string {
  return line.replace(/^.*?(\S+ \S+: stream )/, "$1");
}
