/**
 * The config-space model against what the real guest read: every PCI function's `hexdump -C` in the `-cfg` boot logs
 * (DT boot: Linux numbered the buses; ACPI boot: EDK2 did) and the kernel's enumeration lines.
 *
 * Method: instantiate the board QEMU built for that command line; replay onto each function every dword of the
 * dump through the guest write path (W1C bits written as 0, so they keep their reset value), as Linux/firmware
 * wrote the registers; then the whole config space must read back equal to the dump, byte for byte. A read-only
 * byte that differs from QEMU's, or a bit the guest set that the model does not let it write, fails the test.
 */
import { describe, expect, it } from "vitest";
import { buildQemuVirtBoard, parseQemuCommandLine, qemuVirtOptionsFromCommandLine, PciHierarchy, type Board } from "@dmasim/machine";
import { configDumps, enumerationLines, fixtureText } from "./helpers/fixtures";

function boardFor(cmdFile: string): Board {
  const cmd = parseQemuCommandLine(fixtureText(`qemu-boots/${cmdFile}`));
  if (!cmd.ok) throw new Error(JSON.stringify(cmd.error));
  const m = buildQemuVirtBoard(qemuVirtOptionsFromCommandLine(cmd.value));
  if (!m.ok) throw new Error(JSON.stringify(m.error));
  return m.value.board;
}

function hierarchy(board: Board): PciHierarchy {
  const h = PciHierarchy.build(0, 0, board.pciFunctions);
  if (!h.ok) throw new Error(h.error.message);
  return h.value;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

for (const boot of ["dt-topo-gic3-cfg", "acpi-topo-gic3-cfg"]) {
  describe(`config space vs ${boot}.log`, () => {
    const log = fixtureText(`qemu-boots/${boot}.log`);
    const dumps = configDumps(log);
    const board = boardFor(`${boot}.cmd`);

    it("has the same functions, with the IDs, header types and classes the kernel enumerated", () => {
      const lines = enumerationLines(log);
      expect([...board.pciFunctions.map((f) => f.name)].sort()).toEqual([...lines.keys()].sort());
      expect([...dumps.keys()].sort()).toEqual([...lines.keys()].sort());
      for (const f of board.pciFunctions) {
        expect({ name: f.name, ...lines.get(f.name) }).toEqual({
          name: f.name,
          vendor: f.vendorId,
          device: f.deviceId,
          type: f.headerType,
          classCode: f.classCode,
        });
      }
    });

    for (const f of board.pciFunctions) {
      it(`${f.name} (${f.model}) reads back the guest's dump after replaying the guest's writes`, () => {
        const dump = dumps.get(f.name);
        expect(dump).toBeDefined();
        if (dump === undefined) return;
        const node = hierarchy(board).byId(f.id);
        if (node === undefined) throw new Error(f.id);
        const cfg = node.config;
        expect(cfg.size).toBe(dump.length);
        for (let off = 0; off < dump.length; off += 4) {
          const v = (dump[off]! | (dump[off + 1]! << 8) | (dump[off + 2]! << 16) | (dump[off + 3]! << 24)) >>> 0;
          cfg.write(off, 4, (v & ~cfg.get32(off, cfg.w1cmask)) >>> 0);
        }
        const diffs: string[] = [];
        for (let off = 0; off < dump.length; off++) {
          const got = cfg.read(off, 1);
          if (got !== dump[off]) diffs.push(`${hex(off)}: model ${hex(got)} guest ${hex(dump[off]!)}`);
        }
        expect(diffs).toEqual([]);
      });
    }
  });
}
