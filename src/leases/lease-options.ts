/**
 * The lease manager's tuning: revocation, retries, shutdown and shared storage.
 *
 * @module
 */

/** Tuning of revocation; every field has a sensible default. */
export interface RevocationOptions {
  /** Revocations that may run at once (default 8). */
  concurrency?: number;
  /**
   * Batches of leases that fell due (an expiry storm) revoked at once while the engine is serving
   * requests (default 1; at most `concurrency`). When no request is in flight, the storm runs at
   * `concurrency`. Each batch holds a database transaction: several at once made requests wait
   * behind them. Raise it to favour the storm's pace over request latency.
   */
  concurrencyUnderLoad?: number;
  /** Failed attempts after which a lease becomes irrevocable (default 6). */
  maxAttempts?: number;
  /** The first retry delay in ms; it doubles each attempt, with jitter (default 1 s). */
  initialBackoffMs?: number;
  /** The longest retry delay in ms (default 5 min). */
  maxBackoffMs?: number;
  /** How often an irrevocable lease is retried, in ms (default 1 h). */
  irrevocableRetryMs?: number;
  /**
   * The longest wait, in ms, between two tries to reach a database that does not answer (default
   * 10 s). Revocations that fail because their database is unreachable spend no attempt: they wait
   * for it, and one of them tries again after `initialBackoffMs`, doubling up to this; once one
   * succeeds (or anything else reaches that database), all of them resume at once.
   */
  unreachableRetryMs?: number;
  /**
   * How long `close()` waits for revocations in flight, in ms of the engine's clock (default 10 s).
   * With a `ManualClock`, the wait ends when the clock is advanced past it (or when they finish).
   */
  closeTimeoutMs?: number;
  /**
   * Storage shared by several processes (one that implements `claimDue`, e.g. PostgresStorage):
   * how long a process's claim on a due lease holds, in ms, before another process may take the
   * lease over because the first one died (default 5 min). Keep it well above a revocation's time.
   */
  claimMs?: number;
  /**
   * Shared storage: how often each process looks for due leases that no live process scheduled
   * (issued by a process that has since died), in ms (default 30 s).
   */
  pollIntervalMs?: number;
  /**
   * Shared storage: how long a `pending` lease (its secret still being created, possibly by another
   * process) is left alone before it is rolled back, in ms (default 5 min). With storage used by
   * one process only, pending leases found on open are rolled back at once.
   */
  pendingGraceMs?: number;
  /**
   * Whether this engine revokes the leases that fall due — expiries, retries of failed
   * revocations, rollbacks of pending leases — at open and later (default `true`). `false` makes an
   * engine that revokes only what its requests ask for (`sys/leases/revoke…`, a token's
   * revocation, a disabled mount) and leaves the rest in storage, due, for the engines that keep
   * running (on shared storage they claim it; otherwise the next engine opened on the storage
   * revokes it). For short-lived operator processes, such as the `vaultlet` CLI: one that claimed
   * due leases and exited would leave them claimed, unrevoked, for `claimMs`.
   */
  revokeDue?: boolean;
}

/** {@link RevocationOptions} with every default filled in. */
export type ResolvedRevocationOptions = Required<RevocationOptions>;

const DEFAULTS: ResolvedRevocationOptions = {
  concurrency: 8,
  concurrencyUnderLoad: 1,
  maxAttempts: 6,
  initialBackoffMs: 1000,
  maxBackoffMs: 5 * 60_000,
  irrevocableRetryMs: 60 * 60_000,
  unreachableRetryMs: 10_000,
  closeTimeoutMs: 10_000,
  claimMs: 5 * 60_000,
  pollIntervalMs: 30_000,
  pendingGraceMs: 5 * 60_000,
  revokeDue: true,
};

/** The options with defaults filled in; an option given as `undefined` keeps its default. */
export function resolveRevocationOptions(options: RevocationOptions = {}): ResolvedRevocationOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return { ...DEFAULTS, ...given };
}
