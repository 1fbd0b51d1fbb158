/**
 * The database goes away while leases expire: nothing is lost, no lease spends its attempts on the
 * outage, every due lease is revoked once it is back (at the next try, or as soon as anything else
 * reaches it), and a lease whose revocation the database refuses ends irrevocable with its error.
 * (A real stop and start of PostgreSQL: outage-restart.test.ts.)
 */
import { afterAll, describe, expect, it, vi } from "vitest";
import { Engine, ManualClock, MemoryStorage, PostgresStorage, type Storage } from "../../src/index.js";
import { useTestDatabase } from "../support/database.js";
import { connectionConfigFor, roleExists } from "../support/engine-fixture.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { sealedForTest } from "../support/sealed-storage.js";

const db = useTestDatabase();
const proxies: TcpProxy[] = [];
afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.stop()));
});

async function engineThrough(proxy: TcpProxy, clock: ManualClock, storage: Storage = new MemoryStorage()) {
  const engine = await Engine.open({
    storage,
    clock,
    revocation: { maxAttempts: 5, initialBackoffMs: 1000, maxBackoffMs: 60_000, pollIntervalMs: 10_000, unreachableRetryMs: 10_000 },
  });
  const root = engine.client((await engine.initialize()).rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/postgresql", { ...connectionConfigFor(db), connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${proxy.port}/${db.name}` });
  await root.write("database/roles/readonly", { db_name: "postgresql", creation_statements: `CREATE ROLE "{{name}}" NOLOGIN;`, default_ttl: "1h" });
  return { engine, root };
}

async function startProxy(): Promise<TcpProxy> {
  const proxy = new TcpProxy(db.host, db.port);
  proxies.push(proxy);
  await proxy.start();
  return proxy;
}

describe("database outage while leases expire", () => {
  it("keeps every lease while the database is down and revokes them all once it is back", async () => {
    const proxy = await startProxy();
    const clock = new ManualClock(Date.now());
    const { engine, root } = await engineThrough(proxy, clock);
    const issued = await Promise.all(Array.from({ length: 5 }, () => root.read<{ username: string }>("database/creds/readonly")));
    await proxy.stop();
    await clock.advance("60m"); // due now: the first attempts find no database
    await clock.advance("4s"); // tries after about 1 s and 2 s find none either
    for (const creds of issued) {
      const lookup = await root.write("sys/leases/lookup", { lease_id: creds.lease_id });
      expect(lookup.data).toMatchObject({ state: "active", revoke_attempts: 0 }); // the outage is not the lease's fault
      expect(await roleExists(db, creds.data!.username)).toBe(true);
    }
    expect(engine.metrics().revocations.waitingForDatabase).toBe(5);
    await proxy.start();
    await clock.advance("10s"); // the next try (at most unreachableRetryMs away) reaches it: all resume
    for (const creds of issued) expect(await roleExists(db, creds.data!.username)).toBe(false);
    await expect(root.list("sys/leases/lookup/database/creds/readonly")).rejects.toMatchObject({ code: "not_found" });
    await engine.close();
  });

  it("an outage of any length spends no attempt; the last error is shown, free of secrets", async () => {
    const proxy = await startProxy();
    const clock = new ManualClock(Date.now());
    const { engine, root } = await engineThrough(proxy, clock);
    const creds = await root.read<{ username: string }>("database/creds/readonly");
    await proxy.stop();
    await clock.advance("61m");
    for (let i = 0; i < 30; i++) await clock.advance("2m"); // an hour: once a lease's 5 attempts would have been spent many times over
    const lookup = await root.write("sys/leases/lookup", { lease_id: creds.lease_id });
    expect(lookup.data).toMatchObject({ state: "active", revoke_attempts: 0, last_error: expect.stringMatching(/connect|ECONNREFUSED|reach|terminated/i) });
    expect(JSON.stringify(lookup.data)).not.toContain(db.password);
    await proxy.start();
    await clock.advance("10s");
    expect(await roleExists(db, creds.data!.username)).toBe(false);
    await engine.close();
  });

  it("a successful creation on the database that is back wakes the revocations waiting for it, without waiting for their next try", async () => {
    const proxy = await startProxy();
    const clock = new ManualClock(Date.now());
    const { engine, root } = await engineThrough(proxy, clock);
    const issued = await Promise.all(Array.from({ length: 3 }, () => root.read<{ username: string }>("database/creds/readonly")));
    await proxy.stop();
    await clock.advance("61m");
    for (let i = 0; i < 5; i++) await clock.advance("10s"); // the tries are now 10 s apart
    await proxy.start();
    const fresh = await root.read<{ username: string }>("database/creds/readonly"); // the clock stands still: no try is due
    await vi.waitFor(async () => {
      for (const creds of issued) expect(await roleExists(db, creds.data!.username)).toBe(false);
    });
    expect(await roleExists(db, fresh.data!.username)).toBe(true);
    await engine.close();
  });

  it("ends irrevocable, with its error, when the database refuses the revocation; revoke-force clears it", async () => {
    const proxy = await startProxy();
    const clock = new ManualClock(Date.now());
    const { engine, root } = await engineThrough(proxy, clock);
    await root.write("database/roles/broken", {
      db_name: "postgresql",
      creation_statements: `CREATE ROLE "{{name}}" NOLOGIN;`,
      revocation_statements: `DROP ROLE "{{name}}-missing";`,
      default_ttl: "1h",
    });
    await root.write("database/config/postgresql", { allowed_roles: "readonly,broken" });
    const creds = await root.read<{ username: string }>("database/creds/broken");
    await clock.advance("61m");
    for (let i = 0; i < 6; i++) await clock.advance("2m");
    const lookup = await root.write("sys/leases/lookup", { lease_id: creds.lease_id });
    expect(lookup.data).toMatchObject({ state: "irrevocable", revoke_attempts: 5, last_error: expect.stringMatching(/does not exist/i) });
    expect(JSON.stringify(lookup.data)).not.toContain(db.password);
    await root.write("sys/leases/revoke-force/database/creds/broken", {});
    await expect(root.write("sys/leases/lookup", { lease_id: creds.lease_id })).rejects.toMatchObject({ code: "lease_not_found" });
    await db.query(`DROP ROLE "${creds.data!.username}"`);
    await engine.close();
  });

  it("with PostgresStorage on the same stopped server, leases wait in storage and are revoked once it is back", async () => {
    const proxy = await startProxy();
    const clock = new ManualClock(Date.now());
    const storage = sealedForTest(new PostgresStorage({ connectionString: `postgresql://${encodeURIComponent(db.user)}:${encodeURIComponent(db.password)}@127.0.0.1:${proxy.port}/${db.name}`, table: "outage_storage" }));
    const { engine, root } = await engineThrough(proxy, clock, storage);
    const issued = await Promise.all(Array.from({ length: 5 }, () => root.read<{ username: string }>("database/creds/readonly")));
    await proxy.stop();
    await clock.advance("61m"); // claims fail: storage is unreachable too
    await expect(root.write("sys/leases/lookup", { lease_id: issued[0]!.lease_id })).rejects.toMatchObject({ code: "storage_error" });
    for (const creds of issued) expect(await roleExists(db, creds.data!.username)).toBe(true);
    await proxy.start();
    await clock.advance("10s"); // the next poll claims and revokes them
    for (const creds of issued) expect(await roleExists(db, creds.data!.username)).toBe(false);
    const { rows } = await db.query("SELECT key FROM vaultlet.outage_storage WHERE key LIKE 'sys/expire/id/database/%'");
    expect(rows).toEqual([]);
    await engine.close();
  });
});
