/**
 * Keeping a password (or its SCRAM verifier) out of every query text the server shows.
 *
 * PostgreSQL shows each session's current — and, once idle, last — query text in
 * `pg_stat_activity` to anyone with `pg_read_all_stats` (`pg_monitor`), such as a monitoring
 * credential the engine issued; it also logs the text of a failing statement
 * (`log_min_error_statement`, on by default) and, under `log_statement = ddl`, every `CREATE` and
 * `ALTER ROLE`. `CREATE ROLE … PASSWORD '…'` cannot take a bind parameter, so the statement itself
 * travels as one: a statement that holds the secret becomes two of constant text,
 *
 * 1. `SELECT set_config('vaultlet.statement', $1, true), set_config('vaultlet.secret', $2, true)`,
 *    the statement and the secret bound as parameters (transaction-local settings, which no other
 *    session can read and which end with the transaction), then
 * 2. a `DO` block ({@link EXECUTE_HIDDEN}) that `EXECUTE`s the setting. The server shows and logs
 *    the top-level text only, and an error inside is raised again without the context that would
 *    quote the statement, its message and detail with the secret replaced.
 *
 * Statements that do not hold the secret run as they are. See docs/security.md ("Passwords in
 * query texts").
 *
 * @module
 */

/** One statement of an extended-protocol pipeline, with its bind parameters. */
export interface QueryStep {
  /** One SQL statement, with `$1`… for `values`. */
  text: string;
  /** The values of its parameters (none: no parameters). */
  values?: string[];
}

/** The statement that hands the hidden statement and the secret to {@link EXECUTE_HIDDEN}. */
const SET_HIDDEN =
  "SELECT pg_catalog.set_config('vaultlet.statement', $1, true), pg_catalog.set_config('vaultlet.secret', $2, true)";

/**
 * Runs the statement in `vaultlet.statement`. An error is raised again with the same SQLSTATE (the
 * plugin's retry of transient conflicts and its guards read codes and messages), without the
 * `SQL statement "…"` context and internal query that would quote the statement, and with the
 * secret replaced in its message, detail and hint — in what the client receives and in the
 * server's log alike. `query_canceled` (a statement timeout) is caught too: `OTHERS` leaves it out.
 */
export const EXECUTE_HIDDEN = `DO $vaultlet$
DECLARE
  secret text;
  state text;
  message text;
  detail text;
  hint text;
BEGIN
  EXECUTE pg_catalog.current_setting('vaultlet.statement');
EXCEPTION WHEN OTHERS OR query_canceled THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
  secret := pg_catalog.current_setting('vaultlet.secret');
  message := pg_catalog.replace(message, secret, '[redacted]');
  detail := pg_catalog.replace(detail, secret, '[redacted]');
  hint := pg_catalog.replace(hint, secret, '[redacted]');
  -- An option given empty would still show (an empty DETAIL line in the log): give only those there are.
  IF detail = '' AND hint = '' THEN
    RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message;
  ELSIF hint = '' THEN
    RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, DETAIL = detail;
  ELSIF detail = '' THEN
    RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, HINT = hint;
  ELSE
    RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, DETAIL = detail, HINT = hint;
  END IF;
END
$vaultlet$`;

/**
 * The steps that run `statements` (one SQL statement each, in order: the rendered templates of a
 * transaction the caller opens and closes) with none of their texts holding `secret`: each
 * statement that holds it is replaced by the two steps of this module's description.
 *
 * @param secret - what was rendered for `{{password}}`; must not be empty
 */
export function secretFreeSteps(statements: readonly string[], secret: string): QueryStep[] {
  if (secret === "") throw new Error("secretFreeSteps needs the secret it keeps out of the query text");
  return statements.flatMap((statement): QueryStep[] =>
    statement.includes(secret) ? [{ text: SET_HIDDEN, values: [statement, secret] }, { text: EXECUTE_HIDDEN }] : [{ text: statement }],
  );
}
