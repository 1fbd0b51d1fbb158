/**
 * Default revocation on a database that has no `public` schema.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { useTestDatabase, type TestDatabase } from "../../support/database.js";
import { CREATE_LOGIN, openEngineFixture, type EngineFixture } from "../../support/engine-fixture.js";

const db = useTestDatabase();
let fx: EngineFixture<TestDatabase>;

beforeAll(async () => {
  await db.query("DROP SCHEMA public CASCADE");
  await db.query("CREATE SCHEMA app");
  await db.query("CREATE TABLE app.items (id int)");
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false });
});

afterAll(async () => {
  await fx.engine.close();
});

it("issues and revokes by default on a database without a public schema", async () => {
  await fx.root.write("database/roles/app", {
    db_name: "pg",
    creation_statements: [CREATE_LOGIN, `GRANT USAGE, CREATE ON SCHEMA app TO "{{name}}"`, `GRANT SELECT ON app.items TO "{{name}}"`],
  });
  const creds = await fx.issue("app");
  const session = await db.connectAs(creds.username, creds.password);
  await session.query("CREATE TABLE app.mine (id int)");
  await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
  expect(await fx.roleExists(creds.username)).toBe(false);
  const { rowCount } = await db.query("SELECT 1 FROM pg_namespace WHERE nspname = 'public'");
  expect(rowCount).toBe(0);
});
