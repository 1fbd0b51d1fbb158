/**
 * Static roles: an existing user whose password the engine rotates, against a real PostgreSQL,
 * with an injected clock.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { useTestDatabase, type TestDatabase } from "../../support/database.js";
import { openEngineFixture, type EngineFixture } from "../../support/engine-fixture.js";

const db = useTestDatabase();
let fx: EngineFixture<TestDatabase>;
let user: string;

interface StaticCreds {
  username: string;
  password: string;
  ttl: number;
  last_vault_rotation: string;
}

const creds = async () => (await fx.root.read<StaticCreds>("database/static-creds/app")).data!;

async function canLogin(password: string): Promise<boolean> {
  try {
    await (await db.connectAs(user, password)).end();
    return true;
  } catch {
    return false;
  }
}

beforeEach(async () => {
  user = db.roleName("static");
  await db.query(`CREATE ROLE "${user}" LOGIN PASSWORD 'Original-pw-1'`);
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false });
});

afterEach(async () => {
  await fx.engine.close();
});

it("takes over an existing user: sets a password at once, then rotates it on its period", async () => {
  await fx.root.write("database/static-roles/app", { db_name: "pg", username: user, rotation_period: "1h" });
  const first = await creds();
  expect(first.username).toBe(user);
  expect(first.ttl).toBe(3600);
  expect(new Date(first.last_vault_rotation).getTime()).toBe(fx.clock.now());
  expect(await canLogin("Original-pw-1")).toBe(false);
  expect(await canLogin(first.password)).toBe(true);

  await fx.clock.advance("59m");
  expect((await creds()).password).toBe(first.password);
  expect((await creds()).ttl).toBe(60);
  await fx.clock.advance("2m");
  const second = await creds();
  expect(second.password).not.toBe(first.password);
  expect(await canLogin(first.password)).toBe(false);
  expect(await canLogin(second.password)).toBe(true);
  expect(second.ttl).toBe(3600 - 60);
});

it("rotates on a cron rotation_schedule", async () => {
  fx.clock.set(Date.UTC(2026, 0, 1, 10, 20));
  await fx.root.write("database/static-roles/app", { db_name: "pg", username: user, rotation_schedule: "0 */6 * * *" });
  const first = await creds();
  expect(first.ttl).toBe(100 * 60); // until 12:00 UTC
  await fx.clock.advance("1h39m");
  expect((await creds()).password).toBe(first.password);
  await fx.clock.advance("2m");
  const second = await creds();
  expect(second.password).not.toBe(first.password);
  expect(second.ttl).toBe(6 * 3600 - 60);
  expect(await canLogin(second.password)).toBe(true);
});

it("rotate-role rotates now", async () => {
  await fx.root.write("database/static-roles/app", { db_name: "pg", username: user, rotation_period: "24h" });
  const first = await creds();
  await fx.clock.advance("1h");
  await fx.root.write("database/rotate-role/app", {});
  const second = await creds();
  expect(second.password).not.toBe(first.password);
  expect(second.ttl).toBe(24 * 3600);
  expect(await canLogin(second.password)).toBe(true);
});

it("retries a failed rotation with backoff, keeping the current password and the user", async () => {
  await db.query("CREATE TABLE rotation_log (username text)");
  await fx.root.write("database/static-roles/app", {
    db_name: "pg",
    username: user,
    rotation_period: "1h",
    rotation_statements: [`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}'`, `INSERT INTO rotation_log VALUES ('{{name}}')`],
  });
  const first = await creds();
  await db.query("DROP TABLE rotation_log");
  await fx.clock.advance("1h");
  expect((await creds()).password).toBe(first.password);
  expect(await canLogin(first.password)).toBe(true);
  expect((await creds()).ttl).toBe(10);
  await db.query("CREATE TABLE rotation_log (username text)");
  await fx.clock.advance("10s");
  const second = await creds();
  expect(second.password).not.toBe(first.password);
  expect(await canLogin(second.password)).toBe(true);
});

it("deleting a static role never drops the user", async () => {
  await fx.root.write("database/static-roles/app", { db_name: "pg", username: user, rotation_period: "1h" });
  const { password } = await creds();
  await fx.root.delete("database/static-roles/app");
  await fx.clock.advance("2h");
  expect(await fx.roleExists(user)).toBe(true);
  expect(await canLogin(password)).toBe(true);
});

it("a static role for a user that does not exist is a clear error, and nothing is stored", async () => {
  const error = await fx.root
    .write("database/static-roles/ghost", { db_name: "pg", username: "no_such_user_here", rotation_period: "1h" })
    .catch((e: unknown) => e);
  expect(error).toMatchObject({ code: "plugin_error", message: expect.stringMatching(/"no_such_user_here" does not exist/) });
  await expect(fx.root.read("database/static-roles/ghost")).rejects.toMatchObject({ status: 404 });
  expect(fx.clock.pendingTimers).toBe(0);
});

it.each([
  [{ rotation_period: "1h", rotation_schedule: "0 * * * *" }, /either rotation_period or rotation_schedule/],
  [{}, /rotation_period .* or rotation_schedule is required/],
  [{ rotation_schedule: "61 * * * *" }, /outside 0-59/],
  [{ rotation_period: "1h", rotation_statements: "ALTER ROLE {{nmae}}" }, /unknown template variable \{\{nmae\}\}/],
])("rejects bad settings %j", async (settings, message) => {
  await expect(fx.root.write("database/static-roles/app", { db_name: "pg", username: user, ...settings })).rejects.toMatchObject({
    code: "invalid_request",
    message: expect.stringMatching(message),
  });
  expect(await canLogin("Original-pw-1")).toBe(true);
});

it("refuses to manage the connection's own user", async () => {
  await expect(fx.root.write("database/static-roles/app", { db_name: "pg", username: db.user, rotation_period: "1h" })).rejects.toMatchObject({
    code: "invalid_request",
  });
});

it("refuses the connection's admin given only in connection_url, and its password keeps working", async () => {
  await fx.root.write("database/config/admin-url", { plugin_name: "postgresql-database-plugin", connection_url: db.url, allowed_roles: "*" });
  for (const username of [db.user, db.user.toUpperCase(), `"${db.user}"`]) {
    await expect(fx.root.write("database/static-roles/admin", { db_name: "admin-url", username, rotation_period: "1h" })).rejects.toMatchObject({
      code: "invalid_request",
    });
  }
  await (await db.connectAs(db.user, db.password)).end();
  const read = await fx.root.read<{ connection_details: { connection_url: string } }>("database/config/admin-url");
  expect(read.data!.connection_details.connection_url).not.toContain(db.password);
});

it("after a crash mid-rotation, sets a fresh password before handing one out", async () => {
  await fx.root.write("database/static-roles/app", { db_name: "pg", username: user, rotation_period: "1h" });
  const first = await creds();
  const key = (await fx.storage.list("")).find((k) => k.endsWith("/static-role/app"))!;
  const stored = JSON.parse(new TextDecoder().decode(await fx.storage.get(key))) as Record<string, unknown>;
  await fx.storage.put(key, new TextEncoder().encode(JSON.stringify({ ...stored, pending_password: "Lost-in-crash-pw-1" })));
  await db.query(`ALTER ROLE "${user}" PASSWORD 'Lost-in-crash-pw-1'`); // the database took it, the record did not
  await fx.restart();
  const after = await creds();
  expect(after.password).not.toBe(first.password);
  expect(after.password).not.toBe("Lost-in-crash-pw-1");
  expect(await canLogin(after.password)).toBe(true);
});
