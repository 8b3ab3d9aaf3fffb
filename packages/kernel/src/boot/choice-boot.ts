/**
 * Where `boot` asks its {@link Chooser}: the orderable slots of each initcall level, the scheduler's pick among ready
 * work, the boot thread's yields (run ahead of async probes or not), module loads racing runtime actions, and
 * injected probe failures. Only used when the caller gives a chooser or a choice list; otherwise `boot` runs its
 * fixed default path.
 */
import { Errno, errnoName, INITCALL_LEVELS, type InitcallTable, type LinkOrder, type WorkItem } from "@dmasim/driver-core";
import type { ExploreSpec } from "../scenario/schema";
import type { ChoicePoint, ChoiceSettings, Chooser } from "./choices";
import type { Kernel } from "./kernel";

/** The boot thread's position, for choice points' `at` (kept from the trace as the boot runs). */
export interface BootCursor {
  at: string;
}

/** Labels of ready work items: `queue/name`, with `#i` appended where two ready items share a name. */
export function workLabels(ready: readonly WorkItem[]): string[] {
  const labels = ready.map((w) => `${w.queue}/${w.name}`);
  const seen = new Map<string, number>();
  for (const l of labels) seen.set(l, (seen.get(l) ?? 0) + 1);
  const idx = new Map<string, number>();
  return labels.map((l) => {
    if ((seen.get(l) ?? 0) < 2) return l;
    const i = idx.get(l) ?? 0;
    idx.set(l, i + 1);
    return `${l}#${i}`;
  });
}

/**
 * The state every choice point of one boot shares: the chooser, the kernel, the cursor, and a one-shot forced pick
 * (the boot thread's yield decides the item, then the scheduler runs it).
 */
export class ChoiceContext {
  readonly chooser: Chooser;
  readonly settings: ChoiceSettings;
  readonly cursor: BootCursor = { at: "start" };
  kernel: Kernel | null = null;
  #forced: number | null = null;
  #faultsLeft: Map<number, number>;
  #faultsTotal: number;

  constructor(chooser: Chooser, settings: ChoiceSettings) {
    this.chooser = chooser;
    this.settings = settings;
    this.#faultsLeft = new Map((settings.faults ?? []).filter((f) => f.max > 0).map((f) => [f.errno, f.max]));
    this.#faultsTotal = settings.maxFaults ?? (settings.faults ?? []).reduce((a, f) => a + Math.max(0, f.max), 0);
  }

  /** Asks the chooser (the kernel must exist). */
  ask(point: ChoicePoint): number {
    if (this.kernel === null) throw new Error("a choice point before the kernel exists");
    return this.chooser.choose(point, this.kernel);
  }

  /**
   * The scheduler's policy: a forced pick from a boot-thread yield, else a `schedule` choice among two or more
   * ready items.
   *
   * @see kernel/workqueue.c (concurrent workers: any ready item may run first)
   */
  readonly pickNext = (ready: readonly WorkItem[]): number => {
    const forced = this.#forced;
    if (forced !== null) {
      this.#forced = null;
      return forced;
    }
    if (ready.length < 2) return 0;
    return this.ask({ kind: "schedule", labels: workLabels(ready), at: this.cursor.at });
  };

  /**
   * The boot thread yields: ready work runs, one item at a time, each a `schedule` choice; where only async work is
   * ready and `asyncPreemption` allows it, the last option is `"boot"`: the boot thread goes on and the items stay
   * queued (they run at a later yield or at `async_synchronize_full`). `mayRunAhead` false is a full drain.
   *
   * @see kernel/async.c async_synchronize_full; init/main.c kernel_init (waits for async work before userspace)
   */
  yieldToWork(k: Kernel, mayRunAhead: boolean): void {
    const s = k.core.scheduler;
    for (let guard = 0; s.ready.length > 0; guard++) {
      if (guard > 1_000_000) throw new Error("livelock: more than 1,000,000 work items at one yield");
      const ready = s.ready;
      const ahead = mayRunAhead && this.settings.asyncPreemption !== false && ready.every((w) => w.queue === "async");
      const labels = workLabels(ready);
      if (ahead) labels.push("boot");
      const c = labels.length < 2 ? 0 : this.ask({ kind: "schedule", labels, at: this.cursor.at });
      if (ahead && c === ready.length) return;
      this.#forced = c;
      s.runOne();
      this.#forced = null;
    }
  }

  /**
   * The link order of every level: the orderable initcalls keep their slots in the level's base order, and each slot
   * in turn is filled by a `link-order` choice among the orderable calls not placed yet (default: base order).
   *
   * @see drivers/Makefile (link order is the order of `obj-y` lines); include/linux/init.h
   */
  linkOrder(table: InitcallTable, base: LinkOrder, builtins: ReadonlyMap<string, readonly string[]>): { ok: true; value: LinkOrder } | { ok: false; error: { level: string; message: string } } {
    const out: Record<string, readonly string[]> = { ...base };
    for (const level of INITCALL_LEVELS) {
      const order = table.orderOf(level, base);
      if (!order.ok) return { ok: false, error: { level, message: order.error.message } };
      const names = order.value.map((c) => c.name);
      const wanted = new Set([...(this.settings.orderable?.[level] ?? []), ...(builtins.get(level) ?? [])]);
      const slots = names.flatMap((n, i) => (wanted.has(n) ? [i] : []));
      if (slots.length < 2) continue;
      const remaining = slots.map((i) => names[i] as string);
      const filled = [...names];
      for (const slot of slots) {
        const c = remaining.length < 2 ? 0 : this.ask({ kind: "link-order", labels: [...remaining], at: `link-order:${level}` });
        filled[slot] = remaining.splice(c, 1)[0] as string;
      }
      out[level] = filled;
    }
    return { ok: true, value: out };
  }

  /**
   * A probe call: unless the budget is spent or the device is not eligible, a `fault` choice between running the
   * probe (`none`) and failing it with one of the errnos that still have budget.
   *
   * @see drivers/base/dd.c really_probe (a probe returning -ENOMEM or -EPROBE_DEFER)
   */
  probeFault(device: string): number | null {
    if (this.#faultsTotal <= 0) return null;
    const only = this.settings.faultDevices;
    if (only !== undefined && !only.includes(device)) return null;
    const errnos = [...this.#faultsLeft].filter(([, n]) => n > 0).map(([e]) => e);
    if (errnos.length === 0) return null;
    const c = this.ask({ kind: "fault", labels: ["none", ...errnos.map((e) => errnoName(e))], at: `probe:${device}` });
    if (c === 0) return null;
    const errno = errnos[c - 1] as number;
    this.#faultsLeft.set(errno, (this.#faultsLeft.get(errno) ?? 0) - 1);
    this.#faultsTotal -= 1;
    return errno;
  }

  /** What is left of the fault budget (part of the explorer's state). */
  faultBudgetKey(): string {
    return `${this.#faultsTotal}:${[...this.#faultsLeft].map(([e, n]) => `${e}=${n}`).join(",")}`;
  }
}

/** The fault budgets of `inject` ({ enomem, defer }). */
export function injectFaults(inject: { readonly enomem?: number; readonly defer?: number } | undefined): readonly { errno: number; max: number }[] {
  if (inject === undefined) return [];
  return [
    { errno: -Errno.ENOMEM, max: Math.max(0, Math.trunc(inject.enomem ?? 0)) },
    { errno: -Errno.EPROBE_DEFER, max: Math.max(0, Math.trunc(inject.defer ?? 0)) },
  ].filter((f) => f.max > 0);
}

/**
 * The choice settings of a scenario's `explore` block; `inject` (the explorer's option) replaces its fault budget.
 * Without either, no faults are injected.
 */
export function choiceSettingsOf(e: ExploreSpec | undefined, inject?: { readonly enomem?: number; readonly defer?: number }): ChoiceSettings {
  const faults = inject !== undefined ? injectFaults(inject) : (e?.faults?.errnos ?? [-Errno.ENOMEM]).map((errno) => ({ errno, max: e?.faults?.max ?? 0 }));
  return {
    ...(e?.orderable === undefined ? {} : { orderable: e.orderable }),
    ...(e?.raceActions === undefined ? {} : { raceActions: e.raceActions }),
    ...(e?.asyncPreemption === undefined ? {} : { asyncPreemption: e.asyncPreemption }),
    faults,
    ...(inject === undefined && e?.faults !== undefined ? { maxFaults: e.faults.max } : {}),
    ...(inject === undefined && e?.faults?.devices !== undefined ? { faultDevices: e.faults.devices } : {}),
  };
}
