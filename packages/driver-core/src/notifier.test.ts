import { describe, expect, it } from "vitest";
import {
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_OK,
  NOTIFY_STOP,
  NOTIFY_STOP_MASK,
  NotifierChain,
  notifierFromErrno,
  notifierStops,
  notifierToErrno,
  type NotifierEvent,
} from "./notifier";
import { Trace } from "./trace";

function chain() {
  const trace = new Trace<NotifierEvent>();
  const calls: string[] = [];
  const c = new NotifierChain<string, string>({ name: "bus:platform", trace, describeData: (d) => d });
  const block = (name: string, priority: number | undefined, ret = NOTIFY_DONE) => ({
    name,
    ...(priority === undefined ? {} : { priority }),
    notifierCall: () => {
      calls.push(name);
      return ret;
    },
  });
  return { trace, calls, c, block };
}

describe("notifier constants (include/linux/notifier.h)", () => {
  it("match the header", () => {
    expect([NOTIFY_DONE, NOTIFY_OK, NOTIFY_STOP_MASK, NOTIFY_BAD, NOTIFY_STOP]).toEqual([0, 1, 0x8000, 0x8002, 0x8001]);
  });

  it("packs and unpacks errnos like notifier_from_errno/notifier_to_errno", () => {
    expect(notifierFromErrno(0)).toBe(NOTIFY_OK);
    expect(notifierFromErrno(-12)).toBe(0x800d); // NOTIFY_STOP_MASK | (NOTIFY_OK - (-ENOMEM))
    expect(notifierToErrno(notifierFromErrno(-12))).toBe(-12);
    expect(notifierToErrno(notifierFromErrno(-517))).toBe(-517);
    expect(notifierToErrno(NOTIFY_OK)).toBe(0);
    expect(notifierToErrno(NOTIFY_STOP)).toBe(0);
    expect(notifierToErrno(NOTIFY_DONE)).toBe(0);
  });

  it("treats a raw negative errno as a stop: -ENODEV is 0xFFFFFFED, bit 0x8000 set", () => {
    expect(notifierStops(-19)).toBe(true);
    expect(notifierStops(-517)).toBe(true);
    expect(notifierStops(NOTIFY_OK)).toBe(false);
    expect(notifierStops(NOTIFY_BAD)).toBe(true);
    expect(notifierStops(0x7fff)).toBe(false);
  });
});

describe("NotifierChain", () => {
  it("calls blocks highest priority first, whatever the registration order", () => {
    const { c, calls, block } = chain();
    c.register(block("__iommu_attach_notifier", -100));
    c.register(block("iommu_bus_notifier", 0));
    c.register(block("high", 10));
    c.callChain("ADD_DEVICE", "dev0");
    expect(calls).toEqual(["high", "iommu_bus_notifier", "__iommu_attach_notifier"]);
  });

  it("runs equal priorities in registration order (FIFO), default priority 0", () => {
    const { c, calls, block } = chain();
    c.register(block("arm64 (arch_initcall)", 0));
    c.register(block("low", -1));
    c.register(block("iommu_bus_notifier (bus_set_iommu)", undefined));
    c.register(block("third", 0));
    c.callChain("BIND_DRIVER", "dev0");
    expect(calls).toEqual(["arm64 (arch_initcall)", "iommu_bus_notifier (bus_set_iommu)", "third", "low"]);
  });

  it("stops on a raw negative errno, skipping the lower-priority block (the v4.7 chain stop)", () => {
    const { c, calls, block, trace } = chain();
    c.register(block("__iommu_attach_notifier", -100));
    c.register(block("iommu_bus_notifier", 0, -19));
    const ret = c.callChain("ADD_DEVICE", "0000:00:01.0");
    expect(ret).toBe(-19);
    expect(calls).toEqual(["iommu_bus_notifier"]);
    const end = trace.records.at(-1);
    expect(end).toMatchObject({ type: "notifier-chain-end", calls: 1, stopped: true, ret: -19 });
    expect(trace.records.find((r) => r.type === "notifier-return")).toMatchObject({ block: "iommu_bus_notifier", stop: true });
  });

  it("does not stop on NOTIFY_OK or NOTIFY_DONE; returns the last value; an empty chain returns NOTIFY_DONE", () => {
    const { c, calls, block } = chain();
    expect(c.callChain("ADD_DEVICE", "d")).toBe(NOTIFY_DONE);
    c.register(block("a", 1, NOTIFY_OK));
    c.register(block("b", 0, NOTIFY_DONE));
    expect(c.callChain("ADD_DEVICE", "d")).toBe(NOTIFY_DONE);
    expect(calls).toEqual(["a", "b"]);
  });

  it("stops on NOTIFY_STOP and notifier_from_errno values", () => {
    const { c, calls, block } = chain();
    c.register(block("a", 1, notifierFromErrno(-12)));
    c.register(block("b", 0));
    expect(c.callChain("x", "d")).toBe(0x800d);
    expect(calls).toEqual(["a"]);
  });

  it("unregisters (0, then -ENOENT) and survives a block removing its successor mid-walk", () => {
    const { c, calls } = chain();
    let removeB: () => number = () => 0;
    c.register({ name: "a", priority: 2, notifierCall: () => (calls.push("a"), removeB(), 0) });
    removeB = c.register({ name: "b", priority: 1, notifierCall: () => (calls.push("b"), 0) });
    c.register({ name: "c", priority: 0, notifierCall: () => (calls.push("c"), 0) });
    c.callChain("x", "d");
    // notifier_call_chain reads nb->next before calling nb: "a" already holds "b" as next.
    expect(calls).toEqual(["a", "b", "c"]);
    calls.length = 0;
    c.callChain("x", "d");
    expect(calls).toEqual(["a", "c"]);
    expect(removeB()).toBe(-2);
  });

  it("rejects registering the same block twice (the C list would corrupt)", () => {
    const { c, block } = chain();
    const b = block("a", 0);
    c.register(b);
    expect(() => c.register(b)).toThrow(/already on chain/);
  });

  it("traces registration, each call and return with priority and order", () => {
    const { c, block, trace } = chain();
    c.register(block("x", 5));
    c.callChain("ADD_DEVICE", "dev0");
    expect(trace.records.map((r) => r.type)).toEqual([
      "notifier-register",
      "notifier-chain-start",
      "notifier-call",
      "notifier-return",
      "notifier-chain-end",
    ]);
    expect(trace.records[2]).toMatchObject({ chain: "bus:platform", walk: 1, action: "ADD_DEVICE", data: "dev0", block: "x", priority: 5, order: 1 });
  });
});
