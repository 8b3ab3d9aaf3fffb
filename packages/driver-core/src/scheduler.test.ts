import { describe, expect, it } from "vitest";
import { SimClock } from "./clock";
import { Scheduler, type SchedulerEvent, type WorkItem } from "./scheduler";
import { Trace } from "./trace";

function setup() {
  const clock = new SimClock();
  const trace = new Trace<SchedulerEvent>(clock);
  const sched = new Scheduler({ clock, trace });
  const ran: string[] = [];
  const work = (name: string, queue = "events", body?: () => void): WorkItem => ({
    name,
    queue,
    run: () => {
      ran.push(name);
      body?.();
    },
  });
  return { clock, trace, sched, ran, work };
}

describe("Scheduler", () => {
  it("runs ready work first-in first-out and only when asked", () => {
    const { sched, ran, work } = setup();
    sched.queueWork(work("a"));
    sched.queueWork(work("b"));
    expect(ran).toEqual([]);
    expect(sched.runPending()).toBe(2);
    expect(ran).toEqual(["a", "b"]);
  });

  it("queues a pending item once (queue_work returns false), but re-queues a running one", () => {
    const { sched, ran, work } = setup();
    let again = true;
    const w: WorkItem = work("w", "events", () => {
      if (again) {
        again = false;
        expect(sched.queueWork(w)).toBe(true);
      }
    });
    expect(sched.queueWork(w)).toBe(true);
    expect(sched.queueWork(w)).toBe(false);
    sched.runPending();
    expect(ran).toEqual(["w", "w"]);
  });

  it("holds delayed work until the clock reaches it; runUntilIdle advances the clock", () => {
    const { sched, ran, work, clock, trace } = setup();
    sched.queueDelayedWork(work("late"), 10_000_000);
    sched.queueDelayedWork(work("soon"), 5);
    sched.queueWork(work("now"));
    sched.runPending();
    expect(ran).toEqual(["now"]);
    sched.runUntilIdle();
    expect(ran).toEqual(["now", "soon", "late"]);
    expect(clock.now()).toBe(10_000_000);
    expect(trace.records.filter((r) => r.type === "clock-advance").map((r) => (r.type === "clock-advance" ? r.to : 0))).toEqual([5, 10_000_000]);
  });

  it("lets a policy choose among ready items (the explorer's hook)", () => {
    const { sched, ran, work } = setup();
    sched.pickNext = (ready) => ready.length - 1;
    for (const n of ["a", "b", "c"]) sched.queueWork(work(n));
    sched.runPending();
    expect(ran).toEqual(["c", "b", "a"]);
    sched.pickNext = () => 7;
    sched.queueWork(work("x"));
    expect(() => sched.runOne()).toThrow(/pickNext returned 7/);
  });

  it("flushWork runs until the item is done; flushQueue drains one queue", () => {
    const { sched, ran, work } = setup();
    const target = work("target", "deferwq");
    sched.queueWork(work("async1", "async"));
    sched.queueWork(target);
    sched.queueWork(work("after", "events"));
    sched.flushWork(target);
    expect(ran).toEqual(["async1", "target"]);
    sched.queueWork(work("async2", "async"));
    sched.flushQueue("async");
    expect(ran).toEqual(["async1", "target", "after", "async2"]);
    sched.queueWork(work("x"));
    sched.queueDelayedWork(work("later"), 10);
    sched.flush();
    expect(ran.at(-1)).toBe("x");
    expect(sched.delayed).toHaveLength(1);
  });

  it("cancels pending work and turns a livelock into a model error", () => {
    const { clock, work } = setup();
    const sched = new Scheduler({ clock, maxSteps: 10 });
    const w = work("d");
    sched.queueDelayedWork(w, 100);
    expect(sched.cancelWork(w)).toBe(true);
    expect(sched.cancelWork(w)).toBe(false);
    const loop: WorkItem = { name: "loop", queue: "q", run: () => void sched.queueWork(loop) };
    sched.queueWork(loop);
    expect(() => sched.runPending()).toThrow(/more than 10/);
  });
});
