/**
 * Who, besides `PUBLIC`, can reach `PostgresStorage`'s records — through a granted role, not only
 * a grant on the tables: `pg_read_all_data` and `pg_write_all_data` (PostgreSQL 14+) read or write
 * every table of every database their members may connect to, a member of the tables' owner holds
 * what the owner holds, and a member of a superuser role can become one.
 *
 * One query answers both questions the engine asks (see {@link REACH_SQL}): which roles are
 * *holders* (their members reach the records: the engine keeps its credentials from becoming one,
 * `util/protected-records.ts`), and which login roles reach them now (the storage refuses to be
 * used while any does, at open and at every periodic check).
 *
 * @module
 */
import { StorageExposedError } from "../../errors.js";
import type { QueryablePool } from "../../util/postgres-pool.js";
import {
  RECORD_COLUMN_PRIVILEGES,
  RECORD_TABLE_PRIVILEGES,
  SERVER_FILE_ROLES,
  type ProtectedRecords,
  type RecordHolder,
} from "../../util/protected-records.js";
import { escapeIdentifier } from "../../util/sql-quote.js";
import { qualifiedName, type StorageLocation } from "./storage-location.js";

/** How often a storage checks again by default (see `PostgresStorageOptions.exposureCheckIntervalMs`). */
export const DEFAULT_EXPOSURE_CHECK_INTERVAL_MS = 60_000;

/**
 * `$1`, `$2`: the tables (qualified, quoted); `$3`: the schema (quoted); `$4`: trusted roles.
 *
 * - `holders`: superusers and the server-file roles (reaching from `anywhere`), and every role holding a
 *   privilege on either table, by table or by column (`privileges`: the owner, grantees,
 *   `pg_read_all_data`/`pg_write_all_data`, and whoever inherits from one of them).
 * - `exposed`: the login roles that reach the records — members (any membership, inherited or
 *   only `SET ROLE`-able) of a holder, through a `privileges` holder only when they may connect to
 *   this database — except superusers, the storage's own user (`current_user`, `session_user`),
 *   the owners of the tables and of the schema, and the trusted roles.
 *
 * The server's `system_identifier` is read only where the storage's user may execute
 * `pg_control_system()` (every role may, by default).
 */
export const REACH_SQL = `WITH tables AS (
  SELECT c.oid, c.relowner FROM pg_catalog.pg_class c WHERE c.oid IN (pg_catalog.to_regclass($1), pg_catalog.to_regclass($2))
), holders AS (
  SELECT g.oid, g.rolname::text AS name, g.rolsuper AS superuser,
         (g.rolsuper OR g.rolname IN (${SERVER_FILE_ROLES.map((name) => `'${name}'`).join(", ")})) AS anywhere,
         pg_catalog.has_database_privilege(g.oid, pg_catalog.current_database(), 'CONNECT') AS connect
    FROM pg_catalog.pg_roles g
   WHERE g.rolsuper OR g.rolname IN (${SERVER_FILE_ROLES.map((name) => `'${name}'`).join(", ")})
      OR EXISTS (SELECT 1 FROM tables t
                  WHERE pg_catalog.has_table_privilege(g.oid, t.oid, '${RECORD_TABLE_PRIVILEGES}')
                     OR pg_catalog.has_any_column_privilege(g.oid, t.oid, '${RECORD_COLUMN_PRIVILEGES}'))
), owners AS (
  SELECT t.relowner AS oid FROM tables t
  UNION SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.oid = pg_catalog.to_regnamespace($3)
)
SELECT CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')
            THEN (SELECT s.system_identifier::text FROM pg_catalog.pg_control_system() s) END AS system_identifier,
       pg_catalog.current_database()::text AS database,
       COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_object('name', h.name, 'superuser', h.superuser, 'anywhere', h.anywhere, 'connect', h.connect) ORDER BY h.name)
                   FROM holders h), '[]') AS holders,
       COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_object('name', e.name, 'via', e.via) ORDER BY e.name) FROM (
         SELECT n.rolname::text AS name,
                ARRAY(SELECT h.name FROM holders h
                       WHERE pg_catalog.pg_has_role(n.oid, h.oid, 'MEMBER')
                         AND (h.anywhere OR pg_catalog.has_database_privilege(n.oid, pg_catalog.current_database(), 'CONNECT'))
                       ORDER BY h.name) AS via
           FROM pg_catalog.pg_roles n
          WHERE n.rolcanlogin AND NOT n.rolsuper
            AND n.rolname NOT IN (current_user, session_user)
            AND n.oid NOT IN (SELECT o.oid FROM owners o)
            AND n.rolname <> ALL ($4::text[])) e
        WHERE pg_catalog.cardinality(e.via) > 0), '[]') AS exposed`;

/** A login role that reaches the records, and the holders it reaches them through (itself, for its own grants). */
export interface ExposedRole {
  readonly name: string;
  readonly via: readonly string[];
}

/** What one check found: where the records are and who holds them, and who reaches them now. */
export interface ReachReport {
  readonly records: ProtectedRecords;
  /** Login roles, other than the expected ones, that reach the records. */
  readonly exposed: readonly ExposedRole[];
}

/** Runs {@link REACH_SQL} for `location`. */
export async function checkReach(pool: QueryablePool, location: StorageLocation, trustedRoles: readonly string[], now: number): Promise<ReachReport> {
  const tables = [qualifiedName(location.schema, location.table), qualifiedName(location.schema, location.versionTable)];
  const { rows } = await pool.query(REACH_SQL, [...tables, escapeIdentifier(location.schema), [...trustedRoles]]);
  const row = rows[0] as { system_identifier: string | null; database: string; holders: unknown; exposed: unknown };
  const holders = parseJson<Array<{ name: string; superuser: boolean; anywhere: boolean; connect: boolean }>>(row.holders).map(
    ({ name, superuser, anywhere, connect }): RecordHolder => ({
      name,
      reach: superuser ? "superuser" : anywhere ? "server-files" : "privileges",
      connect: connect === true,
    }),
  );
  return {
    records: { systemIdentifier: row.system_identifier ?? null, database: row.database, schema: location.schema, tables, holders, checkedAt: now },
    exposed: parseJson<ExposedRole[]>(row.exposed),
  };
}

/**
 * The refusal for a report with exposed roles: names each role, what it reaches the records
 * through, and the two ways out (revoke, or trust it by name).
 */
export function exposedError(location: StorageLocation, exposed: readonly ExposedRole[]): StorageExposedError {
  const table = qualifiedName(location.schema, location.table);
  const roles = exposed.map(({ name, via }) => `${escapeIdentifier(name)} (${describeVia(name, via)})`).join(", ");
  return new StorageExposedError(
    `refusing to use the storage: the login role(s) ${roles} can reach its records in ${table}; ` +
      `revoke that access (REVOKE … FROM the role, or the membership), or, for a role meant to read them (a backup role), ` +
      `name it in PostgresStorage's trustedRoles (see docs/storage.md)`,
  );
}

/** How a role reaches the records: the holders it is a member of, else grants of its own. */
function describeVia(name: string, via: readonly string[]): string {
  const through = via.filter((holder) => holder !== name).map(escapeIdentifier);
  return through.length > 0 ? `through membership in ${through.join(", ")}` : "through privileges granted to it";
}

/** `pg` parses `json` columns; a host's pool may hand them over as text. */
function parseJson<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}
