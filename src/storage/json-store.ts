/**
 * @module
 */
import type { BatchWrite, ClaimRequest, PutOptions, Storage } from "./storage.js";
import { immediateChildren } from "../util/key-listing.js";
import { atomicDelete, atomicUpdate, sameBytes, UNCHANGED } from "./atomic-update.js";

export { UNCHANGED } from "./atomic-update.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One write of {@link JsonStore.writeInOrder}: `value` as JSON at `key` of `store`, or a deletion. */
export interface JsonWrite {
  store: JsonStore;
  key: string;
  /** The value to store as JSON; `undefined` deletes the key. */
  value: unknown;
  /** As for {@link JsonStore.put}. */
  options?: PutOptions;
}

/**
 * A typed JSON view of a {@link Storage}, scoped to a key prefix. Each part of the engine (a mount's
 * backend, the lease manager, the token store) gets its own view so none can read another's keys.
 */
export class JsonStore {
  readonly #storage: Storage;
  readonly #prefix: string;

  /**
   * @param storage - the underlying storage
   * @param prefix - prepended to every key (e.g. `"logical/<mount uuid>/"`)
   */
  constructor(storage: Storage, prefix = "") {
    this.#storage = storage;
    this.#prefix = prefix;
  }

  /** The full storage key of `key` in this view (for conditions checked by the storage itself). */
  fullKey(key: string): string {
    return this.#prefix + key;
  }

  /**
   * Writes (and deletes) records as if one after another in the order given — in one step and
   * one round trip when they share one storage that has {@link Storage.batch}, one by one
   * otherwise (a deletion then ordered with updates in flight, as {@link JsonStore.delete}).
   */
  static async writeInOrder(writes: readonly JsonWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const storage = writes[0]!.store.#storage;
    // Writes to several storages, or to one without compare-and-swap (which orders deletions with
    // updates through local locks that a batch would bypass), go one by one.
    if (!storage.batch || !storage.compareAndSwap || writes.some(({ store }) => store.#storage !== storage)) {
      for (const { store, key, value, options } of writes) await (value === undefined ? store.delete(key) : store.put(key, value, options));
      return;
    }
    const batch: BatchWrite[] = writes.map(({ store, key, value, options }) => ({
      key: store.#prefix + key,
      value: value === undefined ? undefined : encoder.encode(JSON.stringify(value)),
      ...(options && { options }),
    }));
    await storage.batch(batch);
  }

  /** A view of a sub-prefix of this view. */
  sub(prefix: string): JsonStore {
    return new JsonStore(this.#storage, this.#prefix + prefix);
  }

  /** The parsed value at `key`, or `undefined`. */
  async get<T>(key: string): Promise<T | undefined> {
    const bytes = await this.#storage.get(this.#prefix + key);
    return bytes === undefined ? undefined : (JSON.parse(decoder.decode(bytes)) as T);
  }

  /** Whether a value is stored at `key` (read, not parsed). */
  async has(key: string): Promise<boolean> {
    return (await this.#storage.get(this.#prefix + key)) !== undefined;
  }

  /** The parsed values at `keys`, in order, in one round trip when the storage can (`getMany`). */
  async getMany<T>(keys: readonly string[]): Promise<Array<T | undefined>> {
    const full = keys.map((key) => this.#prefix + key);
    const values = this.#storage.getMany ? await this.#storage.getMany(full) : await Promise.all(full.map((key) => this.#storage.get(key)));
    return values.map((bytes) => (bytes === undefined ? undefined : (JSON.parse(decoder.decode(bytes)) as T)));
  }

  /** Stores `value` as JSON at `key`. */
  async put(key: string, value: unknown, options?: PutOptions): Promise<void> {
    const bytes = encoder.encode(JSON.stringify(value));
    await (options ? this.#storage.put(this.#prefix + key, bytes, options) : this.#storage.put(this.#prefix + key, bytes));
  }

  /**
   * Read-modify-write of one record, atomic against every other `update` of it — across processes
   * when the storage has {@link Storage.compareAndSwap}. `decide` sees the current value and
   * returns the next one, `undefined` to delete, or {@link UNCHANGED}; it may run more than once
   * (after a concurrent change), so it must not have side effects. Resolves to the value it saw
   * last and what it decided. `options` apply to a value written, as in {@link JsonStore.put}.
   */
  async update<T>(
    key: string,
    decide: (current: T | undefined) => T | undefined | typeof UNCHANGED,
    options?: PutOptions,
  ): Promise<{ previous: T | undefined; next: T | undefined | typeof UNCHANGED }> {
    let previous: T | undefined;
    let next: T | undefined | typeof UNCHANGED = UNCHANGED;
    await atomicUpdate(this.#storage, this.#prefix + key, (bytes) => {
      previous = bytes === undefined ? undefined : (JSON.parse(decoder.decode(bytes)) as T);
      next = decide(previous);
      return next === UNCHANGED ? UNCHANGED : next === undefined ? undefined : encoder.encode(JSON.stringify(next));
    }, options);
    return { previous, next };
  }

  /**
   * Replaces the value at `key` with `next` only if it is still `expected` (a value this process
   * wrote there with {@link JsonStore.put}: the same JSON, the same bytes), atomically as
   * {@link JsonStore.update} — in one round trip when the storage has
   * {@link Storage.compareAndSwap}. Resolves to whether it did.
   */
  async swap(key: string, expected: unknown, next: unknown, options?: PutOptions): Promise<boolean> {
    const full = this.#prefix + key;
    const expectedBytes = encoder.encode(JSON.stringify(expected));
    const nextBytes = encoder.encode(JSON.stringify(next));
    if (this.#storage.compareAndSwap) {
      return options
        ? this.#storage.compareAndSwap(full, expectedBytes, nextBytes, options)
        : this.#storage.compareAndSwap(full, expectedBytes, nextBytes);
    }
    const { decision } = await atomicUpdate(this.#storage, full, (current) => (sameBytes(current, expectedBytes) ? nextBytes : UNCHANGED), options);
    return decision !== UNCHANGED;
  }

  /**
   * {@link JsonStore.swap} that first checks that every storage key in `present` (full keys, see
   * {@link JsonStore.fullKey}) exists: a read of each, then the swap — in one round trip when the
   * storage has {@link Storage.compareAndSwapIfPresent}. Resolves to whether it swapped.
   */
  async swapIfPresent(key: string, expected: unknown, next: unknown, present: readonly string[], options?: PutOptions): Promise<boolean> {
    const storage = this.#storage;
    if (!storage.compareAndSwapIfPresent) {
      for (const required of present) if ((await storage.get(required)) === undefined) return false;
      return this.swap(key, expected, next, options);
    }
    const expectedBytes = encoder.encode(JSON.stringify(expected));
    const nextBytes = encoder.encode(JSON.stringify(next));
    const full = this.#prefix + key;
    return options
      ? storage.compareAndSwapIfPresent(full, expectedBytes, nextBytes, present, options)
      : storage.compareAndSwapIfPresent(full, expectedBytes, nextBytes, present);
  }

  /** The underlying storage's {@link Storage.claimDue} on this view, if the storage has it. */
  get claimDue(): ((request: ClaimRequest) => Promise<string[]>) | undefined {
    const storage = this.#storage;
    if (!storage.claimDue) return undefined;
    return async (request) => {
      const keys = await storage.claimDue!({ ...request, prefix: this.#prefix + request.prefix });
      return keys.map((key) => key.slice(this.#prefix.length));
    };
  }

  /** Removes `key` (never undone by an {@link JsonStore.update} of it in flight). */
  async delete(key: string): Promise<void> {
    await atomicDelete(this.#storage, this.#prefix + key);
  }

  /**
   * Removes `keys`, in one round trip when the storage can ({@link Storage.deleteMany}), else one
   * {@link JsonStore.delete} each. Only a storage with compare-and-swap deletes in bulk: without
   * it, each delete must take its key's local turn (see `atomicDelete`).
   */
  async deleteMany(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    if (this.#storage.deleteMany && this.#storage.compareAndSwap) return this.#storage.deleteMany(keys.map((key) => this.#prefix + key));
    await Promise.all(keys.map((key) => this.delete(key)));
  }

  /** Keys under `prefix`, relative to this view, in ascending order. */
  async list(prefix = ""): Promise<string[]> {
    const keys = await this.#storage.list(this.#prefix + prefix);
    return keys.map((key) => key.slice(this.#prefix.length));
  }

  /**
   * Vault-style listing: the immediate children under `prefix`, with sub-folders ending in `/`.
   */
  async listChildren(prefix = ""): Promise<string[]> {
    return immediateChildren(await this.list(prefix), prefix);
  }

  /** Removes every key under `prefix`. */
  async deletePrefix(prefix = ""): Promise<void> {
    for (const key of await this.list(prefix)) await this.delete(key);
  }
}
