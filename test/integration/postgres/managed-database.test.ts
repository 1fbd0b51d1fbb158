/**
 * A managed database (RDS, Cloud SQL): the engine's user is not a superuser but has CREATEROLE.
 * On PostgreSQL 16+ such a user only holds ADMIN OPTION on roles it created itself.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { useTestDatabase } from "../../support/database.js";
import { CREATE_LOGIN, connectionConfig, openPostgresFixture, type PostgresFixture } from "./engine-fixture.js";

const db = useTestDatabase();
let fx: PostgresFixture;
let admin: string;

beforeAll(async () => {
  admin = db.roleName("admin");
  await db.query(`CREATE ROLE "${admin}" LOGIN CREATEROLE PASSWORD 'Admin-pw-1234'`);
  await db.query(`GRANT CONNECT, CREATE ON DATABASE "${db.name}" TO "${admin}"`);
  await db.query(`CREATE SCHEMA app AUTHORIZATION "${admin}"`);
  await db.query(`CREATE TABLE app.items (id int)`);
  await db.query(`ALTER TABLE app.items OWNER TO "${admin}"`);
  fx = await openPostgresFixture(db, connectionConfig(db, { user: admin, password: "Admin-pw-1234" }));
});

afterAll(async () => {
  await fx.engine.close();
  await db.query(`DROP OWNED BY "${admin}"`);
});

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
