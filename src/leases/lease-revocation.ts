/**
 * Revocation: one attempt at a time per lease, through the bounded queue, with retries, backoff
 * with jitter, and the irrevocable state for a lease that keeps failing.
 *
 * @module
 */
import { randomInt } from "node:crypto";
import { PluginError, VaultletError } from "../errors.js";
import type { Backend } from "../backend/backend.js";
import type { Clock } from "../util/clock.js";
import type { LeaseRecord } from "./lease.js";
import type { LeaseEventListener } from "./lease-events.js";
import type { ResolvedRevocationOptions } from "./lease-options.js";
import type { LeaseScheduler } from "./lease-scheduler.js";
import type { LeaseStore } from "./lease-store.js";
import type { LeaseTokenIndex } from "./lease-token-index.js";
import { BoundedQueue } from "./revocation-queue.js";

/** Finds the backend serving a mount, if the mount (with that UUID) still exists. */
export type BackendLookup = (mountPath: string, mountUuid: string) => Backend | undefined;

/** What revocation works with; shared with the rest of the lease manager. */
export interface RevocationDependencies {
  store: LeaseStore;
  clock: Clock;
  backendFor: BackendLookup;
  options: ResolvedRevocationOptions;
  onEvent: LeaseEventListener;
  scheduler: LeaseScheduler;
  tokens: LeaseTokenIndex;
  /** Leases this process is issuing right now: pending on purpose, never rolled back under it. */
  issuing: ReadonlySet<string>;
}

/** How one revocation is asked for. */
interface RevokeRequest {
  /** Whether the caller sees the failure (a scheduled revocation only records it). */
  rethrow: boolean;
  /** An expiry, retry or rollback: checked against storage first, skipped once closed. */
  scheduled?: boolean;
  /** The record just read by the caller (no await since), which spares reading it again. */
  loaded?: LeaseRecord;
}

/**
 * Revokes leases. A failed attempt is written to the lease (`revokeAttempts`, `lastError`) and
 * retried with exponential backoff and jitter; after `maxAttempts` the lease becomes
 * `irrevocable`: kept, visible and retried rarely, never silently dropped.
 */
export class LeaseRevocation {
  readonly #deps: RevocationDependencies;
  readonly #queue: BoundedQueue;
  readonly #inFlight = new Map<string, Promise<void>>();
  /**
   * Leases forgotten while their revocation was in flight: a token's revocation forgets the token's
   * own lease from inside that lease's revocation, which must then not report it revoked as well.
   */
  readonly #forgottenInFlight = new Set<string>();
  #closed = false;

  /** @param deps - storage, clock, backends, options, events, the schedule and the token index */
  constructor(deps: RevocationDependencies) {
    this.#deps = deps;
    this.#queue = new BoundedQueue(deps.options.concurrency);
  }

  /** Revocations waiting for a free slot. */
  get queueDepth(): number {
    return this.#queue.depth;
  }

  /** The revocations running now (for `close()` to wait on). */
  inFlight(): Array<Promise<void>> {
    return [...this.#inFlight.values()];
  }

  /**
   * Revokes `lease` now, outside the queue, joining a revocation already in flight for it.
   *
   * @throws the backend's error when revocation fails (the lease then stays, scheduled for retry)
   */
  revokeNow(lease: LeaseRecord): Promise<void> {
    return this.#revokeOnce(lease.id, { rethrow: true, loaded: lease });
  }

  /**
   * Revokes lease `id` through the bounded queue. With `rethrow`, a failure rejects; without, it
   * is only recorded on the lease.
   */
  revokeQueued(id: string, rethrow: boolean): Promise<void> {
    return this.#queue.run(() => this.#revokeOnce(id, { rethrow }), groupOf(id));
  }

  /** Revokes a lease that fell due, if storage agrees it is due. Never rejects. */
  revokeScheduled(id: string): Promise<void> {
    return this.#queue.run(() => this.#revokeOnce(id, { rethrow: false, scheduled: true }), groupOf(id));
  }

  /** Removes one lease without revoking its secret; returns the record that was removed. */
  async forget(id: string): Promise<LeaseRecord | undefined> {
    if (this.#inFlight.has(id)) this.#forgottenInFlight.add(id);
    const lease = await this.#deps.store.get(id);
    await this.#deps.store.delete(id);
    await this.#unindex(id, lease);
    return lease;
  }

  /** Starts no more scheduled revocations; those in flight go on (see {@link inFlight}). */
  close(): void {
    this.#closed = true;
  }

  #revokeOnce(id: string, { rethrow, scheduled = false, loaded }: RevokeRequest): Promise<void> {
    const running = this.#inFlight.get(id);
    if (running) return rethrow ? running : running.catch(() => undefined);
    if (scheduled && this.#closed) return Promise.resolve();
    const attempt = this.#attempt(id, scheduled, loaded).finally(() => {
      this.#inFlight.delete(id);
      this.#forgottenInFlight.delete(id);
    });
    this.#inFlight.set(id, attempt);
    return rethrow ? attempt : attempt.catch(() => undefined);
  }

  async #attempt(id: string, scheduled: boolean, loaded: LeaseRecord | undefined): Promise<void> {
    const lease = loaded ?? (await this.#deps.store.get(id));
    if (!lease) return;
    if (scheduled && !this.#isDue(lease)) return;
    if (lease.revokeAttempts === 0 && lease.expireTime <= this.#deps.clock.now()) this.#deps.onEvent({ type: "expired", lease });
    try {
      const backend = this.#deps.backendFor(lease.mountPath, lease.mountUuid);
      if (!backend) throw new PluginError(`the mount ${JSON.stringify(lease.mountPath)} that issued this lease no longer exists`);
      await backend.revokeSecret?.(lease);
    } catch (err) {
      await this.#recordFailure(lease, err);
      throw err;
    }
    if (this.#forgottenInFlight.has(id)) return; // the backend removed the lease itself
    // The record, then its token-index entry: one step where storage can batch.
    await this.#deps.store.deleteThen(id, this.#deps.tokens.removal(lease));
    this.#deps.scheduler.cancel(id);
    await this.#deps.onEvent({ type: "revoked", lease }); // awaited: max_leases slots are freed before this returns
  }

  async #recordFailure(lease: LeaseRecord, err: unknown): Promise<void> {
    const { options, store, onEvent } = this.#deps;
    const attempts = lease.revokeAttempts + 1;
    const failed: LeaseRecord = {
      ...lease,
      state: attempts >= options.maxAttempts ? "irrevocable" : lease.state === "pending" ? "pending" : "active",
      revokeAttempts: attempts,
      lastError: err instanceof VaultletError ? err.message : "revocation failed",
    };
    const nextAttempt = nextAttemptTime(failed, this.#deps.clock.now(), options);
    await store.put(failed, nextAttempt);
    onEvent({ type: "revoke_failed", lease: failed, error: failed.lastError! });
    if (failed.state === "irrevocable" && lease.state !== "irrevocable") onEvent({ type: "irrevocable", lease: failed, error: failed.lastError! });
    this.#deps.scheduler.schedule(lease.id, nextAttempt); // a no-op once closed
  }

  /**
   * Whether storage says a lease is due now. The schedule is only a cache: after a renewal (here
   * or in another process) or a restore that raced with one, it may fire early; the lease is then
   * put back at its real time.
   */
  #isDue(lease: LeaseRecord): boolean {
    if (this.#deps.issuing.has(lease.id)) return false;
    if (lease.state === "pending" || lease.revokeAttempts > 0) return true;
    if (lease.expireTime <= this.#deps.clock.now()) return true;
    this.#deps.scheduler.schedule(lease.id, lease.expireTime);
    return false;
  }

  /** Drops a removed lease from the schedule and the token index. */
  async #unindex(id: string, lease: LeaseRecord | undefined): Promise<void> {
    this.#deps.scheduler.cancel(id);
    if (lease) await this.#deps.tokens.remove(lease);
  }
}

/**
 * When the scheduler should next act on a lease: its expiry, or (after failures) its next retry —
 * `initialBackoffMs · 2^(n-1)` capped at `maxBackoffMs`, ± 10 % jitter — or, once irrevocable,
 * `irrevocableRetryMs` from now.
 */
export function nextAttemptTime(lease: LeaseRecord, now: number, options: ResolvedRevocationOptions): number {
  if (lease.revokeAttempts === 0) return lease.expireTime;
  if (lease.state === "irrevocable") return now + options.irrevocableRetryMs;
  const exponential = options.initialBackoffMs * 2 ** (lease.revokeAttempts - 1);
  const capped = Math.min(exponential, options.maxBackoffMs);
  const jitter = randomInt(Math.max(1, Math.floor(capped / 5)));
  return now + capped - Math.floor(capped / 10) + jitter;
}

/** The revocation queue's fairness group of a lease: its id's first segment, i.e. (usually) its mount. */
function groupOf(id: string): string {
  const slash = id.indexOf("/");
  return slash < 0 ? id : id.slice(0, slash);
}
