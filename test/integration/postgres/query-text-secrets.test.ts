/**
 * Issue 20 item 3: no password, and no SCRAM verifier, is ever readable in `pg_stat_activity`,
 * against a real PostgreSQL — read by a monitoring credential the engine itself issued (a member
 * of `pg_monitor`, which sees every session's query text), while and after the engine issues
 * credentials, rotates a static role and rotates its root password.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import type pg from "pg";
import { MemoryStorage } from "../../../src/index.js";
import { useTestDatabase, type TestDatabase } from "../../support/database.js";
import { CREATE_LOGIN, connectionConfig, openEngineFixture, type EngineFixture } from "../../support/engine-fixture.js";

const db = useTestDatabase();
let fx: EngineFixture<TestDatabase>;
let storage: MemoryStorage;
let admin: string;
let staticUser: string;
/** Whether a watch saw a session of the engine (its admin user). */
let engineSeen = false;
const ADMIN_PASSWORD = "Initial-admin-pw-1";

/** What no query text may hold: any verifier (whatever its password), and every password we learn. */
const VERIFIER = /SCRAM-SHA-256\$/;

const MONITOR = [CREATE_LOGIN, `GRANT pg_monitor TO "{{name}}";`];

beforeEach(async () => {
  admin = db.roleName("root");
  staticUser = db.roleName("static");
  // A dedicated admin, so that rotating root leaves the harness's superuser alone.
  await db.query(`CREATE ROLE "${admin}" LOGIN SUPERUSER PASSWORD '${ADMIN_PASSWORD}'`);
  await db.query(`CREATE ROLE "${staticUser}" LOGIN PASSWORD 'Original-static-pw-1'`);
  storage = new MemoryStorage();
  engineSeen = false;
  fx = await openEngineFixture({
    database: db,
    connection: "pg",
    allowedRoles: "*",
    role: false,
    storage,
    config: connectionConfig(db, { user: admin, password: ADMIN_PASSWORD }),
  });
  await fx.root.write("database/roles/monitor", { db_name: "pg", creation_statements: MONITOR });
  await fx.root.write("database/roles/plain", { db_name: "pg", creation_statements: CREATE_LOGIN });
});

afterEach(async () => {
  await fx.engine.close();
});

/** The root password the engine holds now, straight from storage (a read never shows it). */
async function storedRootPassword(): Promise<string> {
  const key = (await storage.list("")).find((k) => k.endsWith("/config/pg"))!;
  return (JSON.parse(new TextDecoder().decode(await storage.get(key))) as { password: string }).password;
}

/**
 * Reads the query text of every other session on this database as `monitor`, over and over until
 * stopped, so that statements still running are seen too (not only what idle connections keep).
 */
function watchQueryTexts(monitor: pg.Client): { stop(): Promise<Set<string>> } {
  const seen = new Set<string>();
  let stopped = false;
  const read = async () => {
    const { rows } = await monitor.query<{ usename: string; query: string | null }>(
      "SELECT usename, query FROM pg_catalog.pg_stat_activity WHERE datname = current_database() AND pid <> pg_catalog.pg_backend_pid()",
    );
    for (const row of rows) if (row.query) seen.add(row.query);
    // The monitor does see the engine's sessions' texts (without pg_read_all_stats: "<insufficient privilege>").
    if (rows.some((row) => row.usename === admin && row.query === "<insufficient privilege>")) throw new Error("the monitor cannot read query texts");
    if (rows.some((row) => row.usename === admin)) engineSeen = true;
  };
  const loop = (async () => {
    while (!stopped) await read();
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await read(); // what the idle connections keep, once everything is done
      return seen;
    },
  };
}

/** The texts among `seen` that hold a verifier or one of `secrets`. */
function leaks(seen: Set<string>, secrets: readonly string[]): string[] {
  return [...seen].filter((text) => VERIFIER.test(text) || secrets.some((secret) => text.includes(secret)));
}

it("a pg_monitor credential the engine issued sees no password or verifier while the engine issues, rotates and rotates root", async () => {
  const monitorCreds = await fx.issue("monitor");
  const monitor = await db.connectAs(monitorCreds.username, monitorCreds.password);
  const { rows } = await monitor.query<{ member: boolean }>("SELECT pg_catalog.pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS member");
  expect(rows[0]!.member).toBe(true);
  const secrets = [monitorCreds.password, ADMIN_PASSWORD];

  const watch = watchQueryTexts(monitor);
  const issued = await Promise.all(Array.from({ length: 12 }, () => fx.issue("plain")));
  issued.push(...(await Promise.all(Array.from({ length: 2 }, () => fx.issue("monitor")))));
  await fx.root.write("database/static-roles/app", { db_name: "pg", username: staticUser, rotation_period: "1h" });
  const first = (await fx.root.read<{ password: string }>("database/static-creds/app")).data!.password;
  await fx.root.write("database/rotate-role/app", {});
  const second = (await fx.root.read<{ password: string }>("database/static-creds/app")).data!.password;
  await fx.root.write("database/rotate-root/pg", {});
  const root = await storedRootPassword();
  issued.push(await fx.issue("plain")); // on the pool that logs in with the new root password
  await fx.root.write("sys/leases/renew", { lease_id: issued[0]!.leaseId, increment: "2h" });
  await fx.root.write("sys/leases/revoke", { lease_id: issued[1]!.leaseId });
  const seen = await watch.stop();

  secrets.push(...issued.map((creds) => creds.password), first, second, root);
  expect(root).not.toBe(ADMIN_PASSWORD);
  expect(engineSeen).toBe(true);
  expect(leaks(seen, secrets)).toEqual([]);

  // Everything the engine set still logs in.
  for (const creds of issued.slice(2)) await (await db.connectAs(creds.username, creds.password)).end();
  await (await db.connectAs(staticUser, second)).end();
  await (await db.connectAs(admin, root)).end();
});

it("custom rotation statements and root rotation statements keep their password out of the query text too", async () => {
  const monitorCreds = await fx.issue("monitor");
  const monitor = await db.connectAs(monitorCreds.username, monitorCreds.password);
  await fx.root.write("database/config/pg", {
    root_rotation_statements: [`ALTER USER "{{username}}" WITH PASSWORD '{{password}}'`, `COMMENT ON ROLE "{{username}}" IS 'rotated'`],
  });
  await fx.root.write("database/static-roles/app", {
    db_name: "pg",
    username: staticUser,
    rotation_period: "1h",
    rotation_statements: [`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}'`, `ALTER ROLE "{{name}}" CONNECTION LIMIT 5`],
  });
  const watch = watchQueryTexts(monitor);
  await fx.root.write("database/rotate-role/app", {});
  const rotated = (await fx.root.read<{ password: string }>("database/static-creds/app")).data!.password;
  await fx.root.write("database/rotate-root/pg", {});
  const root = await storedRootPassword();
  await fx.issue("plain");
  const seen = await watch.stop();

  expect(leaks(seen, [rotated, root, monitorCreds.password])).toEqual([]);
  await (await db.connectAs(staticUser, rotated)).end();
  await (await db.connectAs(admin, root)).end();
});

it("sends a SCRAM verifier by default: a session that would store md5 stores SCRAM, and the password logs in", async () => {
  // md5 for the engine's sessions: a plaintext PASSWORD would be stored as md5, a verifier as SCRAM.
  const url = `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.name}?options=-c%20password_encryption%3Dmd5`;
  await fx.root.write("database/config/pg", { connection_url: url });
  expect((await fx.root.read<{ connection_details: { password_authentication: string } }>("database/config/pg")).data!.connection_details.password_authentication).toBe(
    "scram-sha-256",
  );
  const creds = await fx.issue("plain");
  const { rows } = await db.query<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [creds.username]);
  expect(rows[0]!.rolpassword).toMatch(/^SCRAM-SHA-256\$256:/); // the default policy's passwords: too strong to guess
  await (await db.connectAs(creds.username, creds.password)).end();
});

it("with the opt-out password_authentication = password, the plaintext still never stays in the query text", async () => {
  const monitorCreds = await fx.issue("monitor");
  const monitor = await db.connectAs(monitorCreds.username, monitorCreds.password);
  await fx.root.write("database/config/pg", { password_authentication: "password" });
  const watch = watchQueryTexts(monitor);
  const issued = await Promise.all(Array.from({ length: 6 }, () => fx.issue("plain")));
  const seen = await watch.stop();
  expect(leaks(seen, issued.map((creds) => creds.password))).toEqual([]);
  for (const creds of issued) await (await db.connectAs(creds.username, creds.password)).end();
});

it("a creation statement whose error quotes the verifier: the error names neither the password nor the verifier", async () => {
  await fx.root.write("database/config/pg", { password_authentication: "scram-sha-256" });
  await fx.root.write("database/roles/quoting", { db_name: "pg", creation_statements: [CREATE_LOGIN, `SELECT '{{password}}'::int`] });
  const error = (await fx.root.read("database/creds/quoting").catch((err: unknown) => err)) as Error;
  expect(error.message).toMatch(/invalid input syntax for type integer/);
  expect(error.message).not.toMatch(VERIFIER);
  expect(error.message).toContain("[redacted]");
  // The failed creation left nothing behind in the idle connections either.
  const { rows } = await db.query<{ query: string }>("SELECT query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
  expect(rows.filter((row) => VERIFIER.test(row.query ?? ""))).toEqual([]);
});
