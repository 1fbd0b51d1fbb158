/**
 * The timer of the leases: when each one falls due, on one {@link DueQueue}.
 *
 * @module
 */
import type { Clock } from "../util/clock.js";
import { DueQueue } from "../util/due-queue.js";

/** What the scheduler does when leases fall due. */
export interface DueHandler {
  /** Revokes leases this process scheduled that fell due together (single-process storage). Must not reject. */
  revokeScheduled(ids: readonly string[]): Promise<void>;
  /**
   * Shared storage: revokes the due leases this process manages to claim, whatever it scheduled.
   * Must not reject.
   */
  revokeClaimed?(now: number): Promise<void>;
}

/**
 * Keeps every active lease's next due time (expiry, retry or rollback) and one clock timer for
 * the soonest. The schedule is only a cache of storage: a revocation re-reads its lease first.
 *
 * On shared storage (`handler.revokeClaimed` given) the timer also wakes every `pollIntervalMs`,
 * and each wake claims due leases from storage instead of trusting the ids that fell due here: of
 * several processes, exactly one revokes each lease, and leases of a process that died are found.
 */
export class LeaseScheduler {
  readonly #due: DueQueue;
  readonly #handler: DueHandler;

  /**
   * @param clock - the engine's clock
   * @param pollIntervalMs - shared storage: the longest sleep between looks at storage
   */
  constructor(clock: Clock, handler: DueHandler, pollIntervalMs: number) {
    this.#handler = handler;
    const maxSleepMs = handler.revokeClaimed ? pollIntervalMs : undefined;
    this.#due = new DueQueue(clock, (ids, now) => this.#onDue(ids, now), { maxSleepMs });
  }

  /** Leases scheduled. */
  get size(): number {
    return this.#due.size;
  }

  /** Schedules (or moves) lease `id` to fall due at `at` (ms since the epoch). */
  schedule(id: string, at: number): void {
    this.#due.schedule(id, at);
  }

  /** Unschedules a lease that is gone. */
  cancel(id: string): void {
    this.#due.cancel(id);
  }

  /** Stops the timer; nothing falls due after this. */
  close(): void {
    this.#due.close();
  }

  async #onDue(ids: string[], now: number): Promise<void> {
    if (this.#handler.revokeClaimed) return this.#handler.revokeClaimed(now);
    await this.#handler.revokeScheduled(ids);
  }
}
