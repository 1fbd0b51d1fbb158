/**
 * The durable record of every issued secret, and the one scheduler that revokes them on time.
 *
 * @module
 */
import { randomInt } from "node:crypto";
import { InvalidRequestError, LeaseNotFoundError, PluginError, VaultletError } from "../errors.js";
import type { Backend, BackendResponse, PendingLease, SecretSpec } from "../backend/backend.js";
import type { JsonStore } from "../storage/json-store.js";
import type { MountEntry } from "../system/mount-entry.js";
import { MAX_TIMER_DELAY_MS, type Clock, type TimerHandle } from "../util/clock.js";
import { randomId } from "../util/random.js";
import { formatDuration } from "../util/ttl.js";
import { ExpiryHeap } from "./expiry-heap.js";
import { leaseIdFor, type LeaseRecord } from "./lease.js";
import { BoundedQueue } from "./revocation-queue.js";
import type { LeaseEventListener } from "./lease-events.js";

/** Tuning of revocation; every field has a sensible default. */
export interface RevocationOptions {
  /** Revocations that may run at once (default 8). */
  concurrency?: number;
  /** Failed attempts after which a lease becomes irrevocable (default 6). */
  maxAttempts?: number;
  /** The first retry delay in ms; it doubles each attempt, with jitter (default 1 s). */
  initialBackoffMs?: number;
  /** The longest retry delay in ms (default 5 min). */
  maxBackoffMs?: number;
  /** How often an irrevocable lease is retried, in ms (default 1 h). */
  irrevocableRetryMs?: number;
}

/** Finds the backend serving a mount, if the mount (with that UUID) still exists. */
export type BackendLookup = (mountPath: string, mountUuid: string) => Backend | undefined;

/** Where a lease is being issued. */
export interface IssueContext {
  mount: MountEntry;
  /** The request path relative to the mount. */
  path: string;
  tokenAccessor: string;
}

/** The result of a renewal. */
export interface RenewResult {
  lease: LeaseRecord;
  /** Seconds until the new expiry. */
  duration: number;
  warning?: string;
}

const DEFAULTS: Required<RevocationOptions> = {
  concurrency: 8,
  maxAttempts: 6,
  initialBackoffMs: 1000,
  maxBackoffMs: 5 * 60_000,
  irrevocableRetryMs: 60 * 60_000,
};

/**
 * Manages leases: issue (write-ahead), lookup, renew, revoke, revoke by prefix, and automatic
 * revocation at expiry.
 *
 * One timer is armed for the soonest due lease (never one timer per lease, never a delay over
 * 2^31-1 ms). Revocation runs through a bounded queue; failures are retried with exponential
 * backoff and jitter, and a lease that keeps failing becomes `irrevocable`: kept, visible and
 * retried rarely, never silently dropped.
 */
export class LeaseManager {
  readonly #store: JsonStore;
  readonly #clock: Clock;
  readonly #backendFor: BackendLookup;
  readonly #options: Required<RevocationOptions>;
  readonly #heap = new ExpiryHeap();
  readonly #queue: BoundedQueue;
  readonly #byToken = new Map<string, Set<string>>();
  readonly #inFlight = new Map<string, Promise<void>>();
  #timer: { handle: TimerHandle; dueAt: number } | undefined;
  #closed = false;
  readonly #onEvent: LeaseEventListener;

  /**
   * @param store - the lease records' storage view
   * @param clock - the engine's clock
   * @param backendFor - resolves a lease's backend for renewal and revocation
   * @param onEvent - told of every lease state change (for events, metrics and logs); must not throw
   */
  constructor(store: JsonStore, clock: Clock, backendFor: BackendLookup, options: RevocationOptions = {}, onEvent: LeaseEventListener = () => {}) {
    this.#onEvent = onEvent;
    this.#store = store;
    this.#clock = clock;
    this.#backendFor = backendFor;
    this.#options = { ...DEFAULTS, ...options };
    this.#queue = new BoundedQueue(this.#options.concurrency);
  }

  /** Active (scheduled) leases. */
  get size(): number {
    return this.#heap.size;
  }

  /** Revocations waiting for a free slot. */
  get queueDepth(): number {
    return this.#queue.depth;
  }

  /**
   * Loads every lease from storage and arms the scheduler. Pending leases (a crash between the
   * write-ahead record and the secret's creation) are rolled back: their secret is revoked if it
   * exists. Leases already expired fall due at once.
   */
  async restore(): Promise<void> {
    for (const id of await this.#store.list()) {
      const lease = await this.#store.get<LeaseRecord>(id);
      if (!lease) continue;
      this.#index(lease);
      this.#heap.schedule(lease.id, lease.state === "pending" ? 0 : this.#nextAttemptTime(lease));
      this.#onEvent({ type: "restored", lease });
    }
    this.#arm();
  }

  /** Issues a secret under a new lease, write-ahead (see `SecretIssuer`). */
  async issue(
    context: IssueContext,
    spec: SecretSpec,
    create: (lease: PendingLease) => Promise<Record<string, unknown>>,
  ): Promise<BackendResponse> {
    this.#assertOpen();
    const now = this.#clock.now();
    const lease: LeaseRecord = {
      id: leaseIdFor(context.mount.path, context.path, randomId()),
      mountPath: context.mount.path,
      mountUuid: context.mount.uuid,
      path: context.path,
      state: "pending",
      issueTime: now,
      expireTime: now + spec.ttl.ttl * 1000,
      ttl: spec.ttl.ttl,
      maxTtl: spec.ttl.maxTtl,
      renewable: spec.renewable,
      tokenAccessor: spec.owner ?? context.tokenAccessor,
      internal: spec.internal,
      revokeAttempts: 0,
    };
    await this.#store.put(lease.id, lease);
    let data: Record<string, unknown>;
    try {
      data = await create({ id: lease.id, expireTime: lease.expireTime });
    } catch (err) {
      await this.#store.delete(lease.id);
      throw err;
    }
    lease.state = "active";
    await this.#store.put(lease.id, lease);
    this.#index(lease);
    this.#heap.schedule(lease.id, lease.expireTime);
    this.#arm();
    this.#onEvent({ type: "created", lease });
    return {
      data,
      warnings: spec.ttl.warning ? [spec.ttl.warning] : undefined,
      lease: { id: lease.id, duration: spec.ttl.ttl, renewable: spec.renewable },
    };
  }

  /** The lease record, or `undefined` (pending leases included). */
  async get(id: string): Promise<LeaseRecord | undefined> {
    return this.#store.get<LeaseRecord>(id);
  }

  /** The lease record, or a {@link LeaseNotFoundError}. */
  async require(id: string): Promise<LeaseRecord> {
    const lease = typeof id === "string" && id.length > 0 ? await this.get(id) : undefined;
    if (!lease || lease.state === "pending") throw new LeaseNotFoundError(String(id));
    return lease;
  }

  /** Vault's lookup view of a lease. */
  async lookup(id: string): Promise<Record<string, unknown>> {
    const lease = await this.require(id);
    const now = this.#clock.now();
    return {
      id: lease.id,
      issue_time: new Date(lease.issueTime).toISOString(),
      expire_time: new Date(lease.expireTime).toISOString(),
      last_renewal: lease.lastRenewalTime === undefined ? null : new Date(lease.lastRenewalTime).toISOString(),
      renewable: lease.renewable,
      ttl: Math.max(0, Math.floor((lease.expireTime - now) / 1000)),
      state: lease.state,
      revoke_attempts: lease.revokeAttempts,
      last_error: lease.lastError ?? null,
    };
  }

  /** Ids of leases that start with `prefix`, sorted. */
  async listIds(prefix: string): Promise<string[]> {
    return this.#store.list(prefix);
  }

  /** Ids of the leases created by the token with this accessor. */
  idsForToken(accessor: string): string[] {
    return [...(this.#byToken.get(accessor) ?? [])];
  }

  /**
   * Renews a lease: the new expiry is `increment` seconds from now (the lease's TTL when 0 or
   * omitted), capped at issue time + max TTL with a warning.
   *
   * @throws LeaseNotFoundError, or InvalidRequestError when the lease is not renewable, expired, or
   *   already at its max TTL
   */
  async renew(id: string, incrementSeconds: number | undefined): Promise<RenewResult> {
    this.#assertOpen();
    const lease = await this.require(id);
    const now = this.#clock.now();
    if (!lease.renewable) throw new InvalidRequestError(`lease is not renewable: ${JSON.stringify(id)}`);
    if (lease.state !== "active" || lease.expireTime <= now) {
      throw new InvalidRequestError(`lease expired and cannot be renewed: ${JSON.stringify(id)}`);
    }
    const { expireTime, warning } = this.#renewedExpiry(lease, now, incrementSeconds);
    const backend = this.#backendFor(lease.mountPath, lease.mountUuid);
    await backend?.renewSecret?.(lease, expireTime);
    const renewed: LeaseRecord = { ...lease, expireTime, lastRenewalTime: now };
    await this.#store.put(id, renewed);
    this.#heap.schedule(id, expireTime);
    this.#arm();
    this.#onEvent({ type: "renewed", lease: renewed });
    return { lease: renewed, duration: Math.round((expireTime - now) / 1000), warning };
  }

  #renewedExpiry(lease: LeaseRecord, now: number, incrementSeconds: number | undefined) {
    const increment = incrementSeconds && incrementSeconds > 0 ? incrementSeconds : lease.ttl;
    const maxExpire = lease.issueTime + lease.maxTtl * 1000;
    if (maxExpire <= now) {
      throw new InvalidRequestError(`lease has reached its max TTL and cannot be renewed: ${JSON.stringify(lease.id)}`);
    }
    const wanted = now + increment * 1000;
    if (wanted <= maxExpire) return { expireTime: wanted, warning: undefined };
    const allowed = Math.floor((maxExpire - now) / 1000);
    return {
      expireTime: maxExpire,
      warning: `TTL of ${formatDuration(increment)} exceeded the effective max_ttl of ${formatDuration(allowed)}; TTL value is capped accordingly`,
    };
  }

  /**
   * Revokes a lease now and waits for its secret to be gone. Revoking a secret that no longer
   * exists in its system succeeds.
   *
   * @throws LeaseNotFoundError for an unknown id; the backend's error when revocation fails (the
   *   lease then stays, scheduled for retry)
   */
  async revoke(id: string): Promise<void> {
    this.#assertOpen();
    await this.require(id);
    await this.#revokeOnce(id, { rethrow: true });
  }

  /**
   * Revokes every lease whose id starts with `prefix`, through the bounded queue. Every lease is
   * attempted; if any fails, the first error is thrown after all attempts (failed leases stay,
   * scheduled for retry). Returns how many leases were revoked.
   */
  async revokePrefix(prefix: string): Promise<number> {
    this.#assertOpen();
    const ids = await this.listIds(prefix);
    const results = await Promise.allSettled(ids.map((id) => this.#queue.run(() => this.#revokeOnce(id, { rethrow: true }))));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failure) throw failure.reason;
    return ids.length;
  }

  /** Removes one lease without revoking its secret (its owner already cleaned it up). */
  async forget(id: string): Promise<void> {
    const lease = await this.#forget(id);
    if (lease) this.#onEvent({ type: "forgotten", lease });
  }

  /**
   * Removes every lease under `prefix` without revoking its secret. For secrets that cannot be
   * revoked (their database is gone for good); the caller takes responsibility for cleanup.
   */
  async forgetPrefix(prefix: string): Promise<number> {
    const ids = await this.listIds(prefix);
    for (const id of ids) {
      const lease = await this.#forget(id);
      if (lease) this.#onEvent({ type: "forgotten", lease });
    }
    return ids.length;
  }

  /** Stops the scheduler and waits for revocations in flight. The manager takes no more work. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimer(this.#timer.handle);
    this.#timer = undefined;
    await Promise.allSettled([...this.#inFlight.values()]);
  }

  /** Revokes one lease, joining a revocation already in flight for it. */
  #revokeOnce(id: string, { rethrow }: { rethrow: boolean }): Promise<void> {
    const running = this.#inFlight.get(id);
    if (running) return rethrow ? running : running.catch(() => undefined);
    const attempt = this.#attemptRevocation(id).finally(() => this.#inFlight.delete(id));
    this.#inFlight.set(id, attempt);
    return rethrow ? attempt : attempt.catch(() => undefined);
  }

  async #attemptRevocation(id: string): Promise<void> {
    const lease = await this.get(id);
    if (!lease) return;
    if (lease.revokeAttempts === 0 && lease.expireTime <= this.#clock.now()) this.#onEvent({ type: "expired", lease });
    try {
      const backend = this.#backendFor(lease.mountPath, lease.mountUuid);
      if (!backend) throw new PluginError(`the mount ${JSON.stringify(lease.mountPath)} that issued this lease no longer exists`);
      await backend.revokeSecret?.(lease);
    } catch (err) {
      await this.#recordFailure(lease, err);
      throw err;
    }
    // The backend may have removed the lease itself (a token's revocation forgets its own lease).
    if (await this.#forget(id)) this.#onEvent({ type: "revoked", lease });
  }

  async #recordFailure(lease: LeaseRecord, err: unknown): Promise<void> {
    const attempts = lease.revokeAttempts + 1;
    const failed: LeaseRecord = {
      ...lease,
      state: attempts >= this.#options.maxAttempts ? "irrevocable" : lease.state === "pending" ? "pending" : "active",
      revokeAttempts: attempts,
      lastError: err instanceof VaultletError ? err.message : "revocation failed",
    };
    await this.#store.put(lease.id, failed);
    this.#onEvent({ type: "revoke_failed", lease: failed, error: failed.lastError! });
    if (failed.state === "irrevocable" && lease.state !== "irrevocable") this.#onEvent({ type: "irrevocable", lease: failed, error: failed.lastError! });
    if (this.#closed) return;
    this.#heap.schedule(lease.id, this.#nextAttemptTime(failed));
    this.#arm();
  }

  /** When the scheduler should next act on a lease: its expiry, or its next retry after failures. */
  #nextAttemptTime(lease: LeaseRecord): number {
    if (lease.revokeAttempts === 0) return lease.expireTime;
    const now = this.#clock.now();
    if (lease.state === "irrevocable") return now + this.#options.irrevocableRetryMs;
    const exponential = this.#options.initialBackoffMs * 2 ** (lease.revokeAttempts - 1);
    const capped = Math.min(exponential, this.#options.maxBackoffMs);
    const jitter = randomInt(Math.max(1, Math.floor(capped / 5)));
    return now + capped - Math.floor(capped / 10) + jitter;
  }

  async #forget(id: string): Promise<LeaseRecord | undefined> {
    const lease = await this.get(id);
    await this.#store.delete(id);
    this.#heap.remove(id);
    if (lease) this.#byToken.get(lease.tokenAccessor)?.delete(id);
    return lease;
  }

  #index(lease: LeaseRecord): void {
    let ids = this.#byToken.get(lease.tokenAccessor);
    if (!ids) this.#byToken.set(lease.tokenAccessor, (ids = new Set()));
    ids.add(lease.id);
  }

  /** Arms the single timer for the soonest due lease, if it is not armed for that time already. */
  #arm(): void {
    if (this.#closed) return;
    const dueAt = this.#heap.peekTime();
    if (this.#timer && this.#timer.dueAt === dueAt) return;
    if (this.#timer) this.#clock.clearTimer(this.#timer.handle);
    this.#timer = undefined;
    if (dueAt === undefined) return;
    const delay = Math.min(Math.max(0, dueAt - this.#clock.now()), MAX_TIMER_DELAY_MS);
    this.#timer = { dueAt, handle: this.#clock.setTimer(() => this.#onTimer(), delay) };
  }

  async #onTimer(): Promise<void> {
    this.#timer = undefined;
    if (this.#closed) return;
    const due = this.#heap.popDue(this.#clock.now());
    this.#arm();
    await Promise.all(due.map((id) => this.#queue.run(() => this.#revokeOnce(id, { rethrow: false }))));
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidRequestError("the lease manager is closed");
  }
}
