/**
 * Fixtures shared by the lease benchmarks: a PostgreSQL server, an initialized engine's storage with
 * a database mount, and lease records written in bulk (straight into the table or files, as the
 * engine would have written them), so that a million leases take seconds to set up, not hours.
 */
import { join } from "node:path";
import pg from "pg";
import { Engine, ManualClock, PostgresStorage, type Storage } from "../src/index.js";
import { RecordLog } from "../src/storage/file/record-log.js";
import { createDatabase, startPostgres, type PostgresServer } from "../test/support/postgres-server.js";

/** A server and a fresh database on it. */
export async function benchDatabase(): Promise<{ server: PostgresServer; url: string; drop(): Promise<void> }> {
  const server = await startPostgres({ onLog: () => undefined });
  const created = await createDatabase(server.url);
  return { server, url: created.url, drop: async () => (await created.drop(), await server.stop()) };
}

/** Initializes `storage` with a database mount pointing at `url` and a role; returns the root token. */
export async function seedStorage(storage: Storage, url: string, clock: ManualClock): Promise<string> {
  // Opted out of encryption at rest: the benchmarks write lease records raw, in bulk, outside the
  // timing (the barrier could not read them), and their history is without the barrier.
  const engine = await Engine.open({ storage, clock, allowUnencryptedStorage: true });
  const { rootToken } = await engine.initialize();
  const root = engine.client(rootToken);
  await root.write("sys/mounts/database", { type: "database" });
  const parsed = new URL(url);
  await root.write("database/config/pg", {
    plugin_name: "postgresql-database-plugin",
    allowed_roles: "*",
    connection_url: `postgresql://{{username}}:{{password}}@${parsed.host}${parsed.pathname}`,
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  });
  await root.write("database/roles/bench", { db_name: "pg", creation_statements: `CREATE ROLE "{{name}}" NOLOGIN;`, default_ttl: "1h" });
  const mounts = (await root.read("sys/mounts")).data as Record<string, { uuid: string }>;
  await engine.close();
  mountUuid = mounts["database/"]!.uuid;
  return rootToken;
}

let mountUuid = "";

/** The JSON of lease `i`, as the lease manager writes it. */
export function leaseRecord(i: number, issueTime: number, expireTime: number): { id: string; json: string } {
  const id = `database/creds/bench/lease${String(i).padStart(8, "0")}`;
  const record = {
    id,
    mountPath: "database/",
    mountUuid,
    path: "creds/bench",
    state: "active",
    issueTime,
    expireTime,
    ttl: 3600,
    maxTtl: 2764800,
    renewable: true,
    tokenAccessor: `accessor${i % 1000}`,
    internal: { username: `v-bench-${i}`, role: "bench", db_name: "pg" },
    revokeAttempts: 0,
  };
  return { id, json: JSON.stringify(record) };
}

/** What {@link openLeaseBench} sets up; `close()` ends the admin pool and drops the database. */
export interface LeaseBench {
  url: string;
  /** A small pool for the fixture's own statements and the final counts. */
  admin: pg.Pool;
  clock: ManualClock;
  rootToken: string;
  /** A new `PostgresStorage` on the bench's table. */
  open(): PostgresStorage;
  close(): Promise<void>;
}

/** The lease benchmarks' setup: a database, an admin pool, a clock, and storage on `table` seeded by {@link seedStorage}. */
export async function openLeaseBench(table: string): Promise<LeaseBench> {
  const db = await benchDatabase();
  const admin = new pg.Pool({ connectionString: db.url, max: 2 });
  const close = async () => (await admin.end(), await db.drop());
  try {
    const clock = new ManualClock(Date.now());
    const open = () => new PostgresStorage({ connectionString: db.url, table });
    const rootToken = await seedStorage(open(), db.url, clock);
    return { url: db.url, admin, clock, rootToken, open, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Creates roles `v-bench-0` … `v-bench-<count - 1>` (the users of {@link leaseRecord}), one `DO` loop per 10,000. */
export async function createBenchRoles(admin: pg.Pool, count: number): Promise<void> {
  for (let start = 0; start < count; start += 10_000) {
    const end = Math.min(count, start + 10_000) - 1;
    await admin.query(`DO $$ BEGIN FOR i IN ${start}..${end} LOOP EXECUTE format('CREATE ROLE %I NOLOGIN', 'v-bench-' || i); END LOOP; END $$`);
  }
}

/** Writes `count` lease records into a PostgresStorage table (in its default schema) in large multi-row inserts. */
export async function insertLeaseRows(url: string, table: string, count: number, issueTime: number, expireTime: number): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    for (let start = 0; start < count; start += 5000) {
      const keys: string[] = [];
      const values: Buffer[] = [];
      for (let i = start; i < Math.min(count, start + 5000); i++) {
        const { id, json } = leaseRecord(i, issueTime, expireTime);
        keys.push(`sys/expire/id/${id}`);
        values.push(Buffer.from(json));
      }
      await pool.query(
        `INSERT INTO vaultlet.${pg.escapeIdentifier(table)} (key, value, due_at) SELECT k, v, $3 FROM unnest($1::text[], $2::bytea[]) AS t(k, v)`,
        [keys, values, expireTime],
      );
    }
  } finally {
    await pool.end();
  }
}

/** Appends `count` lease records to FileStorage's record log (one fsync per 10,000: a fixture). */
export async function writeLeaseLog(root: string, count: number, issueTime: number, expireTime: number): Promise<void> {
  const log = await RecordLog.open(join(root, "packed.log"));
  try {
    for (let start = 0; start < count; start += 10_000) {
      const entries: Array<[string, Uint8Array]> = [];
      for (let i = start; i < Math.min(count, start + 10_000); i++) {
        const { id, json } = leaseRecord(i, issueTime, expireTime);
        entries.push([`sys/expire/id/${id}`, Buffer.from(json)]);
      }
      await log.putMany(entries);
    }
  } finally {
    await log.close();
  }
}
