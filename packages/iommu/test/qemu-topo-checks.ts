/**
 * What the QEMU topology tests compare with a real boot log — every expected value is parsed from the log, none is
 * written here: the `/sys/kernel/iommu_groups` listing (ids, types, members, reserved regions), each PCI function's
 * driver and `iommu_group`, the IOMMU core's group lines in order, and which bound device got no group.
 */
import { expect } from "vitest";
import { toPciDev } from "@dmasim/pci";
import { fixtureText, kernelLines, loggedGroups, loggedPciDevices } from "./core-fixtures";
import { bootTopo, makeTopoKernel, printedLines, type TopoKernel } from "./qemu-topo-harness";
import { realSmmu, type RealSmmu } from "./qemu-topo-smmu";

/** The lines the IOMMU core and the driver print about groups, in order. */
export const GROUP_LINE = /(iommu: Allocated group \d+|: Adding to iommu group \d+|: Adding to IOMMU failed: -?\d+|already in tree from dev \S+)$/;

/** A booted topology kernel with its SMMU. */
export interface BootedTopo {
  readonly k: TopoKernel;
  readonly smmu: RealSmmu;
}

/**
 * Boots `fixture` (the arm-smmu-v3 driver over the SMMUv3 hardware model) and compares it with its log. Returns the
 * kernel for further checks.
 */
export function bootAndCompare(fixture: string): BootedTopo {
  const k = makeTopoKernel(fixture);
  const smmu = realSmmu();
  bootTopo(k, smmu.factory);
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

  const real = kernelLines(log).filter((l) => GROUP_LINE.test(l));
  const printed = printedLines(k).filter((l) => GROUP_LINE.test(l));
  expect(printed).toEqual(real);
  return { k, smmu };
}
