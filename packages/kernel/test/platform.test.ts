import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { platformFromDtb, platformFromIort, platformFromQemu, platformFromQemuCommandLine } from "@dmasim/kernel";

const FIX = resolve(import.meta.dirname, "../../../fixtures");
const read = (p: string): Uint8Array => new Uint8Array(readFileSync(resolve(FIX, p)));
const cmd = (name: string): string => readFileSync(resolve(FIX, "qemu-boots", `${name}.cmd`), "utf8").split("\n")[0] ?? "";

/** The `-device` arguments of a recorded boot, as written (shell escapes removed). */
function devicesOf(name: string): string[] {
  const words = cmd(name).split(" ");
  const out: string[] = [];
  words.forEach((w, i) => {
    if (w === "-device") out.push((words[i + 1] ?? "").replace(/\\,/g, ","));
  });
  return out;
}

describe("platformFromQemu", () => {
  it("builds the dt-topo-gic3 board with QEMU's DT (SMMU, iommu-map over every RID)", () => {
    const r = platformFromQemu({ iommu: "smmuv3", gic: 3, firmware: "dt", devices: devicesOf("dt-topo-gic3") });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const { board, firmware } = r.value;
    expect(board.pciFunctions.map((f) => f.name).sort()).toEqual([
      "0000:00:00.0", "0000:00:01.0", "0000:00:02.0", "0000:00:03.0", "0000:00:04.0", "0000:00:05.0", "0000:00:05.1",
      "0000:00:06.0", "0000:01:00.0", "0000:02:00.0", "0000:03:01.0", "0000:03:02.0", "0000:04:00.0",
    ]);
    expect(board.pciFunctions).toHaveLength(13);
    expect(board.smmus.map((s) => [s.name, s.base])).toEqual([["smmuv3@9050000", 0x9050000]]);
    expect(firmware.kind).toBe("dt");
    if (firmware.kind === "dt") expect(firmware.dt.findNode("/pcie@10000000")).toBeDefined();
  });

  it("gives the kernel the IORT under ACPI, with the SMMU node matched to the board SMMU", () => {
    const r = platformFromQemuCommandLine(cmd("acpi-topo-gic3"));
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.firmware.kind !== "acpi") throw new Error("expected ACPI");
    expect(r.value.firmware.smmuNodes).toEqual([{ smmu: "smmuv3@9050000", node: 1 }]);
    expect(r.value.board.pciHostBridges[0]?.busNumbering).toBe("firmware");
  });

  it("adds DT platform masters wired to the SMMU with iommus = <&smmu SID>", () => {
    const r = platformFromQemu({ platformMasters: [{ node: "dma@a100000", compatible: ["dmasim,dma"], reg: { base: 0xa100000, size: 0x1000 }, streamIds: [0x20000 >> 8] }] });
    if (!r.ok || r.value.firmware.kind !== "dt") throw new Error(r.ok ? "dt" : r.error.message);
    const master = r.value.board.platformDevices.find((d) => d.name === "a100000.dma");
    expect(master?.iommu).toEqual({ smmu: "smmuv3@9050000", streamIds: [0x200] });
    const node = r.value.firmware.dt.findNode("/dma@a100000");
    const iommus = node?.properties.find((p) => p.name === "iommus")?.value;
    expect(iommus && Array.from(iommus)).toEqual([0, 0, 0x80, 0x04, 0, 0, 0x02, 0x00]); // <0x8004 0x200>
  });

  it("names the bad -device argument", () => {
    const r = platformFromQemu({ devices: ["e1000e,romfile=,bus=nowhere"] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ source: "qemu", field: "devices: e1000e,romfile=,bus=nowhere" });
  });

  it("refuses platform masters under ACPI (they live in the DT)", () => {
    const r = platformFromQemu({ firmware: "acpi", platformMasters: [{ node: "x@1000", compatible: ["x"], reg: { base: 0x1000, size: 0x1000 }, streamIds: [1] }] });
    expect(r.ok).toBe(false);
  });
});

describe("platformFromDtb", () => {
  it("derives QEMU's board from QEMU's own DTB: the same SMMU and iommu-map wiring", () => {
    const devices = devicesOf("dt-topo-gic3");
    const fromDtb = platformFromDtb(read("dtb/qemu72-virt-topo-gic3.dtb"), { pci: { devices } });
    const fromQemu = platformFromQemu({ iommu: "smmuv3", gic: 3, devices });
    if (!fromDtb.ok || !fromQemu.ok) throw new Error("build failed");
    const a = fromDtb.value.board;
    const b = fromQemu.value.board;
    expect(a.smmus.map((s) => ({ ...s }))).toEqual(b.smmus.map((s) => ({ ...s })));
    expect(a.pciHostBridges[0]?.iommuMap).toEqual(b.pciHostBridges[0]?.iommuMap);
    expect(a.pciHostBridges[0]?.ecam).toEqual(b.pciHostBridges[0]?.ecam);
    expect(a.pciFunctions.map((f) => [f.name, f.vendorId, f.deviceId])).toEqual(b.pciFunctions.map((f) => [f.name, f.vendorId, f.deviceId]));
    expect(a.gic.version).toBe(3);
    expect(a.gic.its).toEqual(b.gic.its);
    expect(a.memory).toEqual([{ name: "memory@40000000#0", base: 0x40000000, size: 0x40000000 }]);
    expect(a.platformDevices.map((d) => d.name)).toContain("9000000.pl011");
  });

  it("reports masters of IOMMUs the model does not implement (Juno's MMU-401s)", () => {
    const r = platformFromDtb(read("dtb/juno.dtb"));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.board.smmus).toEqual([]);
    expect(r.value.unmodelledIommus.length).toBeGreaterThan(0);
    expect(new Set(r.value.unmodelledIommus.map((u) => u.model))).not.toContain("smmu-v3");
  });

  it("turns SMMUv3 nodes and their masters of a real board into hardware (FVP base)", () => {
    const r = platformFromDtb(read("dtb/fvp-base-revc.dtb"));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.board.smmus.length).toBeGreaterThan(0);
    expect(r.value.board.pciHostBridges.flatMap((h) => h.iommuMap).every((m) => r.value.board.smmus.some((s) => s.name === m.smmu))).toBe(true);
  });

  it("returns a typed error with an offset for bad bytes", () => {
    const bytes = read("dtb/qemu72-virt-smmuv3.dtb").slice(0, 100);
    const r = platformFromDtb(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.source).toBe("dtb");
      expect(typeof r.error.offset).toBe("number");
    }
  });
});

describe("platformFromIort", () => {
  it("wires the root complex to the SMMU for the buses QEMU enumerated (plain count clipped at the next range)", () => {
    const devices = devicesOf("acpi-topo-gic3");
    const r = platformFromIort(read("iort/qemu72-acpi-topo-gic3.IORT.bin"), { devices });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.board.smmus.map((s) => [s.name, s.base, s.irqs.eventq])).toEqual([["smmuv3@9050000", 0x9050000, 74]]);
    expect(r.value.board.pciHostBridges[0]?.iommuMap).toEqual([{ ridBase: 0, count: 0x500, smmu: "smmuv3@9050000", sidBase: 0 }]);
    expect(r.value.board.pciFunctions).toHaveLength(13);
  });

  it("reads QEMU's two-SMMU test table", () => {
    const r = platformFromIort(read("iort/IORT.smmuv3-dev.rev5.bin"));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.board.smmus).toHaveLength(2);
  });

  it("returns a typed error for a truncated table", () => {
    const r = platformFromIort(read("iort/qemu72-acpi-initrd.IORT.bin").slice(0, 40));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ source: "iort" });
  });
});
