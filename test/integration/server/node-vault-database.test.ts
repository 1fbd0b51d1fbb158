/**
 * node-vault walks the database engine's Vault-parity endpoints over the example HTTP server, on a
 * real PostgreSQL (issue 12 item 5): a keyword/value DSN, Vault's default username template, the
 * config read's shape, statements read back as written, `reload`, `reset`, `rotate-root`, static
 * roles with `skip_import_rotation` and a cron macro.
 */
import { afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import nodeVault from "node-vault";
import { Engine, ManualClock, MemoryStorage } from "../../../src/index.js";
import { useTestDatabase } from "../../support/database.js";
import { serveOnLoopback, type RunningServer } from "../../server/serve.js";

const db = useTestDatabase();
let engine: Engine;
let server: RunningServer;
let vault: nodeVault.client;
let admin: { user: string; password: string };
let appUser: string;

const VAULT_DEFAULT_TEMPLATE = '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}';
const CREATION = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT CONNECT ON DATABASE "${"{{db}}"}" TO "{{name}}";`;

beforeAll(async () => {
  admin = { user: db.roleName("nvadmin"), password: "adm 'in\\pass" };
  appUser = db.roleName("nvapp");
  await db.query(`CREATE ROLE "${admin.user}" WITH LOGIN SUPERUSER PASSWORD '${admin.password.replace(/'/g, "''")}'`);
  await db.query(`CREATE ROLE "${appUser}" WITH LOGIN PASSWORD 'initial'`);
});

beforeEach(async () => {
  engine = await Engine.open({ storage: new MemoryStorage(), clock: new ManualClock() });
  const { rootToken } = await engine.initialize();
  server = await serveOnLoopback(engine);
  vault = nodeVault({ endpoint: server.address, token: rootToken });
  await vault.mount({ mount_point: "database", type: "database" });
});

afterEach(async () => {
  await server.close();
  await engine.close();
});

it("configures with a keyword/value DSN and Vault's default template, and reads back Vault's shape", async () => {
  await vault.write("database/config/pg", {
    plugin_name: "postgresql-database-plugin",
    allowed_roles: "*",
    connection_url: `host=${db.host} port=${db.port} dbname=${db.name} user={{username}} password={{password}} sslmode=disable`,
    username: admin.user,
    password: admin.password,
    username_template: VAULT_DEFAULT_TEMPLATE,
    max_open_connections: 3,
    max_idle_connections: 1,
    max_connection_lifetime: "1h",
    root_rotation_statements: [`ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}';`],
  });
  const config = await vault.read("database/config/pg");
  expect(config.data).toMatchObject({
    plugin_name: "postgresql-database-plugin",
    plugin_version: "",
    allowed_roles: ["*"],
    root_credentials_rotate_statements: [`ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}';`],
    connection_details: { username: admin.user, max_open_connections: 3, max_idle_connections: 1, max_connection_lifetime: "3600s", username_template: VAULT_DEFAULT_TEMPLATE },
  });
  expect(JSON.stringify(config)).not.toContain("in\\\\pass");

  const creation = CREATION.replace("{{db}}", db.name);
  await vault.write("database/roles/app", { db_name: "pg", creation_statements: creation, default_ttl: "1h" });
  expect((await vault.read("database/roles/app")).data).toMatchObject({ creation_statements: [creation], credential_type: "password" });
  const creds = await vault.read("database/creds/app");
  expect(creds.data.username).toMatch(/^v-root-app-[A-Za-z0-9]{20}-\d{10}$/);
  await (await db.connectAs(creds.data.username as string, creds.data.password as string)).end();

  expect((await vault.write("database/reload/postgresql-database-plugin", {})).data).toEqual({ connections: ["pg"], count: 1 });
  await vault.write("database/reset/pg", {});
  await vault.write("database/rotate-root/pg", {});
  await expect(db.connectAs(admin.user, admin.password)).rejects.toMatchObject({ code: "28P01" });
  // The engine still works on the rotated password.
  await vault.read("database/creds/app");
});

it("refuses what PostgreSQL cannot do, with a 400 naming it", async () => {
  const refused = async (path: string, data: Record<string, unknown>) =>
    ((await vault.write(path, data).then(() => expect.fail("should be refused"), (e: unknown) => e)) as nodeVault.ApiResponseError).response.statusCode;
  const url = `postgresql://{{username}}:{{password}}@127.0.0.1:1,${db.host}:${db.port}/${db.name}`;
  expect(await refused("database/config/multi", { plugin_name: "postgresql-database-plugin", connection_url: url, username: db.user, password: db.password })).toBe(400);
  await vault.write("database/config/pg", { plugin_name: "postgresql-database-plugin", allowed_roles: "*", connection_url: db.url });
  expect(await refused("database/roles/x", { db_name: "pg", creation_statements: "SELECT 1", credential_type: "rsa_private_key" })).toBe(400);
  expect(await refused("database/config/pg", { max_connection_lifetime: "bogus" })).toBe(400);
});

it("static role: skip_import_rotation keeps the password until rotate-role; @daily is a schedule", async () => {
  await vault.write("database/config/pg", { plugin_name: "postgresql-database-plugin", allowed_roles: "*", connection_url: db.url });
  await vault.write("database/static-roles/app", { db_name: "pg", username: appUser, rotation_schedule: "@daily", rotation_window: "2h", skip_import_rotation: true });
  await (await db.connectAs(appUser, "initial")).end();
  expect((await vault.read("database/static-roles/app")).data).toMatchObject({ rotation_schedule: "@daily", rotation_window: 7200, skip_import_rotation: true, last_vault_rotation: null });
  await vault.write("database/rotate-role/app", {});
  const creds = await vault.read("database/static-creds/app");
  await (await db.connectAs(appUser, creds.data.password as string)).end();
  await expect(db.connectAs(appUser, "initial")).rejects.toMatchObject({ code: "28P01" });
});
