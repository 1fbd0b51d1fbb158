/**
 * The `max_leases` counts in storage: one record per limited mount or role, listing the leases
 * that hold a slot in it, so every engine sharing the storage counts the same leases.
 *
 * @module
 */
import { UNCHANGED, type JsonStore } from "../storage/json-store.js";

/** A slot record: the id of each lease holding a slot, and when the slot was taken (ms). */
type SlotRecord = Record<string, number>;

/**
 * How long a slot whose lease record does not exist is left alone by {@link LeaseSlots.reconcile}:
 * a slot is taken before its pending lease is written, and creating the secret may be slow.
 */
export const SLOT_GRACE_MS = 15 * 60_000;

/**
 * The slot records. A slot is taken write-ahead (before the pending lease is written) and released
 * when the lease is removed (revoked, forgotten, or its issue rolled back); both are atomic
 * read-modify-writes, so engines taking slots at once never overshoot a limit. Releasing is
 * idempotent. A crash between two of those steps can leave a slot without a lease:
 * {@link LeaseSlots.reconcile} frees such slots once they are older than {@link SLOT_GRACE_MS}.
 */
export class LeaseSlots {
  readonly #store: JsonStore;

  /** @param store - the slots' storage view (`sys/lease-quota/`) */
  constructor(store: JsonStore) {
    this.#store = store;
  }

  /** The record key of a mount's limit. */
  static mountKey(mountUuid: string): string {
    return `mount/${mountUuid}`;
  }

  /** The record key of a role's limit. */
  static roleKey(mountUuid: string, role: string): string {
    return `role/${mountUuid}/${role}`;
  }

  /**
   * Takes a slot for `leaseId` in `key` if fewer than `max` are taken — counting at least
   * `atLeast` (leases this engine knows of that hold no slot: issued before the limit was set).
   * Resolves to the count including the new slot, or `undefined` (with the count seen) when full.
   */
  async take(key: string, leaseId: string, max: number, atLeast: number, now: number): Promise<{ taken: boolean; count: number }> {
    let count = 0;
    const { next } = await this.#store.update<SlotRecord>(key, (current) => {
      const slots = current ?? {};
      count = Math.max(Object.keys(slots).length, atLeast);
      if (count >= max) return UNCHANGED;
      count++;
      return { ...slots, [leaseId]: now };
    });
    return { taken: next !== UNCHANGED, count };
  }

  /** Frees the slot of `leaseId` in `key` (no error when it holds none). */
  async release(key: string, leaseId: string): Promise<void> {
    await this.#store.update<SlotRecord>(key, (current) => {
      if (!current || !(leaseId in current)) return UNCHANGED;
      const { [leaseId]: _freed, ...rest } = current;
      return Object.keys(rest).length === 0 ? undefined : rest;
    });
  }

  /** Moves the slot of `fromId` in `key` to `toId` (a remounted lease), keeping when it was taken. */
  async rename(key: string, fromId: string, toId: string): Promise<void> {
    await this.#store.update<SlotRecord>(key, (current) => {
      if (!current || !(fromId in current)) return UNCHANGED;
      const { [fromId]: takenAt, ...rest } = current;
      return { ...rest, [toId]: takenAt! };
    });
  }

  /**
   * Frees slots whose lease no longer exists in storage and that were taken more than
   * {@link SLOT_GRACE_MS} ago (a crash left them). Safe while other engines take and release slots.
   *
   * @returns how many slots were freed
   */
  async reconcile(leaseExists: (id: string) => Promise<boolean>, now: number): Promise<number> {
    let freed = 0;
    for (const key of await this.#store.list()) {
      const slots = (await this.#store.get<SlotRecord>(key)) ?? {};
      for (const [id, takenAt] of Object.entries(slots)) {
        if (now - takenAt < SLOT_GRACE_MS || (await leaseExists(id))) continue;
        await this.release(key, id);
        freed++;
      }
    }
    return freed;
  }
}
