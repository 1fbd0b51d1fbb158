/**
 * Waiting for work with a deadline kept by a {@link Clock}.
 *
 * @module
 */
import type { Clock, TimerHandle } from "./clock.js";

/**
 * Waits until every promise in `work` has settled, or until `ms` have passed on `clock`,
 * whichever comes first; the clock's timer is cleared either way. With a `ManualClock`, the
 * deadline passes only when the clock is advanced, so tests drive it without sleeping.
 *
 * @returns `true` when everything settled in time, `false` when the deadline passed first
 */
export async function settleWithin(clock: Clock, ms: number, work: ReadonlyArray<Promise<unknown> | undefined>): Promise<boolean> {
  const pending = work.filter((promise): promise is Promise<unknown> => promise !== undefined);
  if (pending.length === 0) return true;
  let handle: TimerHandle | undefined;
  const deadline = new Promise<boolean>((resolve) => (handle = clock.setTimer(() => resolve(false), ms)));
  try {
    return await Promise.race([Promise.allSettled(pending).then(() => true), deadline]);
  } finally {
    clock.clearTimer(handle!);
  }
}
