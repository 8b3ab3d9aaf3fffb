/**
 * Every invariant of architecture.md's table fails on purpose and holds: on the scenario traces whose §(d.3)
 * verdicts are known, or on a real boot trace with one kernel bug planted in it (a record dropped, changed or
 * duplicated, as a broken kernel would have traced it), or on a hand-built trace of the records a check reads.
 */
import { describe, expect, it } from "vitest";
import {
  ALL_INVARIANTS,
  PROFILES,
  S1,
  S2,
  S4,
  S6,
  SCENARIO_ENDPOINT as E,
  SEED_SCENARIO,
  checkAll,
  checkInvariant,
  type CheckContext,
  type ProfileName,
  type Scenario,
} from "@dmasim/kernel";
import { run } from "./helpers/scenario";

/** A trace record as the checks read it (plain fields by `type`). */
type Rec = { readonly type: string; readonly seq: number; readonly time: number } & Readonly<Record<string, unknown>>;

const ctx = (p: ProfileName): CheckContext => ({ era: PROFILES[p].driverCore });
const V61 = ctx("v6.1");

/** A record for a hand-built trace (`time` 0). */
const rec = (seq: number, type: string, fields: Readonly<Record<string, unknown>> = {}): Rec => ({ type, seq, time: 0, ...fields });

const traceOf = (s: Scenario, p: ProfileName): readonly Rec[] => run(s, p).trace as readonly Rec[];

/** The trace with the records `pick` selects replaced by what `change` returns (null drops the record). */
function mutate(trace: readonly Rec[], pick: (r: Rec) => boolean, change: (r: Rec) => Rec | readonly Rec[] | null): Rec[] {
  const out: Rec[] = [];
  let hit = 0;
  for (const r of trace) {
    if (!pick(r)) {
      out.push(r);
      continue;
    }
    hit += 1;
    const c = change(r);
    if (c === null) continue;
    if (Array.isArray(c)) out.push(...(c as readonly Rec[]));
    else out.push(c as Rec);
  }
  expect(hit, "the mutation found its record").toBeGreaterThan(0);
  return out;
}

const failures = (inv: string, trace: readonly Rec[], c: CheckContext = V61): { device: string | null; message: string }[] =>
  checkInvariant(inv, trace, c).map((v) => ({ device: v.device, message: v.message }));

const seed61 = traceOf(SEED_SCENARIO, "v6.1");

it("the seed under v6.1 holds every invariant (the base the planted bugs start from)", () => {
  expect(checkAll(seed61, V61).filter((v) => v.status === "fail")).toEqual([]);
  expect(ALL_INVARIANTS).toHaveLength(16);
});

describe("I-CHAIN-ORDER", () => {
  // S2 under v4.8: DRIVER_NOT_BOUND walks two blocks (the arm64 attach notifier and the IOMMU core's).
  const s2 = traceOf(S2, "v4.8");
  const walk = s2.find((r) => r.type === "notifier-chain-start" && (r.blocks as number) >= 2) as Rec;
  const firstReturn = s2.find((r) => r.type === "notifier-return" && r.chain === walk.chain && r.walk === walk.walk) as Rec;
  it("fails when a callback runs after one returned NOTIFY_STOP_MASK (0x8000)", () => {
    const t = mutate(s2, (r) => r === firstReturn, (r) => ({ ...r, ret: 0x8000 }));
    expect(failures("I-CHAIN-ORDER", t, ctx("v4.8"))).toEqual([
      { device: walk.data, message: expect.stringContaining("was called after a return value with NOTIFY_STOP_MASK set") },
    ]);
  });
  it("holds on the real walks", () => {
    expect(walk).toBeDefined();
    expect(failures("I-CHAIN-ORDER", s2, ctx("v4.8"))).toEqual([]);
  });
});

describe("I-BIND-BRACKET and I-BOUND-STATE", () => {
  const boundWalk = seed61.find((r) => r.type === "notifier-chain-start" && r.action === "BOUND_DRIVER" && r.data === E) as Rec;
  const inWalk = (r: Rec): boolean => String(r.type).startsWith("notifier-") && r.chain === boundWalk.chain && r.walk === boundWalk.walk;
  it("I-BIND-BRACKET fails when a bound probe sends no BOUND_DRIVER after BIND_DRIVER", () => {
    const t = mutate(seed61, inWalk, () => null);
    expect(failures("I-BIND-BRACKET", t)).toEqual([{ device: E, message: "BIND_DRIVER followed by 0 BOUND_DRIVER/DRIVER_NOT_BOUND before the attempt returned (want 1)" }]);
    // and the device is bound although its last bind event is BIND_DRIVER
    expect(failures("I-BOUND-STATE", t)).toEqual([{ device: E, message: "after really_probe the device is bound but its last bind event was BIND_DRIVER" }]);
  });
  it("I-BOUND-STATE fails when really_probe returns bound with dev->driver NULL", () => {
    const t = mutate(seed61, (r) => r.type === "really-probe-end" && r.device === E && r.bound === true, (r) => ({ ...r, driverSet: false }));
    expect(failures("I-BOUND-STATE", t)).toEqual([{ device: E, message: "after really_probe dev->driver is NULL but the device is bound" }]);
  });
  it("both hold on the real boot", () => {
    expect(failures("I-BIND-BRACKET", seed61)).toEqual([]);
    expect(failures("I-BOUND-STATE", seed61)).toEqual([]);
  });
});

describe("I-DEFER-LISTS", () => {
  const s1 = traceOf(S1, "v6.1");
  it("fails when a device already pending is added to the pending list again", () => {
    const t = mutate(s1, (r) => r.type === "deferred-add" && r.device === E, (r) => [r, { ...r, seq: r.seq + 0.5 }]);
    expect(failures("I-DEFER-LISTS", t)).toContainEqual({ device: E, message: "added to the pending list while on the pending list" });
  });
  it("holds on S1's real deferral (the endpoint waits for its SMMU)", () => {
    expect(s1.some((r) => r.type === "deferred-add" && r.device === E)).toBe(true);
    expect(failures("I-DEFER-LISTS", s1)).toEqual([]);
  });
});

describe("I-DEFER-LIVENESS", () => {
  const smmu = "arm-smmu-v3.0.auto";
  const base = [rec(1, "deferred-add", { device: E, driverString: "pci" })];
  // 6.1 checks at the flush of the second trigger in deferred_probe_initcall (the first flush may race probes).
  const flush = rec(9, "deferred-flushed", { phase: "initcall-second" });
  it("fails for a device pending after the late_initcall flush with no recorded dependency", () => {
    expect(failures("I-DEFER-LIVENESS", [...base, flush])).toEqual([{ device: E, message: "pending after the deferred-probe flush with no recorded dependency" }]);
  });
  it("fails when the supplier it waits for has bound", () => {
    const t = [...base, rec(2, "deferred-reason", { device: E, reason: "iommu not registered", supplier: smmu }), rec(3, "driver-bound", { device: smmu, driver: "arm-smmu-v3" }), flush];
    expect(failures("I-DEFER-LIVENESS", t)).toEqual([{ device: E, message: `pending after the deferred-probe flush waiting for iommu not registered, but ${smmu} is bound` }]);
  });
  it("holds while the supplier is still unbound, and on S1's real boot", () => {
    const t = [...base, rec(2, "deferred-reason", { device: E, reason: "iommu not registered", supplier: smmu }), flush];
    expect(failures("I-DEFER-LIVENESS", t)).toEqual([]);
    expect(failures("I-DEFER-LIVENESS", traceOf(S1, "v6.1"))).toEqual([]);
  });
});

describe("I-TRIGGER-RACE", () => {
  const race = [
    rec(1, "really-probe", { device: E, driver: "e1000e", bus: "pci", triggerCount: 0 }),
    rec(2, "deferred-trigger", { enabled: true, count: 1 }),
    rec(3, "probe-defer", { device: E, driver: "e1000e", triggerCountAtStart: 0, triggerCount: 1 }),
  ];
  it("fails when a trigger ran during a probe that then deferred and none followed", () => {
    expect(checkInvariant("I-TRIGGER-RACE", race, V61)).toEqual([
      { invariant: "I-TRIGGER-RACE", device: E, message: "a trigger ran during a probe that then deferred, and no trigger followed", events: [1, 2, 3] },
    ]);
  });
  it("holds when another trigger follows (driver_deferred_probe_add_trigger)", () => {
    expect(failures("I-TRIGGER-RACE", [...race, rec(4, "deferred-trigger", { enabled: true, count: 2 })])).toEqual([]);
  });
});

describe("I-UNBIND-ORDER", () => {
  const release = [
    rec(1, "release-driver", { device: E, driver: "e1000e" }),
    rec(2, "notifier-chain-start", { chain: "bus:pci", walk: 7, action: "UNBIND_DRIVER", data: E, blocks: 0 }),
    rec(3, "driver-remove", { device: E, driver: "e1000e" }),
    rec(4, "notifier-chain-start", { chain: "bus:pci", walk: 8, action: "UNBOUND_DRIVER", data: E, blocks: 0 }),
    rec(5, "release-driver-end", { device: E, driver: "e1000e" }),
  ];
  it("fails when ->remove runs before UNBIND_DRIVER", () => {
    const swapped = [release[0], { ...release[2], seq: 2 }, { ...release[1], seq: 3 }, release[3], release[4]] as Rec[];
    expect(failures("I-UNBIND-ORDER", swapped)).toEqual([{ device: E, message: "release ran remove < UNBIND_DRIVER < UNBOUND_DRIVER; want UNBIND_DRIVER < remove < UNBOUND_DRIVER" }]);
  });
  it("holds for UNBIND_DRIVER < remove < UNBOUND_DRIVER", () => expect(failures("I-UNBIND-ORDER", release)).toEqual([]));
});

describe("I-GROUP-LIFECYCLE", () => {
  it("fails when a grouped device is added to a group again", () => {
    const t = mutate(seed61, (r) => r.type === "iommu-group-add" && r.device === E, (r) => [r, { ...r, seq: r.seq + 0.5 }]);
    expect(failures("I-GROUP-LIFECYCLE", t)).toEqual([{ device: E, message: `${E} added to a group while already in one` }]);
  });
  it("fails when the IOMMU releases a device outside BUS_NOTIFY_REMOVED_DEVICE", () => {
    const t = [rec(1, "iommu-group-add", { group: 0, device: E }), rec(2, "iommu-release-device", { device: E })];
    expect(failures("I-GROUP-LIFECYCLE", t)).toEqual([{ device: E, message: `${E}: IOMMU release outside BUS_NOTIFY_REMOVED_DEVICE` }]);
  });
  it("holds on the real boot", () => expect(failures("I-GROUP-LIFECYCLE", seed61)).toEqual([]));
});

describe("§(d.2) on the scenarios whose verdicts §(d.3) gives", () => {
  const cases: readonly { inv: string; s: Scenario; fail: ProfileName; hold: ProfileName; device: string; message: string }[] = [
    { inv: "I-PROBE", s: SEED_SCENARIO, fail: "v4.7", hold: "v4.12", device: E, message: "e1000e probes 0000:01:00.0 with swiotlb ops behind arm-smmu-v3.0.auto (default domain DMA)" },
    { inv: "I-STABLE", s: S1, fail: "v4.7", hold: "v6.1", device: E, message: "DMA ops of 0000:01:00.0 changed swiotlb → iommu" },
    { inv: "I-CLEAN", s: S2, fail: "v4.8", hold: "v4.8-not-bound", device: E, message: "0000:01:00.0 keeps iommu-dma ops after its probe failed" },
    { inv: "I-QUEUE-HYGIENE", s: S6, fail: "v4.7", hold: "v4.12", device: "a100000.dma", message: "iommu_dma_masters still holds a100000.dma after device_del (a dangling entry)" },
    { inv: "I-DRIVERLESS", s: S4, fail: "v4.12", hold: "v4.7", device: "a101000.port", message: "on driverless a101000.port went through dummy ops" },
    { inv: "I-LEAK", s: S2, fail: "v4.12", hold: "v4.8-not-bound", device: E, message: "0000:01:00.0: dma-mapping of probe:e1000e#1 left behind (single 0xffffe000+0x5dc via iommu)" },
  ];
  it.each(cases)("$inv fails under $fail and holds under $hold", ({ inv, s, fail, hold, device, message }) => {
    const bad = failures(inv, traceOf(s, fail), ctx(fail));
    expect(bad.length).toBeGreaterThan(0);
    expect(bad.every((v) => v.device === device)).toBe(true);
    expect(bad.some((v) => v.message.includes(message))).toBe(true);
    expect(failures(inv, traceOf(s, hold), ctx(hold))).toEqual([]);
  });
});

describe("I-QUEUE-HYGIENE by hand", () => {
  const q = (seq: number, queue: readonly string[]): Rec => rec(seq, "iommu-dma-queue", { op: "add", device: queue[0] ?? null, queue });
  it("fails on a duplicate entry", () => {
    expect(failures("I-QUEUE-HYGIENE", [q(1, [E, E])])).toEqual([{ device: E, message: `${E} is queued twice on iommu_dma_masters` }]);
  });
  it("holds for a device re-added under the same name after its entry was drained (a PCI rescan)", () => {
    const t = [q(1, [E]), rec(2, "iommu-dma-queue-drain", { queue: [] }), rec(3, "device-del-end", { device: E }), rec(4, "device-add", { device: E, bus: "pci", parent: null }), q(5, [E])];
    expect(failures("I-QUEUE-HYGIENE", t)).toEqual([]);
  });
  it("still fails when the deleted device's entry was never drained before the re-add", () => {
    const t = [q(1, [E]), rec(3, "device-del-end", { device: E }), rec(4, "device-add", { device: E, bus: "pci", parent: null }), q(5, [E, E])];
    expect(failures("I-QUEUE-HYGIENE", t).map((v) => v.message)).toEqual([
      `iommu_dma_masters still holds ${E} after device_del (a dangling entry)`,
      `${E} is queued twice on iommu_dma_masters`,
    ]);
  });
});

describe("I-FWSPEC", () => {
  const init = (seq: number, ret: number): Rec => rec(seq, "iommu-fwspec-init", { device: E, fwnode: "iort-node-1", ops: "arm-smmu-v3", ret });
  const configure = rec(9, "iommu-configure", { device: E, firmware: "iort", result: "ops" });
  it("fails when iommu_fwspec_init finds a stale fwspec (-EINVAL)", () => {
    expect(failures("I-FWSPEC", [init(1, 0), init(5, -22)])).toEqual([{ device: E, message: `iommu_fwspec_init failed (-22) over a stale fwspec of ${E}` }]);
  });
  it("fails when configuration hands out ops with a fwspec of no IDs", () => {
    expect(failures("I-FWSPEC", [init(1, 0), configure])).toEqual([{ device: E, message: `${E} got IOMMU ops with a fwspec of no IDs` }]);
  });
  it("holds with ops and one StreamID, and on the real boot", () => {
    expect(failures("I-FWSPEC", [init(1, 0), rec(2, "iommu-fwspec-add-ids", { device: E, ids: [0x100], ret: 0 }), configure])).toEqual([]);
    expect(failures("I-FWSPEC", seed61)).toEqual([]);
  });
});

describe("I-ISOLATION", () => {
  const dma = seed61.find((r) => r.type === "dma-action" && r.device === E) as Rec;
  it("holds for the real transfer (translated by the SMMU into the buffer)", () => {
    expect(dma).toMatchObject({ outcome: "ok", route: "iommu-translated" });
    expect(failures("I-ISOLATION", seed61)).toEqual([]);
  });
  it("fails when a transfer on a translated stream reaches memory not mapped for it", () => {
    const t = mutate(seed61, (r) => r === dma, (r) => ({ ...r, outcome: "untranslated", reachedPa: 0x40000000, detail: "wrong-buffer" }));
    expect(failures("I-ISOLATION", t)).toEqual([
      { device: E, message: `${String(dma.op)} of ${E} reached 0x40000000 untranslated (wrong-buffer) on stream 0x${(dma.streamId as number).toString(16)}` },
    ]);
  });
});

describe("I-LEAK by hand: STEs and page tables", () => {
  const ste = (seq: number, config: string): Rec => rec(seq, "arm-smmu-ste", { smmu: "smmu0", sid: 0x100, addr: 0, config, device: E, domain: 0 });
  const del = [rec(10, "device-del", { device: E }), rec(11, "device-del-end", { device: E })];
  it("fails when a removed device's stream still translates through its domain", () => {
    expect(failures("I-LEAK", [ste(1, "s1-trans"), ...del])).toEqual([
      { device: E, message: `${E}: STE of stream 0x100 on smmu0 still translates through its domain after device_del` },
    ]);
  });
  it("holds when removal rewrote the STE (abort or bypass)", () => expect(failures("I-LEAK", [ste(1, "s1-trans"), ste(5, "abort"), ...del])).toEqual([]));
  const domain = [rec(1, "iommu-domain-alloc", { domain: 3, domainType: "DMA" }), rec(2, "iommu-attach", { domain: 3, device: E, ret: 0 })];
  it("fails when a domain's page tables outlive every device attached to it", () => {
    expect(failures("I-LEAK", [...domain, ...del])).toEqual([{ device: E, message: `domain 3 (page tables) of ${E} left allocated after device_del` }]);
  });
  it("holds once the domain is freed", () => expect(failures("I-LEAK", [...domain, ...del, rec(12, "iommu-domain-free", { domain: 3 })])).toEqual([]));
  it("a mapping of a probe still running is not a leak; its failed end makes it one", () => {
    const map = [rec(1, "really-probe", { device: E, driver: "d" }), rec(2, "dma-map", { device: E, owner: "probe:d#1", dmaAddr: 0x1000, size: 64, ops: "iommu", api: "single" })];
    expect(failures("I-LEAK", map)).toEqual([]);
    expect(failures("I-LEAK", [...map, rec(3, "really-probe-end", { device: E, driver: "d", bound: false })])).toHaveLength(1);
    expect(failures("I-LEAK", [...map, rec(3, "really-probe-end", { device: E, driver: "d", bound: true })])).toEqual([]);
    expect(failures("I-LEAK", [...map, rec(3, "really-probe-end", { device: E, driver: "d", bound: true }), rec(4, "dma-unmap", { device: E, owner: "bound:d#1", dmaAddr: 0x1000, size: 64, ops: "iommu", found: true }), rec(5, "release-driver-end", { device: E })])).toEqual([]);
  });
});
