/**
 * Credentials per second: through the engine (`database/creds/<role>`, `sys/leases/revoke`) versus
 * the same statements run directly with `pg`, on the same pool, at concurrency 1 and 16.
 *
 * ```sh
 * npx tsx bench/creds.ts                             # starts an embedded PostgreSQL (or uses PG_URL)
 * npx tsx bench/creds.ts --storage postgres          # the engine's storage: memory (default), file, postgres
 * BENCH_ROUNDS=40 BENCH_OPS=100 npx tsx bench/creds.ts   # rounds, and operations per side per round
 * BENCH_PWAUTH=password npx tsx bench/creds.ts      # the connection's password_authentication (default: the engine's, scram-sha-256)
 * ```
 *
 * Both sides put the same value in `PASSWORD '…'`: with scram-sha-256 the SCRAM verifier the plugin
 * sends (256 iterations for the default policy's passwords, `scramIterationsFor`), computed on the
 * direct side too; with `BENCH_PWAUTH=password` the plaintext, which the server hashes itself.
 *
 * `--storage postgres` keeps the engine's records in a `PostgresStorage` on the same server (its own
 * pool of the same size), `--storage file` in a `FileStorage` in a temporary directory; both sealed
 * with an encryption key, as users run them. The last line is the summary
 * `creds: storage=<s> issue c1=<r> c16=<r> revoke c1=<r> c16=<r>` (the median ratios).
 *
 * The engine runs on the host's pool (`postgresPlugin({ name, pool })`), so both sides share one
 * `pg.Pool` of 16 connections. "Direct" does what the plugin does — one transaction with the
 * creation statements; for revocation, the default revocation's statements — without tokens,
 * policies, leases or storage. A round issues `BENCH_OPS` credentials on each side, back to back
 * (which side goes first alternates), then revokes them the same way; the figure reported is the
 * median over `BENCH_ROUNDS` rounds of each round's engine ÷ direct rate, with the spread of those
 * ratios, and this process's CPU time per operation on each side.
 */
import { setTimeout as pause } from "node:timers/promises";
import { mkdtemp, rm } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { Engine, FileStorage, ManualClock, MemoryStorage, PostgresStorage, postgresPlugin, type Client, type Storage } from "../src/index.js";
import { DEFAULT_PASSWORD_POLICY, generatePassword } from "../src/passwords/password-generator.js";
import { guaranteedEntropyBits } from "../src/passwords/password-strength.js";
import { scramIterationsFor, scramSha256Verifier } from "../src/secrets/database/plugins/postgres/scram.js";
import { formatExpiration, quoteIdentifier } from "../src/secrets/database/plugins/postgres/sql-format.js";
import { randomString, ALPHANUMERIC } from "../src/util/random.js";
import { createDatabase, startPostgres } from "../test/support/postgres-server.js";
import { conflictBackoffMs } from "../src/secrets/database/plugins/postgres/postgres-plugin.js";

/** Operations per side per round. */
const OPS = Number(process.env.BENCH_OPS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const POOL_SIZE = 16;
const STORAGE_KINDS = ["memory", "file", "postgres"] as const;
type StorageKind = (typeof STORAGE_KINDS)[number];

/** `--storage <kind>` (or `--storage=<kind>`), default `memory`. */
function storageKind(argv: readonly string[]): StorageKind {
  const index = argv.findIndex((arg) => arg === "--storage" || arg.startsWith("--storage="));
  if (index < 0) return "memory";
  const value = argv[index]!.includes("=") ? argv[index]!.split("=")[1] : argv[index + 1];
  if (!STORAGE_KINDS.includes(value as StorageKind)) throw new Error(`--storage must be one of ${STORAGE_KINDS.join(", ")}`);
  return value as StorageKind;
}

/** The engine's storage of that kind, and how to clean up after it. */
async function openStorage(kind: StorageKind, url: string): Promise<{ storage: Storage; encryptionKey?: Uint8Array; cleanup: () => Promise<void> }> {
  if (kind === "memory") return { storage: new MemoryStorage(), cleanup: async () => undefined };
  const encryptionKey = randomBytes(32);
  if (kind === "postgres") return { storage: new PostgresStorage({ connectionString: url, maxConnections: POOL_SIZE }), encryptionKey, cleanup: async () => undefined };
  const path = await mkdtemp(join(tmpdir(), "vaultlet-bench-"));
  return { storage: new FileStorage({ path }), encryptionKey, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Privileges come through a group role, as docs/postgresql.md recommends: granting membership
 * inserts a row, whereas `GRANT … ON <table>` from many sessions at once rewrites one catalog row
 * and collides ("tuple concurrently updated"), which both sides would retry at random.
 */
const CREATION = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`,
  `GRANT bench_readers TO "{{name}}"`,
];

/** One way of issuing and revoking credentials: directly with `pg`, or through the engine. */
interface Side {
  /** Issues one credential; returns what `revoke` needs (a user name, a lease id). */
  create(): Promise<string>;
  revoke(handle: string): Promise<void>;
}

interface Timing {
  opsPerSecond: number;
  /** CPU time this process used per operation, in µs (the engine's own cost shows here). */
  cpuMicros: number;
}

/** Runs `count` operations, `concurrency` at a time; returns their results in order and the timing. */
async function runConcurrent<T>(count: number, concurrency: number, op: (i: number) => Promise<T>): Promise<{ results: T[]; timing: Timing }> {
  const results: T[] = new Array(count);
  let next = 0;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await op(i);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { results, timing: { opsPerSecond: count / seconds, cpuMicros: (cpu.user + cpu.system) / count } };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Direct and engine timings of one operation, round by round. The figure that decides is the
 * median of the per-round ratios: both sides of a round ran back to back, so a change in the
 * machine's load between rounds (other processes, PostgreSQL's autovacuum of its catalogs) cancels.
 */
class Comparison {
  readonly #timings = { direct: [] as Timing[], engine: [] as Timing[] };

  async time<T>(side: "direct" | "engine", round: number, count: number, concurrency: number, op: (i: number) => Promise<T>): Promise<T[]> {
    const { results, timing } = await runConcurrent(count, concurrency, op);
    this.#timings[side][round] = timing;
    return results;
  }

  /** The median of the rounds' engine ÷ direct ratios. */
  medianRatio(): number {
    return median(this.#ratios());
  }

  #ratios(): number[] {
    const { direct, engine } = this.#timings;
    return engine.map((timing, round) => timing.opsPerSecond / direct[round]!.opsPerSecond);
  }

  row(label: string, concurrency: number): string {
    const { direct, engine } = this.#timings;
    const ratios = this.#ratios();
    const rate = (timings: Timing[]) => median(timings.map((timing) => timing.opsPerSecond)).toFixed(0);
    const cpu = (timings: Timing[]) => median(timings.map((timing) => timing.cpuMicros)).toFixed(0);
    const spread = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
    return `| ${label} | ${concurrency} | ${rate(direct)} | ${rate(engine)} | **${median(ratios).toFixed(2)}** (rounds ${spread}) | ${cpu(direct)} → ${cpu(engine)} µs |`;
  }
}

/** What the plugin puts in `PASSWORD '…'` (see the header). */
function passwordValue(password: string): Promise<string> | string {
  if ((process.env.BENCH_PWAUTH ?? "scram-sha-256") !== "scram-sha-256") return password;
  return scramSha256Verifier(password, undefined, scramIterationsFor(guaranteedEntropyBits(DEFAULT_PASSWORD_POLICY)));
}

/** What the plugin runs for creation, without the engine. */
async function directCreate(pool: pg.Pool): Promise<string> {
  const name = `d-${randomString(ALPHANUMERIC, 20)}`;
  const password = await passwordValue(generatePassword());
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
  const kind = storageKind(process.argv.slice(2));
  const server = await startPostgres();
  const database = await createDatabase(server);
  const pool = new pg.Pool({ connectionString: database.url, max: POOL_SIZE });
  pool.on("error", () => undefined);
  await pool.query("CREATE TABLE items (id int)");
  await pool.query("DROP ROLE IF EXISTS bench_readers");
  await pool.query("CREATE ROLE bench_readers NOLOGIN");
  await pool.query("GRANT SELECT ON items TO bench_readers");
  const { storage, encryptionKey, cleanup } = await openStorage(kind, database.url);
  const engine = await Engine.open({
    storage,
    ...(encryptionKey && { encryptionKey }),
    clock: new ManualClock(),
    plugins: [postgresPlugin({ name: "bench-postgres", pool })],
  });
  const root: Client = engine.client((await engine.initialize()).rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  await root.write("database/config/bench", { plugin_name: "bench-postgres", allowed_roles: "*", ...(process.env.BENCH_PWAUTH && { password_authentication: process.env.BENCH_PWAUTH }) });
  await root.write("database/roles/bench", { db_name: "bench", creation_statements: CREATION, default_ttl: "1h" });

  // Warm up both paths (connections, plans, JIT).
  for (let i = 0; i < 20; i++) await directRevoke(pool, await directCreate(pool));
  for (let i = 0; i < 20; i++) {
    const lease = (await root.read("database/creds/bench")).lease_id;
    await root.write("sys/leases/revoke", { lease_id: lease });
  }

  const { rows } = await pool.query<{ version: string }>("SELECT current_setting('server_version') AS version");
  console.log(
    `storage: ${kind}; ${ROUNDS} rounds of ${OPS} ops per side; pool: ${POOL_SIZE}; PostgreSQL ${rows[0]!.version} (${server.kind}); ` +
      `load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`,
  );
  console.log("| operation | concurrency | direct pg (ops/s) | engine (ops/s) | engine / direct (median of rounds) | this process's CPU per op, direct → engine |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  const sides: Record<"direct" | "engine", Side> = {
    direct: { create: () => directCreate(pool), revoke: (name) => directRevoke(pool, name) },
    engine: {
      create: async () => (await root.read("database/creds/bench")).lease_id,
      revoke: async (lease) => void (await root.write("sys/leases/revoke", { lease_id: lease })),
    },
  };
  const summary: Record<string, string> = {};
  for (const concurrency of [1, 16]) {
    const issue = new Comparison();
    const revoke = new Comparison();
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which side goes first, so that drift in the machine's load falls on both.
      const order = round % 2 === 0 ? (["direct", "engine"] as const) : (["engine", "direct"] as const);
      const issued: Record<string, string[]> = {};
      for (const side of order) issued[side] = await issue.time(side, round, OPS, concurrency, () => sides[side].create());
      for (const side of order) await revoke.time(side, round, OPS, concurrency, (i) => sides[side].revoke(issued[side]![i]!));
    }
    console.log(issue.row("issue", concurrency));
    console.log(revoke.row("revoke", concurrency));
    summary[`issue c${concurrency}`] = issue.medianRatio().toFixed(2);
    summary[`revoke c${concurrency}`] = revoke.medianRatio().toFixed(2);
  }
  console.log(
    `creds: storage=${kind} issue c1=${summary["issue c1"]} c16=${summary["issue c16"]} revoke c1=${summary["revoke c1"]} c16=${summary["revoke c16"]}`,
  );

  await engine.close();
  await cleanup();
  await pool.query("DROP OWNED BY bench_readers");
  await pool.query("DROP ROLE bench_readers");
  await pool.end();
  await database.drop();
  await server.stop();
}

await main();
