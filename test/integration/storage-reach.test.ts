/**
 * Issue 20, item 2: no credential the engine issues reaches its `PostgresStorage` through a granted
 * role — `pg_read_all_data`/`pg_write_all_data` (PostgreSQL 14+), membership in the storage's
 * owner, a superuser role — whether the grant is written plainly (refused at the role write), hidden
 * in a `DO` block (the creation rolls back), or made later by hand (the storage refuses to open,
 * and its periodic check reports it and stops serving until it is undone).
 *
 * Roles are cluster-wide and other test files run beside this one: a login role that could read
 * every database would make their storages refuse too. So the roles this file leaves standing,
 * even briefly, reach only this file's own database (a grant on one of its tables), or cannot log in.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Engine, InvalidRequestError, ManualClock, MemoryStorage, PostgresStorage, type Logger, type PostgresStorageOptions } from "../../src/index.js";
import { createDatabase, type CreatedDatabase } from "../../src/testing/postgres/databases.js";
import { useTestDatabase } from "../support/database.js";
import { CREATE_LOGIN, openEngineFixture, sealedForTest, type EngineFixture } from "../support/engine-fixture.js";
import type { TestDatabase } from "../support/database.js";

const db = useTestDatabase();
const engines: Engine[] = [];
const storages: PostgresStorage[] = [];
let major = 0;
let schemas = 0;

beforeAll(async () => {
  const { rows } = await db.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v");
  major = Math.floor(rows[0]!.v / 10000);
});

afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
  await Promise.all(storages.splice(0).map((storage) => storage.close()));
});

/** A storage in a schema of its own (so each test sees only its own tables' grants). */
function storageOn(url: string, options: Pick<PostgresStorageOptions, "trustedRoles" | "exposureCheckIntervalMs"> = {}): PostgresStorage {
  const storage = new PostgresStorage({ connectionString: url, schema: `reach_${++schemas}`, ...options });
  storages.push(storage);
  return storage;
}

/** An engine on `storage` whose connection `pg` logs in to this file's database as the superuser. */
async function engineOn(storage: PostgresStorage | MemoryStorage): Promise<EngineFixture<TestDatabase>> {
  const fx = await openEngineFixture({
    database: db,
    storage: storage instanceof MemoryStorage ? storage : sealedForTest(storage),
    clock: new ManualClock(),
    connection: "pg",
    allowedRoles: "*",
    role: false,
  });
  engines.push(fx.engine);
  return fx;
}

/** Writes role `name` with `statements`; resolves to the error, or undefined when it was accepted. */
async function writeRole(fx: EngineFixture<TestDatabase>, name: string, statements: string[]): Promise<{ status?: number; code?: string; message: string } | undefined> {
  return fx.root.write(`database/roles/${name}`, { db_name: "pg", creation_statements: statements, default_ttl: "1h" }).then(
    () => undefined,
    (err: { status?: number; code?: string; message: string }) => err,
  );
}

/** Database users this file's engines created for role `role` (the default template: `v-root-<role>-…`). */
async function usersOf(role: string): Promise<string[]> {
  const { rows } = await db.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE $1", [`v-root-${role.slice(0, 8)}-%`]);
  return rows.map((row) => row.rolname);
}

/** The ids of the leases under `database/creds/<role>/` (none: the list is a 404). */
async function leasesOf(fx: EngineFixture<TestDatabase>, role: string): Promise<string[]> {
  const listed = await fx.root.list(`sys/leases/lookup/database/creds/${role}/`).catch(() => undefined);
  return ((listed?.data as { keys?: string[] } | undefined)?.keys ?? []).slice();
}

describe("a role write that grants a role reaching the storage is refused with a 400 naming the grant", () => {
  it("pg_read_all_data and pg_write_all_data, in any spelling (PostgreSQL 14+)", async (ctx) => {
    ctx.skip(major < 14, "pg_read_all_data and pg_write_all_data exist from PostgreSQL 14");
    const fx = await engineOn(storageOn(db.url));
    const grants: Array<[string, string[]]> = [
      ["pg_read_all_data", [CREATE_LOGIN, `GRANT pg_read_all_data TO "{{name}}"`]],
      ["pg_write_all_data", [CREATE_LOGIN, `grant "pg_write_all_data" to "{{name}}" with inherit true`]],
      ["pg_read_all_data", [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' IN ROLE PG_READ_ALL_DATA`]],
      ["pg_read_all_data", [CREATE_LOGIN, `GRANT pg_monitor, /* the second one */ pg_read_all_data TO "{{name}}"`]],
    ];
    for (const [grant, statements] of grants) {
      const refused = await writeRole(fx, "reader", statements);
      expect(refused, statements.join(" ")).toMatchObject({ status: 400, code: "credential_reaches_storage" });
      expect(refused!.message).toContain(grant);
    }
    await expect(fx.root.read("database/roles/reader")).rejects.toMatchObject({ status: 404 });
  });

  it("membership in the storage's owner (here the connection's superuser), on every major", async () => {
    const fx = await engineOn(storageOn(db.url));
    for (const statements of [
      [CREATE_LOGIN, `GRANT "${db.user}" TO "{{name}}"`],
      [`CREATE USER "{{name}}" PASSWORD '{{password}}' IN GROUP ${db.user}`],
    ]) {
      const refused = await writeRole(fx, "owner", statements);
      expect(refused, statements.join(" ")).toMatchObject({ status: 400, code: "credential_reaches_storage" });
      expect(refused!.message).toContain(db.user);
    }
  });

  it("membership in a storage owner that is not a superuser, and grants on the storage's schema", async () => {
    const owner = db.roleName("owner");
    await db.query(`CREATE ROLE "${owner}" LOGIN PASSWORD 'owner-pw'; GRANT CREATE ON DATABASE "${db.name}" TO "${owner}"`);
    const storage = storageOn(db.urlFor(owner, "owner-pw"));
    const fx = await engineOn(storage);
    const refused = await writeRole(fx, "member", [CREATE_LOGIN, `GRANT "${owner}" TO "{{name}}"`]);
    expect(refused).toMatchObject({ status: 400, code: "credential_reaches_storage" });
    expect(refused!.message).toContain(owner);
    const schema = `reach_${schemas}`;
    const onSchema = await writeRole(fx, "schema", [CREATE_LOGIN, `GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO "{{name}}"`]);
    expect(onSchema).toMatchObject({ status: 400, code: "credential_reaches_storage" });
    expect(onSchema!.message).toContain(schema);
    // The seed's grant on the app's schema is fine.
    expect(await writeRole(fx, "readonly", [CREATE_LOGIN, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}"`])).toBeUndefined();
  });

  it("a static role on a user that reaches the storage (its owner), or whose rotation grants the owner", async () => {
    const owner = db.roleName("owner");
    const app = db.roleName("app");
    await db.query(`CREATE ROLE "${owner}" LOGIN PASSWORD 'owner-pw'; GRANT CREATE ON DATABASE "${db.name}" TO "${owner}"; CREATE ROLE "${app}" LOGIN PASSWORD 'app-pw'`);
    const fx = await engineOn(storageOn(db.urlFor(owner, "owner-pw")));
    const onOwner = await fx.root.write("database/static-roles/owner", { db_name: "pg", username: owner, rotation_period: "1h" }).catch((err) => err);
    expect(onOwner).toMatchObject({ status: 400, code: "credential_reaches_storage" });
    expect(onOwner.message).toMatch(new RegExp(`^username: .*${owner}`));
    const granting = await fx.root
      .write("database/static-roles/app", {
        db_name: "pg",
        username: app,
        rotation_period: "1h",
        rotation_statements: [`ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}'`, `GRANT "${owner}" TO "{{name}}"`],
      })
      .catch((err) => err);
    expect(granting).toMatchObject({ status: 400, code: "credential_reaches_storage" });
    expect(granting.message).toMatch(/^rotation_statements: /);
    // Nothing rotated: the user still logs in with its own password.
    await (await db.connectAs(app, "app-pw")).end();
  });

  it("a superuser credential, on the storage's server", async () => {
    const fx = await engineOn(storageOn(db.url));
    const refused = await writeRole(fx, "super", [`CREATE ROLE "{{name}}" SUPERUSER NOLOGIN`]);
    expect(refused).toMatchObject({ status: 400, code: "credential_reaches_storage" });
    expect(refused!.message).toContain("SUPERUSER");
  });

  it("accepts the same grants when the engine's storage is not on that server", async (ctx) => {
    const fx = await engineOn(new MemoryStorage());
    expect(await writeRole(fx, "owner", [CREATE_LOGIN, `GRANT "${db.user}" TO "{{name}}"`])).toBeUndefined();
    ctx.skip(major < 14, "pg_read_all_data exists from PostgreSQL 14");
    expect(await writeRole(fx, "reader", [CREATE_LOGIN, `GRANT pg_read_all_data TO "{{name}}"`])).toBeUndefined();
  });
});

describe("the storage in another database of the same server", () => {
  let other: CreatedDatabase;

  beforeAll(async () => {
    other = await createDatabase(db.adminUrl);
  });

  afterAll(async () => {
    await other?.drop();
  });

  it("is reached through membership wherever PUBLIC may connect to its database; not once CONNECT is revoked (PostgreSQL 14+)", async (ctx) => {
    const fx = await engineOn(storageOn(other.url));
    const owner = await writeRole(fx, "owner", [CREATE_LOGIN, `GRANT "${db.user}" TO "{{name}}"`]);
    expect(owner).toMatchObject({ status: 400, code: "credential_reaches_storage" });
    ctx.skip(major < 14, "pg_read_all_data exists from PostgreSQL 14");
    // Not a login role: a login member of pg_read_all_data would reach other test files' storages.
    const reader = [`CREATE ROLE "{{name}}" NOLOGIN IN ROLE pg_read_all_data`];
    expect(await writeRole(fx, "reader", reader)).toMatchObject({ status: 400, code: "credential_reaches_storage" });
    await db.query(`REVOKE CONNECT ON DATABASE "${other.name}" FROM PUBLIC`);
    try {
      expect(await writeRole(fx, "reader", reader)).toBeUndefined();
      const creds = await fx.issue("reader");
      await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
    } finally {
      await db.query(`GRANT CONNECT ON DATABASE "${other.name}" TO PUBLIC`);
    }
  });
});

describe("a grant the role write cannot see is refused when the credential is created", () => {
  it("membership in the owner granted from a DO block: the creds read fails, no user and no lease left behind", async () => {
    const fx = await engineOn(storageOn(db.url));
    await fx.root.write("database/roles/evasion", {
      db_name: "pg",
      creation_statements: [CREATE_LOGIN, `DO $$ BEGIN EXECUTE format('GRANT %I TO %I', current_user, '{{name}}'); END $$`],
      default_ttl: "1h",
    });
    await expect(fx.root.read("database/creds/evasion")).rejects.toMatchObject({ status: 400, code: "credential_reaches_storage" });
    expect(await usersOf("evasion")).toEqual([]);
    expect(await leasesOf(fx, "evasion")).toEqual([]);
  });

  it("pg_read_all_data spelled in pieces inside a DO block (PostgreSQL 14+)", async (ctx) => {
    ctx.skip(major < 14, "pg_read_all_data exists from PostgreSQL 14");
    const fx = await engineOn(storageOn(db.url));
    await fx.root.write("database/roles/pieces", {
      db_name: "pg",
      creation_statements: [CREATE_LOGIN, `DO $$ BEGIN EXECUTE 'GRANT pg_read' || '_all_data TO ' || quote_ident('{{name}}'); END $$`],
      default_ttl: "1h",
    });
    const refused = await fx.root.read("database/creds/pieces").catch((err: { status?: number; code?: string; message: string }) => err);
    expect(refused).toMatchObject({ status: 400, code: "credential_reaches_storage" });
    expect((refused as { message: string }).message).toContain("pg_read_all_data");
    expect(await usersOf("pieces")).toEqual([]);
    expect(await leasesOf(fx, "pieces")).toEqual([]);
  });

  it("a holder with quotes and a backslash in its name: ordinary credentials still issue, a hidden grant of it is refused", async () => {
    const storage = storageOn(db.url);
    const fx = await engineOn(storage);
    const odd = `${db.rolePrefix}o"dd'\\x`;
    const schema = `reach_${schemas}`;
    await db.query(`CREATE ROLE "${odd.replace(/"/g, '""')}" NOLOGIN; GRANT USAGE ON SCHEMA "${schema}" TO "${odd.replace(/"/g, '""')}"; GRANT SELECT ON "${schema}".vaultlet_storage TO "${odd.replace(/"/g, '""')}"`);
    try {
      await fx.root.write("database/roles/plain", { db_name: "pg", creation_statements: [CREATE_LOGIN] });
      const creds = await fx.issue("plain"); // the role write refreshed the holders: the odd name is among them
      await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
      const hidden = `DO $$ BEGIN EXECUTE format('GRANT %I TO %I', ${"$n$"}${odd}${"$n$"}, '{{name}}'); END $$`;
      await fx.root.write("database/roles/odd", { db_name: "pg", creation_statements: [CREATE_LOGIN, hidden] }).catch(() => undefined);
      const refused = await fx.root.read("database/creds/odd").catch((err: { code?: string; message: string }) => err);
      expect(refused).toMatchObject({ code: "credential_reaches_storage" });
      expect(await usersOf("odd")).toEqual([]);
    } finally {
      await db.query(`DROP OWNED BY "${odd.replace(/"/g, '""')}"; DROP ROLE "${odd.replace(/"/g, '""')}"`);
    }
  });

  it("still issues the credentials a role meant to give", async () => {
    await db.query("CREATE TABLE IF NOT EXISTS products (id int)");
    const fx = await engineOn(storageOn(db.url));
    await fx.root.write("database/roles/app", { db_name: "pg", creation_statements: [CREATE_LOGIN, `GRANT SELECT ON products TO "{{name}}"`] });
    const creds = await fx.issue("app");
    const session = await db.connectAs(creds.username, creds.password);
    expect((await session.query("SELECT count(*)::int AS n FROM products")).rows).toEqual([{ n: 0 }]);
    await fx.root.write("sys/leases/revoke", { lease_id: creds.leaseId });
  });
});

describe("a login role that reaches the storage's tables", () => {
  /** A login role granted SELECT on `storage`'s records (which reaches this file's database only). */
  async function reader(schema: string): Promise<string> {
    const name = db.roleName("reader");
    await db.query(`CREATE ROLE "${name}" LOGIN PASSWORD 'reader-pw'; GRANT USAGE ON SCHEMA "${schema}" TO "${name}"; GRANT SELECT ON "${schema}".vaultlet_storage TO "${name}"`);
    return name;
  }

  async function dropRole(name: string): Promise<void> {
    await db.query(`DROP OWNED BY "${name}"; DROP ROLE "${name}"`);
  }

  it("makes the storage refuse to open, naming it; trustedRoles lets it be", async () => {
    const first = storageOn(db.url);
    await first.list("");
    const schema = `reach_${schemas}`;
    const name = await reader(schema);
    try {
      const storage = new PostgresStorage({ connectionString: db.url, schema });
      storages.push(storage);
      const refused = await Engine.open({ storage: sealedForTest(storage), clock: new ManualClock() }).catch((err: { code?: string; message: string }) => err);
      expect(refused).toMatchObject({ code: "storage_exposed" });
      expect((refused as { message: string }).message).toContain(name);
      const trusting = new PostgresStorage({ connectionString: db.url, schema, trustedRoles: [name] });
      storages.push(trusting);
      const engine = await Engine.open({ storage: sealedForTest(trusting), clock: new ManualClock() });
      engines.push(engine);
      await engine.initialize();
    } finally {
      await dropRole(name);
    }
  });

  it("granted after open, is reported by the periodic check, and the storage serves nothing until it is revoked", async () => {
    const storage = storageOn(db.url, { exposureCheckIntervalMs: 50 });
    const logged: Array<{ fields: object; message?: string }> = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (fields, message) => logged.push({ fields, message }) };
    const engine = await Engine.open({ storage: sealedForTest(storage), clock: new ManualClock(), logger });
    engines.push(engine);
    const root = engine.client((await engine.initialize()).rootToken);
    const reported = new Promise<{ roles: string[] }>((resolve) => engine.on("storage.exposed", resolve));
    const name = await reader(`reach_${schemas}`);
    try {
      const { roles } = await Promise.race([reported, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no storage.exposed event")), 10_000))]);
      expect(roles).toContain(name);
      expect(logged.some(({ fields }) => JSON.stringify(fields).includes(name))).toBe(true);
      await expect(root.write("sys/policy/after", { policy: 'path "x" { capabilities = ["read"] }' })).rejects.toMatchObject({ code: "storage_exposed" });
    } finally {
      await dropRole(name);
    }
    await root.write("sys/policy/after", { policy: 'path "x" { capabilities = ["read"] }' });
  });
});

it("refuses malformed trustedRoles and exposureCheckIntervalMs", () => {
  for (const options of [{ trustedRoles: [""] }, { trustedRoles: "backup" }, { exposureCheckIntervalMs: -1 }, { exposureCheckIntervalMs: 1.5 }, { exposureCheckIntervalMs: 2 ** 31 }]) {
    expect(() => new PostgresStorage({ connectionString: "postgresql://nowhere/db", ...(options as object) }), JSON.stringify(options)).toThrow(InvalidRequestError);
  }
});
