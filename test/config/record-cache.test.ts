/**
 * The read-through cache of backends' configuration records: served from memory only while the
 * feed vouches, never keeping a value read before a change it raced with.
 */
import { describe, expect, it } from "vitest";
import { MemoryStorage } from "../../src/index.js";
import { JsonStore } from "../../src/storage/json-store.js";
import { RecordCaches } from "../../src/config/record-cache.js";

/** A MemoryStorage that counts reads and can hold the next read until released. */
class CountingStorage extends MemoryStorage {
  reads = 0;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  override async get(key: string): Promise<Uint8Array | undefined> {
    this.reads++;
    const value = await super.get(key);
    if (this.#gate) await this.#gate;
    return value;
  }

  hold(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }

  release(): void {
    this.#gate = undefined;
    this.#open?.();
  }
}

function setup(vouched = () => true) {
  const storage = new CountingStorage();
  const caches = new RecordCaches("logical/", vouched);
  const view = caches.view(storage, "logical/m1/role/");
  const raw = new JsonStore(storage, "logical/m1/role/");
  return { storage, caches, view, raw };
}

describe("CachedJsonStore", () => {
  it("reads storage once while vouched, and again after the feed reports the key changed", async () => {
    const { storage, caches, view, raw } = setup();
    await raw.put("r", { ttl: 1 });
    expect(await view.get("r")).toEqual({ ttl: 1 });
    expect(await view.get("r")).toEqual({ ttl: 1 });
    expect(storage.reads).toBe(1);
    await raw.put("r", { ttl: 2 });
    caches.invalidate(["logical/m1/role/r"]);
    expect(await view.get("r")).toEqual({ ttl: 2 });
    expect(storage.reads).toBe(2);
  });

  it("goes to storage on every read while the feed cannot vouch", async () => {
    let vouched = true;
    const { storage, view, raw } = setup(() => vouched);
    await raw.put("r", { ttl: 1 });
    await view.get("r");
    vouched = false;
    await raw.put("r", { ttl: 2 });
    expect(await view.get("r")).toEqual({ ttl: 2 });
    expect(storage.reads).toBe(2);
  });

  it("does not keep a value read before a change it raced with", async () => {
    const { caches, view, raw, storage } = setup();
    await raw.put("r", { ttl: 1 });
    storage.hold();
    const stale = view.get("r");
    await raw.put("r", { ttl: 2 });
    caches.invalidate(["logical/m1/role/r"]);
    storage.release();
    expect(await stale).toEqual({ ttl: 1 });
    expect(await view.get("r")).toEqual({ ttl: 2 });
  });

  it("forgets what it writes itself, and hands out frozen values", async () => {
    const { view } = setup();
    await view.put("r", { ttl: 1, list: ["a"] });
    const first = await view.get<{ ttl: number; list: string[] }>("r");
    expect(Object.isFrozen(first!.list)).toBe(true);
    await view.put("r", { ttl: 2, list: ["a"] });
    expect(await view.get("r")).toMatchObject({ ttl: 2 });
    await view.delete("r");
    expect(await view.get("r")).toBeUndefined();
  });

  it("ignores changes of other views' keys, and forgets everything on \"all\"", async () => {
    const { storage, caches, view, raw } = setup();
    await raw.put("r", { ttl: 1 });
    await view.get("r");
    caches.invalidate(["logical/m2/role/r", "logical/m1/config/r"]);
    await view.get("r");
    expect(storage.reads).toBe(1);
    caches.invalidate("all");
    await view.get("r");
    expect(storage.reads).toBe(2);
  });
});
