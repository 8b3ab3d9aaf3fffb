import { describe, expect, it } from "vitest";
import { DeviceTree } from "./device-tree";
import { fdtCells, fdtEmpty, fdtNode, fdtString, fdtTree } from "./fdt-tree";
import { dmaCoherent, dmaRanges } from "./of-dma";

function build(root: ReturnType<typeof fdtNode>): DeviceTree {
  const dt = DeviceTree.fromTree(fdtTree(root));
  if (!dt.ok) throw new Error(dt.error.message);
  return dt.value;
}
const at = (dt: DeviceTree, p: string) => {
  const n = dt.findNode(p);
  if (!n) throw new Error(p);
  return n;
};

describe("dmaCoherent (of_dma_is_coherent)", () => {
  const dt = build(
    fdtNode("", {}, [
      fdtNode("soc", { "dma-coherent": fdtEmpty() }, [
        fdtNode("dev@1", {}),
        fdtNode("nc@2", { "dma-noncoherent": fdtEmpty() }),
      ]),
      fdtNode("plain@3", {}),
    ]),
  );
  it("inherits dma-coherent from an ancestor; defaults to non-coherent", () => {
    expect(dmaCoherent(dt, at(dt, "/soc/dev@1"))).toEqual({ ok: true, value: true });
    expect(dmaCoherent(dt, at(dt, "/plain@3"))).toEqual({ ok: true, value: false });
  });
  it("dma-noncoherent stops the walk in v6.1 but is unknown to v4.12", () => {
    expect(dmaCoherent(dt, at(dt, "/soc/nc@2"), "v6.1")).toEqual({ ok: true, value: false });
    expect(dmaCoherent(dt, at(dt, "/soc/nc@2"), "v4.12")).toEqual({ ok: true, value: true });
  });
  it("follows interconnects 'dma-mem' in v6.1 and reports a cycle through it as a loop", () => {
    const loopy = build(
      fdtNode("", {}, [
        fdtNode("a", { phandle: fdtCells(1), "#interconnect-cells": fdtCells(0), "interconnects": fdtCells(2), "interconnect-names": fdtString("dma-mem") }),
        fdtNode("b", { phandle: fdtCells(2), "#interconnect-cells": fdtCells(0), "interconnects": fdtCells(1), "interconnect-names": fdtString("dma-mem") }),
      ]),
    );
    const r = dmaCoherent(loopy, at(loopy, "/a"), "v6.1");
    expect(r).toMatchObject({ ok: false, error: { kind: "fdt", code: "loop", path: "/a" } });
    expect(dmaCoherent(loopy, at(loopy, "/a"), "v4.12")).toEqual({ ok: true, value: false });
  });
});

describe("dmaRanges (of_dma_get_range)", () => {
  const dt = build(
    fdtNode("", { "#address-cells": fdtCells(2), "#size-cells": fdtCells(2) }, [
      fdtNode("soc", { "#address-cells": fdtCells(1), "#size-cells": fdtCells(1), "dma-ranges": fdtCells(0x0, 0x0, 0x80000000, 0x40000000, 0x80000000, 0x1, 0x00000000, 0x40000000) }, [
        fdtNode("dev@1", {}),
        fdtNode("bus", { "dma-ranges": new Uint8Array(0), "#address-cells": fdtCells(1), "#size-cells": fdtCells(1) }, [fdtNode("dev@2", {})]),
      ]),
      fdtNode("plain@3", {}),
    ]),
  );
  it("decodes windows with the carrying node's cells (child 1, parent 2, size 1)", () => {
    expect(dmaRanges(dt, at(dt, "/soc/dev@1"))).toEqual({
      ok: true,
      value: {
        kind: "ranges",
        path: "/soc",
        ranges: [
          { childBus: 0, parentBus: 0x80000000, size: 0x40000000 },
          { childBus: 0x80000000, parentBus: 0x1_0000_0000, size: 0x40000000 },
        ],
      },
    });
    expect(dmaRanges(dt, at(dt, "/soc/dev@1"), "v4.12")).toMatchObject({ ok: true, value: { ranges: [{ childBus: 0 }] } });
  });
  it("walks through an empty dma-ranges to the next one, and gives none without any", () => {
    expect(dmaRanges(dt, at(dt, "/soc/bus/dev@2"))).toMatchObject({ ok: true, value: { kind: "ranges", path: "/soc" } });
    expect(dmaRanges(dt, at(dt, "/plain@3"))).toEqual({ ok: true, value: { kind: "none" } });
  });
});
