/**
 * A deterministic discrete-event scheduler standing in for workqueues and the async domain. Work runs only when
 * someone asks (`runPending`, `flushWork`, ...): the upper layers decide when the boot thread yields. Which ready
 * item runs next is a replaceable policy, so the explorer can enumerate interleavings.
 *
 * @see kernel/workqueue.c queue_work, queue_delayed_work, flush_work
 * @see kernel/async.c async_schedule, async_synchronize_full
 */
import { SimClock } from "./clock";
import { KernelError } from "./errno";
import type { TraceSink } from "./trace";

/**
 * A unit of deferred execution. The same object queued twice while pending is queued once, like a `work_struct`;
 * a running item may be queued again.
 *
 * @see include/linux/workqueue.h struct work_struct
 */
export interface WorkItem {
  /** Names the work in the trace, e.g. `"deferred_probe_work_func"`. */
  readonly name: string;
  /** The queue it runs on, e.g. `"deferwq"`, `"events"`, `"async"`. */
  readonly queue: string;
  /** The work function. */
  run(): void;
}

/**
 * Chooses which ready item runs next: returns an index into `ready` (ordered by when each became ready).
 * The default, {@link fifoPolicy}, returns 0.
 */
export type PickNextPolicy = (ready: readonly WorkItem[]) => number;

/** First ready, first run. */
export const fifoPolicy: PickNextPolicy = () => 0;

/** Events the scheduler writes to the trace (part of `DriverCoreEvent`). */
export type SchedulerEvent =
  | {
      readonly type: "work-queue";
      readonly work: string;
      readonly queue: string;
      readonly delayUs: number;
      readonly dueUs: number;
      /** True when the item was already pending and this call did nothing (`queue_work` returned false). */
      readonly alreadyPending: boolean;
    }
  | { readonly type: "work-cancel"; readonly work: string; readonly queue: string }
  | { readonly type: "work-start"; readonly work: string; readonly queue: string }
  | { readonly type: "work-end"; readonly work: string; readonly queue: string }
  | { readonly type: "clock-advance"; readonly from: number; readonly to: number };

/** Options of a {@link Scheduler}. */
export interface SchedulerOptions {
  readonly clock?: SimClock;
  readonly trace?: TraceSink<SchedulerEvent>;
  readonly pickNext?: PickNextPolicy;
  /** Upper bound on work items run by one call, to turn a livelock into a model error; default 1,000,000. */
  readonly maxSteps?: number;
}

interface DelayedEntry {
  readonly item: WorkItem;
  readonly dueUs: number;
  readonly order: number;
}

/**
 * Workqueues and async execution in one deterministic run queue.
 *
 * @see kernel/workqueue.c
 * @see kernel/async.c
 */
export class Scheduler {
  readonly clock: SimClock;
  /** The policy choosing among ready items; replace it to explore interleavings. */
  pickNext: PickNextPolicy;
  readonly #trace: TraceSink<SchedulerEvent> | undefined;
  readonly #maxSteps: number;
  readonly #ready: WorkItem[] = [];
  readonly #delayed: DelayedEntry[] = [];
  #orders = 0;

  constructor(options: SchedulerOptions = {}) {
    this.clock = options.clock ?? new SimClock();
    this.#trace = options.trace;
    this.pickNext = options.pickNext ?? fifoPolicy;
    this.#maxSteps = options.maxSteps ?? 1_000_000;
  }

  /** Items ready to run, in the order they became ready. */
  get ready(): readonly WorkItem[] {
    return this.#ready;
  }

  /** Delayed items not yet due, soonest first. */
  get delayed(): readonly { readonly item: WorkItem; readonly dueUs: number }[] {
    return this.#delayed;
  }

  /** Whether `item` is queued (ready or delayed) and not yet started. */
  isPending(item: WorkItem): boolean {
    return this.#ready.includes(item) || this.#delayed.some((d) => d.item === item);
  }

  /**
   * Queues `item` to run; returns false (and does nothing) if it is already pending.
   *
   * @see kernel/workqueue.c queue_work
   */
  queueWork(item: WorkItem): boolean {
    return this.queueDelayedWork(item, 0);
  }

  /**
   * Queues `item` to become ready `delayUs` from now; returns false if it is already pending.
   *
   * @see kernel/workqueue.c queue_delayed_work
   */
  queueDelayedWork(item: WorkItem, delayUs: number): boolean {
    if (!Number.isSafeInteger(delayUs) || delayUs < 0) {
      throw new KernelError("bad-delay", `work ${item.name}: delay must be a non-negative integer, got ${delayUs}`);
    }
    const dueUs = this.clock.now() + delayUs;
    const alreadyPending = this.isPending(item);
    this.#trace?.emit({ type: "work-queue", work: item.name, queue: item.queue, delayUs, dueUs, alreadyPending });
    if (alreadyPending) return false;
    this.#orders += 1;
    if (delayUs === 0) this.#ready.push(item);
    else this.#insertDelayed({ item, dueUs, order: this.#orders });
    return true;
  }

  /**
   * Removes `item` if it is pending; returns whether it was.
   *
   * @see kernel/workqueue.c cancel_delayed_work
   */
  cancelWork(item: WorkItem): boolean {
    const r = this.#ready.indexOf(item);
    const d = this.#delayed.findIndex((e) => e.item === item);
    if (r < 0 && d < 0) return false;
    if (r >= 0) this.#ready.splice(r, 1);
    if (d >= 0) this.#delayed.splice(d, 1);
    this.#trace?.emit({ type: "work-cancel", work: item.name, queue: item.queue });
    return true;
  }

  /** Runs one ready item chosen by the policy; returns false if none was ready. */
  runOne(): boolean {
    return this.#runFrom(this.#ready);
  }

  /** Runs ready items until none is ready (delayed items stay delayed); returns how many ran. */
  runPending(): number {
    let steps = 0;
    while (this.#ready.length > 0) {
      this.#step(++steps);
      this.runOne();
    }
    return steps;
  }

  /**
   * Runs ready items; when none is ready and delayed work exists, advances the clock to the next due item; repeats
   * until nothing is queued. Returns how many items ran.
   */
  runUntilIdle(): number {
    let steps = 0;
    for (;;) {
      steps += this.runPending();
      const next = this.#delayed[0];
      if (next === undefined) return steps;
      this.advanceTo(next.dueUs);
    }
  }

  /**
   * Runs ready items (chosen by the policy, so other ready work may run first) until `item` is neither pending nor
   * running. Does not advance the clock for a delayed `item`.
   *
   * @see kernel/workqueue.c flush_work
   */
  flushWork(item: WorkItem): void {
    let steps = 0;
    while (this.#ready.includes(item)) {
      this.#step(++steps);
      this.runOne();
    }
  }

  /**
   * `flush(item)` waits for one work item ({@link flushWork}); `flush()` runs everything ready ({@link runPending}).
   */
  flush(item?: WorkItem): void {
    if (item === undefined) this.runPending();
    else this.flushWork(item);
  }

  /**
   * Runs ready items until no item of `queue` is ready (others may interleave, per the policy).
   *
   * @see kernel/workqueue.c flush_workqueue
   * @see kernel/async.c async_synchronize_full (queue `"async"`)
   */
  flushQueue(queue: string): void {
    let steps = 0;
    while (this.#ready.some((w) => w.queue === queue)) {
      this.#step(++steps);
      this.runOne();
    }
  }

  /** Advances the clock to `timeUs` (traced) and makes due delayed items ready, in due order. */
  advanceTo(timeUs: number): void {
    const from = this.clock.now();
    if (timeUs > from) {
      this.clock.advanceTo(timeUs);
      this.#trace?.emit({ type: "clock-advance", from, to: timeUs });
    }
    while (this.#delayed.length > 0 && (this.#delayed[0] as DelayedEntry).dueUs <= this.clock.now()) {
      this.#ready.push((this.#delayed.shift() as DelayedEntry).item);
    }
  }

  /** Advances the clock by `deltaUs`. */
  advanceBy(deltaUs: number): void {
    this.advanceTo(this.clock.now() + deltaUs);
  }

  #insertDelayed(entry: DelayedEntry): void {
    let i = this.#delayed.length;
    while (i > 0) {
      const prev = this.#delayed[i - 1] as DelayedEntry;
      if (prev.dueUs < entry.dueUs || (prev.dueUs === entry.dueUs && prev.order < entry.order)) break;
      i -= 1;
    }
    this.#delayed.splice(i, 0, entry);
  }

  #runFrom(ready: WorkItem[]): boolean {
    if (ready.length === 0) return false;
    const index = this.pickNext(ready);
    if (!Number.isInteger(index) || index < 0 || index >= ready.length) {
      throw new KernelError("bad-pick", `pickNext returned ${index} for ${ready.length} ready items`);
    }
    const [item] = ready.splice(index, 1) as [WorkItem];
    this.#trace?.emit({ type: "work-start", work: item.name, queue: item.queue });
    item.run();
    this.#trace?.emit({ type: "work-end", work: item.name, queue: item.queue });
    return true;
  }

  #step(steps: number): void {
    if (steps > this.#maxSteps) {
      throw new KernelError("livelock", `more than ${this.#maxSteps} work items ran in one call`);
    }
  }
}
