/**
 * Proof that a role is the one a lease created, so revocation never drops a role the engine did
 * not create: at creation, in the creation's own transaction, the new role gets
 * `COMMENT ON ROLE … IS 'vaultlet-lease:<marker>'` (`:superuser` appended when the creation
 * statements made it one; see {@link creationGuards}), where the marker is random and recorded in
 * the lease before the role exists. Revocation reads the role back and refuses, changing nothing, unless it carries this
 * lease's marker, is not the connection's own user, and is a superuser only if created as one.
 *
 * @module
 */
import { PluginError } from "../../../../errors.js";
import { quoteIdentifier, quoteLiteral } from "./sql-format.js";

const PREFIX = "vaultlet-lease:";
const SUPERUSER_SUFFIX = ":superuser";
/** Markers are the engine's random ids; anything else is refused before it reaches SQL. */
const VALID_MARKER = /^[A-Za-z0-9-]{8,64}$/;

/** A role as revocation reads it from `pg_roles`. */
export interface RoleFacts {
  superuser: boolean;
  /** The role is `current_user` or `session_user`: the connection's own user. */
  isConnectionUser: boolean;
  /** Its `COMMENT ON ROLE`, or `null`. */
  comment: string | null;
}

/** The query that reads {@link RoleFacts} of role `$1` (no row: the role does not exist). */
export const ROLE_FACTS_SQL = `SELECT r.rolsuper AS superuser,
       (r.rolname = current_user OR r.rolname = session_user) AS is_connection_user,
       pg_catalog.shobj_description(r.oid, 'pg_authid') AS comment
  FROM pg_catalog.pg_roles r WHERE r.rolname = $1`;

/**
 * {@link ROLE_FACTS_SQL} plus `databases`: the databases other than ours where role `$1` owns
 * objects or holds privileges (from `pg_shdepend`), so revocation learns both in one round trip.
 */
export const REVOCATION_FACTS_SQL = `SELECT r.rolsuper AS superuser,
       (r.rolname = current_user OR r.rolname = session_user) AS is_connection_user,
       pg_catalog.shobj_description(r.oid, 'pg_authid') AS comment,
       ARRAY(SELECT DISTINCT d.datname::text FROM pg_catalog.pg_shdepend s
               JOIN pg_catalog.pg_database d ON d.oid = s.dbid
              WHERE s.refclassid = 'pg_catalog.pg_authid'::regclass AND s.refobjid = r.oid
                AND d.datname <> current_database()) AS databases
  FROM pg_catalog.pg_roles r WHERE r.rolname = $1`;

/** {@link RoleFacts} from a row of {@link ROLE_FACTS_SQL} (or {@link REVOCATION_FACTS_SQL}). */
export function roleFacts(row: { superuser: boolean; is_connection_user: boolean; comment: string | null }): RoleFacts {
  return { superuser: row.superuser === true, isConnectionUser: row.is_connection_user === true, comment: row.comment ?? null };
}

/**
 * How a creation guard stopped a creation: the role existed before the statements ran, the
 * statements did not create it, or they made it a superuser (or, in the superuser form, did not).
 */
export type GuardFailure = "existed" | "not-created" | "superuser" | "not-superuser";

/**
 * The text every guard's error carries. A guard is a plain `SELECT` that casts this text (and a
 * value from the row it found) to `int` when its condition holds, so the statement fails with
 * `invalid_text_representation` and a message quoting the text — in any `lc_messages`, since the
 * input is quoted as it is. A `DO` block raising its own SQLSTATE would say the same, but
 * PostgreSQL compiles a `DO` block's PL/pgSQL on every run: two of them per credential cost about
 * a millisecond of database time, as much as the creation statements (bench/creds.ts).
 */
const GUARD_TEXT = "vaultlet-guard:";
const GUARD_ERROR = /vaultlet-guard:(existed|not-created|not-superuser|superuser) /;

/**
 * The statements that guard a creation inside its transaction, so the whole creation is one round
 * trip: `before` (run first) refuses a role that already exists — an existing role is never taken
 * over — and `after` (run last) refuses when the statements did not create the role, else tags it
 * with `marker`. The tag records whether the statements made the role a superuser, and a `COMMENT`
 * cannot depend on a query, so there are two forms: `superuser: false` tags
 * `vaultlet-lease:<marker>` and refuses a role that turned out a superuser; `superuser: true` tags
 * `…:superuser` and refuses one that did not. The plugin runs the first, and the second only after
 * the first refused a superuser (that transaction was rolled back, so the statements run afresh).
 * Each refusal is an error {@link guardFailure} recognizes, and it rolls the transaction back.
 *
 * @throws PluginError (refused) for a marker that is not one of the engine's random ids
 */
export function creationGuards(username: string, marker: string, { superuser }: { superuser: boolean }): { before: string[]; after: string[] } {
  if (!VALID_MARKER.test(marker)) throw new PluginError("the lease's ownership marker is malformed", { refused: true });
  const role = `FROM pg_catalog.pg_roles r WHERE r.rolname = ${quoteLiteral(username)}`;
  const failWith = (failure: GuardFailure, value: string) => `SELECT (${quoteLiteral(`${GUARD_TEXT}${failure} `)} || ${value})::int`;
  const tag = quoteLiteral(PREFIX + marker + (superuser ? SUPERUSER_SUFFIX : ""));
  // One check after the statements, over an aggregate (so that the failing cast depends on the
  // query and is never folded at planning): no such role, or one of the other kind.
  const wrongKind = superuser ? "NOT bool_and(r.rolsuper)" : "bool_or(r.rolsuper)";
  const failure = `CASE WHEN count(*) = 0 THEN ${quoteLiteral(`${GUARD_TEXT}not-created `)} ELSE ${quoteLiteral(`${GUARD_TEXT}${superuser ? "not-superuser" : "superuser"} `)} END`;
  return {
    before: [`${failWith("existed", "r.rolname")} ${role}`],
    after: [`SELECT (${failure} || count(*))::int ${role} HAVING count(*) = 0 OR ${wrongKind}`, `COMMENT ON ROLE ${quoteIdentifier(username)} IS ${tag}`],
  };
}

/** Which guard of {@link creationGuards} `err` comes from, or `undefined` for any other error. */
export function guardFailure(err: unknown): GuardFailure | undefined {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (code !== "22P02" || typeof message !== "string") return undefined;
  return GUARD_ERROR.exec(message)?.[1] as GuardFailure | undefined;
}

/**
 * Why revocation must leave the role alone, or `undefined` when it may drop it. Without a marker
 * (a lease from before markers, or a plugin used directly), only what needs no record is checked:
 * not the connection's user, not a superuser, not a role another lease tagged.
 */
export function refusalReason(username: string, facts: RoleFacts, marker: string | undefined): string | undefined {
  const name = JSON.stringify(username);
  if (facts.isConnectionUser) return `the database user ${name} is the connection's own user; it is never revoked`;
  if (marker === undefined) {
    if (facts.superuser) return `the database user ${name} is a superuser and the lease records no proof that it created it`;
    if (facts.comment?.startsWith(PREFIX)) return `the database user ${name} was created by another lease`;
    return undefined;
  }
  const mine = `${PREFIX}${marker}`;
  if (facts.comment !== mine && facts.comment !== mine + SUPERUSER_SUFFIX) {
    return `the database user ${name} was not created by this lease (its ownership marker is missing or different)`;
  }
  if (facts.superuser && facts.comment !== mine + SUPERUSER_SUFFIX) {
    return `the database user ${name} became a superuser after this lease created it`;
  }
  return undefined;
}

/** The refusal revocation throws: the lease manager retries it, then marks the lease irrevocable. */
export function ownershipRefused(reason: string): PluginError {
  return new PluginError(`refusing to revoke: ${reason}; nothing was dropped`, { refused: true });
}
