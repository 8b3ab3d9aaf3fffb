import { describe, expect, it } from "vitest";
import { DeviceTree } from "./device-tree";
import { fdtCells, fdtNode, fdtString, fdtTree } from "./fdt-tree";
import { isAvailable, readStringList } from "./fdt-read";
import { writeFdt } from "./fdt-write";

const smmu = fdtNode("smmu@2b400000", { reg: fdtCells(0, 0x2b400000, 0, 0x100000), phandle: fdtCells(0x10), status: fdtString("okay") });
const uart = fdtNode("serial@1c090000", { reg: fdtCells(0x1c090000, 0x1000), status: fdtString("disabled") });
const tree = fdtTree(
  fdtNode("", { "#address-cells": fdtCells(2), "#size-cells": fdtCells(2) }, [
    fdtNode("aliases", { serial0: fdtString("/bus@8000000/serial@1c090000") }),
    smmu,
    fdtNode("bus@8000000", { "#address-cells": fdtCells(1), "#size-cells": fdtCells(1) }, [uart, fdtNode("deep", {}, [fdtNode("leaf@4", { reg: fdtCells(4, 8) })])]),
    fdtNode("__symbols__", { smmu: fdtString("/smmu@2b400000"), uart0: fdtString("/bus@8000000/serial@1c090000"), gone: fdtString("/nowhere") }),
  ]),
);

function index(): DeviceTree {
  const r = DeviceTree.parse(writeFdt(tree));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe("DeviceTree", () => {
  const dt = index();
  it("finds nodes by path and alias, and gives paths and parents back", () => {
    const u = dt.findNode("/bus@8000000/serial@1c090000");
    expect(u?.name).toBe("serial@1c090000");
    expect(dt.findNode("serial0")).toBe(u);
    expect(dt.findNode("/bus@8000000/")?.name).toBe("bus@8000000");
    expect(dt.findNode("/bus@8000000/serial")).toBeUndefined();
    expect(dt.pathOf(u as never)).toBe("/bus@8000000/serial@1c090000");
    expect(dt.parentOf(u as never)?.name).toBe("bus@8000000");
    expect(dt.nodes.map((n) => dt.pathOf(n))).toEqual([
      "/",
      "/aliases",
      "/smmu@2b400000",
      "/bus@8000000",
      "/bus@8000000/serial@1c090000",
      "/bus@8000000/deep",
      "/bus@8000000/deep/leaf@4",
      "/__symbols__",
    ]);
  });

  it("indexes phandles and __symbols__ labels (dangling symbols ignored)", () => {
    expect(dt.nodeByPhandle(0x10)?.name).toBe("smmu@2b400000");
    expect(dt.nodeByPhandle(0)).toBeUndefined();
    expect(dt.nodeByLabel("uart0")?.name).toBe("serial@1c090000");
    expect(dt.nodeByLabel("gone")).toBeUndefined();
    expect(dt.labelsOf(dt.findNode("/smmu@2b400000") as never)).toEqual(["smmu"]);
  });

  it("decodes reg with the parent's cells, inherited upwards as of_n_addr_cells does", () => {
    expect(dt.reg(dt.findNode("/smmu@2b400000") as never)).toEqual({ ok: true, value: [{ address: 0x2b400000, size: 0x100000, addressCells: [0, 0x2b400000] }] });
    expect(dt.reg(dt.findNode("/bus@8000000/serial@1c090000") as never)).toEqual({ ok: true, value: [{ address: 0x1c090000, size: 0x1000, addressCells: [0x1c090000] }] });
    // /bus@8000000/deep has no #address-cells: the bus's 1/1 apply to leaf@4.
    expect(dt.reg(dt.findNode("/bus@8000000/deep/leaf@4") as never)).toMatchObject({ ok: true, value: [{ address: 4, size: 8 }] });
    expect(dt.where(dt.findNode("/smmu@2b400000") as never).offset).toBeGreaterThan(0);
  });

  it("reports status as of_device_is_available", () => {
    expect(isAvailable(dt.findNode("/smmu@2b400000") as never)).toBe(true);
    expect(isAvailable(dt.findNode("/bus@8000000/serial@1c090000") as never)).toBe(false);
    expect(isAvailable(fdtNode("x", { status: fdtString("ok") }))).toBe(true);
    expect(isAvailable(fdtNode("x", { status: new Uint8Array(0) }))).toBe(false);
    expect(isAvailable(fdtNode("x", { status: fdtString("okayish") }))).toBe(false);
  });

  it("rejects a node reachable twice (a loop or shared subtree) and a phandle that is not one cell", () => {
    const shared = fdtNode("a", {});
    expect(DeviceTree.fromTree(fdtTree(fdtNode("", {}, [shared, shared])))).toMatchObject({ ok: false, error: { code: "loop", path: "/a" } });
    expect(DeviceTree.fromTree(fdtTree(fdtNode("", {}, [fdtNode("p", { phandle: fdtCells(1, 2) })])))).toMatchObject({
      ok: false,
      error: { code: "bad-length", path: "/p" },
    });
  });

  it("rejects reg that is not a whole number of entries", () => {
    const bad = DeviceTree.fromTree(fdtTree(fdtNode("", { "#address-cells": fdtCells(2), "#size-cells": fdtCells(2) }, [fdtNode("x", { reg: fdtCells(1, 2, 3) })])));
    if (!bad.ok) throw new Error("index");
    expect(bad.value.reg(bad.value.findNode("/x") as never)).toMatchObject({ ok: false, error: { code: "bad-length", path: "/x" } });
  });

  it("reads string lists", () => {
    expect(readStringList({ name: "compatible", value: Uint8Array.from([97, 0, 98, 0]) })).toEqual({ ok: true, value: ["a", "b"] });
    expect(readStringList({ name: "compatible", value: Uint8Array.from([97]) })).toMatchObject({ ok: false, error: { code: "bad-string" } });
  });
});
