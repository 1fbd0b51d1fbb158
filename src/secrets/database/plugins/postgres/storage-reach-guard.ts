/**
 * Keeping the users the PostgreSQL plugin creates from reaching the engine's own storage when it
 * lives on the same server ({@link ProtectedRecords}, handed over by the engine; the plugin never
 * sees the storage itself). Roles are cluster-wide: a member of `pg_read_all_data`, of the
 * storage's owner or of a superuser role reaches the records from wherever it may connect.
 *
 * Two checks, one per moment:
 *
 * - {@link findReach}, when a role is written: the statements' text ({@link scanGrants}) against
 *   the roles that hold the records, so a plain grant gets a 400 naming it before anything runs.
 * - {@link ReachGuards}, when a user is created: a statement run in the creation's own
 *   transaction, after the creation statements, that fails it when the new user turned out able to
 *   reach the records by any route the server can tell from there — superuser, replication
 *   (`pg_basebackup` copies every file), `CREATEROLE` before 16 (it can grant itself any
 *   non-superuser role), membership (inherited or `SET ROLE`-able) in a holder, privileges on the
 *   records' tables when in their database. The transaction rolls back: no user is left behind.
 *
 * Both apply only on the records' server: the same `system_identifier` where both sides may read
 * it, else any server that has the records' database. A grant made in another database of the
 * server through dblink, or later, is out of their reach; the storage's periodic check sees it.
 *
 * @module
 */
import { CredentialReachesStorageError } from "../../../../errors.js";
import type { FindReachRequest } from "../../plugin.js";
import type { PostgresQueryResult } from "../../../../util/postgres-pool.js";
import { RECORD_COLUMN_PRIVILEGES, RECORD_TABLE_PRIVILEGES, type ProtectedRecords, type RecordHolder } from "../../../../util/protected-records.js";
import { scanGrants, type GrantFinding } from "./grant-scan.js";
import { quoteIdentifier, quoteLiteral } from "./sql-format.js";

/** Anything that runs a query (the plugin's pool). */
interface Queryable {
  query(text: string, values?: unknown[]): Promise<PostgresQueryResult>;
}

const GUARD_TEXT = "vaultlet-reach:";
const GUARD_END = " :vaultlet-reach-end";
const GUARD_ERROR = /vaultlet-reach:(.*?) :vaultlet-reach-end/s;

/** How many reasons a refusal lists (a superuser is a member of every role). */
const MAX_REASONS = 4;

/**
 * A query with one row and one column, `w`: the ways role `username` reaches `records`, `; `
 * between them (empty when none) — or no row when there is no such role. Only for the records'
 * server (see {@link ServerFacts}); `sameDatabase` adds the privileges on the tables themselves.
 * Each holder is looked up with `to_regrole`, so one dropped since the storage's check is no error,
 * and the query stays a single row of expressions (it is planned at every creation: PostgreSQL
 * plans and runs this one in about 0.3 ms; a join over `pg_roles` per holder took 0.9).
 */
function reasonsSql(username: string, records: ProtectedRecords, sameDatabase: boolean): string {
  const reasons = [
    `CASE WHEN n.rolsuper THEN 'SUPERUSER' END`,
    `CASE WHEN n.rolreplication THEN 'REPLICATION' END`,
    `CASE WHEN n.rolcreaterole AND pg_catalog.current_setting('server_version_num')::int < 160000 THEN 'CREATEROLE' END`,
    ...records.holders.map((holder) => {
      const role = `pg_catalog.to_regrole(${quoteLiteral(quoteIdentifier(holder.name))})`;
      const connected = holder.reach === "privileges" ? "n.connect AND " : "";
      const said = quoteLiteral(`member of ${quoteIdentifier(holder.name)}`);
      return `CASE WHEN ${connected}pg_catalog.pg_has_role(n.oid, ${role}, 'MEMBER') THEN CASE WHEN n.oid = ${role} THEN ${quoteLiteral(`is ${quoteIdentifier(holder.name)}`)} ELSE ${said} END END`;
    }),
    ...(sameDatabase
      ? records.tables.map((table) => {
          const relation = `pg_catalog.to_regclass(${quoteLiteral(table)})`;
          return `CASE WHEN pg_catalog.has_table_privilege(n.oid, ${relation}, '${RECORD_TABLE_PRIVILEGES}')
                         OR pg_catalog.has_any_column_privilege(n.oid, ${relation}, '${RECORD_COLUMN_PRIVILEGES}')
                       THEN ${quoteLiteral(`privileges on ${table}`)} END`;
        })
      : []),
  ];
  return `SELECT pg_catalog.concat_ws('; ', ${reasons.join(", ")}) AS w
    FROM (SELECT r.oid, r.rolsuper, r.rolreplication, r.rolcreaterole,
                 (SELECT pg_catalog.has_database_privilege(r.oid, d.oid, 'CONNECT') FROM pg_catalog.pg_database d
                   WHERE d.datname = ${quoteLiteral(records.database)}) AS connect
            FROM pg_catalog.pg_roles r WHERE r.rolname = ${quoteLiteral(username)}) AS n`;
}

/**
 * The statement that fails the creation's transaction when the new user reaches `records`: a
 * `SELECT` casting the reasons to `int` (so the error quotes them, in any `lc_messages`), as the
 * creation guards of `role-ownership.ts` do. Run after the creation statements; a role the
 * statements did not create gives no row, and the creation guard that follows reports it.
 */
function reachGuardSql(username: string, records: ProtectedRecords, sameDatabase: boolean): string {
  return `SELECT (${quoteLiteral(GUARD_TEXT)} || r.w || ${quoteLiteral(GUARD_END)})::int
    FROM (${reasonsSql(username, records, sameDatabase)}) AS r WHERE r.w <> ''`;
}

/**
 * The reach guards of one plugin instance: what its server says of itself is asked once (the
 * `system_identifier` never changes, nor the pool's database), then each creation costs only the
 * guard statement in its own transaction — and nothing at all on another server.
 */
export class ReachGuards {
  #facts: { key: string; facts: Promise<ServerFacts> } | undefined;

  /** The statements to run after the creation statements (none when `records` are on another server). */
  async statements(pool: Queryable, username: string, records: ProtectedRecords): Promise<string[]> {
    const key = `${records.systemIdentifier}/${records.database}`;
    if (this.#facts?.key !== key) {
      const facts = serverFacts(pool, records);
      this.#facts = { key, facts };
      facts.catch(() => (this.#facts = undefined)); // asked again by the next creation
    }
    const facts = await this.#facts.facts;
    return facts.same ? [reachGuardSql(username, records, facts.database === records.database)] : [];
  }
}

/** The reasons a reach guard ({@link ReachGuards}) failed with, or `undefined` for any other error. */
export function reachFailure(err: unknown): string[] | undefined {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (code !== "22P02" || typeof message !== "string") return undefined;
  const found = GUARD_ERROR.exec(message);
  return found ? found[1]!.split("; ") : undefined;
}

/** The refusal of a creation whose user could reach the records (rolled back: nothing was created). */
export function reachRefused(username: string, reasons: readonly string[]): CredentialReachesStorageError {
  return new CredentialReachesStorageError(
    `refusing to create the database user ${JSON.stringify(username)}: it could reach the engine's storage on this server ` +
      `(${listed(reasons)}); the creation was rolled back and nothing was created. Keep the role's statements from granting ` +
      `such roles or attributes, or keep the storage where the role's users cannot connect (see docs/security.md)`,
  );
}

/** What the plugin's server says of itself, for {@link findReach}. */
interface ServerFacts {
  /** Whether this may be the records' server. */
  same: boolean;
  /** The connection's database and user, and the server's version (`server_version_num`). */
  database: string;
  user: string;
  version: number;
}

const SERVER_FACTS_SQL = `SELECT CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')
            THEN (SELECT s.system_identifier::text FROM pg_catalog.pg_control_system() s) END AS system_identifier,
       pg_catalog.current_database()::text AS database, current_user::text AS "user",
       pg_catalog.current_setting('server_version_num')::int AS version,
       EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1) AS has_database`;

async function serverFacts(pool: Queryable, records: ProtectedRecords): Promise<ServerFacts> {
  const { rows } = await pool.query(SERVER_FACTS_SQL, [records.database]);
  const row = rows[0] as { system_identifier: string | null; database: string; user: string; version: number; has_database: boolean };
  const here = row.system_identifier;
  const same = row.has_database === true && (here === null || records.systemIdentifier === null || here === records.systemIdentifier);
  return { same, database: row.database, user: row.user, version: Number(row.version) };
}

/**
 * Why `request.statements` would let a user reach `request.records` (the first grant that would,
 * as the statements write it), or `undefined`. A database that cannot be asked now counts as the
 * records' server, its database as theirs (the safe guess; a role write is rare).
 */
export async function findReach(pool: Queryable, request: FindReachRequest): Promise<string | undefined> {
  const { records } = request;
  const server = await serverFacts(pool, records).catch(() => undefined);
  if (server && !server.same) return undefined;
  for (const finding of scanGrants(request.statements)) {
    const reason = findingReach(finding, records, server);
    if (reason !== undefined) return `${reason}, which would let the database user reach the engine's storage on this server`;
  }
  if (request.username === undefined || !server) return undefined;
  const { rows } = await pool.query(reasonsSql(request.username, records, server.database === records.database));
  const why = rows[0]?.w as string | undefined;
  return why ? `the database user ${quoteIdentifier(request.username)} reaches the engine's storage on this server (${listed(why.split("; "))})` : undefined;
}

/** How `finding` would reach the records, or `undefined` when it would not. */
function findingReach(finding: GrantFinding, records: ProtectedRecords, server: ServerFacts | undefined): string | undefined {
  switch (finding.kind) {
    case "role":
    case "current-user": {
      const name = finding.kind === "role" ? finding.name : server?.user;
      const holder = records.holders.find((h) => h.name === name);
      if (!holder || (holder.reach === "privileges" && !holder.connect)) return undefined;
      return `granting ${finding.text}${finding.kind === "current-user" ? ` (${quoteIdentifier(name!)})` : ""}: ${holderReach(holder, records)}`;
    }
    case "attribute": {
      if (finding.name === "CREATEROLE" && server && server.version >= 160000) return undefined;
      return `the attribute ${finding.text}: ${ATTRIBUTE_REACH[finding.name]}`;
    }
    case "schema":
      if (finding.name !== records.schema || (server && server.database !== records.database)) return undefined;
      return `naming the schema ${finding.text}: it holds the engine's storage`;
  }
}

function holderReach(holder: RecordHolder, records: ProtectedRecords): string {
  const name = quoteIdentifier(holder.name);
  if (holder.reach === "superuser") return `${name} is a superuser role, which its members can SET ROLE to`;
  if (holder.reach === "server-files") return `the members of ${name} read and write the server's files, the storage's data files included`;
  return `${name} holds privileges on the storage's tables (${records.tables.join(", ")}) in database ${quoteIdentifier(records.database)}, which its members may connect to`;
}

const ATTRIBUTE_REACH = {
  SUPERUSER: "a superuser reaches every database of the server",
  REPLICATION: "a replication user can copy every data file of the server (pg_basebackup)",
  CREATEROLE: "before PostgreSQL 16, a CREATEROLE user can grant itself any role that is not a superuser, pg_read_all_data and the storage's owner included",
} as const;

function listed(reasons: readonly string[]): string {
  const shown = reasons.slice(0, MAX_REASONS).join("; ");
  return reasons.length > MAX_REASONS ? `${shown}; and ${reasons.length - MAX_REASONS} more` : shown;
}
