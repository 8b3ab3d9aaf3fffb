/**
 * Shrinking a violation's evidence (ddmin over trace records, paired events dropped together): a planted violation
 * whose minimal evidence is known exactly, the re-check budget, determinism, and on every built-in scenario the
 * shrunk evidence still shows its violation and loses it when any one unit is dropped.
 */
import { describe, expect, it } from "vitest";
import {
  D3_SCENARIOS,
  PROFILES,
  PROFILE_NAMES,
  S2,
  SCENARIO_ENDPOINT as E,
  SEED_SCENARIO,
  checkAll,
  checkInvariant,
  shrinkUnits,
  shrinkVerdict,
  shrinkViolation,
  type CheckContext,
  type InvariantVerdict,
} from "@dmasim/kernel";
import { run } from "./helpers/scenario";

type Rec = { readonly type: string; readonly seq: number; readonly time: number } & Readonly<Record<string, unknown>>;
const rec = (seq: number, type: string, fields: Readonly<Record<string, unknown>> = {}): Rec => ({ type, seq, time: 0, ...fields });
const F = "0000:02:00.0";
const V48: CheckContext = { era: PROFILES["v4.8"].driverCore };
const walk = (seq: number, w: number, action: string, data: string, blocks: number): Rec =>
  rec(seq, "notifier-chain-start", { chain: "bus:pci", walk: w, action, data, blocks });
const walkEnd = (seq: number, w: number, action: string, data: string): Rec => rec(seq, "notifier-chain-end", { chain: "bus:pci", walk: w, action, data, ret: 0 });
const call = (seq: number, w: number, action: string, data: string): Rec[] => [
  rec(seq, "notifier-call", { chain: "bus:pci", walk: w, action, data, block: "iommu_bus_notifier", priority: 0, order: 1 }),
  rec(seq + 1, "notifier-return", { chain: "bus:pci", walk: w, action, data, block: "iommu_bus_notifier", priority: 0, order: 1, ret: 0 }),
];

/**
 * A v4.8-style failed probe of E, interleaved with another device F: E's ops became iommu-dma at its ADD_DEVICE
 * drain (seq 10), the probe mapped a buffer (16) and failed (DRIVER_NOT_BOUND 17..20, really_probe returns 21), and
 * nothing restored the ops. The I-CLEAN evidence is exactly {10} + {12,21} + {17,20}: the ops change, the probe
 * attempt's bracket and the NOT_BOUND walk's bracket; the I-LEAK evidence is {12,21} + {16}.
 */
const PLANTED: readonly Rec[] = [
  rec(1, "device-add", { device: F, bus: "pci", parent: null }),
  rec(2, "device-add-end", { device: F, ret: 0 }),
  rec(3, "device-add", { device: E, bus: "pci", parent: null }),
  walk(4, 1, "ADD_DEVICE", E, 1),
  ...call(5, 1, "ADD_DEVICE", E),
  walkEnd(7, 1, "ADD_DEVICE", E),
  rec(8, "device-add-end", { device: E, ret: 0 }),
  rec(9, "dma-ops-set", { device: E, from: "none", to: "swiotlb", reason: "arch_setup_dma_ops", bound: false }),
  rec(10, "dma-ops-set", { device: E, from: "swiotlb", to: "iommu", reason: "do_iommu_attach", bound: false }),
  rec(11, "dma-ops-set", { device: F, from: "none", to: "direct", reason: "arch_setup_dma_ops", bound: false }),
  rec(12, "really-probe", { device: E, driver: "e1000e", bus: "pci", triggerCount: 0 }),
  walk(13, 2, "BIND_DRIVER", E, 0),
  walkEnd(14, 2, "BIND_DRIVER", E),
  rec(15, "probe-dma-state", { device: E, driver: "e1000e", ops: "iommu", behindIommu: null, attempt: 1 }),
  rec(16, "dma-alloc", { device: E, owner: "probe:e1000e#1", dmaAddr: 0xfffff000, size: 0x1000, ops: "iommu" }),
  walk(17, 3, "DRIVER_NOT_BOUND", E, 1),
  ...call(18, 3, "DRIVER_NOT_BOUND", E),
  walkEnd(20, 3, "DRIVER_NOT_BOUND", E),
  rec(21, "really-probe-end", { device: E, driver: "e1000e", bus: "pci", ret: -12, driverSet: false, bound: false }),
  rec(22, "really-probe", { device: F, driver: "nvme", bus: "pci", triggerCount: 0 }),
  rec(23, "really-probe-end", { device: F, driver: "nvme", bus: "pci", ret: 0, driverSet: true, bound: true }),
  rec(24, "printk", { level: 6, prefix: "e1000e", text: "probe failed" }),
];

const CLEAN = { invariant: "I-CLEAN", device: E, message: `${E} keeps iommu-dma ops after its probe failed` } as const;
const LEAK = { invariant: "I-LEAK", device: E, message: `${E}: dma-mapping of probe:e1000e#1 left behind (coherent 0xfffff000+0x1000 via iommu)` } as const;

describe("shrink units: what dropping a paired event means", () => {
  it("pairs X with X-end, X-start with X-end and a notifier-call with its return, by identity, nested LIFO", () => {
    const seqs = shrinkUnits(PLANTED).map((u) => u.map((i) => (PLANTED[i] as Rec).seq));
    expect(seqs).toEqual([
      [1, 2], [3, 8], [4, 7], [5, 6], [9], [10], [11], [12, 21], [13, 14], [15], [16], [17, 20], [18, 19], [22, 23], [24],
    ]);
  });
});

describe("a planted violation shrinks to its known minimal evidence", () => {
  it("I-CLEAN: the check reports it with its own citations", () => {
    expect(checkInvariant("I-CLEAN", PLANTED, V48)).toEqual([{ ...CLEAN, events: [10, 17, 21] }]);
  });
  it("I-CLEAN from the check's citations: the ops change and the two brackets", () => {
    const v = checkInvariant("I-CLEAN", PLANTED, V48)[0];
    if (v === undefined) throw new Error("planted violation not found");
    const s = shrinkViolation(v, PLANTED, V48);
    expect(s.events).toEqual([10, 12, 17, 20, 21]);
    expect(s.shrink).toMatchObject({ from: PLANTED.length, complete: true });
  });
  it("I-CLEAN with no citations: ddmin over the whole trace finds the same set", () => {
    const s = shrinkViolation({ ...CLEAN, events: [] }, PLANTED, V48);
    expect(s.events).toEqual([10, 12, 17, 20, 21]);
    expect(s.shrink.complete).toBe(true);
    expect(s.shrink.checks).toBeGreaterThan(3);
  });
  it("I-LEAK: the mapping and the failed attempt that owned it", () => {
    expect(shrinkViolation({ ...LEAK, events: [] }, PLANTED, V48).events).toEqual([12, 16, 21]);
  });
  it("describes each kept event on one line", () => {
    const s = shrinkViolation({ ...CLEAN, events: [] }, PLANTED, V48);
    expect(s.trace.map((e) => e.seq)).toEqual(s.events);
    for (const e of s.trace) expect(e.text).not.toMatch(/\n/);
    expect(s.trace[0]?.text).toContain("dma-ops-set");
  });
});

describe("bounds and determinism", () => {
  it("stops at maxChecks with the smallest reproducing set found so far", () => {
    const s = shrinkViolation({ ...CLEAN, events: [] }, PLANTED, V48, { maxChecks: 3 });
    expect(s.shrink.checks).toBe(3);
    expect(s.shrink.complete).toBe(false);
    const kept = PLANTED.filter((r) => s.events.includes(r.seq));
    expect(checkInvariant("I-CLEAN", kept, V48).some((x) => x.message === CLEAN.message)).toBe(true);
  });
  it("gives the same evidence every time", () => {
    const a = shrinkViolation({ ...CLEAN, events: [] }, PLANTED, V48);
    const b = shrinkViolation({ ...CLEAN, events: [] }, [...PLANTED], V48);
    expect(b).toEqual(a);
  });
  it("a violation the trace does not show comes back unshrunk and marked incomplete", () => {
    const s = shrinkViolation({ invariant: "I-CLEAN", device: E, message: "nonsense", events: [9, 24] }, PLANTED, V48);
    expect(s.events).toEqual([9, 24]);
    expect(s.shrink.complete).toBe(false);
  });
  it("shrinkVerdict leaves a passing verdict as it was", () => {
    const pass: InvariantVerdict = { invariant: "I-PROBE", status: "pass", violations: [] };
    expect(shrinkVerdict(PLANTED, pass, { ...V48, maxChecks: 10 })).toEqual(pass);
  });
});

describe("S2 under v4.8: the real failed probe", () => {
  const r = run(S2, "v4.8");
  const trace = r.trace as readonly Rec[];
  it("I-CLEAN's evidence is the failed attempt, its NOT_BOUND walk and the ops change that left iommu-dma", () => {
    const verdict = r.verdicts.find((v) => v.invariant === "I-CLEAN") as InvariantVerdict;
    const [s] = shrinkVerdict(trace, verdict, { era: PROFILES["v4.8"].driverCore }).violations;
    const end = trace.find((x) => x.type === "really-probe-end" && x.device === E && x.bound === false) as Rec;
    const start = trace.filter((x) => x.type === "really-probe" && x.device === E && x.seq < end.seq).at(-1) as Rec;
    const notBound = trace.find((x) => x.type === "notifier-chain-start" && x.action === "DRIVER_NOT_BOUND" && x.data === E) as Rec;
    const notBoundEnd = trace.find((x) => x.type === "notifier-chain-end" && x.chain === notBound.chain && x.walk === notBound.walk) as Rec;
    const toIommu = trace.filter((x) => x.type === "dma-ops-set" && x.device === E && x.to === "iommu" && x.seq < end.seq).at(-1) as Rec;
    expect(s?.events).toEqual([start.seq, toIommu.seq, notBound.seq, notBoundEnd.seq, end.seq].sort((a, b) => a - b));
  });
});

describe("every built-in scenario's violations: shrunk evidence still shows them and is 1-minimal", () => {
  const scenarios = [SEED_SCENARIO, ...D3_SCENARIOS];
  it.each(PROFILE_NAMES)("under %s", (profile) => {
    const c: CheckContext = { era: PROFILES[profile].driverCore };
    let shrunk = 0;
    for (const s of scenarios) {
      const trace = run(s, profile).trace as readonly Rec[];
      const plain = checkAll(trace, c);
      const small = checkAll(trace, c, { shrink: { maxChecks: 200 } });
      expect(small.map((v) => [v.invariant, v.status, v.violations.length])).toEqual(plain.map((v) => [v.invariant, v.status, v.violations.length]));
      for (const verdict of small) {
        for (const v of verdict.violations) {
          shrunk += 1;
          const same = (rs: readonly Rec[]): boolean => checkInvariant(v.invariant, rs, c).some((x) => x.device === v.device && x.message === v.message);
          const kept = trace.filter((x) => v.events.includes(x.seq));
          expect(v.shrink.complete).toBe(true);
          expect(v.events.length).toBeLessThanOrEqual(trace.length);
          expect(same(kept)).toBe(true);
          for (const unit of shrinkUnits(kept)) {
            const without = kept.filter((_, i) => !unit.includes(i));
            expect(same(without), `${v.invariant} ${v.device}: dropping ${unit.map((i) => kept[i]?.type).join("+")} keeps it`).toBe(false);
          }
        }
      }
    }
    expect(shrunk).toBeGreaterThan(0);
  });
});
