/**
 * Simulated time. Nothing in the model reads a wall clock: time moves only when the scheduler jumps to delayed work
 * (the deferred-probe timeout) or when a scenario advances it.
 *
 * @see kernel/time/jiffies.c (what the model replaces)
 */
import { KernelError } from "./errno";

/** Anything that tells the current simulated time, in microseconds. */
export interface Clock {
  /** The current simulated time in microseconds since boot. */
  now(): number;
}

/**
 * A deterministic clock in whole microseconds, starting at 0. Only moves forward.
 *
 * @see include/linux/jiffies.h (HZ-based time the kernel uses for delayed work)
 */
export class SimClock implements Clock {
  #nowUs: number;

  constructor(startUs = 0) {
    if (!Number.isSafeInteger(startUs) || startUs < 0) {
      throw new KernelError("clock-start", `clock start must be a non-negative integer, got ${startUs}`);
    }
    this.#nowUs = startUs;
  }

  /** Microseconds since boot. */
  now(): number {
    return this.#nowUs;
  }

  /** Moves to `timeUs`; moving backwards is a model bug. */
  advanceTo(timeUs: number): void {
    if (!Number.isSafeInteger(timeUs) || timeUs < this.#nowUs) {
      throw new KernelError("clock-backwards", `cannot move the clock from ${this.#nowUs} to ${timeUs}`);
    }
    this.#nowUs = timeUs;
  }

  /** Moves forward by `deltaUs` (a non-negative integer). */
  advanceBy(deltaUs: number): void {
    this.advanceTo(this.#nowUs + deltaUs);
  }
}
