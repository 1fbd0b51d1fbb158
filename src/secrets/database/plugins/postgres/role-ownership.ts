/**
 * Proof that a role is the one a lease created, so revocation never drops a role the engine did
 * not create: at creation, in the creation's own transaction, the new role gets
 * `COMMENT ON ROLE … IS 'vaultlet-lease:<marker>'` (`:superuser` appended when the creation
 * statements made it one; see {@link creationGuards}), where the marker is random and recorded in the lease before the role
 * exists. Revocation reads the role back and refuses, changing nothing, unless it carries this
 * lease's marker, is not the connection's own user, and is a superuser only if created as one.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { PluginError } from "../../../../errors.js";
import { quoteLiteral } from "./sql-format.js";

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

/** The SQLSTATE the creation guard raises when the role exists before the creation statements run. */
export const ROLE_EXISTED = "VL001";
/** The SQLSTATE the creation guard raises when the creation statements did not create the role. */
export const ROLE_NOT_CREATED = "VL002";

/**
 * The statements that guard a creation inside its transaction, so the whole creation is one round
 * trip: `before` (run first) refuses a role that already exists — an existing role is never taken
 * over — and `after` (run last) refuses when the statements did not create the role, else tags it
 * with `marker` (`:superuser` appended when the statements made it one). Each raises its own
 * SQLSTATE ({@link ROLE_EXISTED}, {@link ROLE_NOT_CREATED}), which rolls the transaction back.
 *
 * @throws PluginError (refused) for a marker that is not one of the engine's random ids
 */
export function creationGuards(username: string, marker: string): { before: string; after: string } {
  if (!VALID_MARKER.test(marker)) throw new PluginError("the lease's ownership marker is malformed", { refused: true });
  const name = quoteLiteral(username);
  return {
    before: doBlock(
      `BEGIN IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${name}) THEN ` +
        `RAISE EXCEPTION 'the role already exists' USING ERRCODE = '${ROLE_EXISTED}'; END IF; END`,
    ),
    after: doBlock(
      `DECLARE su boolean; BEGIN SELECT r.rolsuper INTO su FROM pg_catalog.pg_roles r WHERE r.rolname = ${name}; ` +
        `IF NOT FOUND THEN RAISE EXCEPTION 'the creation statements did not create the role' USING ERRCODE = '${ROLE_NOT_CREATED}'; END IF; ` +
        `EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', ${name}, ${quoteLiteral(PREFIX + marker)} || CASE WHEN su THEN ${quoteLiteral(SUPERUSER_SUFFIX)} ELSE '' END); END`,
    ),
  };
}

/** `DO` with `body` under a dollar-quote tag that the body cannot contain (it is random and checked). */
function doBlock(body: string): string {
  let tag: string;
  do tag = `$vaultlet_${randomBytes(6).toString("hex")}$`;
  while (body.includes(tag));
  return `DO ${tag}${body}${tag}`;
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
