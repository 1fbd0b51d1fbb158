/**
 * The two atomic steps on a pending lease record that decide between its issuer and a revoker:
 * the issuer turning it active, a token's revocation cancelling it. Both are compare-and-swaps
 * of the record (`JsonStore.update`), so exactly one of them wins, across processes.
 *
 * The protocol, with the token's revocation (`TokenManager.revoke`):
 *
 * ```
 *  issuer (a request of token T in flight)        revoker of T
 *  1. index entry T → L, then L as pending        a. delete T's record
 *  2. create the secret                            b. list T's leases from the index
 *  3. confirm T still exists (else roll back)      c. each: cancel if pending, else revoke
 *  4. L pending → active, by compare-and-swap
 *     (fails if L is cancelled or gone: then the
 *      issuer revokes its secret and refuses)
 * ```
 *
 * Storage orders every step. If 3 sees T, then 1 < 3 < a < b, so the revoker finds L at b: L is
 * still pending (c cancels it, 4 then fails and the issuer revokes its secret) or already active
 * (c revokes it). If 3 does not see T, the issuer rolls back itself. Either way no lease of T is
 * active after both have finished, and none ever becomes active after a. A child token is the
 * same with its parent in T's place: its record and `parent/` entry are written in step 2,
 * before step 3 confirms the parent. Ancestors need no check of their own: a revocation deletes
 * each descendant before listing that descendant's children and leases, so the same argument
 * holds one level down. An issuer that dies between 1 and 4 leaves L pending (cancelled or not):
 * the pending rollback revokes its secret, as after any crash.
 *
 * @module
 */
import { UNCHANGED, type JsonStore } from "../storage/json-store.js";
import type { LeaseRecord } from "./lease.js";

/**
 * Step 4: turns the issuer's pending record `pending` (exactly as the issuer wrote it) active
 * and due at its expiry — only if it is still exactly that: not cancelled, not taken over by a
 * rollback, not removed. One compare-and-swap against the bytes the issuer wrote, so no read.
 * Resolves to whether it did.
 *
 * With `present` (the token's record key), step 3 is made by the storage in the same step, just
 * before the swap (`Storage.compareAndSwapIfPresent`): the check still precedes the swap, so the
 * argument above holds unchanged, and the request costs one round trip fewer.
 */
export async function activatePending(store: JsonStore, pending: LeaseRecord, present?: readonly string[]): Promise<boolean> {
  const active = { ...pending, state: "active" };
  const options = { dueAt: pending.expireTime };
  return present ? store.swapIfPresent(pending.id, pending, active, present, options) : store.swap(pending.id, pending, active, options);
}

/** What {@link cancelIfPending} found: nothing, a pending lease (now cancelled), or a live one to revoke. */
export type CancelOutcome = { found: "gone" } | { found: "pending" } | { found: "live"; lease: LeaseRecord };

/**
 * Step c for one lease: a pending record is marked cancelled (its issuer, or the rollback if
 * the issuer died, revokes the secret: the revoker cannot, the secret may not exist yet). A
 * record that is not pending is handed back for the caller to revoke.
 */
export async function cancelIfPending(store: JsonStore, id: string): Promise<CancelOutcome> {
  const { previous } = await store.update<LeaseRecord>(id, (current) =>
    current?.state === "pending" && !current.cancelled ? { ...current, cancelled: true } : UNCHANGED,
  );
  if (!previous) return { found: "gone" };
  return previous.state === "pending" ? { found: "pending" } : { found: "live", lease: previous };
}
