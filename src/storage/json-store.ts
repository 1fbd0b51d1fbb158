/**
 * @module
 */
import type { ClaimRequest, PutOptions, Storage } from "./storage.js";
import { immediateChildren } from "../util/key-listing.js";
import { atomicDelete, atomicUpdate, sameBytes, UNCHANGED } from "./atomic-update.js";

export { UNCHANGED } from "./atomic-update.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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
