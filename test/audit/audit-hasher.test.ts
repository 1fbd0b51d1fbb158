import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AuditHasher } from "../../src/audit/audit-hasher.js";
import { JsonStore } from "../../src/storage/json-store.js";
import { MemoryStorage } from "../../src/index.js";

async function loadedHasher(storage = new MemoryStorage()) {
  const hasher = new AuditHasher(new JsonStore(storage));
  await hasher.load();
  return hasher;
}

describe("AuditHasher", () => {
  it("is HMAC-SHA256 with a stored per-engine key, prefixed hmac-sha256:", async () => {
    const storage = new MemoryStorage();
    const hasher = await loadedHasher(storage);
    const key = Buffer.from((await new JsonStore(storage).get<string>("core/audit-hmac-key"))!, "base64");
    expect(key).toHaveLength(32);
    expect(hasher.hash("secret")).toBe(`hmac-sha256:${createHmac("sha256", key).update("secret").digest("hex")}`);
    expect((await loadedHasher(storage)).hash("secret")).toBe(hasher.hash("secret"));
    expect((await loadedHasher()).hash("secret")).not.toBe(hasher.hash("secret"));
  });

  it("hashes every string at any depth, keeps other values and keys, and survives cycles", async () => {
    const hasher = await loadedHasher();
    const cyclic: Record<string, unknown> = { name: "x" };
    cyclic.self = cyclic;
    const hashed = hasher.hashStrings({ a: "pw", n: 3, b: true, z: null, list: ["t1", { deep: "t2" }], cyclic });
    expect(hashed).toEqual({
      a: hasher.hash("pw"),
      n: 3,
      b: true,
      z: null,
      list: [hasher.hash("t1"), { deep: hasher.hash("t2") }],
      cyclic: { name: hasher.hash("x"), self: "[circular]" },
    });
  });

  it("memoizes under a non-secret key and gives the same hash", async () => {
    const hasher = await loadedHasher();
    expect(hasher.hashMemoized("accessor:abc", "abc")).toBe(hasher.hash("abc"));
    expect(hasher.hashMemoized("accessor:abc", "abc")).toBe(hasher.hash("abc"));
  });
});
