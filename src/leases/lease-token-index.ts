/**
 * Which leases each token created, kept in storage so that revoking a token finds every lease it
 * created, whichever engine process issued it.
 *
 * @module
 */
import type { JsonStore, JsonWrite } from "../storage/json-store.js";
import type { LeaseRecord } from "./lease.js";

/** The part of a lease record the index needs. */
export type IndexedLease = Pick<LeaseRecord, "id" | "tokenAccessor">;

/**
 * The token → lease index: one empty record `<token accessor>/<lease id>` per lease (accessors
 * are `[A-Za-z0-9]`, so one token's prefix never covers another's).
 *
 * An entry is written *before* its lease record (write-ahead, see `LeaseManager.issue`) and
 * removed after it, so an entry without a record is possible (a crash, a lease removed by
 * another process) and harmless: readers treat the lease as gone. A lease record without an
 * entry is possible only for leases written before this index existed; for those (an upgrade),
 * the leases loaded at restore are remembered in memory and joined to every answer — every
 * engine restores every lease at open, so whichever engine revokes the token knows them.
 */
export class LeaseTokenIndex {
  readonly #store: JsonStore;
  /** Leases loaded from storage at restore, by token: the fallback for records older than the index. */
  readonly #restored = new Map<string, Set<string>>();

  /** @param store - the index's own storage view (e.g. `"sys/expire/token/"`) */
  constructor(store: JsonStore) {
    this.#store = store;
  }

  /** Records that `lease` belongs to its token. */
  async add(lease: IndexedLease): Promise<void> {
    await this.#store.put(keyOf(lease), true);
  }

  /** Removes the record of `lease` (after the lease itself is gone). */
  async remove(lease: IndexedLease): Promise<void> {
    this.#restored.get(lease.tokenAccessor)?.delete(lease.id);
    await this.#store.delete(keyOf(lease));
  }

  /** Removes the records of `leases` (after the leases are gone), in one round trip when the storage can. */
  async removeMany(leases: readonly IndexedLease[]): Promise<void> {
    for (const lease of leases) this.#restored.get(lease.tokenAccessor)?.delete(lease.id);
    await this.#store.deleteMany(leases.map(keyOf));
  }

  /** The write that records `lease`'s entry, for a batch that writes it before the lease record. */
  addition(lease: IndexedLease): JsonWrite {
    return { store: this.#store, key: keyOf(lease), value: true };
  }

  /** The write that removes `lease`'s entry, for a batch that writes it after removing the lease record. */
  removal(lease: IndexedLease): JsonWrite {
    this.#restored.get(lease.tokenAccessor)?.delete(lease.id);
    return { store: this.#store, key: keyOf(lease), value: undefined };
  }

  /** Remembers a lease loaded from storage at restore (see the class comment). */
  noteRestored(lease: IndexedLease): void {
    let ids = this.#restored.get(lease.tokenAccessor);
    if (!ids) this.#restored.set(lease.tokenAccessor, (ids = new Set()));
    ids.add(lease.id);
  }

  /** Ids of the leases of the token with `accessor` (some may be gone already), sorted. */
  async idsFor(accessor: string): Promise<string[]> {
    const prefix = `${accessor}/`;
    const stored = (await this.#store.list(prefix)).map((key) => key.slice(prefix.length));
    const restored = this.#restored.get(accessor);
    if (!restored || restored.size === 0) return stored;
    return [...new Set([...stored, ...restored])].sort();
  }
}

function keyOf(lease: IndexedLease): string {
  return `${lease.tokenAccessor}/${lease.id}`;
}
