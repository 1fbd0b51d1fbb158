/**
 * The rule `Engine.open` applies to its storage: volatile or already encrypted storage as it is,
 * durable storage encrypted with the host's key, or kept in clear only when opted out by name.
 */
import { describe, expect, it } from "vitest";
import { EncryptedStorage, Engine, InvalidRequestError, MemoryStorage, UnencryptedStorageError, type Storage } from "../../src/index.js";
import { protectAtRest } from "../../src/storage/protect-at-rest.js";

const KEY = new Uint8Array(32).fill(3);

/** A storage of the host's own (no `atRest`): durable as far as the engine can tell. */
function hostStorage(): Storage & { inner: MemoryStorage } {
  const inner = new MemoryStorage();
  return {
    inner,
    get: (key) => inner.get(key),
    put: (key, value) => inner.put(key, value),
    delete: (key) => inner.delete(key),
    list: (prefix) => inner.list(prefix),
  };
}

describe("protectAtRest", () => {
  it("takes MemoryStorage and an EncryptedStorage as they are, with no key", () => {
    const memory = new MemoryStorage();
    expect(protectAtRest(memory, {})).toBe(memory);
    const encrypted = new EncryptedStorage(hostStorage(), { activeKeyId: "k", keys: { k: KEY } });
    expect(protectAtRest(encrypted, {})).toBe(encrypted);
  });

  it("refuses a storage that declares nothing, without a key or the opt-out", () => {
    expect(() => protectAtRest(hostStorage(), {})).toThrow(UnencryptedStorageError);
    expect(() => protectAtRest(hostStorage(), { allowUnencryptedStorage: false })).toThrow(UnencryptedStorageError);
  });

  it("keeps durable storage as it is only with allowUnencryptedStorage: true", () => {
    const storage = hostStorage();
    expect(protectAtRest(storage, { allowUnencryptedStorage: true })).toBe(storage);
  });

  it("wraps durable storage with a bare key (id \"default\") or a keyring", async () => {
    const storage = hostStorage();
    const sealed = protectAtRest(storage, { encryptionKey: KEY });
    expect(sealed.atRest).toBe("encrypted");
    await sealed.put("core/x", new TextEncoder().encode("secret-value"));
    expect(Buffer.from((await storage.inner.get("core/x"))!).includes("secret-value")).toBe(false);
    const reader = new EncryptedStorage(storage, { activeKeyId: "default", keys: { default: KEY } });
    expect(new TextDecoder().decode(await reader.get("core/x"))).toBe("secret-value");

    const ring = protectAtRest(hostStorage(), { encryptionKey: { activeKeyId: "2026-11", keys: { "2026-11": KEY } } });
    expect(ring.atRest).toBe("encrypted");
  });

  it("refuses contradictory options and malformed keys", () => {
    expect(() => protectAtRest(hostStorage(), { encryptionKey: KEY, allowUnencryptedStorage: true })).toThrow(InvalidRequestError);
    const encrypted = new EncryptedStorage(hostStorage(), { activeKeyId: "k", keys: { k: KEY } });
    expect(() => protectAtRest(encrypted, { encryptionKey: KEY })).toThrow(InvalidRequestError);
    expect(() => protectAtRest(hostStorage(), { encryptionKey: new Uint8Array(16) })).toThrow(InvalidRequestError);
  });
});

describe("Engine.open and secrets at rest", () => {
  it("needs nothing on MemoryStorage (nothing durable)", async () => {
    await using engine = await Engine.open({ storage: new MemoryStorage() });
    expect(engine.initialized).toBe(false);
  });

  it("rejects a host's durable storage without a key, before reading or writing it", async () => {
    const storage = hostStorage();
    await expect(Engine.open({ storage })).rejects.toMatchObject({ code: "unencrypted_storage" });
    expect(await storage.inner.list("")).toEqual([]);
  });

  it("encrypts a host's durable storage with encryptionKey, and reopens with the same key", async () => {
    const storage = hostStorage();
    const first = await Engine.open({ storage, encryptionKey: KEY });
    const { rootToken } = await first.initialize();
    await first.close();
    const keys = await storage.inner.list("");
    expect(keys).toContain("sys/token/key");
    for (const key of keys) {
      // Every record is sealed (in clear, each would be JSON: the token key a base64 string).
      const raw = new TextDecoder().decode(await storage.inner.get(key));
      expect(() => JSON.parse(raw), key).toThrow(SyntaxError);
    }
    await using second = await Engine.open({ storage, encryptionKey: KEY });
    expect(second.initialized).toBe(true);
    await expect(second.client(rootToken).read("sys/mounts")).resolves.toBeDefined();
  });

  it("migrates storage written in clear: encryptExisting seals it in place, once, and the engine reopens with the key", async () => {
    const storage = hostStorage();
    const first = await Engine.open({ storage, allowUnencryptedStorage: true });
    const { rootToken } = await first.initialize();
    await first.client(rootToken).write("sys/mounts/database", { type: "database" });
    await first.close();
    const records = (await storage.inner.list("")).length;
    const tokenKey = Buffer.from((await storage.inner.get("sys/token/key"))!);

    const barrier = new EncryptedStorage(storage, { activeKeyId: "default", keys: { default: KEY } });
    expect(await barrier.encryptExisting()).toBe(records);
    expect(await barrier.encryptExisting()).toBe(0); // a second run (after a crash) changes nothing
    expect(Buffer.from((await storage.inner.get("sys/token/key"))!).equals(tokenKey)).toBe(false);
    expect(Buffer.from((await barrier.get("sys/token/key"))!).equals(tokenKey)).toBe(true);

    await using engine = await Engine.open({ storage, encryptionKey: KEY });
    const { data } = await engine.client(rootToken).read("sys/mounts");
    expect(Object.keys(data!)).toContain("database/");
  });
});
