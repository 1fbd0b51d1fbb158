/**
 * `sys/leases/count` and `sys/leases/tidy`: whole-table passes over the lease records in storage.
 *
 * @module
 */
import type { LeaseRecord } from "./lease.js";
import type { BackendLookup, LeaseRevocation } from "./lease-revocation.js";
import { READ_BATCH, type LeaseStore } from "./lease-store.js";

/** What `sys/leases/count` answers: the total, and the count per mount path. */
export type LeaseCount = { lease_count: number; counts: Record<string, number> };

/**
 * Counts leases by mount, reading every record from storage (the source of truth, whatever this
 * process has loaded): all of them, or only the `irrevocable` ones. Pending leases do not count.
 */
export async function countLeases(store: LeaseStore, type: "all" | "irrevocable"): Promise<LeaseCount> {
  const ids = await store.list();
  const counts: Record<string, number> = {};
  let total = 0;
  for (let start = 0; start < ids.length; start += READ_BATCH) {
    for (const lease of await store.getMany(ids.slice(start, start + READ_BATCH))) {
      if (!counted(lease, type)) continue;
      counts[lease.mountPath] = (counts[lease.mountPath] ?? 0) + 1;
      total++;
    }
  }
  return { lease_count: total, counts };
}

function counted(lease: LeaseRecord | undefined, type: "all" | "irrevocable"): lease is LeaseRecord {
  if (!lease || lease.state === "pending") return false;
  return type === "all" || lease.state === "irrevocable";
}

/**
 * The irrevocable leases, soonest expiry first (then by id), at most `limit` of them (all when
 * `undefined`), read from storage; `total` counts them all.
 */
export async function listIrrevocable(store: LeaseStore, limit: number | undefined): Promise<{ leases: LeaseRecord[]; total: number }> {
  return listWhere(store, (lease) => counted(lease, "irrevocable"), limit);
}

/**
 * Whether a lease should be gone and is not: active (neither pending nor irrevocable), and past
 * its expiry at `now` or carrying a failed revocation (asked for, or at expiry). Such a lease
 * waits for its database (see {@link waitsForDatabase}), for a retry, or for an engine to claim it.
 */
export function isOverdue(lease: LeaseRecord, now: number): boolean {
  return lease.state === "active" && (lease.expireTime <= now || lease.lastError !== undefined);
}

/**
 * Whether a lease's revocation waits for an unreachable database: it failed only because the
 * database did not answer, which spends no attempt (`lease-revocation.ts`), so the error is noted
 * with no attempt counted.
 */
export function waitsForDatabase(lease: LeaseRecord): boolean {
  return lease.revokeAttempts === 0 && lease.lastError !== undefined;
}

/** The overdue leases (see {@link isOverdue}) at `now`, soonest expiry first, as {@link listIrrevocable}. */
export async function listOverdue(store: LeaseStore, now: number, limit: number | undefined): Promise<{ leases: LeaseRecord[]; total: number }> {
  return listWhere(store, (lease) => lease !== undefined && isOverdue(lease, now), limit);
}

async function listWhere(
  store: LeaseStore,
  wanted: (lease: LeaseRecord | undefined) => boolean,
  limit: number | undefined,
): Promise<{ leases: LeaseRecord[]; total: number }> {
  const ids = await store.list();
  const found: LeaseRecord[] = [];
  for (let start = 0; start < ids.length; start += READ_BATCH) {
    for (const lease of await store.getMany(ids.slice(start, start + READ_BATCH))) {
      if (lease && wanted(lease)) found.push(lease);
    }
  }
  found.sort((a, b) => a.expireTime - b.expireTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { leases: limit === undefined ? found : found.slice(0, limit), total: found.length };
}

/** What tidying needs: the records, the backends, and revocation. */
export interface TidyDependencies {
  store: LeaseStore;
  backendFor: BackendLookup;
  revocation: LeaseRevocation;
  /** Whether the token with this accessor still exists. */
  tokenExists: (accessor: string) => Promise<boolean>;
}

/**
 * Cleans up leases that point at what no longer exists: a lease whose token is gone is revoked
 * (its secret should have died with the token); a lease whose mount is gone cannot be revoked
 * (no backend knows its secret) and is removed. Pending leases are left to the rollback.
 */
export async function tidyLeases({ store, backendFor, revocation, tokenExists }: TidyDependencies): Promise<{ revoked: number; removed: number }> {
  let revoked = 0;
  let removed = 0;
  for (const id of await store.list()) {
    const lease = await store.get(id);
    if (!lease || lease.state === "pending") continue;
    if (!backendFor(lease.mountPath, lease.mountUuid)) {
      await revocation.forget(id);
      removed++;
    } else if (!(await tokenExists(lease.tokenAccessor))) {
      await revocation.revokeQueued(id, false);
      revoked++;
    }
  }
  return { revoked, removed };
}
