/**
 * The credential pool against an engine whose storage is shared by a second engine (issue 13:
 * "works the same against an engine whose storage is shared by several processes"): two engines
 * with their own pools over one PostgresStorage table, the pool on engine A.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import pg from "pg";
import { Engine, ManualClock, PostgresStorage, openCredentialPool, type Client, type RotateEvent } from "../../../src/index.js";
import { useTestDatabase } from "../../support/database.js";
import { CREATE_LOGIN, openEngineFixture, roleExists } from "../../support/engine-fixture.js";
import { sealedForTest } from "../../support/sealed-storage.js";

const db = useTestDatabase();
const TABLE = "credential_pool_shared";

let clock: ManualClock;
let a: Engine;
let b: Engine;
let appA: Client;
let rootB: Client;

beforeAll(async () => {
  clock = new ManualClock(Date.now());
  const storage = () => sealedForTest(new PostgresStorage({ connectionString: db.url, table: TABLE }));
  const fixture = await openEngineFixture({ database: db, storage: storage(), clock, role: false });
  a = fixture.engine;
  const rootA = fixture.root;
  await rootA.write("database/roles/readonly", { db_name: "postgresql", creation_statements: CREATE_LOGIN, default_ttl: "1h", max_ttl: "3h" });
  await rootA.write("sys/policy/apps", { policy: 'path "database/creds/readonly" { capabilities = ["read"] }' });
  const { auth } = await rootA.write("auth/token/create", { policies: ["apps"], no_default_policy: true });
  appA = a.client(auth!.client_token);
  b = await Engine.open({ storage: storage(), clock });
  rootB = b.client(fixture.rootToken);
}, 60_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe("a credential pool on one of two engines sharing storage", () => {
  it("renews through its engine so the other never revokes the lease at its first expiry, and recovers from a revocation made on the other", async () => {
    const pool = await openCredentialPool<pg.Pool>(appA, { path: "database/creds/readonly", connection: { host: db.host, port: db.port, database: db.name }, max: 4 });
    pool.on("error", () => undefined);
    const rotations: RotateEvent[] = [];
    pool.on("rotate", (event) => rotations.push(event));
    const first = pool.credentials;
    const renewed = new Promise((resolve) => pool.once("renew", resolve));

    await clock.advance("41m"); // past the renewal at 2/3 of the hour
    await renewed;
    await clock.advance("30m"); // past the lease's first expiry: engine B must see the renewed one
    expect(await roleExists(db, first.username)).toBe(true);
    const [row] = (await pool.query("SELECT current_user AS u")).rows;
    expect(row.u).toBe(first.username);
    expect(rotations).toEqual([]);

    await rootB.write("sys/leases/revoke", { lease_id: first.leaseId }); // an admin on the other engine
    await vi.waitFor(() => expect(pool.totalCount).toBe(0), { timeout: 10_000, interval: 10 });
    const [after] = (await pool.query("SELECT current_user AS u")).rows;
    expect(rotations).toMatchObject([{ previous: { leaseId: first.leaseId } }]);
    expect(after.u).toBe(rotations[0]!.current.username);

    await pool.end();
    expect(await roleExists(db, rotations[0]!.current.username)).toBe(false);
  });
});
