/**
 * The ways to connect the PostgreSQL plugin: URL, object, inline TLS, the host's own pool; and a
 * pool that runs credential operations in parallel.
 */
import { afterEach, expect, it } from "vitest";
import { Engine, ManualClock, MemoryStorage, postgresPlugin } from "../../../src/index.js";
import { useTestDatabase, type TestDatabase } from "../../support/database.js";
import { CREATE_LOGIN, openEngineFixture, type EngineFixture } from "../../support/engine-fixture.js";

const db = useTestDatabase();
let fx: EngineFixture<TestDatabase> | undefined;

afterEach(async () => {
  await fx?.engine.close();
  fx = undefined;
});

const objectConfig = () => ({
  connection_url: "",
  host: db.host,
  port: db.port,
  database: db.name,
  username: db.user,
  password: db.password,
});

it("connects with host, port, database, username and password instead of a URL", async () => {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false, config: objectConfig() });
  await fx.root.write("database/roles/plain", { db_name: "pg", creation_statements: CREATE_LOGIN });
  const creds = await fx.issue("plain");
  await (await db.connectAs(creds.username, creds.password)).end();
  const read = await fx.root.read("database/config/pg");
  expect(read.data!.connection_details).toMatchObject({ host: db.host, port: db.port, database: db.name, connection_url: "" });
  expect(JSON.stringify(read)).not.toContain(db.password);
});

it.each([
  ["a keyword/value string", () => `host=${db.host} port=${db.port} dbname=${db.name} user={{username}} password={{password}} connect_timeout=5 keepalives=1 keepalives_idle=30`],
  ["a URL", () => `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}?connect_timeout=5&keepalives=0`],
])("connects with %s that sets connect_timeout and keepalives (which the plugin applies itself)", async (_what, url) => {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false, config: { connection_url: url(), username: db.user, password: db.password } });
  await fx.root.write("database/roles/plain", { db_name: "pg", creation_statements: CREATE_LOGIN });
  const creds = await fx.issue("plain");
  await (await db.connectAs(creds.username, creds.password)).end();
});

it("refuses a config with neither a URL nor a host, or with both, storing nothing", async () => {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false });
  await expect(fx.root.write("database/config/none", { plugin_name: "postgresql-database-plugin" })).rejects.toMatchObject({
    code: "invalid_request",
    message: expect.stringMatching(/connection_url or host is required/),
  });
  await expect(fx.root.write("database/config/both", { ...objectConfig(), plugin_name: "postgresql-database-plugin", connection_url: db.url })).rejects.toMatchObject({
    code: "invalid_request",
  });
  await expect(fx.root.read("database/config/none")).rejects.toMatchObject({ status: 404 });
  await expect(fx.root.read("database/config/both")).rejects.toMatchObject({ status: 404 });
});

it("uses inline TLS material (this test server has no TLS, so the TLS request is what fails), never showing the key", async () => {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false });
  const key = "-----BEGIN PRIVATE KEY-----\nU2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----";
  const error = await fx.root
    .write("database/config/tls", { ...objectConfig(), plugin_name: "postgresql-database-plugin", tls_ca: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----", private_key: key })
    .catch((e: unknown) => e);
  expect(error).toMatchObject({ code: "plugin_error", message: expect.stringMatching(/does not support SSL/) });
  expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain("U2VjcmV0");
});

it("runs on the host's own pg.Pool, and leaves it open on close", async () => {
  const clock = new ManualClock();
  const engine = await Engine.open({
    storage: new MemoryStorage(),
    clock,
    plugins: [postgresPlugin({ name: "host-postgres", pool: db.pool })],
  });
  const root = engine.client((await engine.initialize()).rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/app", { plugin_name: "host-postgres", allowed_roles: "*" });
  await root.write("database/roles/plain", { db_name: "app", creation_statements: CREATE_LOGIN });
  const creds = await root.read<{ username: string; password: string }>("database/creds/plain");
  await (await db.connectAs(creds.data!.username, creds.data!.password)).end();
  await root.write("sys/leases/revoke", { lease_id: creds.lease_id });
  await expect(root.write("database/rotate-root/app", {})).rejects.toMatchObject({ code: "invalid_request" });
  await engine.close();
  await expect(db.pool.query("SELECT 1 AS one")).resolves.toMatchObject({ rows: [{ one: 1 }] });
});

it("runs credential operations in parallel up to max_open_connections (no global lock)", async () => {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false, config: { max_open_connections: 4 } });
  await fx.root.write("database/roles/slow", { db_name: "pg", creation_statements: [CREATE_LOGIN, "SELECT pg_sleep(0.4)"] });
  await fx.issue("slow"); // warm the pool's first connection
  const started = performance.now();
  await Promise.all([1, 2, 3, 4].map(() => fx!.issue("slow")));
  expect(performance.now() - started).toBeLessThan(4 * 400 * 0.75);
});
