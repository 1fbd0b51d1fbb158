/**
 * Where `PostgresStorage` keeps its tables, and the checks that keep them out of reach of
 * the credentials the engine issues.
 *
 * The records include the connections' root passwords and the token HMAC key, and the roles the
 * engine creates are typically granted `SELECT ON ALL TABLES IN SCHEMA public`. So the tables live
 * in a schema of their own (default `vaultlet`), created with no privilege for `PUBLIC`, and the
 * storage refuses to open when `PUBLIC` may use that schema or read or write either table: then
 * no grant on the app's schemas, and no role that only has what `PUBLIC` has, reaches them.
 *
 * @module
 */
import { StorageExposedError } from "../../errors.js";
import type { QueryablePool } from "../../util/postgres-pool.js";
import { escapeIdentifier } from "../../util/sql-quote.js";

/** The schema of a `PostgresStorage` given no `schema` option. */
export const DEFAULT_SCHEMA = "vaultlet";

/** A storage's two tables and their schema, as plain (unquoted) names. */
export interface StorageLocation {
  /** The schema of both tables. */
  readonly schema: string;
  /** The records' table. */
  readonly table: string;
  /** The change feed's one-row version table. */
  readonly versionTable: string;
  /** Whether the host named the schema (then no table of an earlier version is looked for). */
  readonly explicitSchema: boolean;
}

/** `"schema"."name"`, quoted. */
export function qualifiedName(schema: string, name: string): string {
  return `${escapeIdentifier(schema)}.${escapeIdentifier(name)}`;
}

/**
 * The statements that create the schema when it is missing, run under the caller's lock. A schema
 * the storage creates gets `REVOKE ALL … FROM PUBLIC` (a new schema has no grant to `PUBLIC`, but
 * this says so, whatever the server's defaults); an existing one is never changed, since the host
 * owns it: {@link refuseExposed} tells the host instead.
 */
export async function createSchemaStatements(pool: QueryablePool, schema: string): Promise<string> {
  const { rows } = await pool.query(`SELECT to_regnamespace($1) IS NULL AS missing`, [escapeIdentifier(schema)]);
  if (rows[0]?.missing !== true) return "";
  const name = escapeIdentifier(schema);
  return `CREATE SCHEMA IF NOT EXISTS ${name}; REVOKE ALL ON SCHEMA ${name} FROM PUBLIC;`;
}

/**
 * Refuses a table that an earlier version created on the `search_path` (usually `public`) when no
 * schema is given, rather than starting empty beside it: the engine would look uninitialized and
 * the old records, passwords included, would stay where the issued credentials read them. Moving
 * is left to the operator, with every engine stopped, since an older process may still write there.
 */
export async function refuseLegacyTable(pool: QueryablePool, location: StorageLocation): Promise<void> {
  if (location.explicitSchema) return;
  const { rows } = await pool.query(
    `SELECT n.nspname AS schema
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE to_regclass($1) IS NULL AND c.oid = to_regclass($2)`,
    [qualifiedName(location.schema, location.table), escapeIdentifier(location.table)],
  );
  if (rows.length === 0) return;
  const from = rows[0].schema as string;
  const to = escapeIdentifier(location.schema);
  throw new StorageExposedError(
    `the storage table ${escapeIdentifier(location.table)} is in schema ${escapeIdentifier(from)}, where an earlier version ` +
      `created it and where schema-wide grants reach it; it now belongs in schema ${to}. With every engine stopped, run: ` +
      `CREATE SCHEMA IF NOT EXISTS ${to}; REVOKE ALL ON SCHEMA ${to} FROM PUBLIC; ` +
      `ALTER TABLE ${qualifiedName(from, location.table)} SET SCHEMA ${to}; ` +
      `ALTER TABLE IF EXISTS ${qualifiedName(from, location.versionTable)} SET SCHEMA ${to}; ` +
      `then rotate the connections' root credentials (see docs/storage.md)`,
  );
}

/**
 * Refuses to use a schema `PUBLIC` may use or create in, or a table (either one) `PUBLIC` may read
 * or write, by table or by column. Every role holds what `PUBLIC` holds, so any of these would let
 * the least credential the engine issues reach (or plant) the records.
 */
export async function refuseExposed(pool: QueryablePool, location: StorageLocation): Promise<void> {
  const schema = escapeIdentifier(location.schema);
  const { rows } = await pool.query(
    `SELECT has_schema_privilege('public', to_regnamespace($1), 'USAGE, CREATE') AS schema_open,
            (SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
              WHERE c.oid IN (to_regclass($2), to_regclass($3))
                AND (has_table_privilege('public', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
                     OR has_any_column_privilege('public', c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))) AS open_tables`,
    [schema, qualifiedName(location.schema, location.table), qualifiedName(location.schema, location.versionTable)],
  );
  const { schema_open: schemaOpen, open_tables: openTables } = rows[0] as { schema_open: boolean | null; open_tables: string[] | null };
  if (schemaOpen === true) {
    throw new StorageExposedError(
      `refusing to open: PUBLIC may use schema ${schema}, so the storage's records would be in reach of every role; ` +
        `run REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC, or use a schema of its own (the default, ${escapeIdentifier(DEFAULT_SCHEMA)})`,
    );
  }
  if (openTables && openTables.length > 0) {
    const names = openTables.map((name) => qualifiedName(location.schema, name));
    throw new StorageExposedError(
      `refusing to open: PUBLIC holds privileges on ${names.join(" and ")}, so every role may reach the storage's records; ` +
        `run REVOKE ALL ON ${names.join(", ")} FROM PUBLIC`,
    );
  }
}
