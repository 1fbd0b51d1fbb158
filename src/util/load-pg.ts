/**
 * `pg`, loaded on first use. Importing `pg` costs about half of `import("vaultlet")`, and an app on
 * `MemoryStorage` (or one that hands over its own pool) never needs it: so storage and plugin load
 * it here, once, when they first open a connection, and only `import type` it statically.
 *
 * @module
 */
import type pg from "pg";
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from "./postgres-pool.js";
import { StatementNames } from "./statement-names.js";
import { withConnectTimeout } from "./connect-timeout.js";

/** The `pg` module's default export (`Pool`, `Client`, …). */
export type PgModule = typeof pg;

let loading: Promise<PgModule> | undefined;

/** `pg`, imported on the first call; every later call gets the same module. */
export function loadPg(): Promise<PgModule> {
  // `default` under Node's ESM loader; the module itself where a bundler or test runner inlines it.
  loading ??= import("pg").then((module) => (module as { default?: PgModule }).default ?? (module as unknown as PgModule));
  return loading;
}

/** A {@link PostgresPool} whose `pg.Pool` is built on its first query or checkout. */
export interface LazyPgPool extends PostgresPool {
  /** The pool's own `connect()`: a `pg.PoolClient` (with `release`, `on`, …). */
  connect(): Promise<pg.PoolClient & PostgresPoolClient>;
}

/** Options of {@link lazyPgPool}. */
export interface LazyPgPoolOptions {
  /**
   * Send parameterized queries as named prepared statements (see `statement-names.ts`), parsed and
   * planned once per connection. Off for a server reached through a pooler that cannot keep them
   * (PgBouncer in transaction mode before 1.21).
   */
  preparedStatements?: boolean;
  /**
   * How long each attempt to open a connection may take (its client's `connectionTimeoutMillis`;
   * the pool's wait for a free connection is left unbounded). Absent: `pg`'s default, none.
   */
  connectTimeoutMs?: number;
}

/**
 * A pool that costs nothing until used: `pg` is loaded and the `pg.Pool` built from `config` on the
 * first `query` or `connect`; `end()` before that just closes it. An idle connection's `error`
 * (the server restarted) is swallowed, so it cannot crash the host: the next checkout reconnects.
 */
export function lazyPgPool(config: pg.PoolConfig, { preparedStatements = false, connectTimeoutMs }: LazyPgPoolOptions = {}): LazyPgPool {
  let pool: Promise<pg.Pool> | undefined;
  let ended = false;
  const names = preparedStatements ? new StatementNames() : undefined;
  const open = (): Promise<pg.Pool> => {
    if (ended) return Promise.reject(new Error("Cannot use a pool after calling end on the pool"));
    pool ??= loadPg().then((module) => {
      const Client = connectTimeoutMs === undefined ? config.Client : withConnectTimeout(config.Client ?? module.Client, connectTimeoutMs);
      const created = new module.Pool(Client === undefined ? config : { ...config, Client });
      created.on("error", () => undefined);
      return created;
    });
    return pool;
  };
  return {
    async query(text: string, values?: unknown[]): Promise<PostgresQueryResult> {
      const name = names?.nameFor(text, values);
      return name === undefined ? (await open()).query(text, values) : (await open()).query({ name, text, values });
    },
    async connect() {
      return (await open()).connect();
    },
    async end() {
      if (ended) return;
      ended = true;
      await (await pool)?.end();
    },
  };
}
