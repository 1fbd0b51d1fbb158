/**
 * Configuration as a view of storage: the caches of mounts, policies, password policies and audit
 * devices are invalidated by the storage's change feed, and re-read before serving whenever the
 * feed cannot vouch for them.
 *
 * @module
 */
import { StorageError } from "../errors.js";
import type { ChangeWatch, Storage } from "../storage/storage.js";
import { SerialInvalidation } from "./serial-invalidation.js";

/**
 * The propagation bound (ms): a configuration change made through one engine is enforced by every
 * other engine on the same storage at most this long after the write returned.
 */
export const PROPAGATION_BOUND_MS = 1_000;

/**
 * An engine's change feed: `"none"` — its storage has none (one process per storage, or one
 * `MemoryStorage` object); `"current"` — it confirms that every change committed more than
 * {@link PROPAGATION_BOUND_MS} ago has arrived; `"behind"` — it cannot (down, reconnecting, silent):
 * requests then re-read configuration from storage before being served.
 */
export type ChangeFeedState = "none" | "current" | "behind";

/** One cache of configuration records, kept by the part of the engine that owns them. */
export interface ConfigCache {
  /** Full storage keys it caches start with this (e.g. `"sys/policy/"`). */
  readonly prefix: string;
  /**
   * Forgets what it holds of `keys` (full storage keys under {@link ConfigCache.prefix}), or of
   * everything. A promise means the cache reloads asynchronously (mounts create backends); the
   * engine serves nothing until it settles, and retries a reload that failed.
   */
  invalidate(keys: readonly string[] | "all"): void | Promise<void>;
}

/**
 * Subscribes the caches to the storage's change feed and answers, before each request, whether
 * they can be trusted ({@link ConfigSync.fresh}). A storage without a feed is single-process: the
 * engine's own writes update its caches, and nothing else can.
 */
export class ConfigSync {
  readonly #storage: Storage;
  readonly #caches: readonly SerialInvalidation[];
  #watch: ChangeWatch | undefined;
  /** Set when a reload failed: the next request re-reads everything. */
  #failed = false;
  #resyncing: Promise<void> | undefined;

  /**
   * @param storage - the engine's storage (its `watch`, if it has one)
   * @param caches - every configuration cache of the engine
   */
  constructor(storage: Storage, caches: readonly ConfigCache[]) {
    this.#storage = storage;
    this.#caches = caches.map((cache) => new SerialInvalidation(cache, () => (this.#failed = true)));
  }

  /** Every prefix watched. */
  get prefixes(): string[] {
    return this.#caches.map(({ cache }) => cache.prefix);
  }

  /**
   * Starts watching (before the caches first load, so that no change falls between the load and
   * the watch) and takes the feed's first reading.
   */
  async start(): Promise<void> {
    if (!this.#storage.watch) return;
    this.#watch = this.#storage.watch(this.prefixes, (keys) => this.#changed(keys));
    await this.#watch.sync();
  }

  /**
   * `undefined` when every cache may be served as it is; otherwise a promise that settles once
   * they have caught up with storage (rejecting when storage cannot be read: then the request
   * fails rather than being served from a cache that might be stale). A request waits for the
   * reloads open when it came, never for those that notifications start after it: a stream of
   * them delays each request by at most two reloads.
   */
  fresh(): Promise<void> | undefined {
    const watch = this.#watch;
    if (!watch) return undefined;
    if (this.#failed || !watch.current(PROPAGATION_BOUND_MS)) return this.#resyncOnce();
    const open = this.#open();
    if (open.length > 0) return this.#settled(open);
    return undefined;
  }

  /**
   * Whether every cache may be served as it is right now — what {@link ConfigSync.fresh} answers
   * `undefined` to — without starting a catch-up. For reads outside a request (a scheduled
   * revocation reading its role): while this is false, they go to storage.
   */
  vouched(): boolean {
    const watch = this.#watch;
    if (!watch) return true;
    return !this.#failed && this.#open().length === 0 && watch.current(PROPAGATION_BOUND_MS);
  }

  /** The feed's state now (see {@link ChangeFeedState}). */
  feedState(): ChangeFeedState {
    const watch = this.#watch;
    if (!watch) return this.#storage.watch ? "behind" : "none";
    return !this.#failed && watch.current(PROPAGATION_BOUND_MS) ? "current" : "behind";
  }

  /** Stops watching. */
  async close(): Promise<void> {
    await this.#watch?.close();
    this.#watch = undefined;
  }

  #changed(keys: readonly string[] | "all"): void {
    for (const serial of this.#caches) {
      const mine = keys === "all" ? keys : keys.filter((key) => key.startsWith(serial.cache.prefix));
      if (mine !== "all" && mine.length === 0) continue;
      serial.invalidate(mine);
    }
  }

  /** Every reload open now (in flight, or merged to follow one). */
  #open(): Promise<void>[] {
    return this.#caches.flatMap((serial) => serial.open());
  }

  async #settled(open: Promise<void>[]): Promise<void> {
    await Promise.all(open);
    if (this.#failed) await this.#resyncOnce();
  }

  /** One catch-up at a time, shared by every request that needs it. */
  #resyncOnce(): Promise<void> {
    return (this.#resyncing ??= this.#resync().finally(() => (this.#resyncing = undefined)));
  }

  /** Asks storage what changed (the feed calls back with `"all"` if anything did), then waits. */
  async #resync(): Promise<void> {
    const failed = this.#failed;
    this.#failed = false;
    try {
      await this.#watch!.sync();
      if (failed) this.#changed("all");
      await Promise.all(this.#open());
    } catch (err) {
      this.#failed = true;
      throw err;
    }
    if (this.#failed) {
      throw new StorageError("re-reading the configuration from storage failed; nothing is served from a cache that may be stale");
    }
  }
}
