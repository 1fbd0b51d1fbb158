/**
 * One suite for the credential pool under every driver that takes a `pg.Pool` (node-postgres
 * itself, Kysely's PostgresDialect, Drizzle's node-postgres driver): rotations under continuous
 * query load with a ManualClock, and the failure paths. Each driver file runs it in a few lines.
 */
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import pg from "pg";
import { CredentialLeaseError, Engine, ManualClock, openCredentialPool, type Client, type CredentialPool, type RotateEvent } from "../../../src/index.js";
import { useTestDatabase, type TestDatabase } from "../../support/database.js";
import { CREATE_LOGIN, connectionConfigFor, roleExists } from "../../support/engine-fixture.js";
import { TcpProxy } from "../../support/tcp-proxy.js";

/** What the suite needs of a driver: run a query that returns rows, and shut down (which ends the pool). */
export interface PoolDriver {
  /** Runs `SELECT current_user AS u` (or any statement) and returns its rows. */
  query(sql: string): Promise<Array<Record<string, unknown>>>;
  /** Runs `work` inside one transaction on one connection; `query` inside it runs on that connection. */
  transaction(work: (query: (sql: string) => Promise<Array<Record<string, unknown>>>) => Promise<void>): Promise<void>;
  /** Shuts the driver down: it ends the pool. */
  end(): Promise<void>;
}

/** Builds a driver over a credential pool, or says why it cannot (a package not installed). */
export type DriverFactory = (pool: CredentialPool<pg.Pool>) => Promise<PoolDriver>;

/** One engine with the guide's apps token, on a test database (through `port` when given). */
async function openEngine(db: TestDatabase, clock: ManualClock, port = db.port) {
  const engine = await Engine.open({ clock, revocation: { initialBackoffMs: 1000, maxBackoffMs: 10_000, maxAttempts: 10 } });
  const root = engine.client((await engine.initialize()).rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/postgresql", { ...connectionConfigFor(db), connection_url: `postgresql://{{username}}:{{password}}@${db.host}:${port}/${db.name}` });
  await root.write("database/roles/readonly", { db_name: "postgresql", creation_statements: CREATE_LOGIN, default_ttl: "1h", max_ttl: "3h" });
  await root.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
  const { auth } = await root.write("auth/token/create", { policies: ["apps"], no_default_policy: true });
  return { engine, root, app: engine.client(auth!.client_token) };
}

/** Queries without pause from `workers` loops until stopped; counts what succeeded and what failed. */
function load(driver: PoolDriver, workers: number) {
  const users = new Set<string>();
  const failures: unknown[] = [];
  let ok = 0;
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        const [row] = await driver.query("SELECT current_user AS u");
        users.add(String(row!.u));
        ok++;
      } catch (error) {
        failures.push(error);
      }
    }
  });
  return {
    users,
    failures,
    get ok() {
      return ok;
    },
    /** Lets the loops run for a few more queries. */
    async settle(queries = workers * 4): Promise<void> {
      const target = ok + queries;
      await vi.waitFor(() => expect(ok + failures.length).toBeGreaterThanOrEqual(target), { timeout: 10_000, interval: 2 });
    },
    async stop(): Promise<void> {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** The credential pool suite for one driver. `skip` names why it cannot run here (then one skipped test says so). */
export function credentialPoolSuite(name: string, makeDriver: DriverFactory, skip?: string): void {
  if (skip !== undefined) {
    describe(`credential pool under ${name}`, () => {
      it.skip(`skipped: ${skip}`, () => undefined);
    });
    return;
  }
  const db = useTestDatabase();
  const engines: Engine[] = [];
  const proxies: TcpProxy[] = [];
  const generated = new Set<string>();
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.close()));
  });
  afterAll(async () => {
    await Promise.all(proxies.map((proxy) => proxy.stop()));
    // Users left on purpose by the failure paths (the engine closed first): dropped here.
    for (const user of generated) await db.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(user)}`).catch(() => undefined);
  });

  async function openPool(app: Client, port = db.port, options: { max?: number } = {}) {
    const pool = await openCredentialPool<pg.Pool>(app, { path: "database/creds/readonly", connection: { host: db.host, port, database: db.name }, max: options.max ?? 4 });
    pool.on("error", () => undefined); // idle connections cut by the server (an admin's revocation, an outage)
    const rotations: RotateEvent[] = [];
    pool.on("rotate", (event) => {
      rotations.push(event);
      generated.add(event.current.username);
    });
    generated.add(pool.credentials.username);
    return { pool, rotations, driver: await makeDriver(pool) };
  }

  async function setup(port?: number) {
    const clock = new ManualClock(Date.now());
    const { engine, root, app } = await openEngine(db, clock, port);
    engines.push(engine);
    return { clock, engine, root, app, ...(await openPool(app, port)) };
  }

  describe(`credential pool under ${name}`, () => {
    it("is a pg.Pool, shows no password, and runs queries as the lease's user", async () => {
      const { pool, driver } = await setup();
      expect(pool).toBeInstanceOf(pg.Pool);
      expect(Object.keys(pool.credentials).sort()).toEqual(["expiresAt", "leaseId", "username"]);
      const [row] = await driver.query("SELECT current_user AS u");
      expect(row!.u).toBe(pool.credentials.username);
      await driver.end();
    });

    it("rotates under continuous load: no failed query, a new user each time, old users dropped once drained, none after end()", async () => {
      const { clock, pool, rotations, driver } = await setup();
      const traffic = load(driver, 6);
      await traffic.settle();
      const seen: string[] = [pool.credentials.username];
      for (let round = 0; round < 3; round++) {
        // Renewals at 40m, 1h20m, 2h, 2h40m (capped at 3h), rotation at 2h53m20s: 6m40s before the
        // old lease's expiry, for its connections to drain (time stops here while they do).
        await clock.advance("2h54m");
        expect(rotations).toHaveLength(round + 1);
        const { previous, current } = rotations[round]!;
        expect(previous.username).toBe(seen.at(-1));
        expect(current.username).not.toBe(previous.username);
        seen.push(current.username);
        await traffic.settle();
        await vi.waitFor(async () => expect(await roleExists(db, previous.username)).toBe(false), { timeout: 10_000, interval: 20 });
        expect(traffic.users.has(current.username)).toBe(true);
      }
      await traffic.stop();
      expect(traffic.failures).toEqual([]);
      expect(new Set(seen).size).toBe(4);
      expect(rotations.map((r) => r.reason)).toEqual(["max_ttl", "max_ttl", "max_ttl"]);
      await driver.end();
      for (const user of seen) expect(await roleExists(db, user)).toBe(false);
    });

    it("lets a transaction in flight finish on the old user, then closes its connection and drops the user", async () => {
      const { clock, pool, rotations, driver } = await setup();
      const first = pool.credentials.username;
      let rotated!: () => void;
      const rotation = new Promise<void>((resolve) => (rotated = resolve));
      const transaction = driver.transaction(async (query) => {
        expect((await query("SELECT current_user AS u"))[0]!.u).toBe(first);
        await rotation;
        expect(await roleExists(db, first)).toBe(true); // still in use: not revoked
        expect((await query("SELECT current_user AS u"))[0]!.u).toBe(first);
      });
      await vi.waitFor(() => expect(pool.totalCount).toBeGreaterThan(0));
      await clock.advance("2h54m"); // rotated; the old lease has 6 minutes left
      expect(rotations).toHaveLength(1);
      expect((await driver.query("SELECT current_user AS u"))[0]!.u).toBe(rotations[0]!.current.username);
      rotated();
      await transaction;
      await vi.waitFor(async () => expect(await roleExists(db, first)).toBe(false), { timeout: 10_000, interval: 20 });
      await driver.end();
    });

    it("recovers when an admin revokes its lease: the refused login gets new credentials", async () => {
      const { root, pool, rotations, driver } = await setup();
      const first = pool.credentials;
      await driver.query("SELECT 1");
      await root.write("sys/leases/revoke", { lease_id: first.leaseId }); // drops the user, ends its sessions
      await vi.waitFor(() => expect(pool.totalCount).toBe(0), { timeout: 10_000, interval: 10 });
      const [row] = await driver.query("SELECT current_user AS u");
      expect(rotations).toMatchObject([{ reason: "login_failed", previous: { leaseId: first.leaseId } }]);
      expect(row!.u).toBe(rotations[0]!.current.username);
      await driver.end();
      expect(await roleExists(db, rotations[0]!.current.username)).toBe(false);
    });

    it("keeps serving when the engine closes, reports it, and end() names the leases it could not revoke", async () => {
      const { clock, engine, pool, driver } = await setup();
      const failures: unknown[] = [];
      pool.on("failure", (event) => failures.push(event));
      const traffic = load(driver, 3);
      await traffic.settle();
      await engine.close();
      await clock.advance("40m");
      await traffic.settle();
      await traffic.stop();
      expect(traffic.failures).toEqual([]);
      expect(failures).toMatchObject([{ action: "renew", final: true }]);
      await expect(driver.end()).rejects.toBeInstanceOf(CredentialLeaseError);
      expect(pool.totalCount).toBe(0);
    });

    it("comes back after the database was down: renewals retried, then rotations with no failed query", async () => {
      const proxy = new TcpProxy(db.host, db.port);
      proxies.push(proxy);
      await proxy.start();
      const { clock, pool, rotations, driver } = await setup(proxy.port);
      const failures: Array<{ action: string }> = [];
      pool.on("failure", (event) => failures.push(event));
      await driver.query("SELECT 1");
      await proxy.stop();
      await expect(driver.query("SELECT 1")).rejects.toThrow();
      await clock.advance("40m"); // the renewal fails: the engine cannot reach the database either
      await clock.advance("3s");
      expect(failures.length).toBeGreaterThanOrEqual(2);
      expect(failures.every((f) => f.action === "renew")).toBe(true);
      await proxy.start();
      await clock.advance("10s"); // the next retry renews
      const traffic = load(driver, 4);
      await traffic.settle();
      await clock.advance("2h15m"); // to 2h55m: past the rotation (2h53m), before the old lease's end (3h)
      expect(rotations.length).toBe(1);
      await traffic.settle();
      await traffic.stop();
      expect(traffic.failures).toEqual([]);
      expect(traffic.users.has(pool.credentials.username)).toBe(true);
      await driver.end();
      for (const user of [rotations[0]!.previous.username, pool.credentials.username]) expect(await roleExists(db, user)).toBe(false);
    });
  });
}
