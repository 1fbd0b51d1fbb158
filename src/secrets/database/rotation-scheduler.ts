/**
 * One timer for all of a backend's scheduled rotations (never one per role).
 *
 * @module
 */
import { MAX_TIMER_DELAY_MS, type Clock, type TimerHandle } from "../../util/clock.js";

/**
 * Keeps a due time per name and one clock timer for the soonest. When it fires, every name that
 * is due is handed to `run` (concurrently), and the timer is re-armed for what remains. `run`
 * reschedules the name itself (next rotation, or a retry after a failure).
 */
export class RotationScheduler {
  readonly #clock: Clock;
  readonly #run: (name: string) => Promise<void>;
  readonly #due = new Map<string, number>();
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  #closed = false;

  /**
   * @param clock - the engine's clock
   * @param run - rotates `name`; must not reject (it handles its own failures)
   */
  constructor(clock: Clock, run: (name: string) => Promise<void>) {
    this.#clock = clock;
    this.#run = run;
  }

  /** Schedules (or moves) `name` to run at `at` (ms since the epoch). */
  schedule(name: string, at: number): void {
    if (this.#closed) return;
    this.#due.set(name, at);
    if (at < this.#timerAt) this.#arm();
  }

  /** Forgets `name`. */
  unschedule(name: string): void {
    this.#due.delete(name);
  }

  /** When `name` is due, if scheduled. */
  dueAt(name: string): number | undefined {
    return this.#due.get(name);
  }

  /** Stops the timer; nothing runs after this. */
  close(): void {
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#due.clear();
  }

  #arm(): void {
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#closed || this.#due.size === 0) return;
    const soonest = Math.min(...this.#due.values());
    const delay = Math.min(Math.max(0, soonest - this.#clock.now()), MAX_TIMER_DELAY_MS);
    this.#timerAt = soonest;
    this.#timer = this.#clock.setTimer(() => this.#fire(), delay);
  }

  async #fire(): Promise<void> {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#clock.now();
    const due = [...this.#due].filter(([, at]) => at <= now).map(([name]) => name);
    for (const name of due) this.#due.delete(name);
    await Promise.all(due.map((name) => this.#run(name)));
    this.#arm();
  }
}
