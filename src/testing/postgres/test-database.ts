/**
 * Per-file PostgreSQL databases for vitest suites — vaultlet's own and its users'.
 *
 * ```ts
 * import { useTestDatabase } from "vaultlet/testing";
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
 *
 * The server is the run's one server when a `globalSetup` provides it (`postgresGlobalSetup`),
 * else one this file starts for itself with {@link startPostgres} (`PG_URL`, else a container,
 * else embedded) and stops after it.
 *
 * @module
 */
import { afterAll, beforeAll, inject } from "vitest";
import pg from "pg";
import { createDatabase, databaseUrl, dropRolesWithPrefix, type CreatedDatabase, type TestClient, type TestQueryResult } from "./databases.js";
import { startPostgres, type PostgresServer, type StartPostgresOptions } from "./start-postgres.js";
import type { PostgresPool } from "../../util/postgres-pool.js";

export type { TestClient, TestQueryResult };

/** A `pg.Pool`, by the slice tests use; it also fits `postgresPlugin({ pool })` and `PostgresStorage({ pool })`. */
export interface TestPool extends PostgresPool {
  /** Runs a statement on a pooled connection. */
  query<R extends Record<string, any> = Record<string, any>>(sql: string, params?: unknown[]): Promise<TestQueryResult<R>>;
}

/** A database owned by one test file. All members are usable from `beforeAll` on. */
export interface TestDatabase {
  /** Database name, e.g. `vt_k2x9q0m1ab3c`. */
  readonly name: string;
  /** Superuser URL for this database: hand it to the code under test. */
  readonly url: string;
  /** Superuser URL for the server's maintenance database `postgres` (shared by all files: do not drop things there). */
  readonly adminUrl: string;
  /** Where the server listens. */
  readonly host: string;
  /** The server's TCP port. */
  readonly port: number;
  /** Superuser name (the credentials in {@link TestDatabase.url}). */
  readonly user: string;
  /** Superuser password. */
  readonly password: string;
  /**
   * This database's URL with vaultlet's placeholders for the credentials,
   * `postgresql://{{username}}:{{password}}@<host>:<port>/<name>`: the `connection_url` of a
   * `database/config/<name>` that logs in as {@link TestDatabase.user}.
   */
  readonly connectionUrlTemplate: string;
  /**
   * Prefix unique to this file (`<name>_`). Roles are cluster-wide and shared
   * by all test files running in parallel, so name the roles you create with
   * it (or use {@link TestDatabase.roleName}); roles starting with it are
   * dropped after the database.
   */
  readonly rolePrefix: string;
  /** A lazily created superuser pool on this database, closed in `afterAll`. */
  readonly pool: TestPool;
  /** Runs a query as superuser on this database. */
  query<R extends Record<string, any> = Record<string, any>>(sql: string, params?: unknown[]): Promise<TestQueryResult<R>>;
  /** A fresh role name starting with {@link TestDatabase.rolePrefix}, e.g. `vt_k2x9q0m1ab3c_reader_1`. */
  roleName(label?: string): string;
  /** URL for this database as `user`/`password` (URL-encoded). */
  urlFor(user: string, password: string): string;
  /**
   * Opens a client on this database as `user`. Rejects like a real login would
   * (wrong password: pg error code `28P01`). Connected clients are closed in `afterAll`.
   */
  connectAs(user: string, password: string): Promise<TestClient>;
}

/** Options of {@link useTestDatabase}. */
export interface UseTestDatabaseOptions {
  /**
   * Server superuser URL. Default: `inject("pgUrl")` from the global setup; without one, the
   * file starts its own server (see {@link UseTestDatabaseOptions.server}).
   */
  serverUrl?: string;
  /** How to start the file's own server when there is no URL (passed to {@link startPostgres}). */
  server?: StartPostgresOptions;
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
  let ownServer: PostgresServer | undefined;
  const clients = new Set<pg.Client>();

  const ready = (): CreatedDatabase => {
    if (!created) throw new Error("useTestDatabase(): the database exists only from beforeAll until afterAll");
    return created;
  };

  beforeAll(async () => {
    // Provided by `postgresGlobalSetup`, when the run has it (typed in vitest's ProvidedContext by
    // the project, not here: vaultlet's declarations stay free of vitest's).
    const provided = options.serverUrl ?? (inject("pgUrl" as never) as string | undefined);
    if (provided === undefined) ownServer = await startPostgres(options.server);
    adminUrl = provided ?? ownServer!.url;
    created = await createDatabase(adminUrl);
  });

  afterAll(async () => {
    if (!created) {
      await ownServer?.stop(); // creating the database failed
      return;
    }
    const db = created;
    await Promise.allSettled([...clients].map((c) => c.end()));
    clients.clear();
    await pool?.end().catch(() => {});
    pool = undefined;
    await db.drop();
    await dropRolesWithPrefix(adminUrl, `${db.name}_`);
    created = undefined;
    await ownServer?.stop();
    ownServer = undefined;
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
    get connectionUrlTemplate() {
      const u = new URL(ready().url);
      return `postgresql://{{username}}:{{password}}@${u.host}${u.pathname}`;
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
