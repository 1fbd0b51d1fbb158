/**
 * Tests of the test harness itself: the shared PostgreSQL server and the
 * per-file databases from `useTestDatabase()`.
 */
import { tmpdir } from "node:os";
import { describe, expect, inject, it } from "vitest";
import { useTestDatabase } from "../support/database.js";
import { createDatabase, startPostgres } from "../support/postgres-server.js";

const db = useTestDatabase();
const other = useTestDatabase();

describe("shared PostgreSQL server", () => {
  it("connects as superuser to this file's own database", async () => {
    const { rows } = await db.query<{ db: string; su: boolean }>(
      `SELECT current_database() AS db, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su`,
    );
    expect(rows[0]).toEqual({ db: db.name, su: true });
    expect(db.name).toMatch(/^vt_[a-z0-9]{12}$/);
    expect(db.url).toContain(`/${db.name}`);
    expect(db.adminUrl).toBe(inject("pgUrl"));
    const su = await db.connectAs(db.user, db.password);
    await expect(su.query("SELECT 1")).resolves.toBeDefined();
    await expect(db.connectAs(db.user, db.password + "x")).rejects.toMatchObject({ code: "28P01" });
  });

  it("hashes passwords with scram-sha-256", async () => {
    const { rows } = await db.query<{ password_encryption: string }>("SHOW password_encryption");
    expect(rows[0]?.password_encryption).toBe("scram-sha-256");
  });

  it.runIf(inject("pgKind") !== "env")("requires scram-sha-256 for every TCP login", async () => {
    const { rows } = await db.query<{ type: string; auth_method: string }>(
      `SELECT type, auth_method FROM pg_hba_file_rules WHERE type LIKE 'host%' AND error IS NULL`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.auth_method))).toEqual(new Set(["scram-sha-256"]));
  });

  it.runIf(inject("pgKind") === "embedded")("keeps embedded data in a temp directory", async () => {
    const { rows } = await db.query<{ data_directory: string }>("SHOW data_directory");
    expect(rows[0]?.data_directory.startsWith(tmpdir())).toBe(true);
    expect(rows[0]?.data_directory).toMatch(/vaultlet-pg-/);
  });
});

describe("password authentication", () => {
  it("lets a login role in with the right password only", async () => {
    const role = db.roleName("login");
    const password = "c0rrect horse';battery";
    await db.query(`CREATE ROLE ${role} LOGIN PASSWORD ${quoteLiteral(password)}`);

    const stored = await db.query<{ rolpassword: string }>(`SELECT rolpassword FROM pg_authid WHERE rolname = $1`, [role]);
    expect(stored.rows[0]?.rolpassword).toMatch(/^SCRAM-SHA-256\$/);

    const client = await db.connectAs(role, password);
    const { rows } = await client.query<{ who: string; db: string }>("SELECT current_user AS who, current_database() AS db");
    expect(rows[0]).toEqual({ who: role, db: db.name });

    await expect(db.connectAs(role, "wrong password")).rejects.toMatchObject({ code: "28P01" });
    // pg refuses an empty password client-side, in the middle of the SASL
    // exchange. connectAs must still close the socket, or the half-authenticated
    // backend blocks DROP DATABASE in afterAll until authentication_timeout.
    await expect(db.connectAs(role, "")).rejects.toThrow(/client password must be/);
    await expect(db.connectAs(db.roleName("missing"), password)).rejects.toMatchObject({ code: "28P01" });
  });

  it("rejects a role without LOGIN", async () => {
    const role = db.roleName("nologin");
    await db.query(`CREATE ROLE ${role} NOLOGIN PASSWORD 'pw'`);
    await expect(db.connectAs(role, "pw")).rejects.toMatchObject({ code: "28000" });
  });
});

describe("isolation", () => {
  it("gives each useTestDatabase() call its own database", async () => {
    expect(other.name).not.toBe(db.name);
    expect(other.rolePrefix).not.toBe(db.rolePrefix);
    await db.query("CREATE TABLE only_here (id int)");
    const here = await db.query(`SELECT to_regclass('only_here') IS NOT NULL AS present`);
    const there = await other.query(`SELECT current_database() AS name, to_regclass('only_here') IS NOT NULL AS present`);
    expect(here.rows[0]).toEqual({ present: true });
    expect(there.rows[0]).toEqual({ name: other.name, present: false });
  });

  it("creates and drops extra databases, even with open connections", async () => {
    const extra = await createDatabase(db.adminUrl);
    expect(extra.name).not.toBe(db.name);
    const role = db.roleName("extra");
    await db.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
    await db.query(`GRANT CONNECT ON DATABASE ${extra.name} TO ${role}`);
    const url = new URL(extra.url);
    url.username = role;
    url.password = "pw";
    const { default: pg } = await import("pg");
    const lingering = new pg.Client({ connectionString: url.toString() });
    lingering.on("error", () => {});
    await lingering.connect();

    await extra.drop();
    await extra.drop(); // idempotent
    const { rows } = await db.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [extra.name]);
    expect(rows).toHaveLength(0);
    await lingering.end().catch(() => {});
  });

  it("reuses a running server through PG_URL semantics (stop is a no-op)", async () => {
    const server = await startPostgres({ url: db.adminUrl });
    expect(server.kind).toBe("env");
    await server.stop();
    const { rows } = await db.query<{ one: number }>("SELECT 1 AS one");
    expect(rows[0]?.one).toBe(1);
  });
});

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
