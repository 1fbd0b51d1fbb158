/**
 * Revocations asked for through `sys/leases` (and `sys/revoke…`): by id, by prefix (or an exact
 * lease id given as the prefix), forced, and in the background (`sync: false`) — with Vault's
 * answers: revoking a lease that is not there succeeds.
 *
 * @module
 */
import type { LeaseRecord } from "./lease.js";
import { REVOKE_BATCH, type LeaseRevocation, type RevocationDependencies } from "./lease-revocation.js";

/** How a revocation by prefix is asked for. */
export interface RevokePrefixOptions {
  /** `false`: mark the leases due now (durably) and revoke them in the background. Default `true`. */
  sync?: boolean;
  /** Revoke-force: a lease whose revocation fails is forgotten (removed without revoking). */
  force?: boolean;
}

/** What a revocation by prefix did. */
export interface RevokePrefixResult {
  /** Leases revoked (or, with `sync: false`, handed to the background revocation). */
  revoked: number;
  /** Revoke-force only: leases whose revocation failed and that were forgotten. */
  forgotten: string[];
}

/** What these revocations work with: the lease manager's parts, and its `forget`. */
export interface RevokeRequestDeps {
  /** Storage, clock, schedule and the rest the lease manager shares. */
  deps: RevocationDependencies;
  /** The revocation (bounded queue, retries). */
  revocation: LeaseRevocation;
  /** Removes a lease without revoking its secret (the lease manager's, which reports it). */
  forget: (id: string) => Promise<void>;
}

/**
 * Revokes lease `id`. A lease that is not there (already revoked, never issued, or still being
 * issued) is not an error: revocation is idempotent, as in Vault.
 *
 * @throws the backend's error when a synchronous revocation fails (the lease then stays, scheduled for retry)
 */
export async function revokeById({ deps, revocation }: RevokeRequestDeps, id: string, sync: boolean): Promise<void> {
  const lease = await deps.store.get(id);
  if (!lease || lease.state === "pending") return;
  if (sync) return revocation.revokeNow(lease);
  await revokeInBackground(deps, revocation, lease);
}

/**
 * Revokes every lease under `prefix` (a path prefix: `database/creds/readonly` never matches
 * `database/creds/readonly2/…`), or the one lease whose id `prefix` is exactly, as Vault does.
 * Every lease is attempted; synchronously, the first failure is thrown after all attempts
 * (failed leases stay, scheduled for retry) — unless `force`, where a failed lease is forgotten.
 */
export async function revokeByPrefix(requests: RevokeRequestDeps, prefix: string, options: RevokePrefixOptions = {}): Promise<RevokePrefixResult> {
  const { deps, revocation } = requests;
  const ids = await idsUnder(deps, prefix);
  if (options.force) return revokeForced(requests, ids);
  if (options.sync === false) {
    for (let start = 0; start < ids.length; start += REVOKE_BATCH) {
      const records = await deps.store.getMany(ids.slice(start, start + REVOKE_BATCH));
      await Promise.all(records.map((lease) => lease && makeDueNow(deps, lease)));
    }
    void revocation.revokeRequestedMany(ids); // failures are recorded on the leases, and retried
    return { revoked: ids.length, forgotten: [] };
  }
  await revokeAllOrThrow(revocation, ids);
  return { revoked: ids.length, forgotten: [] };
}

/**
 * Revokes `ids` together (in batches, see `LeaseRevocation.revokeRequestedMany`); once every one
 * was attempted, throws the error of the first (in `ids` order) whose revocation failed.
 */
export async function revokeAllOrThrow(revocation: LeaseRevocation, ids: readonly string[]): Promise<void> {
  const failures = await revocation.revokeRequestedMany(ids);
  const first = ids.find((id) => failures.has(id));
  if (first !== undefined) throw failures.get(first);
}

/** The exact lease `prefix` names, else the leases under `prefix/`. */
async function idsUnder(deps: RevocationDependencies, prefix: string): Promise<string[]> {
  if (!prefix.endsWith("/")) {
    const exact = await deps.store.get(prefix);
    if (exact) return [prefix];
  }
  return deps.store.list(prefix.endsWith("/") ? prefix : `${prefix}/`);
}

/**
 * Revoke-force: each lease's revocation is tried (so a reachable database loses its users), and
 * only a lease whose revocation fails is forgotten — its secret may outlive it.
 */
async function revokeForced({ revocation, forget }: RevokeRequestDeps, ids: string[]): Promise<RevokePrefixResult> {
  const forgotten = [...(await revocation.revokeRequestedMany(ids)).keys()].sort();
  await Promise.all(forgotten.map(forget));
  return { revoked: ids.length - forgotten.length, forgotten };
}

/**
 * `sync: false`: the lease is made due now in storage first (as Vault's lazy revoke moves its
 * expiry), so the revocation survives a crash — the next engine on this storage revokes it — and
 * then revoked through the queue; a failure takes the usual retry path.
 */
async function revokeInBackground(deps: RevocationDependencies, revocation: LeaseRevocation, lease: LeaseRecord): Promise<void> {
  await makeDueNow(deps, lease);
  void revocation.revokeQueued(lease.id, false);
}

/** The first half of {@link revokeInBackground}: the lease due now, in storage and in the schedule. */
async function makeDueNow(deps: RevocationDependencies, lease: LeaseRecord): Promise<void> {
  const now = deps.clock.now();
  if (lease.state !== "pending" && lease.expireTime > now) {
    await deps.store.replaceIfPresent({ ...lease, expireTime: now }, now);
  }
  deps.scheduler.schedule(lease.id, now);
}
