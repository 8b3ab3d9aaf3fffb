/**
 * What a step touches and what a state is, on hand-built trace records.
 */
import type { TraceRecord } from "@dmasim/driver-core";
import { describe, expect, it } from "vitest";
import type { DmasimEvent, Kernel } from "../boot/kernel";
import { eventToken, RunObserver } from "./state";

/** A kernel with nothing registered: the state key then comes from the histories alone. */
const EMPTY = {
  core: { buses: [], deferredPending: [], deferredActive: [], scheduler: { ready: [], delayed: [] }, systemState: "RUNNING" },
  arm64: null,
  clock: { now: () => 0 },
  lateDone: true,
  smmuDeviceNames: new Map([["smmuv3@9050000", "arm-smmu-v3.0.auto"]]),
} as unknown as Kernel;

function recs(events: readonly Record<string, unknown>[]): TraceRecord<DmasimEvent>[] {
  return events.map((e, seq) => ({ ...e, seq, time: 0 }) as unknown as TraceRecord<DmasimEvent>);
}

/** A probe of `dev` on StreamID `sid`: its group and domain allocated in the step, an STE write and a sync. */
function probe(dev: string, sid: number, group: number): Record<string, unknown>[] {
  return [
    { type: "iommu-group-alloc", group },
    { type: "iommu-group-add", group, device: dev },
    { type: "iommu-domain-alloc", domain: group, domainType: "DMA", driver: "arm-smmu-v3" },
    { type: "arm-smmu-cd", smmu: "arm-smmu-v3.0.auto", domain: group, ssid: 0, addr: 0x4000_0000 + group * 0x1000, asid: group + 1 },
    { type: "smmu-cmd", smmu: "smmuv3@9050000", index: group * 2, opcode: 3, name: "CMD_CFGI_STE", fields: { sid, leaf: true } },
    { type: "smmu-cmd", smmu: "smmuv3@9050000", index: group * 2 + 1, opcode: 70, name: "CMD_SYNC", fields: { cs: 2 } },
    { type: "arm-smmu-ste", smmu: "arm-smmu-v3.0.auto", sid, addr: 0x4200_0000 + sid * 64, config: "s1-trans", device: dev, domain: group },
    { type: "dma-map", device: dev, pa: 0x4100_0000 + group * 0x1000, dmaAddr: 0xffff_f000, size: 1500 },
  ];
}

function touchOf(events: readonly Record<string, unknown>[]): readonly string[] {
  const o = new RunObserver();
  o.advance(EMPTY, recs(events));
  return o.takeTouch().all;
}

describe("explorer state: touch", () => {
  it("a probe touches its device and its STE; the group, domain and ASID it allocates and the CMD_SYNC are its own", () => {
    expect(touchOf(probe("0000:00:03.0", 0x18, 0))).toEqual(["dev:0000:00:03.0", "ste:smmuv3@9050000:24"]);
  });

  it("a command on a StreamID another step uses, or an invalidate-all, makes the steps dependent", () => {
    const a = touchOf(probe("0000:00:03.0", 0x18, 0));
    const b = touchOf([{ type: "smmu-cmd", smmu: "smmuv3@9050000", index: 9, opcode: 3, name: "CMD_CFGI_STE", fields: { sid: 0x18, leaf: true } }]);
    expect(b.filter((x) => a.includes(x))).toEqual(["ste:smmuv3@9050000:24"]);
    expect(touchOf([{ type: "smmu-cmd", smmu: "smmuv3@9050000", index: 0, opcode: 4, name: "CMD_CFGI_ALL", fields: { sid: 0, range: 31 } }])).toEqual(["iommu:smmuv3@9050000"]);
    expect(touchOf([{ type: "smmu-tlbi", smmu: "smmuv3@9050000", command: "CMD_TLBI_NSNH_ALL", dropped: [] }])).toEqual(["iommu:smmuv3@9050000"]);
  });

  it("an event about no device is global, except the commuting deferred-probe trigger; a failed match is no touch", () => {
    expect(touchOf([{ type: "driver-register", driver: "nvme", bus: "pci" }])).toEqual(["global"]);
    expect(touchOf([{ type: "deferred-trigger", enabled: true, count: 3 }])).toEqual([]);
    expect(touchOf([{ type: "driver-match", device: "0000:00:03.0", driver: "nvme", ret: 0 }])).toEqual([]);
    expect(touchOf([{ type: "driver-match", device: "0000:00:03.0", driver: "e1000e", ret: 1 }])).toEqual(["dev:0000:00:03.0"]);
  });
});

describe("explorer state: canonical key", () => {
  it("history tokens leave out addresses and allocation numbers", () => {
    expect(eventToken({ type: "dma-map", device: "d", pa: 1, dmaAddr: 2, size: 3, result: { pa: 4, outcome: "ok" } })).toBe("type=dma-map|device=d|size=3|result.outcome=ok");
  });

  it("two independent probes in either order reach the same state; the same probes on swapped StreamIDs do not", () => {
    const key = (events: readonly Record<string, unknown>[]): string => {
      const o = new RunObserver();
      o.advance(EMPTY, recs(events));
      return o.stateKey(EMPTY, null, "");
    };
    const ab = key([...probe("0000:00:03.0", 0x18, 0), ...probe("0000:00:04.0", 0x20, 1)]);
    const ba = key([...probe("0000:00:04.0", 0x20, 0), ...probe("0000:00:03.0", 0x18, 1)]);
    const swapped = key([...probe("0000:00:03.0", 0x20, 0), ...probe("0000:00:04.0", 0x18, 1)]);
    expect(ba).toBe(ab);
    expect(swapped).not.toBe(ab);
  });
});
