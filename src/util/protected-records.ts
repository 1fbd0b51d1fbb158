/**
 * Where the engine's own records live on a PostgreSQL server, and which roles there reach them:
 * what `PostgresStorage` reports (`Storage.recordsLocation`) and what a database plugin is handed
 * so that the users it creates on that server never reach them. Declared here, with the few
 * constants both sides check by, so that storage and plugin share them without importing each
 * other (as `postgres-pool.ts`).
 *
 * @module
 */

/**
 * The engine's records on a PostgreSQL server: the server, the database, the tables, and the
 * roles whose members reach them. A plugin compares the server and database with its own
 * connection's; no field is a secret (names from the catalog that every role may read).
 */
export interface ProtectedRecords {
  /**
   * The server's `system_identifier` (`pg_control_system()`): the same for every database of one
   * cluster (and its physical replicas), stable across restarts. `null` when the storage's user may
   * not read it; a plugin then treats any server that has {@link ProtectedRecords.database} as
   * possibly the same one.
   */
  readonly systemIdentifier: string | null;
  /** The database that holds the records. */
  readonly database: string;
  /** The schema of the records' tables. */
  readonly schema: string;
  /** The records' tables, schema-qualified and quoted (`"vaultlet"."vaultlet_storage"`). */
  readonly tables: readonly string[];
  /** Roles whose members reach the records (see {@link RecordHolder}), as of {@link ProtectedRecords.checkedAt}. */
  readonly holders: readonly RecordHolder[];
  /** When the storage read this from its server (ms since the epoch, the host's time). */
  readonly checkedAt: number;
}

/**
 * A role whose members reach the records, and how: `privileges` — it holds privileges on their
 * tables (their owner, a role granted on them, `pg_read_all_data`, `pg_write_all_data`, and the
 * roles that inherit from those), which a member uses once connected to the records' database;
 * `superuser` — a member can `SET ROLE` to it and be a superuser; `server-files` — a member reads
 * or writes the server's files or runs programs as its OS user (`pg_read_server_files`,
 * `pg_write_server_files`, `pg_execute_server_program`): the data files, the records' included.
 * The last two reach them from any database of the server.
 */
export interface RecordHolder {
  /** The role's name, as in `pg_roles`. */
  readonly name: string;
  /** How its members reach the records. */
  readonly reach: "privileges" | "superuser" | "server-files";
  /**
   * Whether the role itself may connect to the records' database (`CONNECT`, through `PUBLIC`
   * or a grant). A `privileges` holder that may not is harmless to a member that may not either.
   */
  readonly connect: boolean;
}

/** Every privilege a role may hold on a table: reading, writing, and planting triggers or keys. */
export const RECORD_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER";

/** The column privileges that reach a table's values. */
export const RECORD_COLUMN_PRIVILEGES = "SELECT, INSERT, UPDATE, REFERENCES";

/**
 * Predefined roles whose members read or write the server's files or run programs as its OS user
 * — the data files, the records' included — from any database (`COPY … FROM/TO`, `pg_read_file`).
 */
export const SERVER_FILE_ROLES = ["pg_read_server_files", "pg_write_server_files", "pg_execute_server_program"] as const;
