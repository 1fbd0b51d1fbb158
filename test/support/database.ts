/**
 * Per-file PostgreSQL databases for tests.
 *
 * ```ts
 * import { useTestDatabase } from "./support/database.js";
 *
 * const db = useTestDatabase(); // call at the top level of the file
 *
 * it("creates a role", async () => {
 *   const role = db.roleName("reader");
 *   await db.query(`CREATE ROLE ${role} LOGIN PASSWORD 'secret'`);
 *   const client = await db.connectAs(role, "secret");
 *   // ...
 * });
 * ```
 */
import { afterAll, beforeAll, inject } from "vitest";
import pg from "pg";
import { createDatabase, databaseUrl, type CreatedDatabase } from "./postgres-server.js";

/** A database owned by one test file. All members are usable from `beforeAll` on. */
export interface TestDatabase {
  /** Database name, e.g. `vt_k2x9q0m1ab3c`. */
  readonly name: string;
  /** Superuser URL for this database: hand it to the code under test. */
  readonly url: string;
  /** Superuser URL for the server's maintenance database `postgres` (shared by all files: do not drop things there). */
  readonly adminUrl: string;
  readonly host: string;
  readonly port: number;
  /** Superuser name and password (the credentials in {@link TestDatabase.url}). */
  readonly user: string;
  readonly password: string;
  /**
   * Prefix unique to this file (`<name>_`). Roles are cluster-wide and shared
   * by all test files running in parallel, so name the roles you create with
   * it (or use {@link TestDatabase.roleName}); roles starting with it are
   * dropped after the database.
   */
  readonly rolePrefix: string;
  /** A lazily created superuser pool on this database, closed in `afterAll`. */
  readonly pool: pg.Pool;
  /** Runs a query as superuser on this database. */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** A fresh role name starting with {@link TestDatabase.rolePrefix}, e.g. `vt_k2x9q0m1ab3c_reader_1`. */
  roleName(label?: string): string;
  /** URL for this database as `user`/`password` (URL-encoded). */
  urlFor(user: string, password: string): string;
  /**
   * Opens a client on this database as `user`. Rejects like a real login would
   * (wrong password: pg error code `28P01`). Connected clients are closed in `afterAll`.
   */
  connectAs(user: string, password: string): Promise<pg.Client>;
}

export interface UseTestDatabaseOptions {
  /** Server superuser URL. Default: `inject("pgUrl")` from the global setup. */
  serverUrl?: string;
}

/**
 * Registers `beforeAll`/`afterAll` hooks that create a fresh database for the
 * calling test file and drop it afterwards (terminating leftover connections,
 * then dropping roles named with {@link TestDatabase.rolePrefix}).
 *
 * Call it at the top level of a test file (or of a `describe`), before other
 * hooks: vitest runs `afterAll` hooks in reverse order, so your own `afterAll`
 * (closing the engine's pools) then runs before the database is dropped.
 * Connections still open at that point are terminated by the server.
 */
export function useTestDatabase(options: UseTestDatabaseOptions = {}): TestDatabase {
  let created: CreatedDatabase | undefined;
  let adminUrl = "";
  let pool: pg.Pool | undefined;
  let roleCounter = 0;
  const clients = new Set<pg.Client>();

  const ready = (): CreatedDatabase => {
    if (!created) throw new Error("useTestDatabase(): the database exists only from beforeAll until afterAll");
    return created;
  };

  beforeAll(async () => {
    adminUrl = options.serverUrl ?? inject("pgUrl");
    created = await createDatabase(adminUrl);
  });

  afterAll(async () => {
    if (!created) return;
    const db = created;
    await Promise.allSettled([...clients].map((c) => c.end()));
    clients.clear();
    await pool?.end().catch(() => {});
    pool = undefined;
    await db.drop();
    await dropRolesWithPrefix(adminUrl, `${db.name}_`);
    created = undefined;
  });

  const api: TestDatabase = {
    get name() {
      return ready().name;
    },
    get url() {
      return ready().url;
    },
    get adminUrl() {
      ready();
      return adminUrl;
    },
    get host() {
      return new URL(ready().url).hostname;
    },
    get port() {
      return Number(new URL(ready().url).port || 5432);
    },
    get user() {
      return decodeURIComponent(new URL(ready().url).username);
    },
    get password() {
      return decodeURIComponent(new URL(ready().url).password);
    },
    get rolePrefix() {
      return `${ready().name}_`;
    },
    get pool() {
      if (!pool) {
        pool = new pg.Pool({ connectionString: ready().url, max: 4 });
        pool.on("error", () => {}); // idle clients terminated by the server
      }
      return pool;
    },
    query(sql, params) {
      return api.pool.query(sql, params);
    },
    roleName(label = "role") {
      const name = `${api.rolePrefix}${label.toLowerCase().replace(/[^a-z0-9_]/g, "_")}_${++roleCounter}`;
      if (Buffer.byteLength(name) > 63) throw new Error(`role name too long for PostgreSQL: ${name}`);
      return name;
    },
    urlFor(user, password) {
      const db = ready();
      return databaseUrl(db.url, db.name, { user, password });
    },
    async connectAs(user, password) {
      const client = new pg.Client({ connectionString: api.urlFor(user, password) });
      client.on("error", () => {});
      try {
        await client.connect();
      } catch (err) {
        // pg can fail client-side mid-handshake (e.g. empty password with SCRAM)
        // and leave the socket open; the half-authenticated backend would then
        // block DROP DATABASE until authentication_timeout.
        await client.end().catch(() => {});
        throw err;
      }
      clients.add(client);
      client.once("end", () => clients.delete(client));
      return client;
    },
  };
  return api;
}

async function dropRolesWithPrefix(adminUrl: string, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on("error", () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ rolname: string }>(
      `SELECT rolname FROM pg_roles WHERE left(rolname, length($1)) = $1`,
      [prefix],
    );
    for (const { rolname } of rows) {
      // Fails only if the role still owns objects or holds privileges elsewhere.
      await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(rolname)}`).catch((err: unknown) => {
        console.warn(`[vaultlet] could not drop test role ${rolname}: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
  } finally {
    await client.end().catch(() => {});
  }
}
