/**
 * Default revocation of many users in two round trips, for revocation storms: the same three
 * steps as one user's (`PostgresPlugin`'s default revocation), each over the whole batch, in
 * `DO` blocks that run each user in a sub-block of its own (`BEGIN … EXCEPTION`), so a user whose
 * revocation fails is rolled back alone and never blocks or undoes the others; the blocks report
 * which failed, and the plugin retries those one by one (`deleteUser`), which gives each its own
 * error.
 *
 * @module
 */
import type { RevocationSettings } from "../../revocation-settings.js";

/**
 * What revocation needs to know of each role of `$1` before dropping it: the facts ownership is
 * checked on (`role-ownership.ts`), and whether the role owns objects or holds privileges in
 * another database of the cluster (then it is revoked one by one, through other connections), and
 * whether nothing at all depends on it (`bare`: it owns nothing and holds no privilege or default
 * privilege anywhere, so there is nothing to reassign or drop before the role itself).
 */
export const BATCH_FACTS_SQL = `SELECT r.rolname AS name, r.rolsuper AS superuser,
       (r.rolname = current_user OR r.rolname = session_user) AS is_connection_user,
       pg_catalog.shobj_description(r.oid, 'pg_authid') AS comment,
       EXISTS (SELECT 1 FROM pg_catalog.pg_shdepend s JOIN pg_catalog.pg_database d ON d.oid = s.dbid
                WHERE s.refclassid = 'pg_catalog.pg_authid'::regclass AND s.refobjid = r.oid
                  AND d.datname <> current_database()) AS elsewhere,
       NOT EXISTS (SELECT 1 FROM pg_catalog.pg_shdepend s
                    WHERE s.refclassid = 'pg_catalog.pg_authid'::regclass AND s.refobjid = r.oid) AS bare
  FROM pg_catalog.pg_roles r WHERE r.rolname = ANY($1::text[])`;

/** One user of a batch, with its role's revocation settings. */
export interface BatchUser {
  username: string;
  settings: RevocationSettings;
  /**
   * Nothing depended on the role when its facts were read: only `DROP ROLE` runs (which refuses,
   * failing the user's sub-block, if something came to depend on it since; the user is then
   * revoked one by one, in full).
   */
  bare?: boolean;
}

/**
 * Whether `user` can go into a batch: its names travel inside the block's dollar quotes, so a name
 * with a `$` (never one the engine generates) is revoked one by one instead.
 */
export function batchable(user: BatchUser): boolean {
  return !user.username.includes("$") && !user.settings.reassignTo.includes("$");
}

/** The custom setting the block leaves its failures in (local to the transaction). */
const FAILED_SETTING = "vaultlet.revoke_failed";

/**
 * Step 1 of the default revocation for a batch, as its own transaction (one round trip): each
 * user, in a sub-transaction of its own, loses its logins (the admin first taking its privileges
 * when it is no superuser). Committed before sessions are ended, so no ended session logs back in.
 * Selects the 1-based positions of the users it failed on (`failed`, an int array literal).
 *
 * @param superuser - whether the connection's user is a superuser
 */
export function batchPrepareQuery(users: readonly BatchUser[], superuser: boolean): string {
  return perUserBlock(users, [...(superuser ? [] : ["EXECUTE pg_catalog.format('GRANT %I TO CURRENT_USER', names[i]);"]), "EXECUTE pg_catalog.format('ALTER ROLE %I NOLOGIN', names[i]);"]);
}

/**
 * Steps 2 and 3, in one round trip and one transaction: the open sessions of the users whose role
 * says so are ended (in one pass over `pg_stat_activity`), then each user, in a sub-transaction of
 * its own, has what it owns reassigned (or dropped), its privileges dropped, and its role dropped.
 * Selects the failed positions as {@link batchPrepareQuery} does.
 */
export function batchDropQuery(users: readonly BatchUser[]): string {
  const ending = users.filter((user) => user.settings.terminateSessions).map((user) => literal(user.username));
  const terminate =
    ending.length === 0
      ? ""
      : `SELECT count(pg_catalog.pg_terminate_backend(pid)) FROM pg_catalog.pg_stat_activity
          WHERE usename = ANY (${arrayOf(ending, "text")}) AND pid <> pg_catalog.pg_backend_pid();
`;
  return (
    terminate +
    perUserBlock(users, [
      "IF NOT bare[i] THEN",
      "IF reassign[i] THEN EXECUTE pg_catalog.format('REASSIGN OWNED BY %I TO %s', names[i], COALESCE(pg_catalog.quote_ident(heirs[i]), 'CURRENT_USER')); END IF;",
      "EXECUTE pg_catalog.format('DROP OWNED BY %I', names[i]);",
      "END IF;",
      "EXECUTE pg_catalog.format('DROP ROLE IF EXISTS %I', names[i]);",
    ])
  );
}

/**
 * A `DO` block running `steps` for each user in a sub-block of its own (`BEGIN … EXCEPTION`), so a
 * failure rolls back that user's steps only, then the select of the failed positions, left in a
 * transaction-local setting. Names travel as literals, never as SQL.
 */
function perUserBlock(users: readonly BatchUser[], steps: string[]): string {
  if (!users.every(batchable)) throw new Error("a name with '$' cannot go into a batch");
  const names = arrayOf(users.map((user) => literal(user.username)), "text");
  const heirs = arrayOf(users.map((user) => (user.settings.reassignTo ? literal(user.settings.reassignTo) : "NULL")), "text");
  const reassign = arrayOf(users.map((user) => String(user.settings.ownedObjects !== "drop")), "boolean");
  const bare = arrayOf(users.map((user) => String(user.bare === true)), "boolean");
  return `DO $vaultlet_batch$
DECLARE
  names text[] := ${names};
  heirs text[] := ${heirs};
  reassign boolean[] := ${reassign};
  bare boolean[] := ${bare};
  failed int[] := '{}';
BEGIN
  FOR i IN 1 .. pg_catalog.array_length(names, 1) LOOP
    BEGIN
      ${steps.join("\n      ")}
    EXCEPTION WHEN OTHERS THEN
      failed := failed || i;
    END;
  END LOOP;
  PERFORM pg_catalog.set_config('${FAILED_SETTING}', failed::text, true);
END
$vaultlet_batch$;
SELECT pg_catalog.current_setting('${FAILED_SETTING}', true) AS failed`;
}

/** The 0-based positions of the users that failed, from the query's `failed` value. */
export function failedPositions(value: unknown): number[] {
  if (typeof value !== "string" || value.length < 2) return [];
  const inner = value.slice(1, -1).trim();
  return inner === "" ? [] : inner.split(",").map((position) => Number(position) - 1);
}

/** A string literal, as `pg`'s `escapeLiteral` writes it (without loading `pg`). */
function literal(value: string): string {
  const quoted = `'${value.replace(/'/g, "''").replace(/\\/g, "\\\\")}'`;
  return value.includes("\\") ? ` E${quoted}` : quoted;
}

function arrayOf(literals: string[], type: string): string {
  return `ARRAY[${literals.join(", ")}]::${type}[]`;
}
