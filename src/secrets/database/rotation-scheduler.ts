/**
 * One timer for all of a backend's scheduled rotations (never one per role).
 *
 * @module
 */
import type { Clock } from "../../util/clock.js";
import { DueQueue } from "../../util/due-queue.js";

/**
 * Keeps a due time per static role, on a {@link DueQueue} (one clock timer for the soonest). When
 * it fires, every name that is due is handed to `run` (concurrently). `run` reschedules the name
 * itself (next rotation, or a retry after a failure).
 */
export class RotationScheduler {
  readonly #due: DueQueue;

  /**
   * @param clock - the engine's clock
   * @param run - rotates `name`; must not reject (it handles its own failures)
   */
  constructor(clock: Clock, run: (name: string) => Promise<void>) {
    this.#due = new DueQueue(clock, async (names) => {
      await Promise.all(names.map((name) => run(name)));
    });
  }

  /** Schedules (or moves) `name` to run at `at` (ms since the epoch). */
  schedule(name: string, at: number): void {
    this.#due.schedule(name, at);
  }

  /** Forgets `name`. */
  unschedule(name: string): void {
    this.#due.cancel(name);
  }

  /** When `name` is due, if scheduled. */
  dueAt(name: string): number | undefined {
    return this.#due.dueAt(name);
  }

  /** Stops the timer; nothing runs after this. */
  close(): void {
    this.#due.close();
  }
}
