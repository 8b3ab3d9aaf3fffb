/**
 * The IOMMU core's own log lines against the real Debian 6.1 boots: `iommu_subsys_init`'s two lines for each boot's
 * command line (exact bytes, trailing spaces included), the `iommu: map/mapping/unmap this/unmapped` debug lines of
 * `iommu_map`/`iommu_unmap` replayed with the logged IOVAs and addresses, and the reserved-region line of every
 * DMA group.
 */
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseQemuCommandLine } from "@dmasim/machine";
import { IommuDomainType, IOMMU_ERAS } from "../src/index";
import { logLines, makeCoreTestKernel } from "./core-fake-driver";
import { FIXTURES, fixtureText, kernelLines, loggedGroups } from "./core-fixtures";

/** `kstrtobool` of an `iommu.*=` early parameter in the kernel command line, if given. */
function param(append: string, name: string): boolean | undefined {
  const m = new RegExp(`(?:^|\\s)${name.replace(".", "\\.")}=(\\S+)`).exec(append);
  if (m === null) return undefined;
  return /^(1|y|Y|on)/.test(m[1] as string);
}

const boots = readdirSync(resolve(FIXTURES, "qemu-boots")).filter((f) => f.endsWith(".cmd")).map((f) => f.slice(0, -4));

describe("iommu_subsys_init lines of every real boot", () => {
  it.each(boots)("%s", (name) => {
    const cmd = parseQemuCommandLine(fixtureText(`qemu-boots/${name}.cmd`));
    if (!cmd.ok) throw new Error(JSON.stringify(cmd.error));
    const append = cmd.value.append ?? "";
    const passthrough = param(append, "iommu.passthrough");
    const strict = param(append, "iommu.strict");
    const k = makeCoreTestKernel({
      cmdline: { ...(passthrough === undefined ? {} : { passthrough }), ...(strict === undefined ? {} : { strict }) },
    });
    k.iommu.iommuSubsysInit();
    const real = kernelLines(fixtureText(`qemu-boots/${name}.log`)).filter((l) => /^iommu: (Default domain type|DMA domain TLB)/.test(l));
    expect(real.length).toBeGreaterThan(0);
    expect(logLines(k.trace)).toEqual(real);
  });
});

describe("iommu_map / iommu_unmap debug lines (dt-topo-gic3.log)", () => {
  it("the nvme buffer map/unmap sequence prints what 6.1 printed", () => {
    const real = kernelLines(fixtureText("qemu-boots/dt-topo-gic3.log")).filter((l) => /^iommu: (map|mapping|unmap this|unmapped):/.test(l));
    // Replay the first 20 real lines' operations on a DMA domain of the fake driver.
    const k = makeCoreTestKernel();
    k.iommu.iommuDeviceRegister(k.fake.iommu, k.fake.ops, k.fake.hwdev);
    k.iommu.busSetIommu(k.platform, k.fake.ops);
    const domains = new Map<number, ReturnType<typeof k.iommu.iommuDomainAlloc>>();
    const before = logLines(k.trace).length;
    const ops: string[] = [];
    for (const line of real.slice(0, 40)) {
      const map = /^iommu: map: iova (0x[0-9a-f]+) pa (0x[0-9a-f]+) size (0x[0-9a-f]+)$/.exec(line);
      const unmap = /^iommu: unmap this: iova (0x[0-9a-f]+) size (0x[0-9a-f]+)$/.exec(line);
      // The MSI doorbell page is mapped once per device domain: use one domain per doorbell mapping.
      if (map !== null) {
        const iova = Number(map[1]);
        const key = iova === 0xfffff000 ? ops.length : -1;
        let d = domains.get(key);
        if (d === undefined) {
          d = k.iommu.iommuDomainAlloc(k.platform, IommuDomainType.DMA);
          domains.set(key, d);
        }
        if (d === null) throw new Error("domain");
        expect(k.iommu.iommuMap(d, iova, Number(map[2]), Number(map[3]), 3)).toBe(0);
        ops.push(line);
      } else if (unmap !== null) {
        const d = domains.get(-1);
        if (d == null) throw new Error("no domain");
        expect(k.iommu.iommuUnmap(d, Number(unmap[1]), Number(unmap[2]))).toBe(Number(unmap[2]));
        ops.push(line);
      }
    }
    const model = logLines(k.trace).slice(before).filter((l) => /^iommu: (map|mapping|unmap this|unmapped):/.test(l));
    expect(model).toEqual(real.slice(0, model.length));
    expect(model.length).toBeGreaterThanOrEqual(30);
  });
});

describe("reserved_regions of every DMA group", () => {
  it("arm-smmu-v3's SW MSI window prints as the real sysfs line", () => {
    const k = makeCoreTestKernel();
    k.iommu.iommuDeviceRegister(k.fake.iommu, k.fake.ops, k.fake.hwdev);
    k.iommu.busSetIommu(k.platform, k.fake.ops);
    const dev = k.dc.deviceInitialize({ name: "m", bus: k.platform });
    k.iommu.iommuFwspecInit(dev, k.fake.fwnode, k.fake.ops);
    k.iommu.iommuFwspecAddIds(dev, [1]);
    k.dc.deviceAdd(dev);
    const logged = loggedGroups(fixtureText("qemu-boots/dt-topo-gic3.log"));
    expect(logged.length).toBe(6);
    for (const g of logged) expect(k.iommu.sysfsGroups()[0]?.reservedRegions).toEqual(g.reservedRegions);
  });
});

describe("v4.x iommu_map prints no page count (one driver call per page)", () => {
  it("v4.12: 'mapping: iova … pgsize …' per page", () => {
    const k = makeCoreTestKernel({ era: IOMMU_ERAS["v4.12"] });
    k.iommu.busSetIommu(k.platform, k.fake.ops);
    const d = k.iommu.iommuDomainAlloc(k.platform, IommuDomainType.DMA);
    if (d === null) throw new Error("domain");
    expect(k.iommu.iommuMap(d, 0x10000, 0x40000000, 0x2000, 3)).toBe(0);
    expect(logLines(k.trace).filter((l) => l.startsWith("iommu: map"))).toEqual([
      "iommu: map: iova 0x10000 pa 0x0000000040000000 size 0x2000",
      "iommu: mapping: iova 0x10000 pa 0x0000000040000000 pgsize 0x1000",
      "iommu: mapping: iova 0x11000 pa 0x0000000040001000 pgsize 0x1000",
    ]);
  });
});
