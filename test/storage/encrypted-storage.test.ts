import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { EncryptedStorage, EncryptionError, InvalidRequestError, MemoryStorage, type StorageExposure } from "../../src/index.js";
import { storageContract } from "../../src/testing/index.js";

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined) => (value === undefined ? undefined : new TextDecoder().decode(value));

storageContract("EncryptedStorage over MemoryStorage", async () => ({
  storage: new EncryptedStorage(new MemoryStorage(), { activeKeyId: "k1", keys: { k1 } }),
}));

describe("EncryptedStorage", () => {
  it("stores no plaintext underneath, and records the key id with each record", async () => {
    const raw = new MemoryStorage();
    const storage = new EncryptedStorage(raw, { activeKeyId: "k1", keys: { k1 } });
    await storage.put("secret", bytes("the-password-123"));
    const sealed = Buffer.from((await raw.get("secret"))!);
    expect(sealed.includes("the-password-123")).toBe(false);
    expect(sealed.subarray(2, 4).toString()).toBe("k1");
    expect(text(await storage.get("secret"))).toBe("the-password-123");
  });

  it("a wrong key fails with EncryptionError, never garbage", async () => {
    const raw = new MemoryStorage();
    await new EncryptedStorage(raw, { activeKeyId: "k1", keys: { k1 } }).put("a", bytes("x"));
    const wrong = new EncryptedStorage(raw, { activeKeyId: "k1", keys: { k1: k2 } });
    await expect(wrong.get("a")).rejects.toBeInstanceOf(EncryptionError);
    const missing = new EncryptedStorage(raw, { activeKeyId: "k2", keys: { k2 } });
    await expect(missing.get("a")).rejects.toThrow(/key "k1", which is not in the keyring/);
  });

  it("binds each record to its storage key: a record copied to another key does not decrypt", async () => {
    const raw = new MemoryStorage();
    const storage = new EncryptedStorage(raw, { activeKeyId: "k1", keys: { k1 } });
    await storage.put("policy/admin", bytes("allow-all"));
    await storage.put("policy/guest", bytes("deny"));
    await raw.put("policy/guest", (await raw.get("policy/admin"))!);
    await expect(storage.get("policy/guest")).rejects.toBeInstanceOf(EncryptionError);
  });

  it("detects a flipped bit and a relabelled key id", async () => {
    const raw = new MemoryStorage();
    const storage = new EncryptedStorage(raw, { activeKeyId: "k1", keys: { k1, k2: k1 } });
    await storage.put("a", bytes("hello"));
    const sealed = Buffer.from((await raw.get("a"))!);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 20]! ^= 1;
    await raw.put("a", flipped);
    await expect(storage.get("a")).rejects.toBeInstanceOf(EncryptionError);
    const relabelled = Buffer.from(sealed);
    relabelled.write("k2", 2); // same key material under another id: the AAD still differs
    await raw.put("a", relabelled);
    await expect(storage.get("a")).rejects.toBeInstanceOf(EncryptionError);
    await raw.put("a", bytes("plaintext"));
    await expect(storage.get("a")).rejects.toBeInstanceOf(EncryptionError);
  });

  it("rotates without downtime: old records stay readable, new writes use the active key, reencrypt moves the rest", async () => {
    const raw = new MemoryStorage();
    const before = new EncryptedStorage(raw, { activeKeyId: "k1", keys: { k1 } });
    await before.put("old/1", bytes("one"));
    await before.put("old/2", bytes("two"));
    const during = new EncryptedStorage(raw, { activeKeyId: "k2", keys: { k1, k2 } });
    expect(text(await during.get("old/1"))).toBe("one");
    await during.put("new/1", bytes("three"));
    expect(Buffer.from((await raw.get("new/1"))!).subarray(2, 4).toString()).toBe("k2");
    expect(await during.reencrypt()).toBe(2);
    expect(await during.reencrypt()).toBe(0);
    const after = new EncryptedStorage(raw, { activeKeyId: "k2", keys: { k2 } });
    expect(text(await after.get("old/2"))).toBe("two");
    expect(text(await after.get("new/1"))).toBe("three");
  });

  it("rejects a malformed keyring with InvalidRequestError", () => {
    const raw = new MemoryStorage();
    expect(() => new EncryptedStorage(raw, { activeKeyId: "k1", keys: { k1: randomBytes(16) } })).toThrow(InvalidRequestError);
    expect(() => new EncryptedStorage(raw, { activeKeyId: "nope", keys: { k1 } })).toThrow(InvalidRequestError);
    expect(() => new EncryptedStorage(raw, { activeKeyId: "bad id", keys: { "bad id": k1 } })).toThrow(InvalidRequestError);
    expect(() => new EncryptedStorage(raw, undefined as never)).toThrow(InvalidRequestError);
  });
});

describe("EncryptedStorage passes the storage's reach capabilities through (issue 20, item 2)", () => {
  const records = { systemIdentifier: "1", database: "app", schema: "vaultlet", tables: ['"vaultlet"."t"'], holders: [], checkedAt: 0 };

  it("recordsLocation and watchExposure reach the inner storage, and are absent when it has none", async () => {
    const listeners: Array<(exposure: StorageExposure) => void> = [];
    const inner = Object.assign(new MemoryStorage(), {
      recordsLocation: async (options?: { refresh?: boolean }) => ({ ...records, checkedAt: options?.refresh ? 1 : 0 }),
      watchExposure: (listener: (exposure: StorageExposure) => void) => (listeners.push(listener), () => void listeners.splice(listeners.indexOf(listener), 1)),
    });
    const sealed = new EncryptedStorage(inner, { activeKeyId: "k1", keys: { k1 } });
    expect(await sealed.recordsLocation!({ refresh: true })).toEqual({ ...records, checkedAt: 1 });
    const seen: StorageExposure[] = [];
    const stop = sealed.watchExposure!((exposure) => seen.push(exposure));
    listeners[0]!({ roles: ["alice"], message: "m" });
    stop();
    expect(seen).toEqual([{ roles: ["alice"], message: "m" }]);
    expect(listeners).toEqual([]);
    const plain = new EncryptedStorage(new MemoryStorage(), { activeKeyId: "k1", keys: { k1 } });
    expect(plain.recordsLocation).toBeUndefined();
    expect(plain.watchExposure).toBeUndefined();
  });
});
