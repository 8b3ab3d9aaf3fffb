/**
 * `iort_iommu_configure` decisions on the QEMU ACPI topology: deferral while the SMMUv3 driver is enabled but not
 * registered (6.1 `IS_ENABLED`: a module counts; v4.12 `IS_BUILTIN`: it does not), no IOMMU when the driver is
 * absent, the StreamIDs of each alias, and `iort_enable_acs` requesting ACS only for a root complex that maps to an
 * SMMU.
 */
import { describe, expect, it } from "vitest";
import type { IortTable } from "@dmasim/firmware";
import { IOMMU_ERAS, IommuCore } from "../src/index";
import { bootTopo, makeTopoKernel, type TopoKernel } from "./qemu-topo-harness";

/** An SMMU driver whose probe fails: the IOMMU never registers. */
const neverRegisters = (): number => -19;

function pciNames(k: TopoKernel, pick: (name: string) => boolean): string[] {
  return k.pci.bus.devices.map((d) => d.name).filter(pick);
}

describe("iort_iommu_configure on acpi-topo-gic3", () => {
  it("6.1, SMMUv3 driver built in but never registered: every driver-matched function stays deferred", () => {
    const k = makeTopoKernel("acpi-topo-gic3");
    bootTopo(k, neverRegisters);
    const pending = k.core.deferredPending.map((d) => d.name).sort();
    const matched = pciNames(k, (n) => n !== "0000:00:00.0").sort();
    expect(pending).toEqual(matched);
    expect(k.iommu.groups).toEqual([]);
  });

  it("6.1, CONFIG_ARM_SMMU_V3=m not loaded: still deferred (IS_ENABLED)", () => {
    const k = makeTopoKernel("acpi-topo-gic3", { smmuV3Config: "module" });
    bootTopo(k, neverRegisters);
    expect(k.core.deferredPending.length).toBeGreaterThan(0);
  });

  it("no SMMUv3 driver configured: every function binds without an IOMMU", () => {
    const k = makeTopoKernel("acpi-topo-gic3", { smmuV3Config: "absent" });
    bootTopo(k, neverRegisters);
    expect(k.core.deferredPending).toEqual([]);
    expect(k.iommu.groups).toEqual([]);
    const bound = pciNames(k, () => true).filter((n) => k.pci.bus.devices.find((d) => d.name === n)?.driver !== null);
    expect(bound.length).toBe(12);
    expect([...k.dmaOps.values()].every((ops) => ops === null)).toBe(true);
  });

  it("v4.12 (IS_BUILTIN) treats an unloaded module as no IOMMU where 6.1 defers", () => {
    const k = makeTopoKernel("acpi-topo-gic3", { smmuV3Config: "module" });
    bootTopo(k, neverRegisters);
    const dev = k.pci.bus.devices.find((d) => d.name === "0000:00:01.0");
    if (dev === undefined || k.iortEnv === null) throw new Error("setup");
    const v412 = new IommuCore({ era: IOMMU_ERAS["v4.12"], driverCore: k.core, trace: k.trace, pci: k.pci });
    expect(v412.iortIommuConfigure(dev, k.iortEnv)).toEqual({ ok: true, ops: null });
    expect(k.iommu.iortIommuConfigure(dev, k.iortEnv)).toEqual({ ok: false, errno: -517 });
  });

  it("iort_enable_acs: requested for the QEMU table (RC → SMMUv3), not for a table whose RC maps only to the ITS", () => {
    const k = makeTopoKernel("acpi-topo-gic3");
    const iort = k.iort as IortTable;
    expect(k.pci.acsEnabled).toBe(false);
    expect(k.iommu.iortEnableAcs(iort)).toBe(true);
    expect(k.pci.acsEnabled).toBe(true);
    const its = iort.nodes.findIndex((n) => n.type === "its-group");
    const noSmmu: IortTable = {
      ...iort,
      nodes: iort.nodes.map((n) => (n.type === "root-complex" ? { ...n, idMappings: n.idMappings.map((m) => ({ ...m, outputReference: its })) } : n)),
    };
    const k2 = makeTopoKernel("acpi-topo-gic3");
    expect(k2.iommu.iortEnableAcs(noSmmu)).toBe(false);
    expect(k2.pci.acsEnabled).toBe(false);
  });
});
