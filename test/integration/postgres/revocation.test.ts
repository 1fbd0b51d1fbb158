/**
 * The PostgreSQL plugin's default revocation and statement handling, against a real PostgreSQL.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import pg from "pg";
import { useTestDatabase, type TestDatabase } from "../../support/database.js";
import { createDatabase, databaseUrl } from "../../support/postgres-server.js";
import { CREATE_LOGIN, openEngineFixture, type EngineFixture } from "../../support/engine-fixture.js";

const db = useTestDatabase();
let fx: EngineFixture<TestDatabase>;
let group: string;

/** A user with its own schema, grants in another schema, a group role and default privileges. */
const OWNER_CREATION = () => [
  CREATE_LOGIN,
  `CREATE SCHEMA "{{name}}" AUTHORIZATION "{{name}}"`,
  `GRANT USAGE, CREATE ON SCHEMA reporting TO "{{name}}"`,
  `GRANT SELECT ON reporting.sales TO "{{name}}"`,
  `GRANT "${group}" TO "{{name}}"`,
];

async function createObjectsAs(username: string, password: string): Promise<void> {
  const session = await db.connectAs(username, password);
  const schema = `"${username}"`;
  await session.query(`CREATE TABLE ${schema}.things (id serial PRIMARY KEY)`);
  await session.query(`CREATE SEQUENCE ${schema}.counter`);
  await session.query(`CREATE FUNCTION ${schema}.answer() RETURNS int LANGUAGE sql AS 'SELECT 42'`);
  await session.query(`CREATE TYPE ${schema}.mood AS ENUM ('ok', 'meh')`);
  await session.query(`CREATE TABLE reporting.scratch (id int)`);
  await session.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT SELECT ON TABLES TO "${group}"`);
  await session.query(`ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO "${group}"`);
  await session.end();
}

async function ownerOf(relation: string): Promise<string | undefined> {
  const { rows } = await db.query<{ owner: string }>(
    "SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = to_regclass($1)",
    [relation],
  );
  return rows[0]?.owner;
}

beforeAll(async () => {
  group = db.roleName("app_group");
  await db.query(`CREATE ROLE "${group}" NOLOGIN`);
  await db.query("CREATE SCHEMA reporting");
  await db.query("CREATE TABLE reporting.sales (id int)");
});

beforeEach(async () => {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false });
});

afterEach(async () => {
  await fx.engine.close();
});

describe("default revocation", () => {
  it("revokes a user that owns a table, sequence, function and type in its own schema and holds grants in another schema", async () => {
    await fx.root.write("database/roles/owner", { db_name: "pg", creation_statements: OWNER_CREATION() });
    const creds = await fx.issue("owner");
    await createObjectsAs(creds.username, creds.password);
    await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
    expect(await fx.roleExists(creds.username)).toBe(false);
    // Reassigned to the connection's own user, not lost.
    expect(await ownerOf(`"${creds.username}".things`)).toBe(db.user);
    expect(await ownerOf("reporting.scratch")).toBe(db.user);
    const { rows } = await db.query<{ n: number }>(`SELECT "${creds.username}".answer() AS n`);
    expect(rows[0]!.n).toBe(42);
    await db.query("DROP TABLE reporting.scratch");
  });

  it("drops what the user owned with revoke_owned_objects = drop", async () => {
    await fx.root.write("database/roles/owner", {
      db_name: "pg",
      creation_statements: OWNER_CREATION(),
      revoke_owned_objects: "drop",
    });
    const creds = await fx.issue("owner");
    await createObjectsAs(creds.username, creds.password);
    await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
    expect(await fx.roleExists(creds.username)).toBe(false);
    expect(await ownerOf("reporting.scratch")).toBeUndefined();
    const { rowCount } = await db.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [creds.username]);
    expect(rowCount).toBe(0);
  });

  it("reassigns owned objects to reassign_owned_to", async () => {
    const heir = db.roleName("heir");
    await db.query(`CREATE ROLE "${heir}" NOLOGIN`);
    await fx.root.write("database/roles/owner", {
      db_name: "pg",
      creation_statements: OWNER_CREATION(),
      reassign_owned_to: heir,
    });
    const creds = await fx.issue("owner");
    await createObjectsAs(creds.username, creds.password);
    await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
    expect(await fx.roleExists(creds.username)).toBe(false);
    expect(await ownerOf("reporting.scratch")).toBe(heir);
    await db.query("DROP TABLE reporting.scratch");
    await db.query(`DROP OWNED BY "${heir}"`);
  });

  it("revokes a user that owns objects and holds grants in another database of the cluster", async () => {
    const other = await createDatabase(db.adminUrl);
    try {
      await fx.root.write("database/roles/plain", { db_name: "pg", creation_statements: CREATE_LOGIN });
      const creds = await fx.issue("plain");
      const admin = new pg.Client({ connectionString: other.url });
      await admin.connect();
      await admin.query(`GRANT CREATE ON SCHEMA public TO "${creds.username}"`);
      await admin.query("CREATE TABLE shared (id int)");
      await admin.query(`GRANT SELECT ON shared TO "${creds.username}"`);
      const session = new pg.Client({ connectionString: databaseUrl(other.url, other.name, { user: creds.username, password: creds.password }) });
      await session.connect();
      await session.query("CREATE TABLE theirs (id int)");
      await session.end();
      await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
      expect(await fx.roleExists(creds.username)).toBe(false);
      const { rows } = await admin.query<{ owner: string }>("SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'theirs'");
      expect(rows[0]!.owner).toBe(db.user);
      await admin.end();
    } finally {
      await other.drop();
    }
  });

  it("closes the revoked user's open sessions", async () => {
    await fx.root.write("database/roles/plain", { db_name: "pg", creation_statements: CREATE_LOGIN });
    const creds = await fx.issue("plain");
    const session = await db.connectAs(creds.username, creds.password);
    await session.query("SELECT 1");
    await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
    await expect(session.query("SELECT 1")).rejects.toThrow();
    expect(await fx.roleExists(creds.username)).toBe(false);
  });

  it("leaves open sessions alone with revoke_terminate_sessions = false", async () => {
    await fx.root.write("database/roles/plain", {
      db_name: "pg",
      creation_statements: CREATE_LOGIN,
      revoke_terminate_sessions: false,
    });
    const creds = await fx.issue("plain");
    const session = await db.connectAs(creds.username, creds.password);
    await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
    expect(await fx.roleExists(creds.username)).toBe(false);
    await expect(session.query("SELECT 1 AS one")).resolves.toMatchObject({ rows: [{ one: 1 }] });
    await session.end();
  });

  it("terminates sessions before custom revocation_statements too", async () => {
    await fx.root.write("database/roles/custom", {
      db_name: "pg",
      creation_statements: CREATE_LOGIN,
      revocation_statements: `DROP ROLE "{{name}}";`,
    });
    const creds = await fx.issue("custom");
    const session = await db.connectAs(creds.username, creds.password);
    await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
    await expect(session.query("SELECT 1")).rejects.toThrow();
    expect(await fx.roleExists(creds.username)).toBe(false);
  });

  it("rejects an unknown revoke_owned_objects value", async () => {
    await expect(
      fx.root.write("database/roles/bad", { db_name: "pg", creation_statements: CREATE_LOGIN, revoke_owned_objects: "keep" }),
    ).rejects.toMatchObject({ code: "invalid_request", message: expect.stringMatching(/revoke_owned_objects/) });
    await expect(fx.root.read("database/roles/bad")).rejects.toMatchObject({ status: 404 });
  });
});

describe("statements", () => {
  it("runs DO $$ … $$ blocks for creation, renewal and revocation", async () => {
    await fx.root.write("database/roles/plpgsql", {
      db_name: "pg",
      creation_statements: `DO $$ BEGIN
          EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L VALID UNTIL %L', '{{name}}', '{{password}}', '{{expiration}}');
        END $$;
        GRANT USAGE ON SCHEMA reporting TO "{{name}}";`,
      renew_statements: `DO $$ BEGIN EXECUTE format('ALTER ROLE %I VALID UNTIL %L', '{{name}}', '{{expiration}}'); END $$;`,
      revocation_statements: `DO $$ BEGIN
          EXECUTE format('REVOKE ALL ON SCHEMA reporting FROM %I', '{{name}}');
          EXECUTE format('DROP ROLE %I', '{{name}}');
        END $$;`,
    });
    const creds = await fx.issue("plpgsql");
    const login = await db.connectAs(creds.username, creds.password);
    await login.end();
    await fx.clock.advance("10m");
    await fx.root.write("sys/leases/renew", { lease_id: creds.leaseId, increment: "2h" });
    const { rows } = await db.query<{ rolvaliduntil: Date }>("SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", [creds.username]);
    expect(Math.abs(rows[0]!.rolvaliduntil.getTime() - (fx.clock.now() + 2 * 3600_000))).toBeLessThan(1000);
    await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
    expect(await fx.roleExists(creds.username)).toBe(false);
  });

  it("runs rollback_statements when creation fails", async () => {
    await db.query("CREATE TABLE rollback_log (username text)");
    await fx.root.write("database/roles/broken", {
      db_name: "pg",
      creation_statements: [CREATE_LOGIN, `GRANT SELECT ON no_such_table TO "{{name}}"`],
      rollback_statements: `INSERT INTO rollback_log VALUES ('{{name}}');`,
    });
    await expect(fx.root.read("database/creds/broken")).rejects.toMatchObject({ code: "plugin_error" });
    const { rows } = await db.query<{ username: string }>("SELECT username FROM rollback_log");
    expect(rows).toHaveLength(1);
    expect(await fx.roleExists(rows[0]!.username)).toBe(false);
  });
});

describe("time zones", () => {
  it("sets VALID UNTIL to the lease expiry when the database runs in a non-UTC time zone", async () => {
    await db.query(`ALTER DATABASE "${db.name}" SET timezone TO 'Pacific/Kiritimati'`);
    try {
      await fx.root.write("database/reset/pg", {});
      await fx.root.write("database/roles/plain", { db_name: "pg", creation_statements: CREATE_LOGIN, default_ttl: "3h" });
      const creds = await fx.issue("plain");
      const lease = await fx.root.write("sys/leases/lookup", { lease_id: creds.leaseId });
      const expiry = new Date(lease.data!.expire_time as string).getTime();
      const client = await db.connectAs(creds.username, creds.password);
      const { rows } = await client.query<{ tz: string; until: Date }>(
        "SELECT current_setting('TimeZone') AS tz, rolvaliduntil AS until FROM pg_roles WHERE rolname = current_user",
      );
      await client.end();
      expect(rows[0]!.tz).toBe("Pacific/Kiritimati");
      expect(Math.abs(rows[0]!.until.getTime() - expiry)).toBeLessThan(1000);
    } finally {
      await db.query(`ALTER DATABASE "${db.name}" RESET timezone`);
    }
  });
});
