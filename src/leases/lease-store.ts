/**
 * Lease records in storage: the source of truth. Every read of a record goes through here, so
 * records written by older versions are brought up to date in this one place.
 *
 * @module
 */
import { UnsupportedOperationError } from "../errors.js";
import type { ClaimRequest } from "../storage/storage.js";
import { JsonStore, type JsonWrite } from "../storage/json-store.js";
import type { LeaseRecord } from "./lease.js";
import { activatePending, cancelIfPending, type CancelOutcome } from "./pending-lease.js";
import { UNCHANGED } from "../storage/json-store.js";

/** Lease records read at once by whole-table passes (the restore, counts). */
export const READ_BATCH = 1000;

/**
 * The lease records' storage view (`sys/expire/id/`), typed. A future token→lease index or a
 * lease count kept in storage belongs here, next to the records it follows.
 */
export class LeaseStore {
  readonly #view: JsonStore;
  readonly #claimDue: JsonStore["claimDue"];

  /** @param view - the storage view holding one record per lease id */
  constructor(view: JsonStore) {
    this.#view = view;
    this.#claimDue = view.claimDue;
  }

  /**
   * Whether several processes may share this storage (it implements `claimDue`): due leases are
   * then claimed before they are revoked, and pending leases get a grace period.
   */
  get shared(): boolean {
    return this.#claimDue !== undefined;
  }

  /** The record of lease `id`, if stored (pending ones included). */
  async get(id: string): Promise<LeaseRecord | undefined> {
    return upgrade(await this.#view.get<LeaseRecord>(id));
  }

  /** The records of `ids`, in order, in one round trip when the storage can. */
  async getMany(ids: readonly string[]): Promise<Array<LeaseRecord | undefined>> {
    return (await this.#view.getMany<LeaseRecord>(ids)).map(upgrade);
  }

  /** Writes a record, due (for `claimDue`) at `dueAt`. */
  async put(lease: LeaseRecord, dueAt: number): Promise<void> {
    await this.#view.put(lease.id, lease, { dueAt });
  }

  /**
   * Rewrites a record keeping its due time and any claim on it (a note on the lease, such as the
   * error of a revocation that could not reach its database, that changes nothing about when or
   * by whom it is revoked).
   */
  async note(lease: LeaseRecord): Promise<void> {
    await this.#view.put(lease.id, lease);
  }

  /**
   * Writes `before` (the lease's token-index entry), then the record due at `dueAt` — in one step
   * and one round trip when the storage can batch, and never the record without the entry.
   */
  async putAfter(before: JsonWrite, lease: LeaseRecord, dueAt: number): Promise<void> {
    await JsonStore.writeInOrder([before, { store: this.#view, key: lease.id, value: lease, options: { dueAt } }]);
  }

  /**
   * Deletes record `id`, then writes `after` (the removal of its token-index entry) — in one step
   * and one round trip when the storage can batch, and never the entry's removal first.
   */
  async deleteThen(id: string, after: JsonWrite): Promise<void> {
    await JsonStore.writeInOrder([{ store: this.#view, key: id, value: undefined }, after]);
  }

  /**
   * Turns the issuer's pending record active, if it is still exactly as written (see
   * `pending-lease.ts`) — and, with `present` (full storage keys, e.g. the requesting token's
   * record), only if those still exist, checked just before the swap in the same step.
   */
  async activate(pending: LeaseRecord, present?: readonly string[]): Promise<boolean> {
    return activatePending(this.#view, pending, present);
  }

  /** Cancels a pending record, or hands back a live one to revoke (see `pending-lease.ts`). */
  async cancelIfPending(id: string): Promise<CancelOutcome> {
    const outcome = await cancelIfPending(this.#view, id);
    return outcome.found === "live" ? { found: "live", lease: upgrade(outcome.lease)! } : outcome;
  }

  /**
   * Writes `renewed` over the lease only if the lease still exists (a revocation, by any engine,
   * is never undone by a renewal in flight). Resolves to whether it did.
   */
  async replaceIfPresent(renewed: LeaseRecord, dueAt: number): Promise<boolean> {
    const { previous } = await this.#view.update<LeaseRecord>(renewed.id, (current) => (current ? renewed : UNCHANGED), { dueAt });
    return previous !== undefined;
  }

  /** Deletes a record (a no-op when absent). */
  async delete(id: string): Promise<void> {
    await this.#view.delete(id);
  }

  /** Deletes records, in one round trip when the storage can (a no-op for those absent). */
  async deleteMany(ids: readonly string[]): Promise<void> {
    await this.#view.deleteMany(ids);
  }

  /** Ids of the leases that start with `prefix`, sorted. */
  async list(prefix = ""): Promise<string[]> {
    return this.#view.list(prefix);
  }

  /**
   * Shared storage only: claims due leases for `owner` (see `Storage.claimDue`).
   *
   * @throws UnsupportedOperationError when the storage is not shared
   */
  async claimDue(request: Omit<ClaimRequest, "prefix">): Promise<string[]> {
    if (!this.#claimDue) throw new UnsupportedOperationError("this storage cannot claim due leases: it is not shared");
    return this.#claimDue({ ...request, prefix: "" });
  }
}

/**
 * Read-compat: records written before `role` was a declared field kept the database backend's
 * role only in `internal.role`; they count under that role after a restart.
 */
function upgrade(record: LeaseRecord | undefined): LeaseRecord | undefined {
  if (!record || record.role !== undefined) return record;
  const legacy = record.internal?.role;
  return typeof legacy === "string" ? { ...record, role: legacy } : record;
}
