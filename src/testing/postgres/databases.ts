/**
 * Databases on a harness server: one per test file (roles are cluster-wide, so they are named with
 * a per-database prefix and dropped with it), and URLs for other databases and users.
 *
 * @module
 */
import pg from "pg";
import { randomToken } from "./server-settings.js";

/**
 * A query's result (node-postgres' `QueryResult` has these and more). The harness's pools and
 * clients are node-postgres' own; they are typed by their slice here so that vaultlet's
 * declarations never need `@types/pg` — cast to `pg.Pool` / `pg.Client` if you have it.
 */
export interface TestQueryResult<R> {
  /** The rows, keyed by column name. */
  rows: R[];
  /** Rows affected or returned. */
  rowCount: number | null;
}

/** A connected `pg.Client`, by the slice tests use. */
export interface TestClient {
  /** Runs a statement on this connection. */
  query<R extends Record<string, any> = Record<string, any>>(sql: string, params?: unknown[]): Promise<TestQueryResult<R>>;
  /** Closes the connection. */
  end(): Promise<void>;
}

/** A database created by {@link createDatabase}. */
export interface CreatedDatabase {
  /** Its name, e.g. `vt_k2x9q0m1ab3c`. */
  readonly name: string;
  /** Superuser connection URL for this database. */
  readonly url: string;
  /** Terminates all connections to the database and drops it. Idempotent. */
  drop(): Promise<void>;
}

/**
 * Creates a fresh database (default name `vt_<random>`) on the server and
 * returns a superuser URL for it. Roles are cluster-wide, so databases do not
 * isolate roles: give the roles you create unique names.
 *
 * @param server - a server (anything with its superuser `url`) or a superuser URL (any database on the server)
 * @param name - the database's name (default: {@link uniqueDatabaseName})
 */
export async function createDatabase(server: { readonly url: string } | string, name: string = uniqueDatabaseName()): Promise<CreatedDatabase> {
  const adminUrl = typeof server === "string" ? server : server.url;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: databaseUrl(adminUrl, name),
    drop: () => (dropped ??= dropDatabase(adminUrl, name)),
  };
}

/** Drops a database after terminating its connections (works on PostgreSQL 9.5+). */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, async (c) => {
    const { rows } = await c.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
    const force = (rows[0]?.v ?? 0) >= 130000;
    if (!force) {
      await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
    }
    await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)}${force ? " WITH (FORCE)" : ""}`);
  });
}

/** `vt_` (or `prefix`) followed by 12 random lowercase characters: a valid unquoted identifier. */
export function uniqueDatabaseName(prefix = "vt_"): string {
  return prefix + randomToken(12);
}

/**
 * Returns `url` pointing at another database and, optionally, as another user.
 * Credentials are URL-encoded, so any password is safe.
 */
export function databaseUrl(url: string, database: string, credentials?: { user: string; password: string }): string {
  const u = new URL(url);
  u.pathname = "/" + encodeURIComponent(database);
  if (credentials) {
    u.username = encodeURIComponent(credentials.user);
    u.password = encodeURIComponent(credentials.password);
  }
  return u.toString();
}

/** Drops every role whose name starts with `prefix` (a test file's roles), warning about any that cannot go. */
export async function dropRolesWithPrefix(adminUrl: string, prefix: string): Promise<void> {
  await withClient(adminUrl, async (client) => {
    const { rows } = await client.query<{ rolname: string }>(`SELECT rolname FROM pg_roles WHERE left(rolname, length($1)) = $1`, [prefix]);
    for (const { rolname } of rows) {
      // Fails only if the role still owns objects or holds privileges elsewhere.
      await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(rolname)}`).catch((err: unknown) => {
        console.warn(`[vaultlet] could not drop test role ${rolname}: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
  });
}

/** Runs `fn` on a fresh client on `url`, which is closed afterwards (also when connecting fails). */
export async function withClient<T>(url: string, fn: (client: TestClient) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {}); // a terminated connection must not crash the process
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {}); // pg may leave the socket open on client-side failures
    throw err;
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}
