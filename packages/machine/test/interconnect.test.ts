/**
 * The bus-master port on QEMU `virt` boards: direct DMA, DMA through an IOMMU stub that translates or aborts, the
 * requester-ID alias behind the PCIe-to-PCI bridge (03:01.0 and 03:02.0 both arrive as 0x0300, the collision in the
 * real 6.1 boot), MSI writes landing in the ITS and GICv2m doorbells, bus errors, and the trace.
 */
import { describe, expect, it } from "vitest";
import {
  PciCommand,
  PciReg,
  buildQemuVirtBoard,
  enumeratePciBuses,
  instantiateBoard,
  parseQemuCommandLine,
  pciDevfn,
  qemuVirtOptionsFromCommandLine,
  VIRT_SMMU_NAME,
  type IommuTransaction,
  type MachineEvent,
  type MachineInstance,
  type QemuVirtOptions,
  type TranslateOutcome,
} from "@dmasim/machine";
import { fixtureText } from "./helpers/fixtures";

function machine(options: QemuVirtOptions, trace?: MachineEvent[]): MachineInstance {
  const m = buildQemuVirtBoard(options);
  if (!m.ok) throw new Error(JSON.stringify(m.error));
  const inst = instantiateBoard(m.value.board, trace === undefined ? {} : { trace: { emit: (e) => void trace.push(e) } });
  if (!inst.ok) throw new Error(JSON.stringify(inst.error));
  return inst.value;
}

function topo(firmware: "dt" | "acpi", trace?: MachineEvent[]): MachineInstance {
  const cmd = parseQemuCommandLine(fixtureText(`qemu-boots/${firmware}-topo-gic3-cfg.cmd`));
  if (!cmd.ok) throw new Error(JSON.stringify(cmd.error));
  return machine(qemuVirtOptionsFromCommandLine(cmd.value), trace);
}

/** Sets Bus Master Enable as a driver's `pci_set_master` does. */
function setMaster(m: MachineInstance, bus: number, slot: number, fn = 0): void {
  const devfn = pciDevfn(slot, fn);
  const cmd = m.pci.read(0, bus, devfn, PciReg.COMMAND, 2);
  m.pci.write(0, bus, devfn, PciReg.COMMAND, 2, cmd | PciCommand.MASTER | PciCommand.MEMORY);
}

/** An IOMMU stub: translates the streams it has a mapping for (iova page → pa page), aborts the rest (F_TRANSLATION). */
class StubIommu {
  readonly seen: IommuTransaction[] = [];
  constructor(readonly maps: Map<number, Map<number, number>>) {}
  translate(txn: IommuTransaction): TranslateOutcome {
    this.seen.push(txn);
    const page = this.maps.get(txn.streamId)?.get(Math.floor(txn.iova / 4096));
    if (page === undefined) return { kind: "abort", reason: "F_TRANSLATION", eventId: 0x10 };
    return { kind: "translated", pa: page * 4096 + (txn.iova % 4096) };
  }
}

describe("direct DMA (no IOMMU)", () => {
  const opts: QemuVirtOptions = { devices: ["virtio-net-pci,romfile="], memoryBytes: 2 ** 30 };

  it("writes and reads RAM through the port once the function may master the bus", () => {
    const m = machine(opts);
    const master = { kind: "pci", segment: 0, bus: 0, devfn: pciDevfn(1, 0) } as const;
    expect(m.interconnect.dma({ master, address: 0x4000_1000, size: 4, access: "write", data: Uint8Array.of(1, 2, 3, 4) })).toEqual({
      outcome: "aborted",
      at: "master",
      reason: "bus-master-disabled",
    });
    setMaster(m, 0, 1);
    const w = m.interconnect.dma({ master, address: 0x4000_1000, size: 4, access: "write", data: Uint8Array.of(1, 2, 3, 4) });
    expect(w).toEqual({ outcome: "completed", pa: 0x4000_1000, target: "ram", via: "direct", requesterId: 0x0008 });
    expect(m.memory.read32(0x4000_1000)).toBe(0x0403_0201);
    const r = m.interconnect.dma({ master, address: 0x4000_1002, size: 2, access: "read" });
    expect(r.outcome === "completed" ? [...(r.data ?? [])] : r).toEqual([3, 4]);
  });

  it("reports a bus error where nothing decodes the address, and an unknown requester", () => {
    const m = machine(opts);
    setMaster(m, 0, 1);
    const master = { kind: "pci", segment: 0, bus: 0, devfn: pciDevfn(1, 0) } as const;
    expect(m.interconnect.dma({ master, address: 0x2000_0000, size: 8, access: "read" })).toMatchObject({
      outcome: "aborted",
      at: "bus",
      reason: "decode-error",
      pa: 0x2000_0000,
    });
    expect(m.interconnect.dma({ master, address: 0x7fff_fffe, size: 4, access: "write" })).toMatchObject({ at: "bus", reason: "decode-error" });
    expect(m.interconnect.dma({ master: { kind: "pci", segment: 0, bus: 0, devfn: pciDevfn(9, 0) }, address: 0x4000_0000, size: 4, access: "read" })).toEqual({
      outcome: "aborted",
      at: "master",
      reason: "no-such-master",
    });
  });

  it("lets platform masters (virtio-mmio, not behind the SMMU) reach RAM directly", () => {
    const m = machine(opts);
    expect(m.interconnect.dma({ master: { kind: "platform", name: "a000000.virtio_mmio" }, address: 0x4000_2000, size: 16, access: "write", pattern: 0xab })).toMatchObject({
      outcome: "completed",
      via: "direct",
      target: "ram",
    });
    expect(m.memory.read32(0x4000_200c)).toBe(0xabab_abab);
  });

  it("delivers an MSI write to the GICv2m frame's MSI_SETSPI_NS", () => {
    const m = machine(opts);
    setMaster(m, 0, 1);
    const master = { kind: "pci", segment: 0, bus: 0, devfn: pciDevfn(1, 0) } as const;
    const r = m.interconnect.dma({ master, address: 0x0802_0040, size: 4, access: "write", data: Uint8Array.of(0x50, 0, 0, 0) });
    expect(r).toMatchObject({ outcome: "completed", target: "mmio", region: "gicv2m", via: "direct" });
    expect(m.doorbells[0]?.received).toEqual([{ doorbell: "gicv2m", pa: 0x0802_0040, value: 0x50, kind: "msi", deviceId: 0x0008 }]);
    expect(m.mmio.read32(0x0802_0008)).toBe((80 << 16) | 64); // MSI_TYPER: SPIs 80..143
  });
});

describe("DMA through the SMMU on the topology board", () => {
  it("aborts at the IOMMU until an IOMMU model is attached", () => {
    const m = topo("acpi");
    setMaster(m, 4, 0);
    expect(m.interconnect.dma({ master: { kind: "pci", segment: 0, bus: 4, devfn: 0 }, address: 0x1000, size: 4, access: "read" })).toEqual({
      outcome: "aborted",
      at: "iommu",
      reason: "no-iommu-model-attached",
      requesterId: 0x0400,
      streamId: 0x0400,
      iommu: VIRT_SMMU_NAME,
    });
  });

  it("presents StreamID = requester ID, and aliases both functions behind the PCIe-to-PCI bridge to 0x0300", () => {
    const m = topo("acpi");
    const stub = new StubIommu(new Map());
    m.attachIommu(VIRT_SMMU_NAME, stub);
    const masters: [number, number, number][] = [[0, 1, 0], [0, 5, 1], [1, 0, 0], [3, 1, 0], [3, 2, 0], [4, 0, 0]];
    for (const [bus, slot, fn] of masters) {
      setMaster(m, bus, slot, fn);
      // An MSI write: the virtio functions' own DMA would bypass the SMMU (see below), their MSIs never do.
      m.interconnect.dma({ master: { kind: "pci", segment: 0, bus, devfn: pciDevfn(slot, fn) }, address: 0x8000, size: 4, access: "write", kind: "msi" });
    }
    expect(stub.seen.map((t) => t.streamId)).toEqual([0x0008, 0x0029, 0x0100, 0x0300, 0x0300, 0x0400]);
  });

  it("completes translated DMA at the translated address and reports the IOMMU's fault otherwise", () => {
    const m = topo("acpi");
    m.attachIommu(VIRT_SMMU_NAME, new StubIommu(new Map([[0x0400, new Map([[0xffff_f, 0x4123_4]])]])));
    setMaster(m, 4, 0);
    const nvme = { kind: "pci", segment: 0, bus: 4, devfn: 0 } as const;
    expect(m.interconnect.dma({ master: nvme, address: 0xffff_f010, size: 8, access: "write", pattern: 0x5a })).toEqual({
      outcome: "completed",
      pa: 0x4123_4010,
      target: "ram",
      via: "iommu-translated",
      requesterId: 0x0400,
      streamId: 0x0400,
      iommu: VIRT_SMMU_NAME,
    });
    expect(m.memory.read32(0x4123_4014)).toBe(0x5a5a_5a5a);
    expect(m.interconnect.dma({ master: nvme, address: 0x1_0000, size: 4, access: "read" })).toMatchObject({
      outcome: "aborted",
      at: "iommu",
      reason: "F_TRANSLATION",
      eventId: 0x10,
      streamId: 0x0400,
    });
  });

  it("faults 03:02.0's MSI to the ITS doorbell under 03:01.0's stream, as the real boot logged", () => {
    // 03:01.0 owns stream 0x300 and has its MSI page mapped at IOVA 0xfffff000; 03:02.0 never got an IOMMU group,
    // so its driver programmed the physical doorbell 0x08090040 — which stream 0x300 does not map.
    const m = topo("acpi");
    m.attachIommu(VIRT_SMMU_NAME, new StubIommu(new Map([[0x0300, new Map([[0xffff_f, 0x0809_0]])]])));
    setMaster(m, 3, 1);
    setMaster(m, 3, 2);
    const ok = m.interconnect.dma({ master: { kind: "pci", segment: 0, bus: 3, devfn: pciDevfn(1, 0) }, address: 0xffff_f040, size: 4, access: "write", kind: "msi", data: Uint8Array.of(1, 0, 0, 0) });
    expect(ok).toMatchObject({ outcome: "completed", pa: 0x0809_0040, target: "mmio", region: "gic-its", via: "iommu-translated", streamId: 0x0300 });
    expect(m.doorbells[0]?.received).toEqual([{ doorbell: "gicv3-its", pa: 0x0809_0040, value: 1, kind: "msi", deviceId: 0x0300 }]);
    const bad = m.interconnect.dma({ master: { kind: "pci", segment: 0, bus: 3, devfn: pciDevfn(2, 0) }, address: 0x0809_0040, size: 4, access: "write", kind: "msi" });
    expect(bad).toEqual({
      outcome: "aborted",
      at: "iommu",
      reason: "F_TRANSLATION",
      eventId: 0x10,
      requesterId: 0x0300,
      streamId: 0x0300,
      iommu: VIRT_SMMU_NAME,
    });
  });

  it("emits a trace event per transaction and per MSI, naming devices as the kernel does", () => {
    const trace: MachineEvent[] = [];
    const m = topo("acpi", trace);
    m.attachIommu(VIRT_SMMU_NAME, { translate: (t) => ({ kind: "bypass", pa: t.iova }) });
    setMaster(m, 3, 2);
    m.interconnect.dma({ master: { kind: "pci", segment: 0, bus: 3, devfn: pciDevfn(2, 0) }, address: 0x0809_0040, size: 4, access: "write", kind: "msi", data: Uint8Array.of(7, 0, 0, 0) });
    expect(trace).toEqual([
      { type: "msi-write", master: "0000:03:02.0", doorbell: "gicv3-its", deviceId: 0x0300, value: 7 },
      {
        type: "dma-transaction",
        master: "0000:03:02.0",
        access: "write",
        address: 0x0809_0040,
        size: 4,
        result: { outcome: "completed", pa: 0x0809_0040, target: "mmio", region: "gic-its", via: "iommu-bypass", requesterId: 0x0300, streamId: 0x0300, iommu: VIRT_SMMU_NAME },
      },
    ]);
  });
});

describe("QEMU virtio devices without iommu_platform reach memory directly", () => {
  // virtio_bus_device_plugged: without VIRTIO_F_IOMMU_PLATFORM, vdev->dma_as = &address_space_memory. Only MSI-X
  // writes (msix_notify → the PCI bus-master address space) pass through the SMMU — which is why the real 6.1 boot
  // logged exactly one SMMU event for 03:02.0: its MSI, not its virtqueue traffic.
  const nothingMapped = (): StubIommu => new StubIommu(new Map());

  it("sends a virtio function's data DMA straight to RAM but its MSI through the IOMMU", () => {
    const m = topo("acpi");
    const stub = nothingMapped();
    m.attachIommu(VIRT_SMMU_NAME, stub);
    setMaster(m, 3, 2);
    const master = { kind: "pci", segment: 0, bus: 3, devfn: pciDevfn(2, 0) } as const;
    expect(m.interconnect.dma({ master, address: 0x4000_2000, size: 4, access: "write", pattern: 0x11 })).toEqual({
      outcome: "completed", pa: 0x4000_2000, target: "ram", via: "direct", requesterId: 0x0300, streamId: 0x0300, iommu: VIRT_SMMU_NAME,
    });
    expect(stub.seen).toEqual([]);
    expect(m.interconnect.dma({ master, address: 0x0809_0040, size: 4, access: "write", kind: "msi" })).toMatchObject({
      outcome: "aborted", at: "iommu", eventId: 0x10, streamId: 0x0300,
    });
    expect(stub.seen.map((t) => [t.streamId, t.iova])).toEqual([[0x0300, 0x0809_0040]]);
  });

  it("translates the data DMA of a virtio function with iommu_platform=on, and of non-virtio devices", () => {
    const m = machine({
      iommu: "smmuv3",
      firmware: "acpi",
      devices: ["virtio-rng-pci,iommu_platform=on", "pcie-root-port,id=rp1,chassis=1", "e1000e,romfile=,bus=rp1"],
      memoryBytes: 2 ** 30,
    });
    const stub = nothingMapped();
    m.attachIommu(VIRT_SMMU_NAME, stub);
    setMaster(m, 0, 1);
    setMaster(m, 1, 0);
    for (const [bus, slot] of [[0, 1], [1, 0]] as const) {
      expect(m.interconnect.dma({ master: { kind: "pci", segment: 0, bus, devfn: pciDevfn(slot, 0) }, address: 0x4000_2000, size: 4, access: "read" })).toMatchObject({
        outcome: "aborted", at: "iommu", eventId: 0x10,
      });
    }
    expect(stub.seen.map((t) => t.streamId)).toEqual([0x0008, 0x0100]);
  });

  it("rejects a bad iommu_platform value as QEMU does", () => {
    expect(buildQemuVirtBoard({ devices: ["virtio-rng-pci,iommu_platform=maybe"] })).toMatchObject({ ok: false, error: { kind: "bad-property", property: "iommu_platform" } });
  });
});

describe("bus numbers and requester IDs follow the bridges' registers", () => {
  it("leaves bridges unnumbered on a DT boot until the OS numbers them; then RIDs carry the new numbers", () => {
    const m = topo("dt");
    expect(m.pci.read(0, 1, 0, PciReg.VENDOR_ID, 2)).toBe(0xffff);
    expect(m.pci.read(0, 0, pciDevfn(3, 0), PciReg.SECONDARY_BUS, 1)).toBe(0);
    const h = m.pci.hierarchy(0);
    if (h === undefined) throw new Error("no hierarchy");
    const { assignments, lastBus } = enumeratePciBuses(h);
    expect(lastBus).toBe(4);
    expect(assignments.map((a) => [a.bus, a.devfn >> 3, a.secondary, a.subordinate])).toEqual([
      [0, 3, 1, 1],
      [2, 0, 3, 3],
      [0, 4, 2, 3],
      [0, 6, 4, 4],
    ]);
    expect(m.pci.read(0, 1, 0, PciReg.VENDOR_ID, 4)).toBe(0x10d3_8086);
    expect(m.mmio.read32(0x40_1000_0000 + (3 << 20) + (pciDevfn(2, 0) << 12))).toBe(0x1005_1af4);
  });

  it("numbers the buses at instantiation when firmware does (ACPI boot), as the logs show", () => {
    const m = topo("acpi");
    const bridges = m.board.pciFunctions.filter((f) => f.bridge !== null).map((f) => [f.name, f.bridge?.secondaryBus, f.bridge?.subordinateBus]);
    expect(bridges).toEqual([
      ["0000:00:03.0", 1, 1],
      ["0000:00:04.0", 2, 3],
      ["0000:02:00.0", 3, 3],
      ["0000:00:06.0", 4, 4],
    ]);
    expect(m.pci.read(0, 0, pciDevfn(4, 0), PciReg.PRIMARY_BUS, 4) & 0xff_ffff).toBe(0x03_0200);
  });
});
