/**
 * A due-queue: keys with due times, and one clock timer for the soonest of them.
 *
 * @module
 */
import { MAX_TIMER_DELAY_MS, type Clock, type TimerHandle } from "./clock.js";
import { DueHeap } from "./due-heap.js";

/** Options of a {@link DueQueue}. */
export interface DueQueueOptions {
  /**
   * Once anything was scheduled, wake at least this often, even with nothing due (or nothing
   * left), and call `onDue` with whatever is due — possibly nothing. For work found elsewhere than
   * in the queue, such as leases on shared storage that no live process scheduled. Default: sleep
   * until the soonest key, and not at all when the queue is empty.
   */
  maxSleepMs?: number;
}

/**
 * Called with the keys that fell due (soonest first), already removed from the queue. The
 * queue's timer is re-armed for what remains before this runs, so it may schedule keys again
 * (a next run, a retry). It must not reject: it handles its own failures.
 */
export type DueCallback = (keys: string[], now: number) => Promise<void> | void;

/**
 * Keys scheduled at times, with exactly one clock timer armed for the soonest: never one timer
 * per key, and never a delay over 2^31-1 ms (a longer wait fires early, finds nothing due and
 * re-arms). Used by the lease scheduler and by static-role rotation.
 *
 * Rescheduling or cancelling a key never re-arms the timer for a later time: a timer that fires
 * with nothing due just re-arms, which is cheaper than re-arming on every change.
 */
export class DueQueue {
  readonly #clock: Clock;
  readonly #onDue: DueCallback;
  readonly #maxSleepMs: number;
  readonly #heap = new DueHeap();
  #timer: { handle: TimerHandle; dueAt: number } | undefined;
  #closed = false;

  /**
   * @param clock - the clock whose timers to use
   * @param onDue - runs what fell due (see {@link DueCallback})
   */
  constructor(clock: Clock, onDue: DueCallback, options: DueQueueOptions = {}) {
    this.#clock = clock;
    this.#onDue = onDue;
    this.#maxSleepMs = options.maxSleepMs ?? Infinity;
  }

  /** Keys scheduled. */
  get size(): number {
    return this.#heap.size;
  }

  /** Schedules (or moves) `key` to fall due at `at` (ms since the epoch). Ignored once closed. */
  schedule(key: string, at: number): void {
    if (this.#closed) return;
    this.#heap.schedule(key, at);
    if (!this.#timer || at < this.#timer.dueAt) this.#arm();
  }

  /** Unschedules `key` (a no-op for a key not scheduled). */
  cancel(key: string): void {
    this.#heap.remove(key);
  }

  /** Whether `key` is scheduled. */
  has(key: string): boolean {
    return this.#heap.has(key);
  }

  /** When `key` is due, if scheduled. */
  dueAt(key: string): number | undefined {
    return this.#heap.dueAt(key);
  }

  /** Stops the timer and forgets every key; nothing falls due after this, and nothing is scheduled. */
  close(): void {
    this.#closed = true;
    this.#disarm();
    this.#heap.clear();
  }

  /** Arms the one timer for the soonest key (or the next wake-up), replacing any other. */
  #arm(): void {
    this.#disarm();
    if (this.#closed) return;
    const now = this.#clock.now();
    const soonest = this.#heap.peekTime() ?? Infinity;
    const dueAt = Math.min(soonest, now + this.#maxSleepMs);
    if (dueAt === Infinity) return;
    const delay = Math.min(Math.max(0, dueAt - now), MAX_TIMER_DELAY_MS);
    this.#timer = { dueAt, handle: this.#clock.setTimer(() => this.#fire(), delay) };
  }

  #disarm(): void {
    if (this.#timer) this.#clock.clearTimer(this.#timer.handle);
    this.#timer = undefined;
  }

  async #fire(): Promise<void> {
    this.#timer = undefined;
    if (this.#closed) return;
    const now = this.#clock.now();
    const due = this.#heap.popDue(now);
    this.#arm();
    await this.#onDue(due, now);
  }
}
