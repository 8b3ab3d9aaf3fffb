import { describe, expect, it } from "vitest";
import type { TopologyData } from "../views/topology";
import { renderTopologySvg } from "./render";

const NAME = "0000:00:1f.7.with.a.long.name";
const topology: TopologyData = {
  nodes: [
    { name: "arm-smmu-v3.0.auto", kind: "smmu", parent: null, driver: "arm-smmu-v3", iommu: null, group: null, domainType: null, streamIds: [] },
    { name: "pci0000:00", kind: "host-bridge", parent: null, driver: null, iommu: null, group: null, domainType: null, streamIds: [] },
    { name: NAME, kind: "endpoint", parent: "pci0000:00", driver: "e1000e", iommu: "arm-smmu-v3.0.auto", group: 0, domainType: "DMA", streamIds: [0xff] },
  ],
  hiddenDevices: 0,
};

describe("topology SVG", () => {
  it("sizes each node box for its label in a monospace font (0.6 em a character at 10 px)", async () => {
    const svg = await renderTopologySvg(topology, "t");
    const node = [...svg.matchAll(/<g id="[^"]*" class="node">([\s\S]*?)<\/g>/g)].map((m) => m[1] ?? "").find((g) => g.includes(NAME));
    expect(node).toBeDefined();
    const xs = [...(node?.match(/<path[^>]* d="([^"]+)"/)?.[1] ?? "").matchAll(/(-?[0-9.]+),-?[0-9.]+/g)].map((m) => Number(m[1]));
    const width = Math.max(...xs) - Math.min(...xs);
    expect(width).toBeGreaterThanOrEqual(NAME.length * 6);
    expect(node).toContain('font-family="Courier,monospace"');
  });
});
