import { describe, expect, it } from "vitest";
import { DeviceTree } from "./device-tree";
import { fdtCells, fdtNode, fdtString, fdtStringList, fdtTree } from "./fdt-tree";
import { classifyIommuProvider, ofIommuMasters } from "./of-iommu";

function build(children: ReturnType<typeof fdtNode>[]): DeviceTree {
  const dt = DeviceTree.fromTree(fdtTree(fdtNode("", {}, children)));
  if (!dt.ok) throw new Error(dt.error.message);
  return dt.value;
}

describe("classifyIommuProvider", () => {
  const cases: [string[], string, boolean][] = [
    [["arm,smmu-v3"], "smmu-v3", true],
    [["nvidia,tegra264-smmu", "arm,smmu-v3"], "smmu-v3", true],
    [["qcom,sdm845-smmu-500", "arm,mmu-500"], "mmu-500", false],
    [["qcom,sdm845-smmu-v2", "qcom,adreno-smmu", "qcom,smmu-v2"], "smmu-v2", false],
    [["arm,mmu-401", "arm,smmu-v1"], "smmu-v1", false],
    [["nvidia,tegra194-smmu", "nvidia,smmu-500"], "nvidia-smmu", false],
    [["samsung,exynos-sysmmu"], "exynos-sysmmu", false],
    [["rockchip,rk3588-iommu", "rockchip,rk3568-iommu"], "rockchip", false],
    [["mediatek,mt8183-m4u"], "mediatek", false],
    [["apple,t8103-dart"], "apple-dart", false],
    [["renesas,ipmmu-r8a7795"], "renesas-ipmmu", false],
    [["qcom,msm-iommu-v1"], "qcom", false],
    [["acme,iommu"], "unknown", false],
  ];
  it.each(cases)("%j is %s", (compatible, model, modelled) => {
    const c = classifyIommuProvider(fdtNode("iommu", { compatible: fdtStringList(...compatible) }));
    expect(c).toEqual({ model, modelled, compatible });
  });
});

describe("ofIommuMasters", () => {
  const smmu = fdtNode("smmu@1", { compatible: fdtString("arm,mmu-500"), "#iommu-cells": fdtCells(2), phandle: fdtCells(1) });
  const sysmmu = fdtNode("sysmmu@2", { compatible: fdtString("samsung,exynos-sysmmu"), "#iommu-cells": fdtCells(0), phandle: fdtCells(2) });
  const off = fdtNode("smmu@3", { compatible: fdtString("arm,smmu-v3"), "#iommu-cells": fdtCells(1), phandle: fdtCells(3), status: fdtString("disabled") });

  it("decodes 0-, 1- and 2-cell specifiers and reports unmodelled providers per master", () => {
    const dt = build([
      smmu,
      sysmmu,
      off,
      fdtNode("ufs@a", { iommus: fdtCells(1, 0x100, 0xf) }),
      fdtNode("gsc@b", { iommus: fdtCells(2, 2) }),
      fdtNode("dma@c", { iommus: fdtCells(3, 0x42) }),
    ]);
    const masters = ofIommuMasters(dt);
    expect(masters.map((m) => [m.path, m.specs.map((s) => [s.providerPath, s.provider.model, s.iommuCells, s.ids, s.providerAvailable])])).toEqual([
      ["/ufs@a", [["/smmu@1", "mmu-500", 2, { streamId: 0x100, mask: 0xf }, true]]],
      ["/gsc@b", [["/sysmmu@2", "exynos-sysmmu", 0, {}, true], ["/sysmmu@2", "exynos-sysmmu", 0, {}, true]]],
      ["/dma@c", [["/smmu@3", "smmu-v3", 1, { streamId: 0x42 }, false]]],
    ]);
  });

  it("skips disabled masters unless asked", () => {
    const dt = build([smmu, fdtNode("x@1", { iommus: fdtCells(1, 1, 0), status: fdtString("disabled") })]);
    expect(ofIommuMasters(dt)).toEqual([]);
    expect(ofIommuMasters(dt, { includeUnavailable: true }).map((m) => m.available)).toEqual([false]);
  });

  it("stops where of_parse_phandle_with_args would: empty entry, dangling phandle, missing cells, short args", () => {
    const dt = build([
      smmu,
      fdtNode("bare@0", { phandle: fdtCells(9) }),
      fdtNode("a@1", { iommus: fdtCells(1, 5, 0, 0, 1, 6, 0) }),
      fdtNode("b@2", { iommus: fdtCells(1, 5, 0, 0x77, 1) }),
      fdtNode("c@3", { iommus: fdtCells(9, 1) }),
      fdtNode("d@4", { iommus: fdtCells(1, 5) }),
    ]);
    const [a, b, c, d] = ofIommuMasters(dt);
    expect([a?.specs.length, a?.end]).toEqual([1, { kind: "empty", index: 1 }]);
    expect([b?.specs.length, b?.end.kind, b?.end.kind === "error" ? b.end.error.code : ""]).toEqual([1, "error", "dangling-phandle"]);
    expect(c?.end.kind === "error" ? c.end.error.code : "").toBe("bad-cells");
    expect(d?.end.kind === "error" ? d.end.error.code : "").toBe("bad-length");
  });
});
