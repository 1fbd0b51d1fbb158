/**
 * Per-file PostgreSQL databases for vaultlet's own tests: `useTestDatabase` from
 * `vaultlet/testing` (src/testing/postgres/test-database.ts), typed with node-postgres' own types
 * (which the published declarations avoid, so users need no `@types/pg`). See docs/testing.md.
 *
 * ```ts
 * import { useTestDatabase } from "./support/database.js";
 *
 * const db = useTestDatabase(); // call at the top level of the file
 * ```
 */
import type pg from "pg";
import {
  useTestDatabase as useHarnessDatabase,
  type TestDatabase as HarnessDatabase,
  type UseTestDatabaseOptions,
} from "../../src/testing/postgres/test-database.js";

export type { UseTestDatabaseOptions };

/** A database owned by one test file (see `TestDatabase` in src/testing/postgres/test-database.ts), with pg's types. */
export interface TestDatabase extends Omit<HarnessDatabase, "pool" | "query" | "connectAs"> {
  /** A lazily created superuser pool on this database, closed in `afterAll`. */
  readonly pool: pg.Pool;
  /** Runs a query as superuser on this database. */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Opens a client on this database as `user`; rejects like a real login would. Closed in `afterAll`. */
  connectAs(user: string, password: string): Promise<pg.Client>;
}

/** Registers the hooks that give the calling file its own database (see the harness's `useTestDatabase`). */
export function useTestDatabase(options: UseTestDatabaseOptions = {}): TestDatabase {
  // The harness hands out node-postgres' own pool and clients; only their declared types differ.
  return useHarnessDatabase(options) as unknown as TestDatabase;
}
