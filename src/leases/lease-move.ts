/**
 * Moving the leases of a remounted mount (`sys/remount`): each lease under the old mount path
 * gets the new path in its id and `mountPath`, and stays revocable throughout.
 *
 * @module
 */
import type { LeaseRecord } from "./lease.js";
import type { RevocationDependencies } from "./lease-revocation.js";

/** What moving the leases did. */
export interface LeaseMoveResult {
  /** Leases moved to the new path. */
  moved: number;
  /** Leases left under the old path because they were still being issued (see {@link moveLeases}). */
  pending: number;
}

/**
 * Moves every lease whose id starts with `from` (a mount path, `"db/"`) to `to` (`"team/db/"`):
 * `db/creds/r/AbC` becomes `team/db/creds/r/AbC`. Per lease, write-ahead: the new record and its
 * token index entry are written first, then the old record and entry removed — so a crash leaves
 * at worst both records (revoking the same secret twice is harmless) and a rerun finishes the job
 * (it is idempotent). Revocation never depends on the move: a lease finds its backend by the
 * mount's UUID, which a remount keeps.
 *
 * A lease still pending (its secret being created by a request in flight) is left where it is,
 * under its old id: its issuer activates it by compare-and-swap on that id. It stays revocable
 * and expires as usual.
 *
 * @param onMoved - told of each move, awaited (it renames the lease's `max_leases` slots)
 */
export async function moveLeases(
  deps: RevocationDependencies,
  from: string,
  to: string,
  onMoved: (lease: LeaseRecord, previous: LeaseRecord) => Promise<void> | void,
): Promise<LeaseMoveResult> {
  let moved = 0;
  let pending = 0;
  for (const id of await deps.store.list(from)) {
    const lease = await deps.store.get(id);
    if (!lease) continue;
    if (lease.state === "pending" || deps.issuing.has(id)) {
      pending++;
      continue;
    }
    const next: LeaseRecord = { ...lease, id: to + id.slice(from.length), mountPath: to };
    const dueAt = lease.revokeAttempts === 0 ? lease.expireTime : deps.clock.now();
    await deps.tokens.add(next);
    await deps.store.put(next, dueAt);
    await onMoved(next, lease);
    await deps.store.delete(id);
    await deps.tokens.remove(lease);
    deps.scheduler.cancel(id);
    deps.scheduler.schedule(next.id, dueAt);
    moved++;
  }
  return { moved, pending };
}
