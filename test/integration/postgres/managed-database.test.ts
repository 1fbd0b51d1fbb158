/**
 * A managed database (RDS, Cloud SQL): the engine's user is not a superuser but has CREATEROLE.
 * On PostgreSQL 16+ such a user only holds ADMIN OPTION on roles it created itself.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { useTestDatabase, type TestDatabase } from "../../support/database.js";
import { CREATE_LOGIN, connectionConfig, openEngineFixture, type EngineFixture } from "../../support/engine-fixture.js";

const db = useTestDatabase();
let fx: EngineFixture<TestDatabase>;
let admin: string;

beforeAll(async () => {
  admin = db.roleName("admin");
  await db.query(`CREATE ROLE "${admin}" LOGIN CREATEROLE PASSWORD 'Admin-pw-1234'`);
  await db.query(`GRANT CONNECT, CREATE ON DATABASE "${db.name}" TO "${admin}"`);
  await db.query(`CREATE SCHEMA app AUTHORIZATION "${admin}"`);
  await db.query(`CREATE TABLE app.items (id int)`);
  await db.query(`ALTER TABLE app.items OWNER TO "${admin}"`);
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false, config: connectionConfig(db, { user: admin, password: "Admin-pw-1234" }) });
});

afterAll(async () => {
  await fx.engine.close();
  // Roles the admin granted or created must go before it (it is their grantor).
  await db.query("DROP SCHEMA app CASCADE");
  const { rows } = await db.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1) AND rolname <> $2", [db.rolePrefix, admin]);
  for (const { rolname } of rows) await db.query(`DROP OWNED BY "${rolname}"; DROP ROLE "${rolname}"`);
  await db.query(`DROP OWNED BY "${admin}"`);
});

async function asAdmin(sql: string): Promise<void> {
  const session = await db.connectAs(admin, currentAdminPassword);
  try {
    await session.query(sql);
  } finally {
    await session.end();
  }
}

let currentAdminPassword = "Admin-pw-1234";

it("a non-superuser CREATEROLE admin can issue, renew and revoke (owned objects included)", async () => {
  const { rows: version } = await db.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v");
  await fx.root.write("database/roles/app", {
    db_name: "pg",
    creation_statements: [CREATE_LOGIN, `GRANT USAGE, CREATE ON SCHEMA app TO "{{name}}"`, `GRANT SELECT ON app.items TO "{{name}}"`],
  });
  const creds = await fx.issue("app");
  const session = await db.connectAs(creds.username, creds.password);
  await session.query("CREATE TABLE app.mine (id int)");
  await fx.clock.advance("10m");
  await fx.root.write("sys/leases/renew", { lease_id: creds.leaseId, increment: "1h" });
  const { rows } = await db.query<{ rolvaliduntil: Date }>("SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", [creds.username]);
  expect(Math.abs(rows[0]!.rolvaliduntil.getTime() - (fx.clock.now() + 3600_000))).toBeLessThan(1000);
  await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
  expect(await fx.roleExists(creds.username)).toBe(false);
  await expect(session.query("SELECT 1")).rejects.toThrow();
  const { rows: owner } = await db.query<{ owner: string }>("SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = 'app.mine'::regclass");
  expect(owner[0]!.owner).toBe(admin);
  expect(version[0]!.v).toBeGreaterThan(0);
});

it("the owner-role pattern: a migration user's objects belong to a NOLOGIN owner role and survive revocation", async () => {
  const owner = db.roleName("app_owner");
  await asAdmin(`CREATE ROLE "${owner}" NOLOGIN`); // created by the admin: it holds ADMIN OPTION on it
  await asAdmin(`GRANT USAGE, CREATE ON SCHEMA app TO "${owner}"`);
  await fx.root.write("database/roles/migrate", {
    db_name: "pg",
    creation_statements: [CREATE_LOGIN, `GRANT "${owner}" TO "{{name}}"`, `ALTER ROLE "{{name}}" SET role TO '${owner}'`],
  });
  const creds = await fx.issue("migrate");
  const session = await db.connectAs(creds.username, creds.password);
  await session.query("CREATE TABLE app.migrated (id int)");
  await session.end();
  await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
  expect(await fx.roleExists(creds.username)).toBe(false);
  const { rows } = await db.query<{ owner: string }>("SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = 'app.migrated'::regclass");
  expect(rows[0]!.owner).toBe(owner);
});

it("a non-superuser admin manages static roles it created, and rotates its own password", async () => {
  const user = db.roleName("svc");
  await asAdmin(`CREATE ROLE "${user}" LOGIN PASSWORD 'Svc-pw-1'`);
  await fx.root.write("database/static-roles/svc", { db_name: "pg", username: user, rotation_period: "1h" });
  const { password } = (await fx.root.read<{ password: string }>("database/static-creds/svc")).data!;
  await (await db.connectAs(user, password)).end();
  await fx.root.write("database/rotate-root/pg", {});
  await expect(db.connectAs(admin, currentAdminPassword)).rejects.toMatchObject({ code: "28P01" });
  currentAdminPassword = "Admin-pw-5678";
  await db.query(`ALTER ROLE "${admin}" PASSWORD '${currentAdminPassword}'`); // so afterAll can clean up
  await fx.root.write("database/config/pg", { password: currentAdminPassword });
  const creds = await fx.issue("app");
  expect(await fx.roleExists(creds.username)).toBe(true);
});

it("on PostgreSQL 16+, a static role for a user the admin did not create is refused clearly, changing nothing", async () => {
  const { rows } = await db.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v");
  if (rows[0]!.v < 160000) return; // before 16, CREATEROLE may alter any non-superuser role
  const foreign = db.roleName("foreign");
  await db.query(`CREATE ROLE "${foreign}" LOGIN PASSWORD 'Foreign-pw-1'`);
  await expect(fx.root.write("database/static-roles/foreign", { db_name: "pg", username: foreign, rotation_period: "1h" })).rejects.toMatchObject({
    code: "plugin_error",
    message: expect.stringMatching(/permission denied/),
  });
  await expect(fx.root.read("database/static-roles/foreign")).rejects.toMatchObject({ status: 404 });
  await (await db.connectAs(foreign, "Foreign-pw-1")).end();
});
