/**
 * Two engines on one MemoryStorage share configuration through its in-process change feed; with
 * the feed down, an engine re-reads before serving.
 */
import { MemoryStorage, type Storage } from "../../src/index.js";
import type { ChangeListener, ChangeWatch } from "../../src/storage/storage.js";
import { sharedConfigCases, type StoragePair } from "../support/shared-config-cases.js";

/**
 * A second handle on a MemoryStorage whose change feed can be cut: while cut, it delivers nothing
 * and cannot confirm itself, and `sync` (a re-read) reports that anything may have changed.
 */
class CuttableFeed implements Storage {
  #down = false;
  readonly #inner: MemoryStorage;
  readonly get: Storage["get"];
  readonly put: Storage["put"];
  readonly delete: Storage["delete"];
  readonly list: Storage["list"];
  readonly compareAndSwap: NonNullable<Storage["compareAndSwap"]>;

  constructor(inner: MemoryStorage) {
    this.#inner = inner;
    this.get = (key) => inner.get(key);
    this.put = (key, value) => inner.put(key, value);
    this.delete = (key) => inner.delete(key);
    this.list = (prefix) => inner.list(prefix);
    this.compareAndSwap = (key, expected, next) => inner.compareAndSwap(key, expected, next);
  }

  cut(): void {
    this.#down = true;
  }

  watch(prefixes: readonly string[], listener: ChangeListener): ChangeWatch {
    const inner = this.#inner.watch(prefixes, (keys) => {
      if (!this.#down) listener(keys);
    });
    return {
      current: (withinMs) => !this.#down && inner.current(withinMs),
      sync: async () => {
        if (this.#down) listener("all");
      },
      close: () => inner.close(),
    };
  }
}

const feeds = new WeakMap<StoragePair, CuttableFeed>();

sharedConfigCases(
  "two engines on one MemoryStorage",
  async () => {
    const memory = new MemoryStorage();
    const b = new CuttableFeed(memory);
    const storages: StoragePair = { a: memory, b, another: () => memory };
    feeds.set(storages, b);
    return storages;
  },
  async (storages) => feeds.get(storages)!.cut(),
);
