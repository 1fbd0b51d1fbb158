/**
 * `<db>/rotate-root/<name>`, against a real PostgreSQL, with a dedicated admin user (rotating the
 * harness's own superuser would break the other tests).
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { MemoryStorage, PluginError, createPostgresPlugin } from "../../../src/index.js";
import { useTestDatabase, type TestDatabase } from "../../support/database.js";
import { CREATE_LOGIN, connectionConfig, openEngineFixture, type EngineFixture } from "../../support/engine-fixture.js";

const db = useTestDatabase();
let fx: EngineFixture<TestDatabase>;
let admin: string;
const ADMIN_PASSWORD = "Initial-admin-pw-1";

/** The stored config of `pg`, straight from storage (a test may look at what reads never show). */
async function storedConfig(storage: MemoryStorage): Promise<{ key: string; value: Record<string, unknown> }> {
  const key = (await storage.list("")).find((k) => k.endsWith("/config/pg"))!;
  return { key, value: JSON.parse(new TextDecoder().decode(await storage.get(key))) as Record<string, unknown> };
}

let storage: MemoryStorage;

beforeEach(async () => {
  admin = db.roleName("root");
  await db.query(`CREATE ROLE "${admin}" LOGIN SUPERUSER PASSWORD '${ADMIN_PASSWORD}'`);
  storage = new MemoryStorage();
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false, config: connectionConfig(db, { user: admin, password: ADMIN_PASSWORD }), storage });
  await fx.root.write("database/roles/plain", { db_name: "pg", creation_statements: CREATE_LOGIN });
});

afterEach(async () => {
  await fx.engine.close();
});

it("rotates the root password: the old one stops working, the engine keeps working, the new one is never readable", async () => {
  await fx.issue("plain");
  await fx.root.write("database/rotate-root/pg", {});
  await expect(db.connectAs(admin, ADMIN_PASSWORD)).rejects.toMatchObject({ code: "28P01" });
  const creds = await fx.issue("plain");
  await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
  expect(await fx.roleExists(creds.username)).toBe(false);
  const read = await fx.root.read("database/config/pg");
  const { value } = await storedConfig(storage);
  expect(JSON.stringify(read)).not.toContain(value.password as string);
  expect(value.password).not.toBe(ADMIN_PASSWORD);
  expect(value.pending_root_password).toBeUndefined();
});

it("uses root_rotation_statements", async () => {
  await fx.root.write("database/config/pg", {
    root_rotation_statements: [`ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}'`, `COMMENT ON ROLE "{{username}}" IS 'rotated'`],
  });
  await fx.root.write("database/rotate-root/pg", {});
  const { rows } = await db.query<{ c: string }>("SELECT shobj_description(oid, 'pg_authid') AS c FROM pg_roles WHERE rolname = $1", [admin]);
  expect(rows[0]!.c).toBe("rotated");
  await fx.issue("plain");
});

it("a rotation the database refuses keeps the old password and leaves nothing pending (PluginError.refused)", async () => {
  await fx.root.write("database/config/pg", {
    root_rotation_statements: [`ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}'`, `SELECT '{{password}}'::int`],
  });
  const error = await fx.root.write("database/rotate-root/pg", {}).catch((err: unknown) => err);
  expect(error).toBeInstanceOf(PluginError);
  expect(error).toMatchObject({ refused: true });
  const { value } = await storedConfig(storage);
  expect(value.password).toBe(ADMIN_PASSWORD);
  expect(value.pending_root_password).toBeUndefined();
  await (await db.connectAs(admin, ADMIN_PASSWORD)).end();
});

it("recovers from a crash between changing the password and recording it", async () => {
  // The crash: the database has the pending password, the config still the old one.
  const { key, value } = await storedConfig(storage);
  const pending = "Pending-pw-after-crash-9";
  await storage.put(key, new TextEncoder().encode(JSON.stringify({ ...value, pending_root_password: pending })));
  await db.query(`ALTER ROLE "${admin}" PASSWORD '${pending}'`);
  await fx.restart();
  const creds = await fx.issue("plain");
  expect(await fx.roleExists(creds.username)).toBe(true);
  const settled = (await storedConfig(storage)).value;
  expect(settled.password).toBe(pending);
  expect(settled.pending_root_password).toBeUndefined();
});

it("a crash before the database changed keeps the old password", async () => {
  const { key, value } = await storedConfig(storage);
  await storage.put(key, new TextEncoder().encode(JSON.stringify({ ...value, pending_root_password: "Never-applied-pw-1" })));
  await fx.issue("plain");
  const settled = (await storedConfig(storage)).value;
  expect(settled.password).toBe(ADMIN_PASSWORD);
  expect(settled.pending_root_password).toBeUndefined();
});

it("refuses to rotate a config whose URL carries the password itself", async () => {
  await fx.root.write("database/config/inline", {
    ...connectionConfig(db),
    connection_url: db.urlFor(admin, ADMIN_PASSWORD),
    username: undefined,
    password: undefined,
  });
  await expect(fx.root.write("database/rotate-root/inline", {})).rejects.toMatchObject({ code: "invalid_request" });
  await (await db.connectAs(admin, ADMIN_PASSWORD)).end();
});

it("lets credential operations in flight finish when rotate-root replaces the pool", async () => {
  await fx.root.write("database/roles/slow", {
    db_name: "pg",
    creation_statements: [CREATE_LOGIN, "SELECT pg_sleep(0.3)", `COMMENT ON ROLE "{{name}}" IS 'second statement'`],
  });
  const inFlight = fx.issue("slow");
  await new Promise((resolve) => setImmediate(resolve)); // let it check out a connection
  await fx.root.write("database/rotate-root/pg", {});
  const creds = await inFlight;
  expect(await fx.roleExists(creds.username)).toBe(true);
  await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
  expect(await fx.roleExists(creds.username)).toBe(false);
});

it("closing the plugin waits for operations in flight and refuses new ones", async () => {
  const plugin = createPostgresPlugin();
  await plugin.initialize({ connectionUrl: db.url, maxOpenConnections: 2 }, { verifyConnection: true });
  const name = db.roleName("inflight");
  await db.query(`CREATE ROLE "${name}" LOGIN`);
  const revoking = plugin.deleteUser({ username: name, statements: [] }); // several round trips
  const closing = plugin.close();
  await expect(revoking).resolves.toBeUndefined();
  await closing;
  expect(await fx.roleExists(name)).toBe(false);
  await expect(plugin.renewUser({ username: name, expiration: new Date(), statements: [] })).rejects.toMatchObject({ code: "plugin_error" });
});
