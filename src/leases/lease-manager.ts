/**
 * The lease manager's facade: what the engine, the token manager and the `sys/leases` routes call.
 * Each job lives in its own module, composed here:
 *
 * | job | module |
 * | --- | --- |
 * | records in storage (and read-compat) | `lease-store.ts` |
 * | issue (write-ahead) | here, {@link LeaseManager.issue} |
 * | Vault's lookup view | `lease-lookup.ts` |
 * | restore, pending rollback, claims on shared storage | `lease-restore.ts` |
 * | renewal | `lease-renewal.ts` |
 * | revocation, retries, backoff, irrevocable, the bounded queue | `lease-revocation.ts`, `revocation-queue.ts` |
 * | the timer | `lease-scheduler.ts` on `util/due-queue.ts` |
 * | tidy and count | `lease-tidy.ts` |
 * | the token → leases index | `token-leases.ts` |
 *
 * @module
 */
import { InvalidRequestError, LeaseNotFoundError, PermissionDeniedError } from "../errors.js";
import type { BackendResponse, PendingLease, SecretSpec } from "../backend/backend.js";
import type { JsonStore } from "../storage/json-store.js";
import type { MountEntry } from "../mounts/mount-entry.js";
import type { Clock } from "../util/clock.js";
import type { RequestPressure } from "../util/request-pressure.js";
import { randomId } from "../util/random.js";
import { settleWithin } from "../util/settle-within.js";
import { BackgroundLane } from "./background-lane.js";
import { leaseIdFor, type LeaseRecord } from "./lease.js";
import type { LeaseEventListener } from "./lease-events.js";
import { lookupView } from "./lease-lookup.js";
import { resolveRevocationOptions, type ResolvedRevocationOptions, type RevocationOptions } from "./lease-options.js";
import { renewLease, type RenewResult } from "./lease-renewal.js";
import { LeaseRestore } from "./lease-restore.js";
import { LeaseRevocation, type BackendLookup, type RevocationDependencies } from "./lease-revocation.js";
import { moveLeases, type LeaseMoveResult } from "./lease-move.js";
import { revokeAllOrThrow, revokeById, revokeByPrefix, type RevokePrefixOptions, type RevokePrefixResult, type RevokeRequestDeps } from "./lease-revoke-requests.js";
import { LeaseScheduler, type DueHandler } from "./lease-scheduler.js";
import { LeaseStore } from "./lease-store.js";
import { countLeases, listIrrevocable, listOverdue, tidyLeases, type LeaseCount } from "./lease-tidy.js";
import type { LeaseTokenIndex } from "./lease-token-index.js";

export type { RevocationOptions } from "./lease-options.js";
export type { RenewResult } from "./lease-renewal.js";
export type { BackendLookup } from "./lease-revocation.js";
export type { RevokePrefixOptions, RevokePrefixResult } from "./lease-revoke-requests.js";
export type { LeaseMoveResult } from "./lease-move.js";

/**
 * `revocation.revokeDue: false`: what falls due stays in storage, due, for other engines (they
 * claim it) or the next one opened; the schedule still tracks it, so nothing else changes.
 */
const LEAVE_DUE_LEASES: DueHandler = { revokeScheduled: async () => undefined };

/** Where a lease is being issued. */
export interface IssueContext {
  mount: MountEntry;
  /** The request path relative to the mount. */
  path: string;
  tokenAccessor: string;
  /**
   * Called once the secret exists, before the lease turns active: throws when the requesting
   * token was revoked meanwhile, and the secret is then revoked (see `pending-lease.ts`).
   */
  confirm?: () => Promise<void>;
  /**
   * The storage key whose existence is what `confirm` checks (the requesting token's record):
   * when given, the activation checks it in its own step instead of calling `confirm`.
   */
  confirmKey?: string;
  /** Takes the lease's `max_leases` slots before its pending record is written (may refuse). */
  reserve?: (lease: LeaseRecord) => Promise<void>;
}

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
  readonly #deps: RevocationDependencies;
  readonly #revocation: LeaseRevocation;
  readonly #restore: LeaseRestore;
  /** Leases this process is issuing right now: pending on purpose, never rolled back under it. */
  readonly #issuing = new Set<string>();
  #closed = false;

  /**
   * @param store - the lease records' storage view
   * @param clock - the engine's clock
   * @param backendFor - resolves a lease's backend for renewal and revocation
   * @param onEvent - told of every lease state change (for events, metrics and logs); must not throw
   * @param pressure - the engine's requests in flight, which a revocation storm gives way to
   */
  constructor(
    store: JsonStore,
    clock: Clock,
    backendFor: BackendLookup,
    options: RevocationOptions = {},
    onEvent: LeaseEventListener = () => {},
    tokenIndex: LeaseTokenIndex,
    pressure?: RequestPressure,
  ) {
    const leases = new LeaseStore(store);
    const resolved: ResolvedRevocationOptions = resolveRevocationOptions(options);
    // The scheduler's handler reaches the revocation and the restore built just below.
    const scheduler = new LeaseScheduler(
      clock,
      resolved.revokeDue
        ? {
            revokeScheduled: (ids) => this.#revocation.revokeScheduledMany(ids),
            revokeClaimed: leases.shared ? (now) => this.#restore.revokeClaimed(now) : undefined,
          }
        : LEAVE_DUE_LEASES,
      resolved.pollIntervalMs,
    );
    this.#deps = { store: leases, clock, backendFor, options: resolved, onEvent, scheduler, tokens: tokenIndex, issuing: this.#issuing, lane: new BackgroundLane(pressure, Math.min(resolved.concurrencyUnderLoad, resolved.concurrency)) };
    this.#revocation = new LeaseRevocation(this.#deps);
    this.#restore = new LeaseRestore({ ...this.#deps, revocation: this.#revocation });
  }

  /** Active (scheduled) leases. */
  get size(): number {
    return this.#deps.scheduler.size;
  }

  /** Revocations waiting for a free slot. */
  get queueDepth(): number {
    return this.#revocation.queueDepth;
  }

  /** Leases whose revocation waits for an unreachable database to answer again. */
  get waitingForDatabase(): number {
    return this.#revocation.waitingForDatabase;
  }

  /**
   * Something succeeded against the database `target` of mount `mountUuid` (see
   * `BackendContext.reachable`): revocations waiting for it resume now.
   */
  reachable(mountUuid: string, target: string): void {
    this.#revocation.reachable(mountUuid, target);
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
    this.#restore.start();
  }

  /** Resolves once the background restore has loaded every lease found at open. */
  async restored(): Promise<void> {
    await this.#restore.done();
  }

  /**
   * Issues a secret under a new lease, write-ahead (see `SecretIssuer`): the record is written
   * `pending`, `create` makes the secret, and the record becomes `active` (or is removed when
   * `create` fails). The `max_leases` guard (lease-quotas.ts) runs before this.
   */
  async issue(context: IssueContext, spec: SecretSpec, create: (lease: PendingLease) => Promise<Record<string, unknown>>): Promise<BackendResponse> {
    this.#assertOpen();
    const { store, options } = this.#deps;
    const lease = this.#pendingRecord(context, spec);
    this.#issuing.add(lease.id);
    try {
      await context.reserve?.(lease);
      // The token's index entry first, then the record (pending-lease.ts): one step where storage can batch.
      await store.putAfter(this.#deps.tokens.addition(lease), lease, lease.issueTime + options.pendingGraceMs);
      let data: Record<string, unknown>;
      try {
        data = await create({ id: lease.id, expireTime: lease.expireTime });
      } catch (err) {
        await store.deleteThen(lease.id, this.#deps.tokens.removal(lease));
        throw err;
      }
      await this.#confirmAndActivate(context, lease);
      return this.#activated({ ...lease, state: "active" }, spec, data);
    } finally {
      this.#issuing.delete(lease.id);
    }
  }

  /**
   * The token is confirmed live, then the pending record turns active by compare-and-swap; when
   * either fails (the token, or the lease, was revoked meanwhile), the secret just created is
   * revoked and the request refused, so nothing outlives the revocation (see `pending-lease.ts`).
   */
  async #confirmAndActivate(context: IssueContext, lease: LeaseRecord): Promise<void> {
    const revokedInFlight = () => new PermissionDeniedError("permission denied: the token was revoked while this request was in flight");
    // With the token's key, storage checks it just before the swap, in the same round trip.
    const fused = context.confirmKey !== undefined;
    const refusal = fused
      ? undefined
      : await context.confirm?.().then(
          () => undefined,
          (err: unknown) => err ?? revokedInFlight(),
        );
    if (refusal === undefined && (await this.#deps.store.activate(lease, fused ? [context.confirmKey!] : undefined))) return;
    await this.#revocation.revokeNow({ ...lease }).catch(() => undefined); // a failure stays scheduled for retry
    throw refusal ?? revokedInFlight();
  }

  #pendingRecord(context: IssueContext, spec: SecretSpec): LeaseRecord {
    const now = this.#deps.clock.now();
    return {
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
      ...(spec.role !== undefined && { role: spec.role }),
      internal: spec.internal,
      revokeAttempts: 0,
    };
  }

  #activated(lease: LeaseRecord, spec: SecretSpec, data: Record<string, unknown>): BackendResponse {
    this.#deps.scheduler.schedule(lease.id, lease.expireTime);
    this.#deps.onEvent({ type: "created", lease });
    return {
      data,
      warnings: spec.ttl.warning ? [spec.ttl.warning] : undefined,
      lease: { id: lease.id, duration: spec.ttl.ttl, renewable: spec.renewable },
    };
  }

  /** The lease record, or `undefined` (pending leases included). */
  async get(id: string): Promise<LeaseRecord | undefined> {
    return this.#deps.store.get(id);
  }

  /** The lease record, or a {@link LeaseNotFoundError}. */
  async require(id: string): Promise<LeaseRecord> {
    const lease = typeof id === "string" && id.length > 0 ? await this.get(id) : undefined;
    if (!lease || lease.state === "pending") throw new LeaseNotFoundError(String(id));
    return lease;
  }

  /** Vault's lookup view of a lease (see `lookupView`). */
  async lookup(id: string): Promise<Record<string, unknown>> {
    return lookupView(await this.require(id), this.#deps.clock.now());
  }

  /** Ids of leases that start with `prefix`, sorted. */
  async listIds(prefix: string): Promise<string[]> {
    return this.#deps.store.list(prefix);
  }

  /**
   * Ids of the leases created by the token with this accessor. Waits for the background restore,
   * so that no lease of the token is missed just after a restart. The index is this process's
   * memory (`token-leases.ts`).
   */
  async idsForToken(accessor: string): Promise<string[]> {
    await this.restored();
    return this.#deps.tokens.idsFor(accessor);
  }

  /**
   * Revokes a lease as part of its token's revocation: an active (or irrevocable) one now, as
   * {@link revoke}; a pending one — its secret being created by a request in flight, perhaps in
   * another process — is cancelled, so that its issuer revokes the secret instead of activating
   * the lease (see `pending-lease.ts`). A lease already gone is fine (its index entry goes).
   *
   * @param accessor - the token's accessor
   * @throws the backend's error when revocation fails (the lease then stays, scheduled for retry)
   */
  async revokeForToken(id: string, accessor: string): Promise<void> {
    this.#assertOpen();
    const outcome = await this.#deps.store.cancelIfPending(id);
    if (outcome.found === "live") await this.#revocation.revokeNow(outcome.lease);
    if (outcome.found === "gone") await this.#deps.tokens.remove({ id, tokenAccessor: accessor });
  }

  /**
   * {@link revokeForToken} for many leases of one token: read together, the pending ones cancelled
   * one by one, the live ones revoked in batches (`LeaseRevocation.revokeRequestedMany`; outside
   * the queue, as {@link revokeForToken} revokes), the index entries of those already gone removed
   * together. Every lease is attempted; one that fails stays, scheduled for retry. Rejects only when
   * the records cannot be read.
   */
  async revokeManyForToken(ids: readonly string[], accessor: string): Promise<void> {
    this.#assertOpen();
    const records = await this.#deps.store.getMany(ids);
    const live: string[] = [];
    const pending: string[] = [];
    const gone: string[] = [];
    records.forEach((lease, i) => (lease === undefined ? gone : lease.state === "pending" ? pending : live).push(ids[i]!));
    // A record read live stays live or goes (never pending again); one read pending may turn live
    // meanwhile, which the compare-and-swap of revokeForToken sees.
    await Promise.allSettled([
      ...pending.map((id) => this.revokeForToken(id, accessor)),
      this.#deps.tokens.removeMany(gone.map((id) => ({ id, tokenAccessor: accessor }))),
    ]);
    await this.#revocation.revokeRequestedMany(live, { queued: false });
  }

  /**
   * Counts leases by mount, reading every record from storage (the source of truth, whatever this
   * process has loaded): all of them, or only the `irrevocable` ones.
   */
  async count(type: "all" | "irrevocable"): Promise<LeaseCount> {
    return countLeases(this.#deps.store, type);
  }

  /**
   * `sys/leases?type=irrevocable`: the irrevocable leases, soonest expiry first, at most `limit`
   * (all when `undefined`), and how many there are in all — read from storage.
   */
  async listIrrevocable(limit: number | undefined): Promise<{ leases: LeaseRecord[]; total: number }> {
    return listIrrevocable(this.#deps.store, limit);
  }

  /**
   * `sys/leases?type=overdue` (vaultlet's): the active leases past their expiry or carrying a
   * failed revocation, soonest expiry first, at most `limit` (all when `undefined`), and how many
   * there are in all — read from storage, so every engine's leases count.
   */
  async listOverdue(limit: number | undefined): Promise<{ leases: LeaseRecord[]; total: number }> {
    return listOverdue(this.#deps.store, this.#deps.clock.now(), limit);
  }

  /**
   * Cleans up leases that point at what no longer exists: a lease whose token is gone is revoked
   * (its secret should have died with the token); a lease whose mount is gone cannot be revoked
   * (no backend knows its secret) and is removed. Pending leases are left to the rollback.
   */
  async tidy(tokenExists: (accessor: string) => Promise<boolean>): Promise<{ revoked: number; removed: number }> {
    this.#assertOpen();
    const { store, backendFor } = this.#deps;
    return tidyLeases({ store, backendFor, revocation: this.#revocation, tokenExists });
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
    return renewLease(this.#deps, await this.require(id), incrementSeconds);
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
    await this.#revocation.revokeNow(await this.require(id));
  }

  /**
   * Revokes every lease whose id starts with `prefix`, through the bounded queue. Every lease is
   * attempted; if any fails, the first error is thrown after all attempts (failed leases stay,
   * scheduled for retry). Returns how many leases were revoked.
   */
  async revokePrefix(prefix: string): Promise<number> {
    this.#assertOpen();
    const ids = await this.listIds(prefix);
    await revokeAllOrThrow(this.#revocation, ids);
    return ids.length;
  }

  /**
   * `sys/leases/revoke`: revokes lease `id`, or (with `sync: false`) makes it due now in storage
   * and revokes it in the background. A lease that is not there is not an error (as in Vault).
   *
   * @throws the backend's error when a synchronous revocation fails (the lease then stays, scheduled for retry)
   */
  async revokeIfPresent(id: string, sync = true): Promise<void> {
    this.#assertOpen();
    await revokeById(this.#revokeRequests(), id, sync);
  }

  /**
   * `sys/leases/revoke-prefix` and `revoke-force`: the leases under `prefix` (a path prefix), or
   * the one lease whose id it is exactly; forced, a lease whose revocation fails is forgotten;
   * with `sync: false`, revoked in the background (see `lease-revoke-requests.ts`).
   */
  async revokeMatching(prefix: string, options: RevokePrefixOptions = {}): Promise<RevokePrefixResult> {
    this.#assertOpen();
    return revokeByPrefix(this.#revokeRequests(), prefix, options);
  }

  #revokeRequests(): RevokeRequestDeps {
    return { deps: this.#deps, revocation: this.#revocation, forget: (id) => this.forget(id) };
  }

  /**
   * `sys/remount`: moves every lease of the mount at `from` (e.g. `"db/"`) to `to`
   * (`"team/db/"`), ids included, write-ahead and idempotent (see `lease-move.ts`).
   */
  async moveMountLeases(from: string, to: string): Promise<LeaseMoveResult> {
    this.#assertOpen();
    return moveLeases(this.#deps, from, to, (lease, previous) => this.#deps.onEvent({ type: "moved", lease, previous }));
  }

  /** Removes one lease without revoking its secret (its owner already cleaned it up). */
  async forget(id: string): Promise<void> {
    const lease = await this.#revocation.forget(id);
    if (lease) await this.#deps.onEvent({ type: "forgotten", lease }); // awaited: max_leases slots are freed before this returns
  }

  /**
   * Stops the scheduler and the restore, and waits (at most `closeTimeoutMs` on the engine's
   * clock) for revocations in flight. Queued revocations that have not started are left in
   * storage, due: the next engine on this storage (or another process sharing it) revokes them.
   * The manager takes no more work.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#deps.scheduler.close();
    this.#restore.close();
    this.#revocation.close();
    const work = [...this.#revocation.inFlight(), this.#restore.running];
    await settleWithin(this.#deps.clock, this.#deps.options.closeTimeoutMs, work);
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidRequestError("the lease manager is closed");
  }
}
