/**
 * The two compare-and-swaps that decide between a lease's issuer and a token's revocation, and
 * the token → lease index they work with.
 */
import { describe, expect, it } from "vitest";
import { MemoryStorage } from "../../src/index.js";
import type { LeaseRecord } from "../../src/leases/lease.js";
import { LeaseTokenIndex } from "../../src/leases/lease-token-index.js";
import { activatePending, cancelIfPending } from "../../src/leases/pending-lease.js";
import { JsonStore } from "../../src/storage/json-store.js";

function pendingLease(id = "database/creds/readonly/a"): LeaseRecord {
  return {
    id,
    mountPath: "database/",
    mountUuid: "u",
    path: "creds/readonly",
    state: "pending",
    issueTime: 0,
    expireTime: 3_600_000,
    ttl: 3600,
    maxTtl: 86_400,
    renewable: true,
    tokenAccessor: "tok",
    internal: { username: "v-x" },
    revokeAttempts: 0,
  };
}

describe("pending → active", () => {
  it("activates the record exactly as the issuer wrote it", async () => {
    const store = new JsonStore(new MemoryStorage());
    const lease = pendingLease();
    await store.put(lease.id, lease);
    expect(await activatePending(store, lease)).toBe(true);
    expect((await store.get<LeaseRecord>(lease.id))!.state).toBe("active");
  });

  it("never brings back a record a revoker removed, nor activates one it cancelled", async () => {
    const store = new JsonStore(new MemoryStorage());
    const removed = pendingLease("x/removed");
    await store.put(removed.id, removed);
    await store.delete(removed.id);
    expect(await activatePending(store, removed)).toBe(false);
    expect(await store.get(removed.id)).toBeUndefined();

    const cancelled = pendingLease("x/cancelled");
    await store.put(cancelled.id, cancelled);
    expect(await cancelIfPending(store, cancelled.id)).toEqual({ found: "pending" });
    expect(await activatePending(store, cancelled)).toBe(false);
    expect(await store.get<LeaseRecord>(cancelled.id)).toMatchObject({ state: "pending", cancelled: true });
  });

  it("a cancellation after activation hands the active record back to be revoked", async () => {
    const store = new JsonStore(new MemoryStorage());
    const lease = pendingLease();
    await store.put(lease.id, lease);
    await activatePending(store, lease);
    expect(await cancelIfPending(store, lease.id)).toMatchObject({ found: "live", lease: { id: lease.id, state: "active" } });
    expect(await cancelIfPending(store, "x/gone")).toEqual({ found: "gone" });
  });

  it("of an activation and a cancellation racing, exactly one wins", async () => {
    for (let i = 0; i < 20; i++) {
      const store = new JsonStore(new MemoryStorage());
      const lease = pendingLease(`x/${i}`);
      await store.put(lease.id, lease);
      const [activated, left] = await Promise.all([activatePending(store, lease), cancelIfPending(store, lease.id)]);
      const stored = (await store.get<LeaseRecord>(lease.id))!;
      if (activated) expect([stored.state, left]).toEqual(["active", { found: "live", lease: expect.objectContaining({ state: "active" }) }]);
      else expect(stored).toMatchObject({ state: "pending", cancelled: true });
    }
  });
});

describe("LeaseTokenIndex", () => {
  it("lists a token's leases from storage, so another instance over the same storage sees them", async () => {
    const storage = new MemoryStorage();
    const one = new LeaseTokenIndex(new JsonStore(storage, "sys/expire/token/"));
    const other = new LeaseTokenIndex(new JsonStore(storage, "sys/expire/token/"));
    await one.add({ id: "database/creds/r/1", tokenAccessor: "abc" });
    await one.add({ id: "database/creds/r/2", tokenAccessor: "abc" });
    await one.add({ id: "database/creds/r/3", tokenAccessor: "abcd" });
    expect(await other.idsFor("abc")).toEqual(["database/creds/r/1", "database/creds/r/2"]);
    await other.remove({ id: "database/creds/r/1", tokenAccessor: "abc" });
    expect(await one.idsFor("abc")).toEqual(["database/creds/r/2"]);
  });

  it("joins leases restored without an index entry (stored before the index existed)", async () => {
    const index = new LeaseTokenIndex(new JsonStore(new MemoryStorage(), "sys/expire/token/"));
    await index.add({ id: "b/new", tokenAccessor: "t" });
    index.noteRestored({ id: "a/legacy", tokenAccessor: "t" });
    index.noteRestored({ id: "b/new", tokenAccessor: "t" });
    expect(await index.idsFor("t")).toEqual(["a/legacy", "b/new"]);
    await index.remove({ id: "a/legacy", tokenAccessor: "t" });
    expect(await index.idsFor("t")).toEqual(["b/new"]);
  });
});
