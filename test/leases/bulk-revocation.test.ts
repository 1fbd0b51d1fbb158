/**
 * Revocations asked for in bulk — `revoke-prefix`, `revoke-force`, disabling a mount, revoking a
 * token — go in batches to a plugin that revokes many users at once (`revokeUsers`), with each
 * lease's failure kept to itself, on the fake plugin (the pure core). The same against
 * PostgreSQL: test/integration/postgres/bulk-revocation.test.ts.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { Engine, ManualClock, MemoryStorage, PermissionDeniedError, PluginError, type Client } from "../../src/index.js";
import { FAKE_FAIL, FakeDatabase } from "../fakes/fake-database-plugin.js";
import { openEngineFixture, type EngineFixture } from "../support/engine-fixture.js";

let fixture: EngineFixture | undefined;
afterEach(async () => {
  await fixture?.engine.close();
  fixture = undefined;
});

/** An engine on a fake database that revokes in bulk, with the seed's `readonly` role and a `broken` one whose revocation is refused. */
async function seed(revocation?: { concurrency?: number }) {
  const db = new FakeDatabase();
  db.batchRevocation = true;
  fixture = await openEngineFixture({ database: db, allowedRoles: "readonly,broken", revocation: { initialBackoffMs: 1000, maxAttempts: 3, ...revocation } });
  const { root, engine } = fixture;
  await root.write("database/roles/broken", { db_name: "fake", creation_statements: "SELECT 1", revocation_statements: [`${FAKE_FAIL}\nSELECT 1`], default_ttl: "1h" });
  const revoked = new Map<string, number>();
  engine.on("lease.revoked", ({ leaseId }) => void revoked.set(leaseId, (revoked.get(leaseId) ?? 0) + 1));
  return { ...fixture, db, revoked };
}

async function issue(client: Client, role: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await client.read(`database/creds/${role}`)).lease_id);
  return ids;
}

describe("bulk revocation (pure core, fake plugin)", () => {
  it("revoke-prefix revokes 450 leases in three batches, each lease reported once", async () => {
    const { root, db, revoked } = await seed();
    const ids = await issue(root, "readonly", 450);
    await root.write("sys/leases/revoke-prefix/database/creds/readonly", {});
    expect(db.revokeUsersCalls).toEqual([200, 200, 50]);
    expect(db.deleteCalls).toBe(0); // no user revoked on its own
    expect(db.users.size).toBe(0);
    expect([...revoked.keys()].sort()).toEqual([...ids].sort());
    expect([...revoked.values()].every((times) => times === 1)).toBe(true);
    expect((await root.list("sys/leases/lookup/database/creds/").catch(() => ({ data: { keys: [] } }))).data!.keys).toEqual([]);
  });

  it("revoke-prefix attempts every lease, then fails with the refused one's error; only that lease stays", async () => {
    const { root, db } = await seed();
    await issue(root, "readonly", 10);
    const [broken] = await issue(root, "broken", 1);
    const error = await root.write("sys/leases/revoke-prefix/database/creds", {}).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PluginError);
    expect((error as PluginError).message).toMatch(/statement refused/);
    expect(db.revokeUsersCalls).toEqual([11]);
    expect(db.users.size).toBe(1); // the broken role's user, whose revocation was refused
    const lookup = await root.write("sys/leases/lookup", { lease_id: broken });
    expect(lookup.data).toMatchObject({ revoke_attempts: 1, revoke_error: expect.stringMatching(/statement refused/) });
  });

  it("revoke-force forgets exactly the leases whose batched revocation failed", async () => {
    const { root, db } = await seed();
    await issue(root, "readonly", 5);
    const broken = await issue(root, "broken", 2);
    await root.write("sys/leases/revoke-force/database/creds", {});
    expect(db.revokeUsersCalls).toEqual([7]);
    expect([...db.users.keys()]).toHaveLength(2); // forgotten, not revoked: their users outlive them, as in Vault
    for (const id of broken) await expect(root.write("sys/leases/lookup", { lease_id: id })).rejects.toThrow();
  });

  it("revoke-prefix with sync=false makes every lease due now, answers, and revokes them in batches", async () => {
    const { root, db, clock, storage } = await seed();
    const ids = await issue(root, "readonly", 250);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    db.beforeRevoke = () => held; // the background revocation waits: what the answer promised is in storage already
    await root.write("sys/leases/revoke-prefix/database/creds/readonly", { sync: false });
    for (const id of [ids[0]!, ids[249]!]) {
      const record = JSON.parse(Buffer.from((await storage.get(`sys/expire/id/${id}`))!).toString()) as { expireTime: number };
      expect(record.expireTime).toBe(clock.now()); // due now, durably: a crash here leaves it for the next engine
    }
    release();
    await vi.waitFor(() => expect(db.users.size).toBe(0));
    expect(db.revokeUsersCalls).toEqual([200, 50]);
  });

  it("disabling a mount revokes its leases in batches", async () => {
    const { root, db } = await seed();
    await issue(root, "readonly", 250);
    await root.delete("sys/mounts/database");
    expect(db.revokeUsersCalls).toEqual([200, 50]);
    expect(db.users.size).toBe(0);
  });

  it("revoking a token revokes its leases in batches and cancels the one being issued", async () => {
    const { root, engine, db, revoked } = await seed();
    await root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
    const auth = (await root.write("auth/token/create", { policies: ["apps"] })).auth!;
    const app = engine.client(auth.client_token);
    const ids = await issue(app, "readonly", 250);
    let entered!: () => void;
    let release!: () => void;
    const inCreate = new Promise<void>((resolve) => (entered = resolve));
    db.beforeCreate = () => (entered(), new Promise<void>((resolve) => (release = resolve)));
    const inFlight = app.read("database/creds/readonly");
    await inCreate; // its lease is pending
    await root.write("auth/token/revoke-accessor", { accessor: auth.accessor });
    release();
    await expect(inFlight).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(db.revokeUsersCalls.slice(0, 2)).toEqual([200, 50]);
    expect(db.deleteCalls).toBeLessThanOrEqual(1); // at most the in-flight user, revoked by its issuer
    expect(db.users.size).toBe(0);
    expect(ids.every((id) => revoked.get(id) === 1)).toBe(true);
  });

  it("token leases expiring together cascade without waiting on the queue they run in (concurrency 1)", async () => {
    const { root, engine, db, clock } = await seed({ concurrency: 1 });
    await root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
    for (let t = 0; t < 3; t++) {
      const auth = (await root.write("auth/token/create", { policies: ["apps"], ttl: "10m" })).auth!;
      await issue(engine.client(auth.client_token), "readonly", 3);
    }
    expect(db.users.size).toBe(9);
    await clock.advance("11m"); // each token's lease, revoked in the queue's one slot, revokes its three leases
    expect(db.users.size).toBe(0);
    expect(db.revokeUsersCalls).toEqual([3, 3, 3]);
  });

  it("over 60 timings, no lease or user survives a token's revocation racing its creds requests", async () => {
    const storage = new MemoryStorage();
    const db = new FakeDatabase();
    db.batchRevocation = true;
    await using engine = await Engine.open({ storage, clock: new ManualClock(Date.UTC(2026, 0, 1)), plugins: [db.plugin()] });
    const root = engine.client((await engine.initialize()).rootToken);
    await root.write("sys/mounts/database", { type: "database" });
    await root.write("database/config/fake", { plugin_name: "fake-database-plugin", allowed_roles: "*", connection_url: "fake://{{username}}:{{password}}@x", username: "u", password: "p" });
    await root.write("database/roles/readonly", { db_name: "fake", creation_statements: "SELECT 1", default_ttl: "1h" });
    await root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
    let survivors = 0;
    for (let delay = 0; delay < 60; delay++) {
      const auth = (await root.write("auth/token/create", { policies: ["apps"] })).auth!;
      const app = engine.client(auth.client_token);
      await issue(app, "readonly", 2); // live leases, revoked in a batch
      db.beforeCreate = async () => {
        for (let i = 0; i < delay % 7; i++) await Promise.resolve();
      };
      const requests = Promise.allSettled([app.read("database/creds/readonly"), app.read("database/creds/readonly")]);
      for (let i = 0; i < delay; i++) await Promise.resolve();
      await root.write("auth/token/revoke-accessor", { accessor: auth.accessor });
      for (const result of await requests) if (result.status === "rejected") expect(result.reason).toBeInstanceOf(PermissionDeniedError);
      survivors += db.users.size + (await storage.list("sys/expire/id/database/")).length;
      db.users.clear();
    }
    expect(survivors).toBe(0);
    expect(db.revokeUsersCalls.length).toBeGreaterThanOrEqual(60);
    expect(await storage.list("sys/expire/token/")).toEqual([]);
  });
});
