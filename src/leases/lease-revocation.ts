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
import type { BackgroundLane } from "./background-lane.js";
import type { LeaseRecord } from "./lease.js";
import type { LeaseEventListener } from "./lease-events.js";
import type { ResolvedRevocationOptions } from "./lease-options.js";
import type { LeaseScheduler } from "./lease-scheduler.js";
import type { LeaseStore } from "./lease-store.js";
import type { LeaseTokenIndex } from "./lease-token-index.js";
import { BoundedQueue } from "./revocation-queue.js";
import { OutageGates } from "./outage-gate.js";

/**
 * Leases revoked together when many fall due at once (a backend with `revokeSecrets`): one storage
 * read, one round trip to the database and one storage delete per batch, instead of per lease.
 */
export const REVOKE_BATCH = 200;

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
  /** Admits batches of leases that fell due, giving way to requests. */
  lane: BackgroundLane;
}

/** What one batch left: the leases to revoke one by one, and the failures of the others, by id. */
interface BatchOutcome {
  alone: string[];
  failures: Map<string, unknown>;
}

/** How one revocation is asked for. */
interface RevokeRequest {
  /** Whether the caller sees the failure (a scheduled revocation only records it). */
  rethrow: boolean;
  /** An expiry, retry or rollback: checked against storage first, skipped once closed. */
  scheduled?: boolean;
  /** The record just read by the caller (no await since), which spares reading it again. */
  loaded?: LeaseRecord;
  /** The one try its database's gate lets through while closed (see `outage-gate.ts`). */
  probe?: boolean;
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
  /** Revocations waiting for an unreachable database. */
  readonly #gates: OutageGates;
  /**
   * Leases to park once their attempt has left {@link LeaseRevocation.inFlight} (a gate that opens
   * meanwhile must find them free to revoke, not joined to the attempt that is ending).
   */
  readonly #toPark = new Map<string, string>();
  #closed = false;

  /** @param deps - storage, clock, backends, options, events, the schedule and the token index */
  constructor(deps: RevocationDependencies) {
    this.#deps = deps;
    this.#queue = new BoundedQueue(deps.options.concurrency);
    const { initialBackoffMs, unreachableRetryMs } = deps.options;
    this.#gates = new OutageGates(
      deps.clock,
      { initialMs: initialBackoffMs, maxMs: Math.max(initialBackoffMs, unreachableRetryMs) },
      {
        probe: (id) => this.#queue.run(() => this.#revokeOnce(id, { rethrow: false, scheduled: true, probe: true }), groupOf(id)),
        resume: (ids) => this.revokeScheduledMany(ids),
      },
    );
  }

  /** Leases waiting for their database to answer again. */
  get waitingForDatabase(): number {
    return this.#gates.parked;
  }

  /**
   * Something succeeded against the database `target` of mount `mountUuid` (a credential was
   * created, a connection checked): revocations waiting for it resume now.
   */
  reachable(mountUuid: string, target: string): void {
    this.#gates.open(gateKey(mountUuid, target));
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

  /**
   * Revokes leases that fell due together, if storage agrees each is due. Each batch of
   * {@link REVOKE_BATCH} is admitted by the background lane (one at a time while requests are
   * served), then takes one slot of the bounded queue; the leases of a backend that revokes
   * in bulk (`Backend.revokeSecrets`) go in one call per batch, with failures kept per lease; the
   * others are revoked one by one as {@link revokeScheduled}. Never rejects.
   */
  async revokeScheduledMany(ids: readonly string[]): Promise<void> {
    if (ids.length <= 1) return ids.length === 1 ? this.revokeScheduled(ids[0]!) : undefined;
    await Promise.all(
      batchesOf(ids).map(async (batch) => {
        const revoke = () => this.#queue.run(() => this.#revokeBatch(batch, true), groupOf(batch[0]!));
        const { alone } = await this.#deps.lane.run(revoke).catch(() => ({ alone: batch }));
        await Promise.all(alone.map((id) => this.revokeScheduled(id)));
      }),
    );
  }

  /**
   * Revokes leases asked for together (`revoke-prefix`, `revoke-force`, a mount being disabled, a
   * token's revocation): each as {@link revokeQueued} with `rethrow` would — due or not, pending
   * ones included, its database tried even while its gate is closed — but in batches of
   * {@link REVOKE_BATCH}, the leases of a backend that revokes in bulk (`Backend.revokeSecrets`) in
   * one call per batch. Every lease is attempted; resolves to the error of each one whose
   * revocation failed (it stays, scheduled for retry). A lease already gone counts as revoked.
   * Never rejects.
   *
   * @param queued - each batch takes one slot of the bounded queue (default). `false` for a
   *   token's revocation, which may itself run in a slot (a token's own lease expiring): waiting
   *   for another slot there could wait forever, so it runs outside, as {@link revokeNow} does.
   */
  async revokeRequestedMany(ids: readonly string[], { queued = true }: { queued?: boolean } = {}): Promise<Map<string, unknown>> {
    const failures = new Map<string, unknown>();
    const alone = (id: string) => (queued ? this.revokeQueued(id, true) : this.#revokeOnce(id, { rethrow: true })).catch((err: unknown) => void failures.set(id, err));
    if (ids.length <= 1) {
      if (ids.length === 1) await alone(ids[0]!);
      return failures;
    }
    await Promise.all(
      batchesOf(ids).map(async (batch) => {
        const job = () => this.#revokeBatch(batch, false);
        const done = await (queued ? this.#queue.run(job, groupOf(batch[0]!)) : job()).catch((): BatchOutcome => ({ alone: batch, failures: new Map() }));
        for (const [id, err] of done.failures) failures.set(id, err);
        await Promise.all(done.alone.map(alone));
      }),
    );
    return failures;
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
    this.#gates.close();
  }

  #revokeOnce(id: string, { rethrow, scheduled = false, loaded, probe = false }: RevokeRequest): Promise<void> {
    const running = this.#inFlight.get(id);
    if (running) return rethrow ? running : running.catch(() => undefined);
    if (scheduled && this.#closed) return Promise.resolve();
    const attempt = this.#attempt(id, scheduled, loaded, probe).finally(() => this.#settled(id));
    this.#inFlight.set(id, attempt);
    return rethrow ? attempt : attempt.catch(() => undefined);
  }

  /** An attempt on lease `id` is over: it leaves the in-flight set, then waits behind its gate if it must. */
  #settled(id: string): void {
    this.#inFlight.delete(id);
    this.#forgottenInFlight.delete(id);
    const key = this.#toPark.get(id);
    if (key === undefined) return;
    this.#toPark.delete(id);
    this.#gates.park(key, id);
  }

  async #attempt(id: string, scheduled: boolean, loaded: LeaseRecord | undefined, probe: boolean): Promise<void> {
    const lease = loaded ?? (await this.#deps.store.get(id));
    if (!lease) return;
    if (scheduled && !this.#isDue(lease)) return;
    const backend = this.#deps.backendFor(lease.mountPath, lease.mountUuid);
    const gate = backend && gateKey(lease.mountUuid, backend.revocationTarget?.(lease) ?? "");
    if (gate !== undefined && scheduled && !probe && this.#gates.isClosed(gate)) {
      this.#toPark.set(id, gate); // its database is down: wait for it without trying
      return;
    }
    this.#noteExpired(lease);
    try {
      if (!backend) throw new PluginError(`the mount ${JSON.stringify(lease.mountPath)} that issued this lease no longer exists`);
      await backend.revokeSecret?.(lease);
    } catch (err) {
      await this.#onFailure(lease, err, gate);
      throw err;
    }
    if (gate !== undefined) this.#gates.open(gate);
    if (this.#forgottenInFlight.has(id)) return; // the backend removed the lease itself
    // The record, then its token-index entry: one step where storage can batch.
    await this.#deps.store.deleteThen(id, this.#deps.tokens.removal(lease));
    this.#deps.scheduler.cancel(id);
    await this.#deps.onEvent({ type: "revoked", lease }); // awaited: max_leases slots are freed before this returns
  }

  /**
   * One batch: read together; those of a backend with `revokeSecrets` revoked in one call per
   * backend; resolves to the ids to revoke one by one (other backends, and leases whose revocation
   * is already in flight, which that call joins) and the failures of the others. `scheduled`: only
   * leases storage says are due, none once closed, and those whose database's gate is closed wait.
   */
  async #revokeBatch(ids: readonly string[], scheduled: boolean): Promise<BatchOutcome> {
    if (scheduled && this.#closed) return { alone: [], failures: new Map() };
    const free = ids.filter((id) => !this.#inFlight.has(id));
    const alone = scheduled ? [] : ids.filter((id) => this.#inFlight.has(id));
    const records = await this.#deps.store.getMany(free);
    const byBackend = new Map<Backend, LeaseRecord[]>();
    for (const lease of records) {
      if (!lease) continue;
      if (this.#inFlight.has(lease.id)) {
        if (!scheduled) alone.push(lease.id);
        continue;
      }
      if (scheduled && !this.#isDue(lease)) continue;
      const backend = this.#deps.backendFor(lease.mountPath, lease.mountUuid);
      if (!backend?.revokeSecrets) {
        alone.push(lease.id);
        continue;
      }
      const gate = gateKey(lease.mountUuid, backend.revocationTarget?.(lease) ?? "");
      if (scheduled && this.#gates.isClosed(gate)) this.#gates.park(gate, lease.id);
      else byBackend.set(backend, [...(byBackend.get(backend) ?? []), lease]);
    }
    const failures = new Map<string, unknown>();
    for (const [backend, leases] of byBackend) {
      const outcomes = await this.#revokeTogether(backend, leases);
      leases.forEach((lease, i) => outcomes[i] !== undefined && failures.set(lease.id, outcomes[i]));
    }
    return { alone, failures };
  }

  /**
   * Revokes `leases` in one call to their backend, then settles each: removed, or its failure
   * recorded. Resolves to each lease's outcome, in order (`undefined`: revoked).
   */
  async #revokeTogether(backend: Backend, leases: LeaseRecord[]): Promise<unknown[]> {
    // Each lease's own promise in flight, so a revocation asked for meanwhile joins it and sees its outcome.
    const settles = leases.map((lease) => {
      let settle!: (err: unknown) => void;
      const promise = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
      promise.catch(() => undefined);
      this.#inFlight.set(lease.id, promise);
      return settle;
    });
    let outcomes: unknown[] | undefined;
    try {
      for (const lease of leases) this.#noteExpired(lease);
      const settled = await backend.revokeSecrets!(leases).catch((err: unknown) => leases.map(() => err ?? new PluginError("revocation failed")));
      outcomes = settled;
      const gates = leases.map((lease) => gateKey(lease.mountUuid, backend.revocationTarget?.(lease) ?? ""));
      const revoked = leases.filter((lease, i) => settled[i] === undefined && !this.#forgottenInFlight.has(lease.id));
      for (const [i, gate] of gates.entries()) if (settled[i] === undefined) this.#gates.open(gate);
      await Promise.all([this.#removeRevoked(revoked), ...leases.map((lease, i) => (settled[i] === undefined ? undefined : this.#onFailure(lease, settled[i], gates[i])))]);
      return settled;
    } finally {
      leases.forEach((lease, i) => {
        this.#settled(lease.id);
        settles[i]!(outcomes ? outcomes[i] : new PluginError("revocation failed"));
      });
    }
  }

  /** Removes revoked leases' records and index entries (in bulk when the storage can), then tells of each. */
  async #removeRevoked(leases: LeaseRecord[]): Promise<void> {
    if (leases.length === 0) return;
    try {
      await this.#deps.store.deleteMany(leases.map((lease) => lease.id));
      await this.#deps.tokens.removeMany(leases);
    } catch {
      // Their users are gone but the records stay: they are tried again soon, and find nothing to drop.
      const retry = this.#deps.clock.now() + this.#deps.options.initialBackoffMs;
      for (const lease of leases) this.#deps.scheduler.schedule(lease.id, retry);
      return;
    }
    for (const lease of leases) this.#deps.scheduler.cancel(lease.id);
    await Promise.all(leases.map((lease) => this.#deps.onEvent({ type: "revoked", lease }))); // max_leases slots freed before this returns
  }

  #noteExpired(lease: LeaseRecord): void {
    if (lease.revokeAttempts === 0 && lease.lastError === undefined && lease.expireTime <= this.#deps.clock.now()) this.#deps.onEvent({ type: "expired", lease });
  }

  /**
   * A revocation failed. When its database was unreachable, the lease spends no attempt: it waits
   * behind the database's gate (noting the error on the record once). Otherwise the attempt counts;
   * a refusal also proves the database answers, which opens its gate.
   */
  async #onFailure(lease: LeaseRecord, err: unknown, gate: string | undefined): Promise<void> {
    if (gate !== undefined && err instanceof PluginError && err.unreachable) {
      this.#toPark.set(lease.id, gate);
      await this.#noteUnreachable(lease, err);
      return;
    }
    if (gate !== undefined && err instanceof PluginError && err.refused) this.#gates.open(gate);
    await this.#recordFailure(lease, err);
  }

  /** Notes the error on the lease (its attempts, due time and claim unchanged); once per distinct error. */
  async #noteUnreachable(lease: LeaseRecord, err: PluginError): Promise<void> {
    if (lease.lastError === err.message) return;
    const noted: LeaseRecord = { ...lease, lastError: err.message };
    this.#deps.onEvent({ type: "revoke_failed", lease: noted, error: err.message });
    await this.#deps.store.note(noted).catch(() => undefined); // a note only: the lease waits either way
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
    if (lease.state === "pending" || lease.revokeAttempts > 0 || lease.lastError !== undefined) return true;
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
 * When the scheduler should next act on a lease: its expiry (now, if a revocation was asked for and
 * could not reach its database), or (after failures) its next retry —
 * `initialBackoffMs · 2^(n-1)` capped at `maxBackoffMs`, ± 10 % jitter — or, once irrevocable,
 * `irrevocableRetryMs` from now.
 */
export function nextAttemptTime(lease: LeaseRecord, now: number, options: ResolvedRevocationOptions): number {
  if (lease.revokeAttempts === 0) return lease.lastError === undefined ? lease.expireTime : Math.min(now, lease.expireTime); // a revocation was asked for and could not reach its database

  if (lease.state === "irrevocable") return now + options.irrevocableRetryMs;
  const exponential = options.initialBackoffMs * 2 ** (lease.revokeAttempts - 1);
  const capped = Math.min(exponential, options.maxBackoffMs);
  const jitter = randomInt(Math.max(1, Math.floor(capped / 5)));
  return now + capped - Math.floor(capped / 10) + jitter;
}

/** `ids` in batches of {@link REVOKE_BATCH}. */
function batchesOf(ids: readonly string[]): string[][] {
  const batches: string[][] = [];
  for (let start = 0; start < ids.length; start += REVOKE_BATCH) batches.push(ids.slice(start, start + REVOKE_BATCH));
  return batches;
}

/** The key of a database's gate: the mount, and the backend's revocation target within it. */
function gateKey(mountUuid: string, target: string): string {
  return `${mountUuid}\n${target}`;
}

/** The revocation queue's fairness group of a lease: its id's first segment, i.e. (usually) its mount. */
function groupOf(id: string): string {
  const slash = id.indexOf("/");
  return slash < 0 ? id : id.slice(0, slash);
}
