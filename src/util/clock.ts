/**
 * Time, injected. Everything in vaultlet that depends on "now" or waits for a moment asks a
 * {@link Clock}, so tests (ours and our users') can move time with {@link ManualClock} instead of
 * sleeping.
 *
 * @module
 */
import { parseDuration } from "./ttl.js";

/** An opaque handle returned by {@link Clock.setTimer}; pass it back to {@link Clock.clearTimer}. */
export type TimerHandle = object;

/** A callback run by a {@link Clock} timer. It may return a promise; {@link ManualClock} awaits it. */
export type TimerCallback = () => void | Promise<void>;

/**
 * The source of time and timers.
 *
 * Implementations must accept any non-negative delay: callers never pass more than 2^31-1 ms (the
 * limit of Node's timers), and re-arm when a timer fires before their deadline.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` once, `delayMs` from now. */
  setTimer(callback: TimerCallback, delayMs: number): TimerHandle;
  /** Cancels a timer; cancelling a timer that already ran is a no-op. */
  clearTimer(handle: TimerHandle): void;
}

/** The largest delay Node's `setTimeout` honours; longer delays fire immediately. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * The default clock: `Date.now()` and Node timers.
 *
 * Timers are `unref()`ed so an engine never keeps its host process alive on its own; a host that
 * wants leases to be revoked on time keeps running anyway, and unrevoked leases are durable.
 */
export class SystemClock implements Clock {
  /** @inheritdoc */
  now(): number {
    return Date.now();
  }

  /** @inheritdoc */
  setTimer(callback: TimerCallback, delayMs: number): TimerHandle {
    const timer = setTimeout(() => void callback(), Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS));
    timer.unref();
    return timer;
  }

  /** @inheritdoc */
  clearTimer(handle: TimerHandle): void {
    clearTimeout(handle as NodeJS.Timeout);
  }
}

interface ManualTimer {
  readonly id: number;
  readonly dueAt: number;
  readonly callback: TimerCallback;
}

/**
 * A clock that only moves when told to. Exported for tests.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const engine = await Engine.open({ storage: new MemoryStorage(), clock });
 * // … issue credentials with a 1h TTL …
 * await clock.advance("2h"); // the lease expired and its database user is dropped
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers = new Map<number, ManualTimer>();

  /** @param start - the initial time, ms since the epoch (default: the real current time) */
  constructor(start: number | Date = Date.now()) {
    this.#now = typeof start === "number" ? start : start.getTime();
  }

  /** @inheritdoc */
  now(): number {
    return this.#now;
  }

  /** @inheritdoc */
  setTimer(callback: TimerCallback, delayMs: number): TimerHandle {
    const timer: ManualTimer = { id: this.#nextId++, dueAt: this.#now + Math.max(0, delayMs), callback };
    this.#timers.set(timer.id, timer);
    return { id: timer.id };
  }

  /** @inheritdoc */
  clearTimer(handle: TimerHandle): void {
    this.#timers.delete((handle as { id: number }).id);
  }

  /** How many timers are armed; useful to assert that an engine stopped its timers. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `duration` (ms as a number, or a duration string such as `"2h"`), running
   * every timer that falls due in order, each at its own due time. Resolves once all of them —
   * including the asynchronous work they start, such as revocations — have finished.
   */
  async advance(duration: number | string): Promise<void> {
    const deltaMs = typeof duration === "number" ? duration : parseDuration(duration, "duration") * 1000;
    const target = this.#now + deltaMs;
    for (let timer = this.#nextDue(target); timer; timer = this.#nextDue(target)) {
      this.#timers.delete(timer.id);
      this.#now = Math.max(this.#now, timer.dueAt);
      await timer.callback();
    }
    this.#now = target;
  }

  /** Sets the time without running timers; timers that are now overdue run on the next `advance`. */
  set(time: number | Date): void {
    this.#now = typeof time === "number" ? time : time.getTime();
  }

  #nextDue(limit: number): ManualTimer | undefined {
    let soonest: ManualTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.dueAt <= limit && (!soonest || timer.dueAt < soonest.dueAt)) soonest = timer;
    }
    return soonest;
  }
}
