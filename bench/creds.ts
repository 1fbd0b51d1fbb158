/**
 * Credentials per second: through the engine (`database/creds/<role>`, `sys/leases/revoke`) versus
 * the same statements run directly with `pg`, on the same pool, at concurrency 1 and 16.
 *
 * ```sh
 * npx tsx bench/creds.ts            # starts an embedded PostgreSQL (or uses PG_URL)
 * BENCH_OPS=400 npx tsx bench/creds.ts
 * ```
 *
 * The engine runs on the host's pool (`createPostgresPlugin({ pool })`), so both sides share one
 * `pg.Pool` of 16 connections. "Direct" does what the plugin does — one transaction with the
 * creation statements; for revocation, the default revocation's statements — without tokens,
 * policies, leases or storage. Each measurement alternates direct and engine rounds and reports
 * the median of 5 (`BENCH_ROUNDS`).
 */
import { setTimeout as pause } from "node:timers/promises";
import { loadavg } from "node:os";
import pg from "pg";
import { Engine, ManualClock, MemoryStorage, createPostgresPlugin, type Client } from "../src/index.js";
import { generatePassword } from "../src/util/password.js";
import { formatExpiration, quoteIdentifier } from "../src/secrets/database/plugins/postgres/sql-format.js";
import { randomString, ALPHANUMERIC } from "../src/util/random.js";
import { createDatabase, startPostgres } from "../test/support/postgres-server.js";
import { conflictBackoffMs } from "../src/secrets/database/plugins/postgres/postgres-plugin.js";

const OPS = Number(process.env.BENCH_OPS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const POOL_SIZE = 16;

/**
 * Privileges come through a group role, as docs/postgresql.md recommends: granting membership
 * inserts a row, whereas `GRANT … ON <table>` from many sessions at once rewrites one catalog row
 * and collides ("tuple concurrently updated"), which both sides would retry at random.
 */
const CREATION = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`,
  `GRANT bench_readers TO "{{name}}"`,
];

type Op = () => Promise<void>;

async function runConcurrent(count: number, concurrency: number, op: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await op(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** What the plugin runs for creation, without the engine. */
async function directCreate(pool: pg.Pool): Promise<string> {
  const name = `d-${randomString(ALPHANUMERIC, 20)}`;
  const password = generatePassword();
  const expiration = formatExpiration(new Date(Date.now() + 3600_000));
  await transaction(
    pool,
    CREATION.map((statement) => statement.replaceAll("{{name}}", name).replace("{{password}}", password).replace("{{expiration}}", expiration)),
  );
  return name;
}

/** One transaction, retried on the same transient conflicts as the plugin retries. */
async function transaction(pool: pg.Pool, statements: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      for (const statement of statements) await client.query(statement);
      await client.query("COMMIT");
      return;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      const { code, message } = err as { code?: string; message?: string };
      const transient = code === "40001" || code === "40P01" || (code === "XX000" && /concurrently updated/.test(message ?? ""));
      if (!transient || attempt >= 10) throw err;
      await pause(conflictBackoffMs(attempt));
    } finally {
      client.release();
    }
  }
}

/** What the plugin's default revocation runs, without the engine. */
async function directRevoke(pool: pg.Pool, name: string): Promise<void> {
  const ident = quoteIdentifier(name);
  await pool.query(
    `SELECT ARRAY(SELECT DISTINCT d.datname::text FROM pg_catalog.pg_shdepend s
                    JOIN pg_catalog.pg_database d ON d.oid = s.dbid
                   WHERE s.refclassid = 'pg_catalog.pg_authid'::regclass AND s.refobjid = r.oid
                     AND d.datname <> current_database()) AS databases
       FROM pg_catalog.pg_roles r WHERE r.rolname = $1`,
    [name],
  );
  await transaction(pool, [`ALTER ROLE ${ident} NOLOGIN`]);
  await pool.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()", [name]);
  await transaction(pool, [`REASSIGN OWNED BY ${ident} TO CURRENT_USER`, `DROP OWNED BY ${ident}`, `DROP ROLE IF EXISTS ${ident}`]);
}

async function main(): Promise<void> {
  const server = await startPostgres();
  const database = await createDatabase(server);
  const pool = new pg.Pool({ connectionString: database.url, max: POOL_SIZE });
  pool.on("error", () => undefined);
  await pool.query("CREATE TABLE items (id int)");
  await pool.query("DROP ROLE IF EXISTS bench_readers");
  await pool.query("CREATE ROLE bench_readers NOLOGIN");
  await pool.query("GRANT SELECT ON items TO bench_readers");
  const engine = await Engine.open({
    storage: new MemoryStorage(),
    clock: new ManualClock(),
    plugins: { "bench-postgres": () => createPostgresPlugin({ pool }) },
  });
  const root: Client = engine.client((await engine.initialize()).rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/bench", { plugin_name: "bench-postgres", allowed_roles: "*" });
  await root.write("database/roles/bench", { db_name: "bench", creation_statements: CREATION, default_ttl: "1h" });

  const engineCreate = async (leases: string[]) => {
    leases.push((await root.read("database/creds/bench")).lease_id);
  };
  // Warm up both paths (connections, plans, JIT).
  for (let i = 0; i < 20; i++) await directRevoke(pool, await directCreate(pool));
  for (let i = 0; i < 20; i++) {
    const lease = (await root.read("database/creds/bench")).lease_id;
    await root.write("sys/leases/revoke", { lease_id: lease });
  }

  const { rows } = await pool.query<{ version: string }>("SELECT current_setting('server_version') AS version");
  console.log(`ops per measurement: ${OPS}; pool: ${POOL_SIZE}; median of ${ROUNDS} rounds; PostgreSQL ${rows[0]!.version} (${server.kind}); load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  console.log("| operation | concurrency | direct pg (ops/s) | engine (ops/s) | engine / direct |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const concurrency of [1, 16]) {
    const create = { direct: [] as number[], engine: [] as number[] };
    const revoke = { direct: [] as number[], engine: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      const direct = async () => {
        const names: string[] = [];
        create.direct.push(await runConcurrent(OPS, concurrency, async () => void names.push(await directCreate(pool))));
        revoke.direct.push(await runConcurrent(names.length, concurrency, (i) => directRevoke(pool, names[i]!)));
      };
      const viaEngine = async () => {
        const leases: string[] = [];
        create.engine.push(await runConcurrent(OPS, concurrency, () => engineCreate(leases)));
        revoke.engine.push(await runConcurrent(leases.length, concurrency, async (i) => void (await root.write("sys/leases/revoke", { lease_id: leases[i]! }))));
      };
      // Alternate which side goes first, so drift in the machine's load falls on both.
      if (round % 2 === 0) await direct().then(viaEngine);
      else await viaEngine().then(direct);
    }
    for (const [label, figures] of [["issue", create], ["revoke", revoke]] as const) {
      const direct = median(figures.direct);
      const viaEngine = median(figures.engine);
      console.log(`| ${label} | ${concurrency} | ${direct.toFixed(0)} | ${viaEngine.toFixed(0)} | ${(viaEngine / direct).toFixed(2)} |`);
    }
  }

  await engine.close();
  await pool.query("DROP OWNED BY bench_readers");
  await pool.query("DROP ROLE bench_readers");
  await pool.end();
  await database.drop();
  await server.stop();
}

await main();
