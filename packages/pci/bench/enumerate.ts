/**
 * Speed of the PCI layer, each against a named baseline, measured in alternating rounds (target, baseline, ...)
 * so machine noise hits both:
 * - enumerating the QEMU topology board as the DT kernel does (driver core + `pci` bus + `pci-host-generic` scan
 *   with bus numbering + `pci_bus_add_devices`) vs the machine's firmware numbering (`enumeratePciBuses`: config
 *   cycles only, no kernel objects) on a freshly built hierarchy;
 * - `pci_for_each_dma_alias` + `pci_acs_path_enabled` for 03:01.0 (what `pci_device_group` asks) vs the machine's
 *   hardware requester ID of the same function.
 *
 * Run: pnpm --filter @dmasim/pci bench
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DRIVER_CORE_ERAS, DriverCore, NULL_TRACE_SINK, type DriverCoreEvent, type TraceSink } from "@dmasim/driver-core";
import {
  PciHierarchy,
  buildQemuVirtBoard,
  enumeratePciBuses,
  parseQemuCommandLine,
  pciDevfn,
  qemuVirtOptionsFromCommandLine,
  type Board,
} from "@dmasim/machine";
import {
  PciAcs,
  pciAcsPathEnabled,
  pciBusAddDevices,
  pciForEachDmaAlias,
  pciRegisterHostBridge,
  pciScanChildBus,
  registerPciBus,
  type PciEvent,
  type PciOps,
  type PciSubsystem,
} from "@dmasim/pci";

const cmdText = readFileSync(resolve(import.meta.dirname, "../../../fixtures/qemu-boots/dt-topo-gic3.cmd"), "utf8");
const cmd = parseQemuCommandLine(cmdText);
if (!cmd.ok) throw new Error("cmd");
const built = buildQemuVirtBoard(qemuVirtOptionsFromCommandLine(cmd.value));
if (!built.ok) throw new Error("board");
const board: Board = built.value.board;

function hierarchy(): PciHierarchy {
  const h = PciHierarchy.build(0, 0, board.pciFunctions);
  if (!h.ok) throw new Error(h.error.message);
  return h.value;
}

function opsOf(h: PciHierarchy): PciOps {
  return { read: (b, d, w, s) => h.configRead(b, d, w, s), write: (b, d, w, s, v) => h.configWrite(b, d, w, s, v) };
}

const sink = NULL_TRACE_SINK as TraceSink<DriverCoreEvent | PciEvent>;

function kernelEnumerate(h: PciHierarchy): PciSubsystem {
  const core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace: sink });
  const r = registerPciBus(core, { trace: sink });
  if (!r.ok) throw new Error("bus");
  const sys = r.value;
  sys.flags.reassignAllBus = true; // what pci-host-generic sets
  const host = pciRegisterHostBridge(sys, {
    parent: null,
    ofNode: { name: "/pcie@10000000" },
    acpiCompanion: null,
    domain: 0,
    busRange: { first: 0, last: 0xff },
    windows: [],
    ops: opsOf(h),
    nativeShpcHotplug: true,
    busResourceFirst: true,
    windowFlag: false,
  });
  if (host === null) throw new Error("host");
  pciScanChildBus(sys, host.bus);
  pciBusAddDevices(sys, host.bus);
  return sys;
}

/** Alternating rounds of `a` and `b`; returns ns per op of each (median over rounds). */
function compare(n: number, rounds: number, a: () => void, b: () => void): [number, number] {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < n; i++) {
    a();
    b();
  }
  for (let r = 0; r < rounds; r++) {
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) a();
    ta.push(Number(process.hrtime.bigint() - t0) / n);
    t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) b();
    tb.push(Number(process.hrtime.bigint() - t0) / n);
  }
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
  return [median(ta), median(tb)];
}

const fmt = (ns: number): string => (ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(0)} ns`);

console.log("Enumerating the 13-function topology board (fresh hierarchy each time)");
const [kernel, firmware] = compare(
  300,
  9,
  () => void kernelEnumerate(hierarchy()),
  () => void enumeratePciBuses(hierarchy()),
);
console.log(`  kernel scan (driver core, pci bus, DT bus numbering, add devices): ${fmt(kernel)}/board`);
console.log(`  baseline: machine firmware numbering (config cycles only):        ${fmt(firmware)}/board`);
const [build] = compare(300, 9, () => void hierarchy(), () => undefined);
console.log(`  (building the hierarchy, in both: ${fmt(build)}; net ratio ${((kernel - build) / Math.max(1, firmware - build)).toFixed(2)}x)`);
console.log(`  ratio to baseline: ${(kernel / firmware).toFixed(2)}x`);

console.log("DMA alias walk + ACS path check for 03:01.0");
const h = hierarchy();
const sys = kernelEnumerate(h);
const pdev = sys.findDev("0000:03:01.0");
const node = h.find(3, pciDevfn(1, 0));
if (pdev === null || node === undefined) throw new Error("03:01.0");
let sinkValue = 0;
const flags = PciAcs.SV | PciAcs.RR | PciAcs.CR | PciAcs.UF;
const [walk, hw] = compare(
  200_000,
  9,
  () => {
    pciForEachDmaAlias(pdev, (_p, alias) => ((sinkValue ^= alias), 0));
    sinkValue ^= pciAcsPathEnabled(pdev, null, flags) ? 1 : 0;
  },
  () => {
    sinkValue ^= h.requesterId(node);
  },
);
console.log(`  pci_for_each_dma_alias + pci_acs_path_enabled: ${fmt(walk)}/call`);
console.log(`  baseline: machine hardware requester ID:       ${fmt(hw)}/call`);
console.log(`  ratio to baseline: ${(walk / hw).toFixed(2)}x${sinkValue === -1 ? " " : ""}`);
