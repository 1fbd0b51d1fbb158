/**
 * The seed guide ("Secret as a Service: Dynamic Secrets"), every step, against a real PostgreSQL.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Engine, ManualClock, MemoryStorage, NotFoundError, type Client } from "../../src/index.js";
import { useTestDatabase } from "../support/database.js";
import { READONLY_SQL } from "../../examples/seed-guide.js";
import { connectionConfigFor } from "../support/engine-fixture.js";

const db = useTestDatabase();

interface Creds {
  username: string;
  password: string;
}

let engine: Engine;
let clock: ManualClock;
let root: Client;

function connectionConfig() {
  return connectionConfigFor(db);
}

async function validUntil(username: string): Promise<Date | null> {
  const { rows } = await db.query<{ rolvaliduntil: Date | null }>("SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", [username]);
  if (rows.length === 0) throw new Error(`role ${username} does not exist`);
  return rows[0]!.rolvaliduntil;
}

async function roleExists(username: string): Promise<boolean> {
  const { rowCount } = await db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [username]);
  return rowCount === 1;
}

beforeAll(async () => {
  await db.query("CREATE TABLE products (id int PRIMARY KEY, name text)");
  await db.query("INSERT INTO products VALUES (1, 'widget')");
});

beforeEach(async () => {
  clock = new ManualClock();
  engine = await Engine.open({ storage: new MemoryStorage(), clock });
  const { rootToken } = await engine.initialize();
  root = engine.client(rootToken);
  // Step 1: mount the database secrets engine.
  await root.write("sys/mounts/database", { type: "database" });
  // Step 2: configure the PostgreSQL connection.
  await root.write("database/config/postgresql", connectionConfig());
  // Step 3: create the readonly role.
  await root.write("database/roles/readonly", {
    db_name: "postgresql",
    creation_statements: READONLY_SQL,
    default_ttl: "1h",
    max_ttl: "24h",
  });
});

afterEach(async () => {
  await engine.close();
});

describe("seed scenario against real PostgreSQL", () => {
  it("Step 4: issues a unique PostgreSQL user per read, which can log in and SELECT but not INSERT", async () => {
    const first = await root.read<Creds>("database/creds/readonly");
    const second = await root.read<Creds>("database/creds/readonly");
    expect(first.data!.username).not.toBe(second.data!.username);
    expect(first.lease_duration).toBe(3600);
    const client = await db.connectAs(first.data!.username, first.data!.password);
    const { rows } = await client.query("SELECT name FROM products");
    expect(rows).toEqual([{ name: "widget" }]);
    await expect(client.query("INSERT INTO products VALUES (2, 'gadget')")).rejects.toMatchObject({ code: "42501" });
    await expect(db.connectAs(first.data!.username, "wrong-password")).rejects.toMatchObject({ code: "28P01" });
  });

  it("Validation (2): the role's VALID UNTIL equals the lease expiry", async () => {
    const creds = await root.read<Creds>("database/creds/readonly");
    const lease = await root.write("sys/leases/lookup", { lease_id: creds.lease_id });
    const expiry = new Date(lease.data!.expire_time as string).getTime();
    expect(Math.abs((await validUntil(creds.data!.username))!.getTime() - expiry)).toBeLessThan(2000);
  });

  it("Validation (3): renewing moves both the lease and VALID UNTIL", async () => {
    const creds = await root.read<Creds>("database/creds/readonly");
    const before = (await validUntil(creds.data!.username))!.getTime();
    await clock.advance("30m");
    const renewed = await root.write("sys/leases/renew", { lease_id: creds.lease_id, increment: "1h" });
    expect(renewed.lease_duration).toBe(3600);
    const after = (await validUntil(creds.data!.username))!.getTime();
    expect(after - before).toBeGreaterThan(29 * 60_000);
    expect(Math.abs(after - (clock.now() + 3600_000))).toBeLessThan(2000);
  });

  it("Validation (4): revoking drops the role and the login fails", async () => {
    const creds = await root.read<Creds>("database/creds/readonly");
    const session = await db.connectAs(creds.data!.username, creds.data!.password);
    await root.write("sys/leases/revoke", { lease_id: creds.lease_id });
    expect(await roleExists(creds.data!.username)).toBe(false);
    await expect(db.connectAs(creds.data!.username, creds.data!.password)).rejects.toMatchObject({ code: "28P01" });
    await expect(session.query("SELECT 1")).rejects.toThrow(); // its open session was terminated
  });

  it("Validation (4, -prefix=true): revoke-prefix revokes every lease of the role", async () => {
    const users: string[] = [];
    for (let i = 0; i < 3; i++) users.push((await root.read<Creds>("database/creds/readonly")).data!.username);
    await root.write("sys/leases/revoke-prefix/database/creds/readonly", {});
    for (const user of users) expect(await roleExists(user)).toBe(false);
    await expect(root.list("sys/leases/lookup/database/creds/readonly")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("revokes the lease and drops the role when the clock passes the TTL", async () => {
    const creds = await root.read<Creds>("database/creds/readonly");
    await clock.advance("59m");
    expect(await roleExists(creds.data!.username)).toBe(true);
    await clock.advance("2m");
    expect(await roleExists(creds.data!.username)).toBe(false);
  });

  it("revocation is idempotent: a user already dropped by hand still revokes cleanly", async () => {
    const creds = await root.read<Creds>("database/creds/readonly");
    await db.query(`DROP OWNED BY "${creds.data!.username}"; DROP ROLE "${creds.data!.username}"`);
    await expect(root.write("sys/leases/revoke", { lease_id: creds.lease_id })).resolves.toMatchObject({ data: null });
  });
});

describe("bad input against real PostgreSQL", () => {
  it("creation SQL failing mid-way leaves no role and no lease", async () => {
    await root.write("database/roles/readonly", {
      creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`, "GRANT SELECT ON no_such_table TO \"{{name}}\""],
    });
    const rolesBefore = await db.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-root-readonly-%'");
    const error = await root.read("database/creds/readonly").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "plugin_error", message: expect.stringMatching(/no_such_table/) });
    const rolesAfter = await db.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-root-readonly-%'");
    expect(rolesAfter.rowCount).toBe(rolesBefore.rowCount);
    await expect(root.list("sys/leases/lookup/database/creds/readonly")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("an unreachable database is a clear error without the password, and stores nothing", async () => {
    const config = { ...connectionConfig(), connection_url: "postgresql://{{username}}:{{password}}@127.0.0.1:1/nowhere", password: "Sup3r-secret-pw" };
    const error = (await root.write("database/config/broken", config).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: "plugin_error", message: expect.stringMatching(/could not connect/) });
    expect(`${error.message} ${String(error.stack)} ${JSON.stringify(error)}`).not.toContain("Sup3r-secret-pw");
    await expect(root.read("database/config/broken")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("a wrong admin password is a clear error without the password", async () => {
    const config = { ...connectionConfig(), password: "Definitely-wrong-pw" };
    const error = (await root.write("database/config/wrong", config).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: "plugin_error" });
    expect(`${error.message} ${String(error.stack)}`).not.toContain("Definitely-wrong-pw");
  });

  it("no generated password or token appears in errors on failure paths", async () => {
    const creds = await root.read<Creds>("database/creds/readonly");
    // PostgreSQL echoes the bad value of a failed cast: here, the generated password.
    await root.write("database/roles/readonly", { creation_statements: [`SELECT '{{password}}'::int`] });
    const errors: unknown[] = [];
    errors.push(await root.read("database/creds/readonly").catch((e: unknown) => e));
    errors.push(await root.write("sys/leases/renew", { lease_id: "database/creds/readonly/none" }).catch((e: unknown) => e));
    errors.push(await engine.client("vls.not-a-real-token").read("sys/mounts").catch((e: unknown) => e));
    const text = errors.map((e) => `${(e as Error).message} ${(e as Error).stack} ${JSON.stringify(e)}`).join("\n");
    expect(errors.every((e) => e instanceof Error)).toBe(true);
    expect((errors[0] as Error).message).toMatch(/invalid input syntax.*\[redacted\]/);
    expect(text).not.toMatch(/"[A-Za-z0-9-]{20}"/);
    expect(text).not.toContain(creds.data!.password);
    expect(text).not.toContain(connectionConfig().password);
    expect(text).not.toContain("vls.not-a-real-token");
  });
});
