/**
 * The slice of a connection pool the PostgreSQL plugin runs on: one it creates from the connection
 * settings (`pool-factory.ts`), or the host's own `pg.Pool`. Types only, so the package's public
 * declarations never depend on `pg`'s typings.
 *
 * @module
 */

/** A query's result, as far as the plugin reads it. */
export interface PostgresQueryResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}

/** A client checked out of a pool. */
export interface PostgresPoolClient {
  query(text: string, values?: unknown[]): Promise<unknown>;
  /** Returns the client; `true` (or an error) destroys it instead. */
  release(destroy?: boolean | Error): void;
}

/**
 * The slice of `pg.Pool` the plugin uses, so a host can hand over its own pool (or anything
 * shaped like one).
 */
export interface PostgresPool {
  query(text: string, values?: unknown[]): Promise<PostgresQueryResult>;
  connect(): Promise<PostgresPoolClient>;
  end(): Promise<void>;
}
