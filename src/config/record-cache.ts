/**
 * Read-through caches of a backend's configuration records (a database mount's connection
 * configs and roles), kept as true as the engine's other configuration: invalidated by the change
 * feed and by the engine's own writes, and bypassed whenever the feed cannot vouch for them.
 *
 * @module
 */
import { JsonStore, type UNCHANGED } from "../storage/json-store.js";
import type { PutOptions, Storage } from "../storage/storage.js";
import type { ConfigCache } from "./config-sync.js";

/** More cached records than this in one view empties it (configuration is small; this is a guard). */
const MAX_ENTRIES = 10_000;

/**
 * Every {@link CachedJsonStore} under one watched prefix (`logical/`), as one {@link ConfigCache}:
 * a change the feed reports reaches the views whose keys it touches.
 */
export class RecordCaches implements ConfigCache {
  /** @inheritdoc */
  readonly prefix: string;
  readonly #views = new Set<CachedJsonStore>();
  readonly #vouched: () => boolean;

  /**
   * @param prefix - the storage prefix every view lies under (watched by `ConfigSync`)
   * @param vouched - whether the change feed vouches for the caches now (`ConfigSync.vouched`);
   *   while it does not, every read goes to storage
   */
  constructor(prefix: string, vouched: () => boolean) {
    this.prefix = prefix;
    this.#vouched = vouched;
  }

  /**
   * A cached view of `storage` at `prefix` (which must start with {@link RecordCaches.prefix}).
   * Its `get` may answer from memory; every write through it invalidates what it wrote.
   */
  view(storage: Storage, prefix: string): CachedJsonStore {
    if (!prefix.startsWith(this.prefix)) throw new Error(`a cached view must lie under ${JSON.stringify(this.prefix)}`);
    const view = new CachedJsonStore(storage, prefix, this.#vouched);
    this.#views.add(view);
    return view;
  }

  /** Stops invalidating (and caching in) `view`: its mount is gone. */
  release(view: CachedJsonStore): void {
    this.#views.delete(view);
    view.forget("all");
  }

  /** @inheritdoc */
  invalidate(keys: readonly string[] | "all"): void {
    for (const view of this.#views) view.forget(keys);
  }
}

/**
 * A {@link JsonStore} whose `get` answers from memory while the change feed vouches for it. Values
 * are frozen (every caller shares them). A read that raced with an invalidation is not kept, so a
 * change is never hidden behind a value read before it; absence is not cached (an unknown name
 * asked for many times costs no memory).
 */
export class CachedJsonStore extends JsonStore {
  readonly #fullPrefix: string;
  readonly #vouched: () => boolean;
  readonly #entries = new Map<string, unknown>();
  /** Bumped by every invalidation: a read that started before one is not cached. */
  #generation = 0;

  /**
   * @param storage - the underlying storage
   * @param prefix - the view's full key prefix
   * @param vouched - whether cached values may be served now
   */
  constructor(storage: Storage, prefix: string, vouched: () => boolean) {
    super(storage, prefix);
    this.#fullPrefix = prefix;
    this.#vouched = vouched;
  }

  /** The parsed value at `key` (frozen), from memory when the feed vouches for it. */
  override async get<T>(key: string): Promise<T | undefined> {
    if (!this.#vouched()) return super.get<T>(key);
    const cached = this.#entries.get(key);
    if (cached !== undefined) return cached as T;
    const generation = this.#generation;
    const value = await super.get<T>(key);
    if (value === undefined || generation !== this.#generation) return value;
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
    deepFreeze(value);
    this.#entries.set(key, value);
    return value;
  }

  /** @inheritdoc */
  override async put(key: string, value: unknown, options?: PutOptions): Promise<void> {
    try {
      await super.put(key, value, options);
    } finally {
      this.#forgetKey(key);
    }
  }

  /** @inheritdoc */
  override async update<T>(
    key: string,
    decide: (current: T | undefined) => T | undefined | typeof UNCHANGED,
    options?: PutOptions,
  ): Promise<{ previous: T | undefined; next: T | undefined | typeof UNCHANGED }> {
    try {
      return await super.update(key, decide, options);
    } finally {
      this.#forgetKey(key);
    }
  }

  /** @inheritdoc */
  override async swap(key: string, expected: unknown, next: unknown, options?: PutOptions): Promise<boolean> {
    try {
      return await super.swap(key, expected, next, options);
    } finally {
      this.#forgetKey(key);
    }
  }

  /** @inheritdoc */
  override async delete(key: string): Promise<void> {
    try {
      await super.delete(key);
    } finally {
      this.#forgetKey(key);
    }
  }

  /** Forgets what it holds of `keys` (full storage keys; others are ignored), or everything. */
  forget(keys: readonly string[] | "all"): void {
    if (keys === "all") {
      this.#generation++;
      this.#entries.clear();
      return;
    }
    for (const key of keys) if (key.startsWith(this.#fullPrefix)) this.#forgetKey(key.slice(this.#fullPrefix.length));
  }

  #forgetKey(key: string): void {
    this.#generation++;
    this.#entries.delete(key);
  }
}

/** Freezes a parsed JSON value and everything in it. */
function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}
