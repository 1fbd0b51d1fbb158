/**
 * ConfigSync under a stream of change notifications: reloads of one cache run one at a time, those
 * notified meanwhile are merged into one, and a request waits only for what was open when it came.
 */
import { describe, expect, it } from "vitest";
import { ConfigSync, type ConfigCache } from "../../src/config/config-sync.js";
import { MemoryStorage } from "../../src/index.js";
import type { ChangeListener } from "../../src/storage/storage.js";

/** A storage whose feed is always current and hands the test its listener. */
function storageWithFeed(): { storage: MemoryStorage; notify: ChangeListener } {
  const storage = new MemoryStorage();
  let listener: ChangeListener = () => undefined;
  storage.watch = (_prefixes, told) => {
    listener = told;
    return { current: () => true, sync: async () => undefined, close: async () => undefined };
  };
  return { storage, notify: (keys) => listener(keys) };
}

/** A cache whose reloads the test finishes one by one. */
function slowCache(prefix: string) {
  const calls: Array<{ keys: readonly string[] | "all"; finish: () => void }> = [];
  const cache: ConfigCache = {
    prefix,
    invalidate: (keys) => new Promise<void>((resolve) => void calls.push({ keys, finish: resolve })),
  };
  return { cache, calls };
}

/** Lets pending promise callbacks run. */
async function drain(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Whether `promise` has settled once pending callbacks have run. */
async function settled(promise: Promise<unknown> | undefined): Promise<boolean> {
  if (!promise) return true;
  let done = false;
  void promise.then(() => (done = true));
  await drain();
  return done;
}

describe("ConfigSync under a stream of notifications", () => {
  it("runs one reload at a time, merges those notified meanwhile, and never makes a request wait for a later one", async () => {
    const { storage, notify } = storageWithFeed();
    const { cache, calls } = slowCache("p/");
    const sync = new ConfigSync(storage, [cache]);
    await sync.start();

    notify(["p/1"]);
    expect(calls.map(({ keys }) => keys)).toEqual([["p/1"]]);
    expect(sync.vouched()).toBe(false);
    const first = sync.fresh(); // waits for the reload in flight
    for (let i = 2; i <= 50; i++) notify([`p/${i}`]); // the stream goes on
    expect(calls).toHaveLength(1); // merged, not queued
    expect(await settled(first)).toBe(false);

    calls[0]!.finish();
    expect(await settled(first)).toBe(true); // not held by the reload the stream started meanwhile
    expect(calls).toHaveLength(2);
    expect(calls[1]!.keys).toHaveLength(49);

    notify(["p/51"]);
    const second = sync.fresh(); // waits for the one in flight and the one merged after it
    calls[1]!.finish();
    expect(await settled(second)).toBe(false);
    expect(calls.map(({ keys }) => keys).at(-1)).toEqual(["p/51"]);
    calls[2]!.finish();
    expect(await settled(second)).toBe(true);
    expect(sync.fresh()).toBeUndefined();
    expect(sync.vouched()).toBe(true);
  });

  it("merges everything into one re-read of everything once 'all' is notified", async () => {
    const { storage, notify } = storageWithFeed();
    const { cache, calls } = slowCache("p/");
    const sync = new ConfigSync(storage, [cache]);
    await sync.start();
    notify(["p/1"]);
    notify(["p/2"]);
    notify("all");
    notify(["p/3"]);
    calls[0]!.finish();
    await drain();
    expect(calls.map(({ keys }) => keys)).toEqual([["p/1"], "all"]);
  });
});
