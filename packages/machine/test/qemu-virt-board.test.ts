/**
 * The `virt` board builder: slot assignment, bus numbering, PCIe types and ACS as the logs show them, the platform
 * devices' kernel names, and the typed errors QEMU gives for impossible `-device` lists.
 */
import { describe, expect, it } from "vitest";
import { buildQemuVirtBoard, validateBoard, type PciFunctionDesc } from "@dmasim/machine";

const TOPO = [
  "virtio-net-pci,romfile=,addr=0x1",
  "virtio-rng-pci,addr=0x2",
  "pcie-root-port,id=rp1,chassis=1,slot=1,addr=0x3",
  "e1000e,romfile=,bus=rp1",
  "pcie-root-port,id=rp2,chassis=2,slot=2,addr=0x4",
  "pcie-pci-bridge,id=pbr,bus=rp2",
  "virtio-rng-pci,bus=pbr,addr=0x1",
  "virtio-rng-pci,bus=pbr,addr=0x2",
  "virtio-rng-pci,addr=0x5.0,multifunction=on",
  "virtio-rng-pci,addr=0x5.1",
  "pcie-root-port,id=rp3,chassis=3,slot=3,addr=0x6",
  "nvme,serial=deadbeef,bus=rp3",
];

function fns(devices: string[]): readonly PciFunctionDesc[] {
  const m = buildQemuVirtBoard({ iommu: "smmuv3", gic: 3, devices });
  if (!m.ok) throw new Error(JSON.stringify(m.error));
  return m.value.board.pciFunctions;
}

describe("buildQemuVirtBoard", () => {
  it("gives the topology boot's functions the addresses, PCIe types and ACS the real guest saw", () => {
    const table = fns(TOPO).map((f) => [f.name, f.id, f.express, f.acs?.capabilities ?? null, f.upstream]);
    expect(table).toEqual([
      ["0000:00:00.0", "pcie.0/00.0", null, null, null],
      ["0000:00:01.0", "pcie.0/01.0", null, null, null],
      ["0000:00:02.0", "pcie.0/02.0", null, null, null],
      ["0000:00:03.0", "rp1", "root-port", 0x5f, null],
      ["0000:01:00.0", "rp1/00.0", "endpoint", null, "rp1"],
      ["0000:00:04.0", "rp2", "root-port", 0x5f, null],
      ["0000:02:00.0", "pbr", "pcie-to-pci-bridge", null, "rp2"],
      ["0000:03:01.0", "pbr/01.0", null, null, "pbr"],
      ["0000:03:02.0", "pbr/02.0", null, null, "pbr"],
      ["0000:00:05.0", "pcie.0/05.0", null, null, null],
      ["0000:00:05.1", "pcie.0/05.1", null, null, null],
      ["0000:00:06.0", "rp3", "root-port", 0x5f, null],
      ["0000:04:00.0", "rp3/00.0", "endpoint", null, "rp3"],
    ]);
  });

  it("takes the next free slot in command-line order when no addr= is given (slot 0 is the host bridge)", () => {
    expect(fns(["virtio-net-pci,romfile=", "virtio-rng-pci", "nvme,serial=x"]).map((f) => [f.name, f.model, f.express])).toEqual([
      ["0000:00:00.0", "gpex-root", null],
      ["0000:00:01.0", "virtio-net-pci", null],
      ["0000:00:02.0", "virtio-rng-pci", null],
      ["0000:00:03.0", "nvme", "rc-integrated-endpoint"],
    ]);
  });

  it("makes virtio below a PCIe port a modern-only PCI Express endpoint", () => {
    const f = fns(["pcie-root-port,id=rp,chassis=9", "virtio-rng-pci,bus=rp"])[2];
    expect(f && [f.vendorId, f.deviceId, f.revision, f.express, f.config.size]).toEqual([0x1af4, 0x1044, 1, "endpoint", 4096]);
  });

  it("describes a valid board with the platform devices under their kernel names", () => {
    const m = buildQemuVirtBoard({ iommu: "smmuv3", gic: 2, devices: ["virtio-rng-pci"] });
    if (!m.ok) throw new Error("build");
    expect(validateBoard(m.value.board)).toEqual([]);
    const names = m.value.board.platformDevices.map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(["9000000.pl011", "9050000.smmuv3", "4010000000.pcie", "a000000.virtio_mmio", "platform-bus@c000000"]));
    expect(m.value.board.gic).toMatchObject({ version: 2, v2m: { base: 0x0802_0000, spiBase: 80, spiCount: 64 } });
    expect(m.value.board.pciHostBridges[0]?.iommuMap).toEqual([{ ridBase: 0, count: 0x1_0000, smmu: "smmuv3@9050000", sidBase: 0 }]);
  });

  it("rejects what QEMU rejects, naming the argument", () => {
    const err = (devices: string[], defaultNic = false): unknown => {
      const m = buildQemuVirtBoard({ devices, defaultNic });
      return m.ok ? "ok" : m.error;
    };
    expect(err(["virtio-blk-pci"])).toEqual({ kind: "unknown-device", arg: "virtio-blk-pci", driver: "virtio-blk-pci" });
    expect(err(["e1000e,romfile=,bus=rp9"])).toEqual({ kind: "unknown-bus", arg: "e1000e,romfile=,bus=rp9", bus: "rp9" });
    expect(err(["e1000e"])).toMatchObject({ kind: "realize-failed", message: expect.stringContaining("efi-e1000e.rom") });
    expect(err([], true)).toMatchObject({ kind: "realize-failed", arg: "virtio-net-pci" });
    expect(err(["nvme"])).toMatchObject({ kind: "bad-property", property: "serial" });
    expect(err(["virtio-rng-pci,frob=1"])).toMatchObject({ kind: "bad-property", property: "frob" });
    expect(err(["virtio-rng-pci,addr=2", "virtio-rng-pci,addr=2"])).toMatchObject({ kind: "devfn-unavailable" });
    expect(err(["virtio-rng-pci,addr=0"])).toMatchObject({ kind: "devfn-unavailable", message: expect.stringContaining("pcie.0/00.0") });
    expect(err(["virtio-rng-pci,addr=5.0", "virtio-rng-pci,addr=5.1"])).toMatchObject({ kind: "multifunction" });
    expect(err(["virtio-rng-pci,addr=5.1", "virtio-rng-pci,addr=5.0"])).toMatchObject({ kind: "multifunction" });
    expect(err(["pcie-root-port,id=rp,chassis=1", "virtio-rng-pci,bus=rp,addr=1"])).toMatchObject({ kind: "slot-not-allowed" });
    expect(err(["pcie-root-port,id=rp,chassis=1", "pcie-pci-bridge,id=b,bus=rp", "virtio-rng-pci,bus=b"])).toMatchObject({
      kind: "slot-not-allowed",
      message: expect.stringContaining("standard hotplug controller"),
    });
    expect(err(["pcie-root-port,id=a,chassis=1,slot=1", "pcie-root-port,id=b,chassis=1,slot=1"])).toMatchObject({ kind: "realize-failed" });
    expect(err(["pcie-root-port,id=a,chassis=1", "pcie-root-port,id=a,chassis=2"])).toMatchObject({ kind: "duplicate-id", id: "a" });
  });
});
