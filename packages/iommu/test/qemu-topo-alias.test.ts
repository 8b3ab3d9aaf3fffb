/**
 * `pci_device_group`'s alias rules on the DT machine with a DMA-alias quirk (`pci_add_dma_alias` from a header
 * fixup: 00:02.0 also issues DMA with 00:01.0's devfn). In v4.12 (no StreamID tree in arm-smmu-v3, last alias as
 * the StreamID) 00:02.0 probes and `get_pci_alias_group` puts it in 00:01.0's group; in 6.1 every alias becomes a
 * StreamID and the second owner of StreamID 0x8 is refused, like 03:02.0 behind the bridge.
 */
import { describe, expect, it } from "vitest";
import { pciAddDmaAlias } from "@dmasim/pci";
import { bootTopo, makeTopoKernel, printedLines, type TopoEra, type TopoKernel } from "./qemu-topo-harness";
import { realSmmu } from "./qemu-topo-smmu";

function boot(era: TopoEra): TopoKernel {
  const k = makeTopoKernel("dt-topo-gic3", {
    era,
    fixupHeader: (pdev) => {
      if (pdev.bus.number === 0 && pdev.devfn === 0x10) pciAddDmaAlias(pdev, 0x08, 1);
    },
  });
  bootTopo(k, realSmmu().factory);
  return k;
}

function groupOf(k: TopoKernel, name: string): number | undefined {
  const dev = k.pci.bus.devices.find((d) => d.name === name);
  return dev === undefined ? undefined : k.iommu.iommuGroupGet(dev)?.id;
}

describe("DMA alias quirk on dt-topo-gic3", () => {
  it("v4.12: the aliasing function joins the group of the function it aliases (get_pci_alias_group)", () => {
    const k = boot("v4.12");
    expect(groupOf(k, "0000:00:02.0")).toBe(groupOf(k, "0000:00:01.0"));
    const dev = k.pci.bus.devices.find((d) => d.name === "0000:00:02.0");
    expect(dev === undefined ? null : k.iommu.devIommuFwspecGet(dev)?.ids).toEqual([0x08]);
  });

  it("6.1: both aliases become StreamIDs and 0x8 is already 00:01.0's, so 00:02.0 gets no group", () => {
    const k = boot("v6.1");
    expect(groupOf(k, "0000:00:02.0")).toBeUndefined();
    expect(printedLines(k)).toContain("virtio-pci 0000:00:02.0: stream 8 already in tree from dev 0000:00:01.0");
  });
});
