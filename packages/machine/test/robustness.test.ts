/**
 * Bad input never crashes: random `-device` lists give a board or a typed error; random guest config writes never
 * change read-only bits and never throw; random DMA requests give a result.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildQemuVirtBoard, instantiateBoard, PciHierarchy } from "@dmasim/machine";

const driver = fc.constantFrom("virtio-net-pci", "virtio-rng-pci", "e1000e", "nvme", "pcie-root-port", "pcie-pci-bridge", "bogus");
const prop = fc.oneof(
  fc.constantFrom("romfile=", "multifunction=on", "serial=x", "id=a", "id=b", "bus=a", "bus=b", "bus=pcie.0", "chassis=1", "slot=2"),
  fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 9 })).map(([s, f]) => `addr=${s.toString(16)}.${f}`),
  fc.string({ maxLength: 6 }),
);
const device = fc.tuple(driver, fc.array(prop, { maxLength: 4 })).map(([d, ps]) => [d, ...ps].join(","));

describe("robustness", () => {
  it("builds a board or returns a typed error for any -device list", () => {
    fc.assert(
      fc.property(fc.array(device, { maxLength: 8 }), fc.constantFrom<2 | 3>(2, 3), (devices, gic) => {
        const r = buildQemuVirtBoard({ iommu: "smmuv3", gic, devices });
        if (!r.ok) expect(typeof r.error.kind).toBe("string");
        else expect(r.value.board.pciFunctions[0]?.name).toBe("0000:00:00.0");
      }),
      { numRuns: 1500 },
    );
  });

  it("keeps read-only config bits whatever the guest writes, and dynamic registers never throw", () => {
    const m = buildQemuVirtBoard({ iommu: "smmuv3", gic: 3, devices: ["pcie-root-port,id=rp,chassis=1", "pcie-pci-bridge,id=pb,bus=rp", "e1000e,romfile=,addr=4", "nvme,serial=1"] });
    if (!m.ok) throw new Error("build");
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 0x1003 }), fc.constantFrom<1 | 2 | 4>(1, 2, 4), fc.nat()), { maxLength: 40 }),
        (writes) => {
          const h = PciHierarchy.build(0, 0, m.value.board.pciFunctions);
          if (!h.ok) throw new Error(h.error.message);
          const fns = h.value.functions;
          const before = fns.map((f) => f.config.bytes.slice());
          for (const [i, off, w, v] of writes) fns[i]?.config.write(off, w, v);
          const changed: string[] = [];
          fns.forEach((f, i) => {
            const shpc = f.config.findCapability(0x0c);
            for (let b = 0; b < f.config.size; b++) {
              const ro = ~(f.config.wmask[b]! | f.config.w1cmask[b]!) & 0xff;
              const dynamic = shpc !== 0 && b >= shpc + 4 && b < shpc + 8; // SHPC dword data follows the select
              if (!dynamic && (f.config.bytes[b]! & ro) !== (before[i]![b]! & ro)) changed.push(`${f.id}+0x${b.toString(16)}`);
            }
            f.config.read(0x5a, 2);
          });
          expect(changed).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("answers any DMA request with a result", () => {
    const b = buildQemuVirtBoard({ iommu: "smmuv3", gic: 3, devices: ["virtio-rng-pci"] });
    if (!b.ok) throw new Error("build");
    const inst = instantiateBoard(b.value.board, { enforceBusMaster: false });
    if (!inst.ok) throw new Error("instantiate");
    inst.value.attachIommu("smmuv3@9050000", { translate: (t) => ({ kind: "bypass", pa: t.iova }) });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 64 }),
        fc.boolean(),
        (bus, devfn, address, size, write) => {
          const r = inst.value.interconnect.dma({ master: { kind: "pci", segment: 0, bus, devfn }, address, size, access: write ? "write" : "read" });
          expect(["completed", "aborted"]).toContain(r.outcome);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
