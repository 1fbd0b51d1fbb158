/**
 * When a credential lease acts next: renew (or rotate) at a fraction of each granted term, and
 * retry failures with a backoff that never sleeps past the lease's end. Pure: no clock, no I/O.
 *
 * @module
 */

/** The default fraction of a term after which the lease is renewed: two thirds, as Vault Agent's. */
export const DEFAULT_RENEW_FRACTION = 2 / 3;

/** A granted term of a lease: from a read or a renewal, on the engine's clock. */
export interface LeaseTerm {
  /** When the term was granted (ms since the epoch). */
  readonly grantedAt: number;
  /** When the lease ends unless renewed (ms since the epoch). */
  readonly expiresAt: number;
  /**
   * True when renewing cannot extend it any further (capped at max TTL, or not renewable): the
   * next step is a rotation, not a renewal.
   */
  readonly final: boolean;
}

/**
 * When to act on a term: `fraction` of the way from grant to expiry, so that a third (by default)
 * of the term is left for a renewal to be retried, or for old connections to drain after a rotation.
 */
export function nextStepAt(term: LeaseTerm, fraction: number): number {
  return term.grantedAt + Math.floor((term.expiresAt - term.grantedAt) * fraction);
}

/**
 * Whether a renewal that was granted `grantedSeconds` for an ask of `askedSeconds` is the last one
 * that extends the lease: the engine grants less than asked only when it capped at the max TTL.
 */
export function isFinalRenewal(askedSeconds: number, grantedSeconds: number): boolean {
  return grantedSeconds < askedSeconds;
}

/** Backoff of retried steps. */
export interface RetryOptions {
  /** The first retry's delay (default 1 s). */
  initialMs?: number;
  /** The longest delay (default 60 s). */
  maxMs?: number;
}

/**
 * The delay before retry number `attempt` (1 for the first): doubling from `initialMs` up to
 * `maxMs`, and no longer than half the time left before `expiresAt`, so a lease about to end is
 * retried (and, once ended, replaced) promptly.
 */
export function retryDelay(attempt: number, now: number, expiresAt: number, options: RetryOptions = {}): number {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  const backoff = Math.min(max, initial * 2 ** Math.min(attempt - 1, 30));
  const left = expiresAt - now;
  return left > 2 * initial ? Math.min(backoff, Math.floor(left / 2)) : Math.min(backoff, initial);
}
