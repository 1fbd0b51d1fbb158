/**
 * Restart behaviour: `Engine.open` does not wait for leases, storage answers requests meanwhile,
 * expired and pending leases are dealt with in the background, `close()` is bounded.
 */
import { describe, expect, it } from "vitest";
import { Engine, LeaseNotFoundError, ManualClock, MemoryStorage, type Client, type Storage } from "../../src/index.js";
import { FakeDatabase } from "../fakes/fake-database-plugin.js";

const LEASES = "sys/expire/id/";

/** MemoryStorage whose listing of leases waits for `release()`: a slow restore, frozen. */
class GatedStorage extends MemoryStorage {
  #gate: Promise<void> | undefined;
  release: () => void = () => undefined;

  hold(): void {
    this.#gate = new Promise((resolve) => (this.release = resolve));
  }

  override async list(prefix: string): Promise<string[]> {
    if (prefix === LEASES && this.#gate) await this.#gate;
    return super.list(prefix);
  }
}

async function openOn(storage: Storage, clock: ManualClock, db: FakeDatabase, revocation = {}) {
  return Engine.open({ storage, clock, plugins: [db.plugin("fake-database-plugin")], revocation: { maxAttempts: 3, ...revocation } });
}

/** A storage holding an initialized engine with `count` leases of 1 h, and the root token. */
async function storageWithLeases(count: number, storage: Storage = new GatedStorage()) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const db = new FakeDatabase();
  const engine = await openOn(storage, clock, db);
  const { rootToken } = await engine.initialize();
  const root: Client = engine.client(rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/fake", {
    plugin_name: "fake-database-plugin",
    allowed_roles: "*",
    connection_url: "fake://{{username}}:{{password}}@nowhere",
    username: "root",
    password: "rootpassword",
  });
  await root.write("database/roles/readonly", { db_name: "fake", creation_statements: "CREATE", default_ttl: "1h", max_ttl: "24h" });
  const leaseIds: string[] = [];
  for (let i = 0; i < count; i++) leaseIds.push((await root.read("database/creds/readonly")).lease_id);
  await engine.close();
  return { storage, clock, db, rootToken, leaseIds };
}

describe("restore on open", () => {
  it("open returns before leases are loaded, and requests on unloaded leases see storage", async () => {
    const { storage, clock, db, rootToken, leaseIds } = await storageWithLeases(3);
    (storage as GatedStorage).hold();
    const engine = await openOn(storage, clock, db);
    let restored = false;
    void engine.leasesRestored().then(() => (restored = true));
    const root = engine.client(rootToken);
    expect((await root.write("sys/leases/lookup", { lease_id: leaseIds[0] })).data).toMatchObject({ id: leaseIds[0] });
    await root.write("sys/leases/renew", { lease_id: leaseIds[1], increment: "3h" });
    await root.write("sys/leases/revoke", { lease_id: leaseIds[2] });
    await expect(root.write("sys/leases/lookup", { lease_id: leaseIds[2] })).rejects.toBeInstanceOf(LeaseNotFoundError);
    expect(restored).toBe(false);
    (storage as GatedStorage).release();
    await engine.leasesRestored();
    await clock.advance("61m");
    expect(db.users.size).toBe(1); // the renewed one lives on
    await clock.advance("2h");
    expect(db.users.size).toBe(0);
    await engine.close();
  });

  it("revokes leases that expired while no engine ran, in the background through the queue", async () => {
    const { storage, clock, db } = await storageWithLeases(40);
    clock.set(clock.now() + 2 * 3600_000);
    const engine = await openOn(storage, clock, db, { concurrency: 4 });
    expect(db.users.size).toBe(40);
    await engine.leasesRestored();
    await clock.advance(0);
    expect(db.users.size).toBe(0);
    expect(await storage.list(LEASES)).toEqual([]);
    await engine.close();
  });

  it("rolls back a pending lease left by a crash between the record and the user", async () => {
    const { storage, clock, db, leaseIds } = await storageWithLeases(1);
    const record = JSON.parse(new TextDecoder().decode(await storage.get(LEASES + leaseIds[0]))) as Record<string, unknown>;
    await storage.put(LEASES + leaseIds[0], new TextEncoder().encode(JSON.stringify({ ...record, state: "pending" })));
    const engine = await openOn(storage, clock, db);
    await engine.leasesRestored();
    await clock.advance(0);
    expect(db.users.size).toBe(0);
    expect(await storage.list(LEASES)).toEqual([]);
    await engine.close();
  });

  it("storage is the source of truth: a timer armed before a renewal elsewhere does not revoke early", async () => {
    const storage = new MemoryStorage();
    const { clock, db, rootToken, leaseIds } = await storageWithLeases(1, storage);
    const stale = await openOn(storage, clock, db); // scheduled the lease at its old expiry
    await stale.leasesRestored();
    const other = await openOn(storage, clock, db);
    await other.client(rootToken).write("sys/leases/renew", { lease_id: leaseIds[0], increment: "5h" });
    await other.close();
    await clock.advance("61m");
    expect(db.users.size).toBe(1);
    expect((await stale.client(rootToken).write("sys/leases/lookup", { lease_id: leaseIds[0] })).data).toMatchObject({ state: "active" });
    await clock.advance("5h");
    expect(db.users.size).toBe(0);
    await stale.close();
  });

  it("revoking a token right after open still finds its leases (it waits for the restore)", async () => {
    const { storage, clock, db, rootToken } = await storageWithLeases(2);
    (storage as GatedStorage).hold();
    const engine = await openOn(storage, clock, db);
    const revoking = engine.client(rootToken).write("auth/token/revoke-self", {});
    await new Promise((resolve) => setImmediate(resolve));
    (storage as GatedStorage).release();
    await revoking;
    expect(db.users.size).toBe(0);
    await engine.close();
  });
});

describe("close", () => {
  /** Opens an engine whose plugin's deletes wait for the returned `release`. */
  async function withBlockedDeletes(closeTimeoutMs: number) {
    const { storage, clock, db, rootToken, leaseIds } = await storageWithLeases(2);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const blocking = () => {
      const plugin = db.plugin().create();
      return { ...plugin, deleteUser: async (request: Parameters<typeof plugin.deleteUser>[0]) => (started++, await gate, plugin.deleteUser(request)) };
    };
    const engine = await Engine.open({ storage, clock, plugins: [{ ...db.plugin(), create: blocking }], revocation: { closeTimeoutMs } });
    const revoking = engine.client(rootToken).write("sys/leases/revoke", { lease_id: leaseIds[0] }).catch((err: unknown) => err);
    for (let spins = 0; started === 0 && spins < 1000; spins++) await new Promise((resolve) => setImmediate(resolve));
    expect(started).toBe(1);
    return { storage, clock, db, engine, release, revoking, leaseIds };
  }

  it("waits for a revocation in flight to finish before closing", async () => {
    const { storage, engine, release, revoking, leaseIds } = await withBlockedDeletes(10_000);
    const closing = engine.close();
    setTimeout(release, 20);
    await closing;
    expect(await revoking).toMatchObject({ data: null });
    expect(await storage.list(LEASES)).toEqual([LEASES + leaseIds[1]]);
  });

  it("gives up waiting after closeTimeoutMs of the engine's clock when a revocation hangs, leaving the lease in storage", async () => {
    const { storage, clock, engine, release, leaseIds } = await withBlockedDeletes(50);
    let closed = false;
    const closing = engine.close().then(() => (closed = true));
    await clock.advance(49);
    await new Promise((resolve) => setTimeout(resolve, 100)); // past 50 ms of real time: not the clock that counts
    expect(closed).toBe(false);
    await clock.advance(1);
    await closing;
    expect(clock.pendingTimers).toBe(0);
    expect((await storage.list(LEASES)).sort()).toEqual([LEASES + leaseIds[0], LEASES + leaseIds[1]].sort());
    release();
  });

  it("arms no timer and returns at once when nothing is in flight", async () => {
    const { storage, clock, db } = await storageWithLeases(1);
    const engine = await openOn(storage, clock, db);
    await engine.leasesRestored();
    await engine.close(); // a ManualClock that is never advanced: waiting on it would hang
    expect(clock.pendingTimers).toBe(0);
  });
});

describe("sys/leases/tidy", () => {
  it("revokes leases whose token is gone and removes leases whose mount is gone", async () => {
    const storage = new MemoryStorage();
    const { clock, db, rootToken } = await storageWithLeases(1, storage);
    const engine = await openOn(storage, clock, db);
    const root = engine.client(rootToken);
    await root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
    const { auth } = await root.write("auth/token/create", { policies: ["apps"] });
    const orphan = await engine.client(auth!.client_token).read("database/creds/readonly");
    await storage.delete(`sys/token/accessor/${auth!.accessor}`); // a crash mid token revocation
    const stray = { ...JSON.parse(new TextDecoder().decode(await storage.get(LEASES + orphan.lease_id))), id: "gone/creds/x/1", mountPath: "gone/", mountUuid: "nope" };
    await storage.put(LEASES + stray.id, new TextEncoder().encode(JSON.stringify(stray)));
    const usersBefore = db.users.size;

    const tidy = await root.write("sys/leases/tidy", {});
    expect(tidy.data).toEqual({ revoked: 2, removed: 1 }); // the orphaned creds and the gone token's own lease
    expect(db.users.size).toBe(usersBefore - 1);
    await expect(root.write("sys/leases/lookup", { lease_id: orphan.lease_id })).rejects.toBeInstanceOf(LeaseNotFoundError);
    expect((await storage.list(LEASES)).length).toBe(1); // the root token's creds from storageWithLeases
    expect((await root.write("sys/leases/tidy", {})).data).toEqual({ revoked: 0, removed: 0 });
    await engine.close();
  });
});

describe("sys/leases/count", () => {
  it("counts leases by mount, all or only the irrevocable ones", async () => {
    const { storage, clock, db, rootToken, leaseIds } = await storageWithLeases(3, new MemoryStorage());
    const engine = await openOn(storage, clock, db, { initialBackoffMs: 1000 });
    await engine.leasesRestored();
    const count = (type?: string) => engine.request({ token: rootToken, operation: "read", path: "sys/leases/count", data: type ? { type } : {} });
    expect((await count()).data).toEqual({ lease_count: 3, counts: { "database/": 3 } });
    expect((await count("irrevocable")).data).toEqual({ lease_count: 0, counts: {} });
    db.failDeletes = true;
    await engine.client(rootToken).write("sys/leases/renew", { lease_id: leaseIds[0], increment: "5h" });
    await clock.advance("2h"); // two expire; three attempts each fail
    expect((await count("irrevocable")).data).toEqual({ lease_count: 2, counts: { "database/": 2 } });
    await expect(count("bogus")).rejects.toMatchObject({ code: "invalid_request" });
    await engine.close();
  });
});

describe("an engine that leaves due leases to others (revocation.revokeDue: false)", () => {
  it("revokes neither expired leases nor pending ones at open or when they fall due, yet revokes what it is asked to", async () => {
    const { storage, clock, db, rootToken, leaseIds } = await storageWithLeases(3);
    const record = JSON.parse(new TextDecoder().decode(await storage.get(LEASES + leaseIds[2]))) as Record<string, unknown>;
    await storage.put(LEASES + leaseIds[2], new TextEncoder().encode(JSON.stringify({ ...record, state: "pending" })));
    clock.set(clock.now() + 2 * 3600_000); // the two active leases expired while no engine ran
    const operator = await openOn(storage, clock, db, { revokeDue: false });
    await operator.leasesRestored();
    await clock.advance("1h");
    expect(db.users.size).toBe(3);
    expect(await storage.list(LEASES)).toHaveLength(3);
    await operator.client(rootToken).write("sys/leases/revoke", { lease_id: leaseIds[0] });
    expect(db.users.size).toBe(2);
    await operator.close();

    const serving = await openOn(storage, clock, db);
    await serving.leasesRestored();
    await clock.advance(0);
    expect(db.users.size).toBe(0);
    expect(await storage.list(LEASES)).toEqual([]);
    await serving.close();
  });
});
