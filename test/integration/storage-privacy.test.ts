/**
 * Issue 11, item 1: the credentials the engine issues cannot reach its storage. The seed guide's
 * readonly role (`GRANT SELECT ON ALL TABLES IN SCHEMA public`) is issued by an engine whose
 * `PostgresStorage` is on the same database, with the documented default set-up.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Engine, ManualClock, PostgresStorage, StorageExposedError } from "../../src/index.js";
import { READONLY_SQL } from "../../examples/seed-guide.js";
import { useTestDatabase } from "../support/database.js";
import { openEngineFixture, sealedForTest } from "../support/engine-fixture.js";

const db = useTestDatabase();
const engines: Engine[] = [];

afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

/** Where the catalog (readable by every role) says the storage table is, quoted. */
async function storageTable(): Promise<string> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'vaultlet_storage'`,
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.name;
}

describe("storage no issued credential can reach", () => {
  it("the guide's readonly role, issued on the same database, cannot SELECT the storage table", async () => {
    await db.query("CREATE TABLE products (id int PRIMARY KEY, name text); INSERT INTO products VALUES (1, 'widget')");
    const fx = await openEngineFixture({ database: db, storage: sealedForTest(new PostgresStorage({ connectionString: db.url })), clock: new ManualClock(), role: false });
    engines.push(fx.engine);
    await fx.root.write("database/roles/readonly", { db_name: "postgresql", creation_statements: READONLY_SQL, default_ttl: "1h" });
    const creds = await fx.issue("readonly");
    const client = await db.connectAs(creds.username, creds.password);
    // The grant works on the app's tables…
    expect((await client.query("SELECT name FROM products")).rows).toEqual([{ name: "widget" }]);
    // …and reaches no record of the engine's: not by the default name, not where the table is.
    const table = await storageTable();
    await expect(client.query(`SELECT key, value FROM ${table}`)).rejects.toMatchObject({ code: "42501" });
    await expect(client.query("SELECT key, value FROM vaultlet_storage")).rejects.toMatchObject({ code: "42P01" });
    await expect(client.query(`SELECT version FROM ${table.replace(/"?$/, "")}_version`)).rejects.toMatchObject({ code: "42501" });
  });

  it("an engine refuses to open on a storage table made readable by PUBLIC", async () => {
    const first = new PostgresStorage({ connectionString: db.url });
    await first.list(""); // creates the table, if the test above did not
    await first.close();
    const table = await storageTable();
    await db.query(`GRANT SELECT ON ${table} TO PUBLIC`);
    const storage = new PostgresStorage({ connectionString: db.url });
    try {
      await expect(Engine.open({ storage: sealedForTest(storage), clock: new ManualClock() })).rejects.toThrow(StorageExposedError);
    } finally {
      await storage.close();
      await db.query(`REVOKE ALL ON ${table} FROM PUBLIC`);
    }
  });
});
