/**
 * The durable record of every issued secret, and the one scheduler that revokes them on time.
 *
 * @module
 */
import { randomInt } from "node:crypto";
import { InvalidRequestError, LeaseNotFoundError, PluginError, VaultletError } from "../errors.js";
import type { Backend, BackendResponse, PendingLease, SecretSpec } from "../backend/backend.js";
import type { JsonStore } from "../storage/json-store.js";
import type { MountEntry } from "../mounts/mount-entry.js";
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
  /** How long `close()` waits for revocations in flight, in ms (default 10 s). */
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
}

/** Finds the backend serving a mount, if the mount (with that UUID) still exists. */
export type BackendLookup = (mountPath: string, mountUuid: string) => Backend | undefined;

/** Where a lease is being issued. */
export interface IssueContext {
  mount: MountEntry;
  /** The request path relative to the mount. */
  path: string;
  tokenAccessor: string;
  /** Takes the lease's `max_leases` slots before its pending record is written (may refuse). */
  reserve?: (lease: LeaseRecord) => Promise<void>;
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
  closeTimeoutMs: 10_000,
  claimMs: 5 * 60_000,
  pollIntervalMs: 30_000,
  pendingGraceMs: 5 * 60_000,
};

/** Lease records read at once while restoring. */
const RESTORE_BATCH = 1000;
/** Due leases claimed per query on shared storage. */
const CLAIM_BATCH = 256;

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
  /**
   * Leases forgotten while their revocation was in flight: a token's revocation forgets the token's
   * own lease from inside that lease's revocation, which must then not report it revoked as well.
   */
  readonly #forgottenInFlight = new Set<string>();
  /** Leases this process is issuing right now: pending on purpose, never rolled back under it. */
  readonly #issuing = new Set<string>();
  /** Claims due leases on storage shared by several processes; `undefined` for a single process. */
  readonly #claimDue: JsonStore["claimDue"];
  readonly #owner = randomId();
  #timer: { handle: TimerHandle; dueAt: number } | undefined;
  #restoring: Promise<void> | undefined;
  #restorePause: { handle: TimerHandle; resolve: () => void } | undefined;
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
    // An option given as `undefined` keeps its default rather than erasing it.
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    this.#options = { ...DEFAULTS, ...given };
    this.#queue = new BoundedQueue(this.#options.concurrency);
    this.#claimDue = store.claimDue;
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
   * Starts loading every lease from storage in the background and returns at once; the scheduler
   * is armed batch by batch, so expired leases start being revoked (through the bounded queue)
   * while the rest still load. Pending leases (a crash between the write-ahead record and the
   * secret's creation) are rolled back: their secret is revoked if it exists. Requests never wait
   * for this: lookups, renewals and revocations read storage, the source of truth. If storage
   * fails, loading is retried with backoff.
   */
  startRestore(): void {
    this.#restoring ??= this.#restoreUntilDone();
  }

  /** Resolves once the background restore has loaded every lease found at open. */
  async restored(): Promise<void> {
    await this.#restoring;
  }

  async #restoreUntilDone(): Promise<void> {
    for (let attempt = 1; !this.#closed; attempt++) {
      try {
        await this.#loadAll();
        return;
      } catch {
        await this.#pauseRestore(Math.min(this.#options.initialBackoffMs * 2 ** (attempt - 1), this.#options.maxBackoffMs));
      }
    }
  }

  async #loadAll(): Promise<void> {
    const ids = await this.#store.list();
    for (let start = 0; start < ids.length && !this.#closed; start += RESTORE_BATCH) {
      const batch = ids.slice(start, start + RESTORE_BATCH);
      const leases = await this.#store.getMany<LeaseRecord>(batch);
      for (const lease of leases) {
        if (!lease || this.#issuing.has(lease.id)) continue;
        this.#index(lease);
        this.#heap.schedule(lease.id, this.#restoredTime(lease));
        this.#onEvent({ type: "restored", lease });
      }
      this.#arm();
    }
  }

  /** When a lease found in storage falls due: pending ones are rolled back, others keep their time. */
  #restoredTime(lease: LeaseRecord): number {
    if (lease.state !== "pending") return this.#nextAttemptTime(lease);
    return this.#claimDue ? lease.issueTime + this.#options.pendingGraceMs : 0;
  }

  #pauseRestore(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.#clock.setTimer(() => {
        this.#restorePause = undefined;
        resolve();
      }, ms);
      this.#restorePause = { handle, resolve };
    });
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
    this.#issuing.add(lease.id);
    try {
      await context.reserve?.(lease);
      await this.#store.put(lease.id, lease, { dueAt: now + this.#options.pendingGraceMs });
      let data: Record<string, unknown>;
      try {
        data = await create({ id: lease.id, expireTime: lease.expireTime });
      } catch (err) {
        await this.#store.delete(lease.id);
        throw err;
      }
      lease.state = "active";
      await this.#store.put(lease.id, lease, { dueAt: lease.expireTime });
      return this.#activated(lease, spec, data);
    } finally {
      this.#issuing.delete(lease.id);
    }
  }

  #activated(lease: LeaseRecord, spec: SecretSpec, data: Record<string, unknown>): BackendResponse {
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

  /**
   * Ids of the leases created by the token with this accessor. Waits for the background restore,
   * so that no lease of the token is missed just after a restart.
   */
  async idsForToken(accessor: string): Promise<string[]> {
    await this.restored();
    return [...(this.#byToken.get(accessor) ?? [])];
  }

  /**
   * Counts leases by mount, reading every record from storage (the source of truth, whatever this
   * process has loaded): all of them, or only the `irrevocable` ones.
   */
  async count(type: "all" | "irrevocable"): Promise<{ lease_count: number; counts: Record<string, number> }> {
    const ids = await this.listIds("");
    const counts: Record<string, number> = {};
    let total = 0;
    for (let start = 0; start < ids.length; start += RESTORE_BATCH) {
      for (const lease of await this.#store.getMany<LeaseRecord>(ids.slice(start, start + RESTORE_BATCH))) {
        if (!lease || lease.state === "pending" || (type === "irrevocable" && lease.state !== "irrevocable")) continue;
        counts[lease.mountPath] = (counts[lease.mountPath] ?? 0) + 1;
        total++;
      }
    }
    return { lease_count: total, counts };
  }

  /**
   * Cleans up leases that point at what no longer exists: a lease whose token is gone is revoked
   * (its secret should have died with the token); a lease whose mount is gone cannot be revoked
   * (no backend knows its secret) and is removed. Pending leases are left to the rollback.
   */
  async tidy(tokenExists: (accessor: string) => Promise<boolean>): Promise<{ revoked: number; removed: number }> {
    this.#assertOpen();
    let revoked = 0;
    let removed = 0;
    for (const id of await this.listIds("")) {
      const lease = await this.get(id);
      if (!lease || lease.state === "pending") continue;
      if (!this.#backendFor(lease.mountPath, lease.mountUuid)) {
        await this.#forget(id);
        removed++;
      } else if (!(await tokenExists(lease.tokenAccessor))) {
        await this.#queue.run(() => this.#revokeOnce(id, { rethrow: false }), groupOf(id));
        revoked++;
      }
    }
    return { revoked, removed };
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
    await this.#store.put(id, renewed, { dueAt: expireTime });
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
    await this.#revokeOnce(id, { rethrow: true, loaded: await this.require(id) });
  }

  /**
   * Revokes every lease whose id starts with `prefix`, through the bounded queue. Every lease is
   * attempted; if any fails, the first error is thrown after all attempts (failed leases stay,
   * scheduled for retry). Returns how many leases were revoked.
   */
  async revokePrefix(prefix: string): Promise<number> {
    this.#assertOpen();
    const ids = await this.listIds(prefix);
    const results = await Promise.allSettled(ids.map((id) => this.#queue.run(() => this.#revokeOnce(id, { rethrow: true }), groupOf(id))));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failure) throw failure.reason;
    return ids.length;
  }

  /** Removes one lease without revoking its secret (its owner already cleaned it up). */
  async forget(id: string): Promise<void> {
    const lease = await this.#forget(id);
    if (lease) await this.#onEvent({ type: "forgotten", lease });
  }

  /**
   * Removes every lease under `prefix` without revoking its secret. For secrets that cannot be
   * revoked (their database is gone for good); the caller takes responsibility for cleanup.
   */
  async forgetPrefix(prefix: string): Promise<number> {
    const ids = await this.listIds(prefix);
    for (const id of ids) {
      const lease = await this.#forget(id);
      if (lease) await this.#onEvent({ type: "forgotten", lease });
    }
    return ids.length;
  }

  /**
   * Stops the scheduler and the restore, and waits (at most `closeTimeoutMs`) for revocations in
   * flight. Queued revocations that have not started are left in storage, due: the next engine on
   * this storage (or another process sharing it) revokes them. The manager takes no more work.
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimer(this.#timer.handle);
    this.#timer = undefined;
    if (this.#restorePause) {
      this.#clock.clearTimer(this.#restorePause.handle);
      this.#restorePause.resolve();
    }
    const settled = Promise.allSettled([...this.#inFlight.values(), this.#restoring]);
    let timeout: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timeout = setTimeout(resolve, this.#options.closeTimeoutMs)));
    await Promise.race([settled, bound]);
    clearTimeout(timeout);
  }

  /**
   * Revokes one lease, joining a revocation already in flight for it. A `scheduled` revocation
   * (expiry, retry, rollback) first checks storage that the lease is really due. `loaded` is the
   * record just read by the caller (no await since), which spares reading it again.
   */
  #revokeOnce(id: string, { rethrow, scheduled = false, loaded }: { rethrow: boolean; scheduled?: boolean; loaded?: LeaseRecord }): Promise<void> {
    const running = this.#inFlight.get(id);
    if (running) return rethrow ? running : running.catch(() => undefined);
    if (scheduled && this.#closed) return Promise.resolve();
    const attempt = this.#attemptRevocation(id, scheduled, loaded).finally(() => {
      this.#inFlight.delete(id);
      this.#forgottenInFlight.delete(id);
    });
    this.#inFlight.set(id, attempt);
    return rethrow ? attempt : attempt.catch(() => undefined);
  }

  async #attemptRevocation(id: string, scheduled: boolean, loaded: LeaseRecord | undefined): Promise<void> {
    const lease = loaded ?? (await this.get(id));
    if (!lease) return;
    if (scheduled && !this.#isDue(lease)) return;
    if (lease.revokeAttempts === 0 && lease.expireTime <= this.#clock.now()) this.#onEvent({ type: "expired", lease });
    try {
      const backend = this.#backendFor(lease.mountPath, lease.mountUuid);
      if (!backend) throw new PluginError(`the mount ${JSON.stringify(lease.mountPath)} that issued this lease no longer exists`);
      await backend.revokeSecret?.(lease);
    } catch (err) {
      await this.#recordFailure(lease, err);
      throw err;
    }
    if (this.#forgottenInFlight.has(id)) return; // the backend removed the lease itself
    await this.#store.delete(id);
    this.#unindex(id, lease);
    await this.#onEvent({ type: "revoked", lease });
  }

  async #recordFailure(lease: LeaseRecord, err: unknown): Promise<void> {
    const attempts = lease.revokeAttempts + 1;
    const failed: LeaseRecord = {
      ...lease,
      state: attempts >= this.#options.maxAttempts ? "irrevocable" : lease.state === "pending" ? "pending" : "active",
      revokeAttempts: attempts,
      lastError: err instanceof VaultletError ? err.message : "revocation failed",
    };
    const nextAttempt = this.#nextAttemptTime(failed);
    await this.#store.put(lease.id, failed, { dueAt: nextAttempt });
    this.#onEvent({ type: "revoke_failed", lease: failed, error: failed.lastError! });
    if (failed.state === "irrevocable" && lease.state !== "irrevocable") this.#onEvent({ type: "irrevocable", lease: failed, error: failed.lastError! });
    if (this.#closed) return;
    this.#heap.schedule(lease.id, nextAttempt);
    this.#arm();
  }

  /**
   * Whether storage says a lease is due now. The heap is only a cache: after a renewal (here or in
   * another process) or a restore that raced with one, it may fire early; the lease is then put
   * back at its real time.
   */
  #isDue(lease: LeaseRecord): boolean {
    if (this.#issuing.has(lease.id)) return false;
    if (lease.state === "pending" || lease.revokeAttempts > 0) return true;
    if (lease.expireTime <= this.#clock.now()) return true;
    this.#heap.schedule(lease.id, lease.expireTime);
    this.#arm();
    return false;
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
    if (this.#inFlight.has(id)) this.#forgottenInFlight.add(id);
    const lease = await this.get(id);
    await this.#store.delete(id);
    this.#unindex(id, lease);
    return lease;
  }

  /** Drops a removed lease from the in-memory schedule and token index. */
  #unindex(id: string, lease: LeaseRecord | undefined): void {
    this.#heap.remove(id);
    if (lease) this.#byToken.get(lease.tokenAccessor)?.delete(id);
  }

  #index(lease: LeaseRecord): void {
    let ids = this.#byToken.get(lease.tokenAccessor);
    if (!ids) this.#byToken.set(lease.tokenAccessor, (ids = new Set()));
    ids.add(lease.id);
  }

  /**
   * Arms the single timer for the soonest due lease, if it is not armed for that time already. On
   * shared storage it also wakes every `pollIntervalMs` to claim leases no live process scheduled.
   */
  #arm(): void {
    if (this.#closed) return;
    const soonest = this.#heap.peekTime();
    const poll = this.#claimDue && this.#clock.now() + this.#options.pollIntervalMs;
    const dueAt = poll === undefined ? soonest : Math.min(soonest ?? poll, poll);
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
    const now = this.#clock.now();
    const due = this.#heap.popDue(now);
    this.#arm();
    if (this.#claimDue) return this.#revokeClaimed(now);
    await Promise.all(due.map((id) => this.#revokeScheduled(id)));
  }

  #revokeScheduled(id: string): Promise<void> {
    return this.#queue.run(() => this.#revokeOnce(id, { rethrow: false, scheduled: true }), groupOf(id));
  }

  /**
   * Shared storage: revokes only the due leases this process managed to claim, batch after batch,
   * so that of several processes exactly one revokes each lease. The heap popped above only said
   * when to look. A storage outage just ends this round; the next timer tries again.
   */
  async #revokeClaimed(now: number): Promise<void> {
    const request = { prefix: "", now, limit: CLAIM_BATCH, claimMs: this.#options.claimMs, owner: this.#owner };
    while (!this.#closed) {
      let ids: string[];
      try {
        ids = await this.#claimDue!(request);
      } catch {
        return;
      }
      await Promise.all(ids.map((id) => this.#revokeScheduled(id)));
      if (ids.length < CLAIM_BATCH) return;
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidRequestError("the lease manager is closed");
  }
}

/** The revocation queue's fairness group of a lease: its id's first segment, i.e. (usually) its mount. */
function groupOf(id: string): string {
  const slash = id.indexOf("/");
  return slash < 0 ? id : id.slice(0, slash);
}
