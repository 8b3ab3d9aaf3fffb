/**
 * The structured trace every dmasim layer writes to: plain JSON events discriminated by `type`, each recorded with a
 * sequence number and the simulated time (architecture.md, "Trace").
 */
import { SimClock, type Clock } from "./clock";

/** Where a layer sends its events. Packages that cannot import driver-core declare the same shape structurally. */
export interface TraceSink<TEvent extends { readonly type: string }> {
  /** Records one event. */
  emit(event: TEvent): void;
}

/** An event as recorded: the event plus its sequence number (0-based, dense) and the simulated time in µs. */
export type TraceRecord<TEvent extends { readonly type: string }> = TEvent & {
  readonly seq: number;
  readonly time: number;
};

/** Called for every record as it is made (live printing, streaming). */
export type TraceListener<TEvent extends { readonly type: string }> = (record: TraceRecord<TEvent>) => void;

/**
 * An in-memory trace. Same inputs, same records: `JSON.stringify(trace.records)` is byte-stable.
 *
 * @example
 * ```ts
 * const trace = new Trace<DriverCoreEvent>();
 * const core = new DriverCore({ era: DRIVER_CORE_ERAS["v6.1"], trace });
 * ```
 */
export class Trace<TEvent extends { readonly type: string }> implements TraceSink<TEvent> {
  /** The clock stamped on each record; pass the same clock to the layers that advance time. */
  readonly clock: Clock;
  readonly #records: TraceRecord<TEvent>[] = [];
  readonly #listeners: TraceListener<TEvent>[] = [];

  constructor(clock: Clock = new SimClock()) {
    this.clock = clock;
  }

  /** Every record so far, in emission order (`records[i].seq === i`). */
  get records(): readonly TraceRecord<TEvent>[] {
    return this.#records;
  }

  /**
   * Records `event`. The trace keeps the object itself (adding `seq` and `time`) rather than a copy: emitters
   * build a fresh object per event and must not change it afterwards. An object emitted twice is copied.
   */
  emit(event: TEvent): void {
    const record = (Object.prototype.hasOwnProperty.call(event, "seq") ? { ...event } : event) as unknown as {
      seq: number;
      time: number;
    };
    record.seq = this.#records.length;
    record.time = this.clock.now();
    this.#records.push(record as unknown as TraceRecord<TEvent>);
    for (const listener of this.#listeners) listener(record as unknown as TraceRecord<TEvent>);
  }

  /** Calls `listener` for every later record; returns the function that stops it. */
  subscribe(listener: TraceListener<TEvent>): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }
}

/** A sink that drops everything (for benchmarks and callers that do not want a trace). */
export const NULL_TRACE_SINK: TraceSink<{ readonly type: string }> = { emit: () => undefined };
