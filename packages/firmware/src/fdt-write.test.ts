import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fdtCells, fdtEmpty, fdtNode, fdtReg, fdtString, fdtStringList, fdtTree, fdtU64 } from "./fdt-tree";
import { writeFdt } from "./fdt-write";

function hasDtc(): boolean {
  try {
    execFileSync("dtc", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const dtc = hasDtc();
if (!dtc && process.env.CI) throw new Error("dtc must be installed in CI (device-tree-compiler)");

const tree = fdtTree(
  fdtNode("", { "#address-cells": fdtCells(2), "#size-cells": fdtCells(2), compatible: fdtStringList("linux,dummy-virt") }, [
    fdtNode("smmuv3@9050000", {
      compatible: fdtString("arm,smmu-v3"),
      reg: fdtReg([[0x9050000, 0x20000]]),
      "dma-coherent": fdtEmpty(),
      "#iommu-cells": fdtCells(1),
      phandle: fdtCells(0x8003),
    }),
    fdtNode("pcie@10000000", {
      "iommu-map": fdtCells(0, 0x8003, 0, 0x10000),
      "linux,pci-domain": fdtU64(0x1_0000_0001),
    }),
  ]),
  { reservations: [{ address: 0x4000_0000, size: 0x1000 }] },
);

describe("writeFdt", () => {
  it("writes a v17 header whose offsets dtc accepts", () => {
    const blob = writeFdt(tree);
    const dv = new DataView(blob.buffer);
    expect(dv.getUint32(0)).toBe(0xd00dfeed);
    expect(dv.getUint32(4)).toBe(blob.length);
    expect(dv.getUint32(20)).toBe(17);
    expect(dv.getUint32(24)).toBe(16);
  });

  it("pads to totalSize when asked", () => {
    const blob = writeFdt(tree, { totalSize: 0x10000 });
    expect(blob.length).toBe(0x10000);
    expect(new DataView(blob.buffer).getUint32(4)).toBe(0x10000);
  });

  it.skipIf(!dtc)("decompiles with dtc to the source it was built from", () => {
    const dir = mkdtempSync(join(tmpdir(), "fdt-write-"));
    try {
      writeFileSync(join(dir, "t.dtb"), writeFdt(tree));
      const dts = execFileSync("dtc", ["-q", "-I", "dtb", "-O", "dts", join(dir, "t.dtb")], { encoding: "utf8" });
      expect(dts).toBe(
        [
          "/dts-v1/;",
          "",
          "/memreserve/\t0x0000000040000000 0x0000000000001000;",
          "/ {",
          "\t#address-cells = <0x02>;",
          "\t#size-cells = <0x02>;",
          '\tcompatible = "linux,dummy-virt";',
          "",
          "\tsmmuv3@9050000 {",
          '\t\tcompatible = "arm,smmu-v3";',
          "\t\treg = <0x00 0x9050000 0x00 0x20000>;",
          "\t\tdma-coherent;",
          "\t\t#iommu-cells = <0x01>;",
          "\t\tphandle = <0x8003>;",
          "\t};",
          "",
          "\tpcie@10000000 {",
          "\t\tiommu-map = <0x00 0x8003 0x00 0x10000>;",
          "\t\tlinux,pci-domain = <0x01 0x01>;",
          "\t};",
          "};",
          "",
        ].join("\n"),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
