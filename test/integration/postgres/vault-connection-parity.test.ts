/**
 * Vault's connection settings against a real PostgreSQL (issue 12 item 5): keyword/value DSNs,
 * multi-host URLs refused at write, `disable_escaping`, the pool settings (counted as backends in
 * `pg_stat_activity`), `reload/:plugin_name`, and Vault's default username template.
 */
import { afterEach, beforeAll, expect, it } from "vitest";
import { useTestDatabase, type TestDatabase } from "../../support/database.js";
import { CREATE_LOGIN, openEngineFixture, type EngineFixture } from "../../support/engine-fixture.js";

const db = useTestDatabase();
let fx: EngineFixture<TestDatabase> | undefined;
/** An admin whose password needs quoting in a DSN and escaping in a URL. */
let admin: { user: string; password: string };

beforeAll(async () => {
  admin = { user: db.roleName("admin"), password: `p a'ss\\w=rd@%40:/?` };
  await db.query(`CREATE ROLE "${admin.user}" WITH LOGIN SUPERUSER PASSWORD '${admin.password.replace(/'/g, "''")}'`);
});

afterEach(async () => {
  await fx?.engine.close();
  fx = undefined;
});

/** A fixture with no connection yet beyond the seed's, and a role `app` on connection `pg`. */
async function engineWith(config: Record<string, unknown>): Promise<EngineFixture<TestDatabase>> {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false, config });
  await fx.root.write("database/roles/app", { db_name: "pg", creation_statements: CREATE_LOGIN });
  return fx;
}

/** Backends (connections) the server has for `applicationName`. */
async function backends(applicationName: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1", [applicationName]);
  return Number(rows[0]!.n);
}

const appName = (label: string) => `${db.rolePrefix}${label}`.slice(0, 60);

it("connects with a keyword/value DSN, the password filled in as one value whatever it holds", async () => {
  const f = await engineWith({
    connection_url: `host=${db.host} port=${db.port} dbname=${db.name} user={{username}} password={{password}} sslmode=disable`,
    username: admin.user,
    password: admin.password,
  });
  const creds = await f.issue("app");
  await (await db.connectAs(creds.username, creds.password)).end();
  const read = await f.root.read<{ connection_details: { connection_url: string } }>("database/config/pg");
  expect(read.data!.connection_details.connection_url).toContain("password={{password}}");
});

it("reads libpq quoting: single-quoted values with \\' and \\\\", async () => {
  const quoted = admin.password.replace(/\\/g, "\\\\").replace(/'/g, "\\'");
  const f = await engineWith({ connection_url: `host = ${db.host} port=${db.port} dbname='${db.name}' user='${admin.user}' password='${quoted}'` });
  await f.issue("app");
  const read = await f.root.read<{ connection_details: { connection_url: string } }>("database/config/pg");
  expect(read.data!.connection_details.connection_url).not.toContain("ss\\\\w=rd");
  expect(read.data!.connection_details.connection_url).toContain("password=*****");
});

it("refuses a keyword pg would ignore, naming it, and stores nothing", async () => {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false });
  const error = await fx.root
    .write("database/config/kw", { plugin_name: "postgresql-database-plugin", connection_url: `host=${db.host} port=${db.port} dbname=${db.name} krbsrvname=x` })
    .catch((e: unknown) => e);
  expect(error).toMatchObject({ status: 400, message: expect.stringMatching(/keyword "krbsrvname" is not supported/) });
  await expect(fx.root.read("database/config/kw")).rejects.toMatchObject({ status: 404 });
});

it.each([
  ["a URL host list, the first host a closed port", () => `postgresql://{{username}}:{{password}}@127.0.0.1:1,${db.host}:${db.port}/${db.name}`],
  ["a keyword host list", () => `host=127.0.0.1,${db.host} port=1,${db.port} dbname=${db.name} user={{username}} password={{password}}`],
])("refuses %s at write, saying several hosts are not supported", async (_label, url) => {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false });
  for (const verify of [true, false]) {
    const error = await fx.root
      .write("database/config/multi", { plugin_name: "postgresql-database-plugin", connection_url: url(), username: db.user, password: db.password, verify_connection: verify })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, message: expect.stringMatching(/several hosts \(h1,h2\) are not supported/) });
  }
  await expect(fx.root.read("database/config/multi")).rejects.toMatchObject({ status: 404 });
});

it("refuses target_session_attrs other than any (there is one host to choose from)", async () => {
  fx = await openEngineFixture({ database: db, connection: "pg", allowedRoles: "*", role: false });
  const url = `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}?target_session_attrs=read-write`;
  await expect(fx.root.write("database/config/tsa", { plugin_name: "postgresql-database-plugin", connection_url: url, username: db.user, password: db.password })).rejects.toMatchObject({
    status: 400,
    message: expect.stringMatching(/target_session_attrs other than "any" is not supported/),
  });
  await fx.root.write("database/config/tsa", { plugin_name: "postgresql-database-plugin", connection_url: url.replace("read-write", "any"), username: db.user, password: db.password });
});

it("disable_escaping puts the password into the URL as it is (Vault's rule), so an escaped one then fails", async () => {
  const url = `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}`;
  // Escaped (the default), the admin's password with `@%40:/?` connects.
  const f = await engineWith({ connection_url: url, username: admin.user, password: admin.password });
  await f.issue("app");
  // Unescaped, the same password breaks the URL: the write is refused, the old config kept.
  await expect(f.root.write("database/config/pg", { disable_escaping: true })).rejects.toMatchObject({ code: expect.stringMatching(/plugin_error|invalid_request/) });
  // A password already written URL-encoded works only unescaped.
  const encoded = encodeURIComponent(admin.password);
  await f.root.write("database/config/pg", { disable_escaping: true, password: encoded });
  await f.issue("app");
  await expect(f.root.write("database/config/pg", { disable_escaping: false, password: encoded })).rejects.toMatchObject({ code: "plugin_error" });
});

it("max_idle_connections caps the connections kept idle; max_open_connections the open ones", async () => {
  const capped = appName("idle1");
  const f = await engineWith({
    connection_url: `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}?application_name=${capped}`,
    username: db.user,
    password: db.password,
    max_open_connections: 3,
    max_idle_connections: 1,
  });
  let peak = 0;
  const watcher = setInterval(() => void backends(capped).then((n) => (peak = Math.max(peak, n))), 5);
  await Promise.all(Array.from({ length: 8 }, () => f.issue("app")));
  clearInterval(watcher);
  expect(peak).toBeLessThanOrEqual(3);
  await expect.poll(() => backends(capped)).toBe(1);

  // Uncapped (0 = as many as max_open_connections), the same load leaves more than one open.
  const open = appName("idle0");
  await f.root.write("database/config/pg", { connection_url: `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}?application_name=${open}`, max_idle_connections: 0 });
  await Promise.all(Array.from({ length: 8 }, () => f.issue("app")));
  expect(await backends(open)).toBeGreaterThan(1);
  expect(await backends(open)).toBeLessThanOrEqual(3);

  // Negative: none kept idle.
  const none = appName("idleneg");
  await f.root.write("database/config/pg", { connection_url: `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}?application_name=${none}`, max_idle_connections: -1 });
  await Promise.all(Array.from({ length: 4 }, () => f.issue("app")));
  await expect.poll(() => backends(none)).toBe(0);
});

it("max_connection_lifetime ends a connection once it is that old (pg's own timer: polled, not slept)", async () => {
  const name = appName("life");
  const f = await engineWith({
    connection_url: `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}?application_name=${name}`,
    username: db.user,
    password: db.password,
    max_connection_lifetime: "1s",
  });
  await f.issue("app");
  expect(await backends(name)).toBeGreaterThan(0);
  await expect.poll(() => backends(name), { timeout: 5000, interval: 100 }).toBe(0);
  await expect(f.root.write("database/config/pg", { max_connection_lifetime: "bogus" })).rejects.toMatchObject({ status: 400 });
});

it("reload/postgresql-database-plugin closes every connection of the plugin; they reopen on next use", async () => {
  const name = appName("reload");
  const f = await engineWith({
    connection_url: `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}?application_name=${name}`,
    username: db.user,
    password: db.password,
  });
  await f.issue("app");
  expect(await backends(name)).toBeGreaterThan(0);
  const response = await f.root.write<{ connections: string[]; count: number }>("database/reload/postgresql-database-plugin", {});
  expect(response!.data).toEqual({ connections: ["pg"], count: 1 });
  await expect.poll(() => backends(name)).toBe(0);
  const creds = await f.issue("app");
  await (await db.connectAs(creds.username, creds.password)).end();
});

it("Vault's documented PostgreSQL default username_template works unchanged", async () => {
  const template = '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}';
  const f = await engineWith({ username_template: template });
  const creds = await f.issue("app");
  expect(creds.username).toMatch(/^v-root-app-[A-Za-z0-9]{20}-\d{10}$/);
  await (await db.connectAs(creds.username, creds.password)).end();
  const read = await f.root.read<{ connection_details: { username_template: string } }>("database/config/pg");
  expect(read.data!.connection_details.username_template).toBe(template);
});
