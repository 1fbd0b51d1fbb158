/**
 * `npm run demo`: Vault's "Secret as a Service: Dynamic Secrets" guide, step by step, through
 * vaultlet's API against a real PostgreSQL.
 *
 * Uses PG_URL when set (a superuser URL); otherwise starts an embedded PostgreSQL from npm binaries
 * and removes it afterwards. Exits 0 when every step worked.
 */
import pg from "pg";
import { Engine, MemoryStorage, type Client } from "../src/index.js";
import { createDatabase, startPostgres, type PostgresServer } from "../test/support/postgres-server.js";
import { READONLY_SQL, APPS_POLICY } from "./seed-guide.js";

interface Creds {
  username: string;
  password: string;
}

const step = (title: string) => console.log(`\n── ${title}`);
const show = (label: string, value: unknown) => console.log(`   ${label.padEnd(16)} ${typeof value === "string" ? value : JSON.stringify(value)}`);

async function main(): Promise<void> {
  step("Prerequisite: a PostgreSQL server");
  const server = await startPostgres();
  show("server", `${server.kind} PostgreSQL on ${server.host}:${server.port}`);
  const app = await createDatabase(server, `myapp_${Date.now().toString(36)}`);
  const admin = new pg.Client({ connectionString: app.url });
  await admin.connect();
  let engine: Engine | undefined;
  try {
    await admin.query("CREATE TABLE products (id int PRIMARY KEY, name text); INSERT INTO products VALUES (1, 'widget')");
    show("database", `${app.name} with table products`);
    engine = await Engine.open({ storage: new MemoryStorage() });
    const { rootToken } = await engine.initialize();
    await runGuide(engine, engine.client(rootToken), server, app.name, admin);
  } finally {
    await engine?.close();
    await admin.end();
    await app.drop();
    await server.stop();
  }
  console.log("\nDone: every step of the guide worked.");
}

async function runGuide(engine: Engine, root: Client, server: PostgresServer, database: string, admin: pg.Client): Promise<void> {
  step("Step 1: mount the database secrets engine (admin)");
  await root.write("sys/mounts/database", { type: "database" });
  show("mounted", Object.keys((await root.read("sys/mounts")).data!));

  step("Step 2: configure the PostgreSQL connection (admin)");
  await root.write("database/config/postgresql", {
    plugin_name: "postgresql-database-plugin",
    allowed_roles: "readonly",
    connection_url: `postgresql://{{username}}:{{password}}@${server.host}:${server.port}/${database}`,
    username: server.user,
    password: server.password,
  });
  show("config", (await root.read("database/config/postgresql")).data);

  step("Step 3: create the readonly role (admin)");
  await root.write("database/roles/readonly", { db_name: "postgresql", creation_statements: READONLY_SQL, default_ttl: "1h", max_ttl: "24h" });
  show("role", (await root.read("database/roles/readonly")).data);

  step("Step 4: the apps policy and a token for the apps persona (admin)");
  await root.write("sys/policy/apps", { policy: APPS_POLICY });
  show("policy", APPS_POLICY.trim().replace(/\s+/g, " "));
  const { auth } = await root.write("auth/token/create", { policies: ["apps"] });
  show("token", `${auth!.client_token.slice(0, 8)}… (accessor ${auth!.accessor})`);
  show("token_policies", auth!.token_policies);
  show("token_duration", `${auth!.lease_duration}s, renewable: ${auth!.renewable}`);
  const apps = engine.client(auth!.client_token);

  step("Step 4: request PostgreSQL credentials as apps — twice, two different users");
  const first = await apps.read<Creds>("database/creds/readonly");
  const second = await apps.read<Creds>("database/creds/readonly");
  for (const creds of [first, second]) {
    show("lease_id", creds.lease_id);
    show("lease_duration", `${creds.lease_duration}s, renewable: ${creds.renewable}`);
    show("username", creds.data!.username);
    show("password", creds.data!.password);
  }
  if (first.data!.username === second.data!.username) throw new Error("expected two different users");
  const denied = await apps.write("database/roles/readonly", { db_name: "postgresql" }).then(() => "allowed?!", (e: Error) => e.message);
  show("apps writes role", denied);

  step("Validation: log in as the generated user and SELECT");
  const login = new pg.Client({ host: server.host, port: server.port, database, user: first.data!.username, password: first.data!.password });
  await login.connect();
  show("SELECT", (await login.query("SELECT name FROM products")).rows);
  const insert = await login.query("INSERT INTO products VALUES (2, 'x')").then(() => "allowed?!", (e: Error) => `refused (${e.message})`);
  show("INSERT", insert);
  await login.end();

  step("Validation: the role in PostgreSQL (like \\du)");
  await showRoles(admin);

  step("Validation: renew the lease");
  const renewed = await apps.write("sys/leases/renew", { lease_id: first.lease_id, increment: "1h" });
  show("lease_id", renewed.lease_id);
  show("lease_duration", `${renewed.lease_duration}s`);
  await showRoles(admin);

  step("Validation: revoke the lease");
  await root.write("sys/leases/revoke", { lease_id: first.lease_id });
  show("revoked", first.lease_id);
  await showRoles(admin);

  step("Validation: revoke every lease under database/creds/readonly (-prefix=true)");
  await root.read("database/creds/readonly");
  await root.write("sys/leases/revoke-prefix/database/creds/readonly", {});
  const left = await showRoles(admin);
  if (left > 0) throw new Error("generated users are left in PostgreSQL");
  show("result", "no generated user exists any more");
}

async function showRoles(admin: pg.Client): Promise<number> {
  const { rows } = await admin.query<{ rolname: string; rolvaliduntil: Date | null }>(
    "SELECT rolname, rolvaliduntil FROM pg_roles WHERE rolname LIKE 'v-%' ORDER BY rolname",
  );
  if (rows.length === 0) show("roles", "(no generated roles)");
  for (const row of rows) show("role", `${row.rolname} | Password valid until ${row.rolvaliduntil?.toISOString() ?? "infinity"}`);
  return rows.length;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
