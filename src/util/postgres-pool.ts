/**
 * The slice of a PostgreSQL connection pool that vaultlet runs on: `PostgresStorage` needs only
 * {@link QueryablePool}, the PostgreSQL plugin a full {@link PostgresPool}. A host can hand over its
 * own `pg.Pool` (or anything shaped like one) to either. Types only, declared once here so storage
 * and plugin share them without importing each other, and so the package's public declarations
 * never depend on `pg`'s typings.
 *
 * @module
 */

/** A query's result, as far as vaultlet reads it (`pg`'s `QueryResult` fits). */
export interface PostgresQueryResult {
  /** The rows, as column-name-keyed objects. */
  rows: any[];
  /** Rows affected or returned, when the server says. */
  rowCount: number | null;
}

/** Anything that runs a parameterized query: the slice of `pg.Pool` that `PostgresStorage` uses. */
export interface QueryablePool {
  /** Runs `text` with `$1`… bound to `values`. */
  query(text: string, values?: unknown[]): Promise<PostgresQueryResult>;
}

/** A client checked out of a pool. */
export interface PostgresPoolClient {
  /** Runs a statement on this connection (so `BEGIN` … `COMMIT` share it). */
  query(text: string, values?: unknown[]): Promise<unknown>;
  /** Returns the client; `true` (or an error) destroys it instead. */
  release(destroy?: boolean | Error): void;
}

/**
 * The slice of `pg.Pool` the PostgreSQL plugin uses: queries, checked-out clients for transactions,
 * and `end`.
 */
export interface PostgresPool extends QueryablePool {
  /** Checks a client out of the pool. */
  connect(): Promise<PostgresPoolClient>;
  /** Closes every connection. */
  end(): Promise<void>;
}
