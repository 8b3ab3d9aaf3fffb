import { describe, expect, it } from "vitest";
import { DeviceTree } from "./device-tree";
import { fdtCells, fdtNode, fdtTree } from "./fdt-tree";
import { ofMapId } from "./of-map-id";

function dtWith(bridgeProps: Record<string, Uint8Array>): { dt: DeviceTree; bridge: ReturnType<typeof fdtNode> } {
  const bridge = fdtNode("pcie@10000000", bridgeProps);
  const tree = fdtTree(
    fdtNode("", {}, [
      fdtNode("smmu@1", { "#iommu-cells": fdtCells(1), phandle: fdtCells(1) }),
      fdtNode("smmu@2", { "#iommu-cells": fdtCells(1), phandle: fdtCells(2) }),
      fdtNode("its@3", { "#msi-cells": fdtCells(1), phandle: fdtCells(3) }),
      bridge,
    ]),
  );
  const dt = DeviceTree.fromTree(tree);
  if (!dt.ok) throw new Error(dt.error.message);
  return { dt: dt.value, bridge: dt.value.findNode("/pcie@10000000") as typeof bridge };
}

describe("ofMapId (of_map_id)", () => {
  it("maps a RID through QEMU virt's 1:1 iommu-map = <0 &smmu 0 0x10000>", () => {
    const { dt, bridge } = dtWith({ "iommu-map": fdtCells(0, 1, 0, 0x10000) });
    expect(ofMapId(dt, bridge, 0x0008, "iommu-map")).toMatchObject({ kind: "mapped", targetPath: "/smmu@1", id: 0x8, entry: 0 });
    expect(ofMapId(dt, bridge, 0xffff, "iommu-map")).toMatchObject({ kind: "mapped", id: 0xffff });
  });

  it("applies iommu-map-mask before matching and offsets by out-base", () => {
    // fsl-ls1028a style: mask off the function bits, bus 1 devices go to SID 0x17 + dev.
    const { dt, bridge } = dtWith({ "iommu-map": fdtCells(0x100, 1, 0x17, 0x100), "iommu-map-mask": fdtCells(0xfff8) });
    expect(ofMapId(dt, bridge, 0x10b, "iommu-map")).toMatchObject({ kind: "mapped", id: 0x17 + 0x8 });
  });

  it("mask 0 maps every RID to one ID (juno's 'RC has no means to output PCI RID')", () => {
    const { dt, bridge } = dtWith({ "iommu-map": fdtCells(0, 1, 0, 1), "iommu-map-mask": fdtCells(0) });
    expect(ofMapId(dt, bridge, 0x2345, "iommu-map")).toMatchObject({ kind: "mapped", id: 0 });
  });

  it("uses the first matching entry, and with a preset target skips entries for other targets", () => {
    const { dt, bridge } = dtWith({ "iommu-map": fdtCells(0, 1, 0x100, 0x100, 0, 2, 0x200, 0x100) });
    expect(ofMapId(dt, bridge, 5, "iommu-map")).toMatchObject({ targetPath: "/smmu@1", id: 0x105 });
    const smmu2 = dt.findNode("/smmu@2");
    expect(ofMapId(dt, bridge, 5, "iommu-map", smmu2 ? { target: smmu2 } : {})).toMatchObject({ targetPath: "/smmu@2", id: 0x205 });
  });

  it("treats a missing map as no-map (-ENODEV for of_iommu), and msi-map the same way", () => {
    const { dt, bridge } = dtWith({ "msi-map": fdtCells(0, 3, 0, 0x10000) });
    expect(ofMapId(dt, bridge, 7, "iommu-map")).toEqual({ kind: "no-map", id: 7 });
    expect(ofMapId(dt, bridge, 7, "msi-map")).toMatchObject({ kind: "mapped", targetPath: "/its@3", id: 7 });
  });

  it("no match: v6.1 bypasses translation (ID unchanged), v4.12 fails with -EFAULT", () => {
    const { dt, bridge } = dtWith({ "iommu-map": fdtCells(0, 1, 0, 0x100) });
    expect(ofMapId(dt, bridge, 0x1234, "iommu-map", { era: "v6.1" })).toEqual({ kind: "no-match", id: 0x1234 });
    expect(ofMapId(dt, bridge, 0x1234, "iommu-map", { era: "v4.12" })).toMatchObject({ kind: "error", errno: -14, reason: "no-match" });
  });

  it("rejects a mask that ignores id-base (-EFAULT), a bad length (-EINVAL) and a dangling phandle (-ENODEV)", () => {
    const ignores = dtWith({ "iommu-map": fdtCells(0x100, 1, 0, 1), "iommu-map-mask": fdtCells(0xff) });
    expect(ofMapId(ignores.dt, ignores.bridge, 0, "iommu-map")).toMatchObject({ kind: "error", errno: -14, reason: "mask-ignores-base" });
    const short = dtWith({ "iommu-map": fdtCells(0, 1, 0) });
    expect(ofMapId(short.dt, short.bridge, 0, "iommu-map")).toMatchObject({ kind: "error", errno: -22, reason: "bad-length" });
    const dangling = dtWith({ "iommu-map": fdtCells(0, 0x99, 0, 0x10) });
    expect(ofMapId(dangling.dt, dangling.bridge, 3, "iommu-map")).toMatchObject({
      kind: "error",
      errno: -19,
      reason: "dangling-phandle",
      error: { kind: "fdt", code: "dangling-phandle", path: "/pcie@10000000" },
    });
  });

  it("does the range check in 32-bit arithmetic, as the C does (id-base + length wraps)", () => {
    // 0xffff0000 + 0x10000 wraps to 0, so `masked >= id_base + id_len` always holds and nothing matches.
    const { dt, bridge } = dtWith({ "iommu-map": fdtCells(0xffff0000, 1, 0, 0x10000) });
    expect(ofMapId(dt, bridge, 0xffff0001, "iommu-map")).toEqual({ kind: "no-match", id: 0xffff0001 });
  });
});
