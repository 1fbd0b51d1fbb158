/**
 * How the PostgreSQL plugin sends a transaction that holds a password (`pipelined-steps.ts`),
 * against a real server: in one round trip on a `pg` client, and step by step — with the same
 * outcome, run through the whole plugin contract — on a host pool that is not `pg`'s or on `pg` in
 * its own pipeline mode.
 */
import { afterAll, expect, it } from "vitest";
import pg from "pg";
import { createPostgresPlugin, postgresPlugin, type PostgresPool } from "../../../src/index.js";
import { databasePluginContract, type DatabasePluginContractTarget } from "../../../src/testing/index.js";
import { useTestDatabase } from "../../support/database.js";
import { runSteps } from "../../../src/secrets/database/plugins/postgres/pipelined-steps.js";
import { secretFreeSteps } from "../../../src/secrets/database/plugins/postgres/secret-statements.js";

const db = useTestDatabase();
const CREATE_LOGIN = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`;
const pools: pg.Pool[] = [];

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
});

/** A `pg.Pool` of the test database, ended after the file. */
function newPool(options: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: db.url, max: 2, ...options });
  pool.on("error", () => undefined);
  pools.push(pool);
  return pool;
}

/** A host pool shaped like `pg.Pool` whose clients only run text with values: not `pg`'s. */
function shapedLikePg(pool: pg.Pool): PostgresPool {
  return {
    query: (text, values) => pool.query(text, values),
    async connect() {
      const client = await pool.connect();
      return { query: (text, values) => client.query(text, values), release: (destroy) => client.release(destroy) };
    },
    end: async () => undefined,
  };
}

async function canLogin(user: string, password: string): Promise<boolean> {
  try {
    await (await db.connectAs(user, password)).end();
    return true;
  } catch {
    return false;
  }
}

/** The contract's target on a host pool (the test database's roles and a rollback table to look into). */
async function target(name: string, pool: PostgresPool): Promise<DatabasePluginContractTarget> {
  await db.query("CREATE TABLE IF NOT EXISTS contract_rollbacks (name text NOT NULL)");
  return {
    descriptor: postgresPlugin({ name, pool }),
    settings: { connectionUrl: "", maxOpenConnections: 2 },
    statements: {
      create: [CREATE_LOGIN],
      failing: `SELECT '{{password}}'::int`,
      rollback: [`INSERT INTO contract_rollbacks VALUES ('{{name}}')`],
      slow: "SELECT pg_sleep(0.2)",
    },
    usernamePrefix: db.rolePrefix,
    canLogin,
    userExists: async (user) => (await db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [user])).rowCount === 1,
    expiration: async (user) => {
      const { rows } = await db.query<{ rolvaliduntil: Date | null }>("SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", [user]);
      return rows[0]?.rolvaliduntil ?? undefined;
    },
    rollbackRan: async (user) => (await db.query("SELECT 1 FROM contract_rollbacks WHERE name = $1", [user])).rowCount === 1,
  };
}

databasePluginContract("postgresql-database-plugin on a host pool that is not pg's", () => target("shaped-postgres", shapedLikePg(newPool())));
databasePluginContract("postgresql-database-plugin on pg in pipeline mode", () => target("pipelining-postgres", newPool({ pipeline: true } as pg.PoolConfig)));

it("on a pg pool, a creation holding the verifier is one round trip, and a failed one leaves the connection usable", async () => {
  const pool = newPool({ max: 1 });
  let roundTrips = 0;
  pool.on("connect", (client) => (client as unknown as { connection: NodeJS.EventEmitter }).connection.on("readyForQuery", () => roundTrips++));
  await pool.query("SELECT 1");
  const plugin = createPostgresPlugin({ pool });
  await plugin.initialize({ connectionUrl: "", maxOpenConnections: 1 }, { verifyConnection: false });
  const expiration = new Date(Date.now() + 3_600_000);
  const user = db.roleName("pipelined");
  const password = "Pipelined-pw-1";

  roundTrips = 0;
  await plugin.newUser({ username: user, password, expiration, statements: [CREATE_LOGIN, `COMMENT ON ROLE "{{name}}" IS 'made'`], rollbackStatements: [] });
  expect(roundTrips).toBe(1);
  expect(await canLogin(user, password)).toBe(true);

  // The first failing step stops the rest (the role after it is never made) and rolls all back.
  const failed = db.roleName("failed");
  const later = db.roleName("later");
  const error = await plugin
    .newUser({ username: failed, password, expiration, statements: [CREATE_LOGIN, "SELECT 1/0", `CREATE ROLE "${later}"`], rollbackStatements: [] })
    .catch((err: unknown) => err);
  expect(error).toMatchObject({ refused: true, message: expect.stringMatching(/division by zero/) });
  for (const name of [failed, later]) expect((await db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name])).rowCount).toBe(0);
  const again = db.roleName("again");
  await plugin.newUser({ username: again, password, expiration, statements: [CREATE_LOGIN], rollbackStatements: [] });
  expect(await canLogin(again, password)).toBe(true);
  await plugin.close();
});

it.each([
  ["a runtime error", [`SELECT 'Secret-X-1'::int`], "22P02"],
  ["a syntax error", [`CREATE ROLE "unterminated PASSWORD 'Secret-X-1'`], "42601"],
  ["a statement timeout", ["SET LOCAL statement_timeout = 50", "SELECT pg_catalog.pg_sleep(5) -- Secret-X-1"], "57014"],
])("%s in a hidden statement comes back with its SQLSTATE and without the statement or the secret", async (_what, statements, code) => {
  const client = await db.pool.connect();
  try {
    const steps = [{ text: "BEGIN" }, ...secretFreeSteps(statements, "Secret-X-1"), { text: "COMMIT" }];
    expect(steps.map((step) => step.text).join("\n")).not.toContain("Secret-X-1");
    const error = (await runSteps(client, steps).catch((err: unknown) => err)) as pg.DatabaseError;
    expect(error.code).toBe(code);
    // Neither the message, nor a context quoting the statement, nor an internal query: what the
    // client gets is what the server logs.
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain("Secret-X-1");
    expect(error.internalQuery).toBeUndefined();
    expect(error.where).not.toMatch(/SQL statement/);
  } finally {
    await client.query("ROLLBACK");
    client.release();
  }
});

it("a hidden statement's error keeps its detail and hint, with the secret replaced", async () => {
  const client = await db.pool.connect();
  try {
    const raising = `DO $$BEGIN RAISE EXCEPTION 'refused' USING ERRCODE = 'P0001', DETAIL = 'for Secret-X-2', HINT = 'try again'; END$$ -- Secret-X-2`;
    const error = (await runSteps(client, [{ text: "BEGIN" }, ...secretFreeSteps([raising], "Secret-X-2"), { text: "COMMIT" }]).catch((err: unknown) => err)) as pg.DatabaseError;
    expect(error).toMatchObject({ code: "P0001", message: "refused", detail: "for [redacted]", hint: "try again" });
  } finally {
    await client.query("ROLLBACK");
    client.release();
  }
});
