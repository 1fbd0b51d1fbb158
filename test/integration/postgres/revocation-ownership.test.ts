/**
 * Revocation never touches a role the engine did not create (issue 11, item 7), against a real
 * PostgreSQL: lease records tampered to name another role are refused, nothing dropped.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, type TestDatabase } from "../../support/database.js";
import { FAST_REVOCATION, openEngineFixture, type EngineFixture } from "../../support/engine-fixture.js";
import { createPostgresPlugin, type DatabasePlugin } from "../../../src/index.js";

const db = useTestDatabase();
let fx: EngineFixture<TestDatabase>;

beforeEach(async () => {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", revocation: FAST_REVOCATION });
});

afterEach(async () => {
  await fx.engine.close();
});

/** Rewrites the stored lease `leaseId`'s internal data with `change`, then restarts (no cached copy). */
async function tamper(leaseId: string, change: (internal: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  const key = (await fx.storage.list("")).find((k) => k.endsWith(leaseId));
  const allKeys = key ? [key] : await findLeaseKeys(leaseId);
  expect(allKeys.length).toBeGreaterThan(0);
  for (const k of allKeys) {
    const stored = JSON.parse(new TextDecoder().decode((await fx.storage.get(k))!)) as { internal: Record<string, unknown> };
    await fx.storage.put(k, new TextEncoder().encode(JSON.stringify({ ...stored, internal: change(stored.internal) })));
  }
  await fx.restart();
}

async function findLeaseKeys(leaseId: string): Promise<string[]> {
  const keys: string[] = [];
  for (const k of await fx.storage.list("")) {
    const text = new TextDecoder().decode((await fx.storage.get(k)) ?? new Uint8Array());
    if (text.includes(leaseId) && text.includes('"internal"')) keys.push(k);
  }
  return keys;
}

/** Revokes and lets the retries run out; returns the lease's lookup. */
async function revokeAndSettle(leaseId: string): Promise<Record<string, unknown> | undefined> {
  await fx.root.write("sys/leases/revoke", { lease_id: leaseId }).catch(() => undefined);
  for (let i = 0; i < 8; i++) await fx.clock.advance("10s");
  const lookup = await fx.root.write("sys/leases/lookup", { lease_id: leaseId }).catch(() => undefined);
  return lookup?.data as Record<string, unknown> | undefined;
}

describe("revocation checks the role is the one this lease created", () => {
  it("does not drop the connection's own user when a lease is tampered to name it", async () => {
    const creds = await fx.issue("readonly");
    await tamper(creds.leaseId, (internal) => ({ ...internal, username: db.user }));
    const lookup = await revokeAndSettle(creds.leaseId);
    expect(await fx.roleExists(db.user)).toBe(true);
    expect(lookup).toMatchObject({ state: "irrevocable", last_error: expect.stringMatching(/connection's own user.*nothing was dropped/) });
    await db.query(`DROP ROLE "${creds.username}"`);
  });

  it("does not renew (set VALID UNTIL on) the connection's own user through a tampered lease", async () => {
    const creds = await fx.issue("readonly");
    await tamper(creds.leaseId, (internal) => ({ ...internal, username: db.user }));
    await expect(fx.root.write("sys/leases/renew", { lease_id: creds.leaseId, increment: "30m" })).rejects.toThrow(/connection's own user/);
    const { rows } = await db.query<{ until: string | null }>("SELECT rolvaliduntil AS until FROM pg_roles WHERE rolname = current_user");
    expect(rows[0]!.until).toBeNull();
  });

  it("does not drop an existing superuser, nor an ordinary role it did not create", async () => {
    for (const attributes of ["SUPERUSER NOLOGIN", "NOLOGIN"]) {
      const victim = db.roleName("victim");
      await db.query(`CREATE ROLE "${victim}" ${attributes}`);
      const creds = await fx.issue("readonly");
      await tamper(creds.leaseId, (internal) => ({ ...internal, username: victim }));
      const lookup = await revokeAndSettle(creds.leaseId);
      expect(await fx.roleExists(victim)).toBe(true);
      expect(lookup).toMatchObject({ state: "irrevocable", last_error: expect.stringMatching(/not created by this lease/) });
      await db.query(`DROP ROLE "${victim}"`);
      await db.query(`DROP ROLE "${creds.username}"`);
    }
  });

  it("does not drop another lease's role", async () => {
    const mine = await fx.issue("readonly");
    const other = await fx.issue("readonly");
    await tamper(mine.leaseId, (internal) => ({ ...internal, username: other.username }));
    await revokeAndSettle(mine.leaseId);
    expect(await fx.roleExists(other.username)).toBe(true);
    await fx.root.write("sys/leases/revoke", { lease_id: other.leaseId });
    expect(await fx.roleExists(other.username)).toBe(false);
    await db.query(`DROP ROLE "${mine.username}"`);
  });

  it("revokes a lease from before markers (none recorded), but never a superuser through one", async () => {
    const legacy = await fx.issue("readonly");
    await db.query(`COMMENT ON ROLE "${legacy.username}" IS NULL`); // as a role created before markers
    await tamper(legacy.leaseId, ({ marker: _marker, ...internal }) => internal);
    await fx.root.write("sys/leases/revoke", { lease_id: legacy.leaseId });
    expect(await fx.roleExists(legacy.username)).toBe(false);

    const victim = db.roleName("victim");
    await db.query(`CREATE ROLE "${victim}" SUPERUSER NOLOGIN`);
    const tampered = await fx.issue("readonly");
    await tamper(tampered.leaseId, ({ marker: _marker, ...internal }) => ({ ...internal, username: victim }));
    const lookup = await revokeAndSettle(tampered.leaseId);
    expect(await fx.roleExists(victim)).toBe(true);
    expect(lookup).toMatchObject({ state: "irrevocable", last_error: expect.stringMatching(/superuser/) });
    await db.query(`DROP ROLE "${victim}"`);
    await db.query(`DROP ROLE "${tampered.username}"`);
  });

  it("still revokes a role the lease created as a superuser", async () => {
    await fx.root.write("database/roles/super", { db_name: "pg", creation_statements: `CREATE ROLE "{{name}}" SUPERUSER NOLOGIN` });
    const creds = await fx.issue("super");
    await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
    expect(await fx.roleExists(creds.username)).toBe(false);
  });

  it("refuses creation statements that do not create the lease's role, leaving nothing behind", async () => {
    await fx.root.write("database/roles/elsewhere", { db_name: "pg", creation_statements: `CREATE ROLE "{{name}}_x" NOLOGIN` });
    await expect(fx.root.read("database/creds/elsewhere")).rejects.toThrow(/did not create the database user/);
    const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM pg_roles WHERE rolname LIKE 'v-root-elsewhe%'");
    expect(Number(rows[0]!.n)).toBe(0);
  });
});

describe("creation guards, on the plugin itself (a template cannot render a fixed name)", () => {
  let plugin: DatabasePlugin;
  const expiration = new Date(Date.now() + 3600_000);
  const commentOf = async (name: string) =>
    (await db.query<{ c: string | null }>("SELECT pg_catalog.shobj_description(oid, 'pg_authid') AS c FROM pg_roles WHERE rolname = $1", [name])).rows[0]?.c;

  beforeEach(async () => {
    plugin = createPostgresPlugin();
    await plugin.initialize({ connectionUrl: db.url, maxOpenConnections: 2 }, { verifyConnection: true });
  });
  afterEach(async () => {
    await plugin.close();
  });

  it("never takes over an existing role, even with statements that would not fail on one", async () => {
    const name = `guard-existing-${Date.now()}`;
    await db.query(`CREATE ROLE "${name}" NOLOGIN`);
    const request = { username: name, password: "Pw-1234567890-abcdef", expiration, marker: "marker-existing-1", statements: [`ALTER ROLE "{{name}}" LOGIN`], rollbackStatements: [] };
    await expect(plugin.newUser(request)).rejects.toThrow(/already exists; the engine only creates new users/);
    const { rows } = await db.query<{ rolcanlogin: boolean }>("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", [name]);
    expect(rows[0]!.rolcanlogin).toBe(false);
    expect(await commentOf(name)).toBeNull();
    await db.query(`DROP ROLE "${name}"`);
  });

  it("tags an ordinary role with the lease's marker, and a superuser with the superuser's tag", async () => {
    const plain = `guard-plain-${Date.now()}`;
    const superuser = `guard-super-${Date.now()}`;
    await plugin.newUser({ username: plain, password: "Pw-1234567890-abcdef", expiration, marker: "marker-plain-1", statements: [`CREATE ROLE "{{name}}" LOGIN PASSWORD '{{password}}'`], rollbackStatements: [] });
    await plugin.newUser({ username: superuser, password: "Pw-1234567890-abcdef", expiration, marker: "marker-super-1", statements: [`CREATE ROLE "{{name}}" SUPERUSER NOLOGIN`], rollbackStatements: [] });
    expect(await commentOf(plain)).toBe("vaultlet-lease:marker-plain-1");
    expect(await commentOf(superuser)).toBe("vaultlet-lease:marker-super-1:superuser");
    await plugin.deleteUser({ username: plain, statements: [], marker: "marker-plain-1" });
    await plugin.deleteUser({ username: superuser, statements: [], marker: "marker-super-1" });
    const { rows } = await db.query("SELECT 1 FROM pg_roles WHERE rolname = ANY($1)", [[plain, superuser]]);
    expect(rows).toEqual([]);
  });

  it("reports a creation error that is not a guard's as it is", async () => {
    const name = `guard-error-${Date.now()}`;
    await expect(
      plugin.newUser({ username: name, password: "Pw-1234567890-abcdef", expiration, marker: "marker-error-1", statements: [`CREATE ROLE "{{name}}" LOGIN`, "SELECT 'x'::int"], rollbackStatements: [] }),
    ).rejects.toThrow(/creating the database user failed.*invalid input syntax/);
    expect((await db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name])).rows).toEqual([]);
  });
});

describe("username_template", () => {
  it("refuses a template that can render a fixed name", async () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const collapse = [...alphabet].map((c) => ` | replace "${c}" ""`).join("");
    await expect(fx.root.write("database/config/pg", { username_template: `${db.user}{{random 8${collapse}}}` })).rejects.toMatchObject({
      code: "invalid_request",
    });
    expect(await fx.roleExists(db.user)).toBe(true);
  });
});
