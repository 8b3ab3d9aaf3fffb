/**
 * Bad configuration space never crashes or hangs the scan: capability lists that loop, bridges everywhere, bus
 * numbers firmware left in any state, random bytes. Properties over random config spaces (fast-check): the scan
 * ends, names are unique, bus numbers stay 8-bit, and the alias walk and ACS checks answer for every function.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DRIVER_CORE_ERAS, DriverCore, Trace, type DriverCoreEvent } from "@dmasim/driver-core";
import type { PciConfigWidth } from "@dmasim/machine";
import {
  PciAcs,
  pciAcsPathEnabled,
  pciBusAddDevices,
  pciDmaAliases,
  pciFindCapability,
  pciFindExtCapability,
  pciRegisterHostBridge,
  pciScanChildBus,
  registerPciBus,
  type PciBus,
  type PciEvent,
  type PciOps,
  type PciSubsystem,
} from "@dmasim/pci";

/** A 32-bit integer hash of the arguments (deterministic). */
function hash(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x & 0xffff_ffff), 0x0100_0193) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1_e995) >>> 0;
  }
  return h >>> 0;
}

/**
 * Random config space for every (bus, devfn): a function is present with `density`%, its header is a bridge with
 * `bridges`%, the rest of each dword is hashed; writes stick (so the kernel's bus-number writes read back), routing
 * by bus number ignores them (any bus number answers).
 */
function randomOps(seed: number, density: number, bridges: number): PciOps {
  const written = new Map<number, number>();
  const key = (bus: number, devfn: number, dw: number): number => (bus << 18) | (devfn << 10) | dw;
  const present = (bus: number, devfn: number): boolean => hash(seed, bus, devfn, 1) % 100 < density;
  const dword = (bus: number, devfn: number, dw: number): number => {
    const w = written.get(key(bus, devfn, dw));
    if (w !== undefined) return w;
    const h = hash(seed, bus, devfn, dw + 7);
    if (dw === 0) return ((h & 0xfffe) | 2 | ((h >>> 16) << 16)) >>> 0; // never all-ones / zero vendor
    if (dw === 3) {
      const bridge = h % 100 < bridges;
      const hdr = (bridge ? 1 : h & 0x3) | (h & 0x80);
      return ((h & 0xff00ffff) | (hdr << 16)) >>> 0;
    }
    return h;
  };
  const ones = (size: PciConfigWidth): number => (size === 4 ? 0xffff_ffff : size === 2 ? 0xffff : 0xff);
  return {
    read: (bus, devfn, where, size) => {
      if (!present(bus, devfn) || where < 0 || where + size > 0x1000) return ones(size);
      const v = dword(bus, devfn, where >>> 2);
      const shift = (where & 3) * 8;
      return size === 4 ? v : (v >>> shift) & ones(size);
    },
    write: (bus, devfn, where, size, value) => {
      if (!present(bus, devfn) || where < 0 || where + size > 0x1000) return false;
      const dw = where >>> 2;
      const shift = (where & 3) * 8;
      const mask = size === 4 ? 0xffff_ffff : ones(size) << shift;
      const old = dword(bus, devfn, dw);
      written.set(key(bus, devfn, dw), ((old & ~mask) | ((value << shift) & mask)) >>> 0);
      return true;
    },
  };
}

function scan(ops: PciOps, reassign: boolean): PciSubsystem {
  const trace = new Trace<DriverCoreEvent | PciEvent>();
  const core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace });
  const r = registerPciBus(core, { trace });
  if (!r.ok) throw new Error("bus");
  const sys = r.value;
  sys.flags.reassignAllBus = reassign;
  const host = pciRegisterHostBridge(sys, {
    parent: null,
    ofNode: null,
    acpiCompanion: { name: "PNP0A08:00" },
    domain: 0,
    busRange: { first: 0, last: 0xff },
    windows: [],
    ops,
    nativeShpcHotplug: true,
    busResourceFirst: false,
    windowFlag: true,
  });
  if (host === null) throw new Error("host");
  pciScanChildBus(sys, host.bus);
  pciBusAddDevices(sys, host.bus);
  return sys;
}

describe("robustness against bad config space", () => {
  it("random config spaces: the scan ends, names are unique, bus numbers are 8-bit, aliases and ACS answer", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 100 }), fc.boolean(), (seed, density, bridges, reassign) => {
        const sys = scan(randomOps(seed, density, bridges), reassign);
        const names = sys.devices.map((d) => d.name);
        expect(new Set(names).size).toBe(names.length);
        for (const d of sys.devices) {
          expect(d.bus.number).toBeGreaterThanOrEqual(0);
          expect(d.bus.number).toBeLessThanOrEqual(0xff);
          expect(pciDmaAliases(d).length).toBeGreaterThan(0);
          expect(typeof pciAcsPathEnabled(d, null, PciAcs.SV | PciAcs.RR | PciAcs.CR | PciAcs.UF)).toBe("boolean");
        }
      }),
      { numRuns: 40 },
    );
  });

  it("a looping capability list ends after PCI_FIND_CAP_TTL entries; a looping extended list after 480", () => {
    const reads: number[] = [];
    const ops: PciOps = {
      read: (bus, devfn, where, size) => {
        if (bus !== 0 || devfn !== 0) return size === 4 ? 0xffff_ffff : size === 2 ? 0xffff : 0xff;
        reads.push(where);
        if (where === 0) return size === 4 ? 0x0001_1af4 : 0x1af4;
        if (where === 0x06) return 0x0010; // status: capability list
        if (where === 0x08) return 0x0200_0000; // class 020000
        if (where === 0x0e) return 0x00;
        if (where === 0x34) return 0x40;
        if (where === 0x40) return size === 2 ? 0x4001 : 0x01; // id 01, next → itself
        if (where === 0x100) return 0x1000_0001; // ext cap 1, next → 0x100
        return 0;
      },
      write: () => true,
    };
    const sys = scan(ops, false);
    const d = sys.devices[0];
    expect(d?.name).toBe("0000:00:00.0");
    if (d === undefined) return;
    reads.length = 0;
    expect(pciFindCapability(d, 0x10)).toBe(0);
    expect(reads.filter((w) => w === 0x40)).toHaveLength(48);
    d.cfgSize = 0x1000;
    expect(pciFindExtCapability(d, 0x0d)).toBe(0);
  });

  it("bridges everywhere: the numbering stops at bus ff and each bus is walked once", () => {
    const sys = scan(randomOps(1, 10, 100), true);
    const numbers: number[] = [];
    const walk = (b: PciBus): void => {
      numbers.push(b.number);
      b.children.forEach(walk);
    };
    const root = sys.hostBridges[0]?.bus;
    if (root !== undefined) walk(root);
    expect(Math.max(...numbers)).toBe(0xff);
    expect(new Set(numbers).size).toBe(numbers.length); // each bus number once
    expect(numbers).toHaveLength(256);
  });
});
