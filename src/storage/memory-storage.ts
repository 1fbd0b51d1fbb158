/**
 * @module
 */
import { sameBytes } from "./atomic-update.js";
import type { AtRest, BatchWrite, ChangeListener, ChangeWatch, Storage } from "./storage.js";

interface Watcher {
  prefixes: readonly string[];
  listener: ChangeListener;
}

/**
 * Storage in a `Map`, lost when the process exits. The default; right for tests and for hosts that
 * accept that a restart forgets every lease (the database users then only expire through
 * `VALID UNTIL`).
 */
export class MemoryStorage implements Storage {
  #entries = new Map<string, Uint8Array>();
  readonly #watchers = new Set<Watcher>();
  /** Nothing outlives the process, so the engine needs no encryption key for it. */
  readonly atRest: AtRest = "volatile";

  /**
   * The value at `key`, as a copy the caller owns. The copy is a `Buffer`, cut from Node's shared
   * buffer pool: every request reads several records, and a fresh `ArrayBuffer` per read cost about
   * a microsecond each (plus the garbage collector's time). As with any pooled `Buffer`, read it
   * through its own `byteOffset`/`length`, never through its whole `.buffer`.
   */
  async get(key: string): Promise<Uint8Array | undefined> {
    const value = this.#entries.get(key);
    return value && Buffer.from(value);
  }

  /** @inheritdoc */
  async put(key: string, value: Uint8Array): Promise<void> {
    this.#entries.set(key, value.slice());
    this.#announce(key);
  }

  /** @inheritdoc */
  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
    this.#announce(key);
  }

  /** @inheritdoc */
  async compareAndSwap(key: string, expected: Uint8Array | undefined, next: Uint8Array | undefined): Promise<boolean> {
    // Synchronous from the read to the write: nothing else runs in between.
    if (!sameBytes(this.#entries.get(key), expected)) return false;
    if (next === undefined) this.#entries.delete(key);
    else this.#entries.set(key, next.slice());
    this.#announce(key);
    return true;
  }

  /** All or none: synchronous from the first write to the last. The contract is {@link Storage.batch}. */
  async batch(writes: readonly BatchWrite[]): Promise<void> {
    for (const { key, value } of writes) {
      if (value === undefined) this.#entries.delete(key);
      else this.#entries.set(key, value.slice());
    }
    for (const { key } of writes) this.#announce(key);
  }

  /** @inheritdoc */
  async compareAndSwapIfPresent(key: string, expected: Uint8Array | undefined, next: Uint8Array | undefined, present: readonly string[]): Promise<boolean> {
    if (!present.every((required) => this.#entries.has(required))) return false;
    return this.compareAndSwap(key, expected, next);
  }

  /**
   * In-process: every engine on this object hears every watched write before the write resolves,
   * so the feed is always current and {@link ChangeWatch.sync} has nothing to catch up on.
   *
   * The contract is {@link Storage.watch}.
   */
  watch(prefixes: readonly string[], listener: ChangeListener): ChangeWatch {
    const watcher: Watcher = { prefixes: [...prefixes], listener };
    this.#watchers.add(watcher);
    return {
      current: () => true,
      sync: async () => undefined,
      close: async () => {
        this.#watchers.delete(watcher);
      },
    };
  }

  /** Tells the watchers of `key` (synchronously: the write is already visible). */
  #announce(key: string): void {
    for (const { prefixes, listener } of this.#watchers) {
      if (!prefixes.some((prefix) => key.startsWith(prefix))) continue;
      try {
        listener([key]);
      } catch {
        // A listener must not throw; one that does cannot stop the write or the other listeners.
      }
    }
  }

  /** @inheritdoc */
  async list(prefix: string): Promise<string[]> {
    return [...this.#entries.keys()].filter((key) => key.startsWith(prefix)).sort();
  }
}
