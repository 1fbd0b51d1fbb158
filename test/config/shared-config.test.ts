/**
 * Two engines on one MemoryStorage share configuration through its in-process change feed; with
 * the feed down, an engine re-reads before serving.
 */
import { describe, expect, it } from "vitest";
import { Engine, MemoryStorage, StorageError, type Storage } from "../../src/index.js";
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
  /** A handle on memory: nothing durable. */
  readonly atRest = "volatile" as const;

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

describe("an engine whose feed is down and whose storage cannot be read", () => {
  it("fails the request rather than serving a cache that may be stale, and serves again once storage answers", async () => {
    const memory = new MemoryStorage();
    const b = new CuttableFeed(memory);
    let failing = false;
    const flaky = Object.assign(b, {
      list: (prefix: string) => (failing ? Promise.reject(new StorageError("listing records failed: code 57P01")) : memory.list(prefix)),
    });
    const a = await Engine.open({ storage: memory });
    const { rootToken } = await a.initialize();
    await using engineB = await Engine.open({ storage: flaky });
    await engineB.client(rootToken).read("sys/mounts");
    b.cut();
    failing = true;
    await a.client(rootToken).write("sys/mounts/db", { type: "database" });
    await expect(engineB.client(rootToken).read("sys/mounts")).rejects.toBeInstanceOf(StorageError);
    failing = false;
    const { data } = await engineB.client(rootToken).read("sys/mounts");
    expect(Object.keys(data!)).toContain("db/");
    await a.close();
  });
});

describe("initialization through another engine", () => {
  it("an engine opened on fresh storage serves once another engine on it has initialized it", async () => {
    const memory = new MemoryStorage();
    await using a = await Engine.open({ storage: memory });
    await using b = await Engine.open({ storage: memory });
    const { rootToken } = await a.initialize();
    await b.client(rootToken).read("sys/mounts");
    expect(b.initialized).toBe(true);
  });
});
