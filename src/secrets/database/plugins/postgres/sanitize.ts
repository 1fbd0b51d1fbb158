/**
 * Turning driver errors into messages that are safe to show.
 *
 * @module
 */
import { PluginError } from "../../../../errors.js";

const REDACTED = "[redacted]";

/**
 * Wraps a driver error in a {@link PluginError}: `operation` says what failed; the driver's message
 * follows with every known secret replaced by `[redacted]` (drivers echo SQL fragments, which can
 * hold a password). The raw error is not kept as `cause` — only its SQLSTATE code. A
 * {@link PluginError} we threw ourselves keeps its message and `refused`.
 */
export function pluginError(operation: string, err: unknown, secrets: readonly (string | undefined)[]): PluginError {
  if (err instanceof PluginError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const code = sqlState(err);
  const message = redact(raw, secrets);
  return new PluginError(`${operation}: ${message}`, {
    cause: code ? { code } : undefined,
    refused: refusedByServer(code),
    unreachable: unreachableServer(err, code),
  });
}

/** Node's codes of a connection that could not be made or was lost. */
const CONNECTION_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENETDOWN", "EHOSTDOWN", "ENOTFOUND", "EAI_AGAIN"]);

/** What `pg` says (with no code) when a connection ends, or cannot be had from the pool in time. */
const CONNECTION_MESSAGES = /connection terminated|terminated unexpectedly|timeout exceeded when trying to connect|connection timeout|client has encountered a connection error|not queryable/i;

/**
 * Whether the failure was the server being out of reach rather than the statement: a client-side
 * connection failure (a Node errno such as `ECONNREFUSED`, or `pg`'s own "Connection terminated"
 * and pool timeouts), a connection exception (SQLSTATE class 08), the server shutting down or
 * starting (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now). A query cancelled by a statement timeout (57014) is the
 * statement's, not the server's.
 */
export function unreachableServer(err: unknown, code = sqlState(err)): boolean {
  if (code !== undefined) return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03";
  const { code: errno, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof errno === "string" && CONNECTION_ERRNOS.has(errno)) return true;
  if (err instanceof AggregateError) return err.errors.some((inner) => unreachableServer(inner));
  return typeof message === "string" && CONNECTION_MESSAGES.test(message);
}

/**
 * The SQLSTATE of an error the server sent (`pg`'s `DatabaseError` has one and a `severity`),
 * or `undefined` for a client-side failure: a refused connection, a timeout, a dropped socket
 * (Node's `code`s, e.g. `EPIPE`, can look like a SQLSTATE, hence the `severity` check).
 */
function sqlState(err: unknown): string | undefined {
  const { code, severity } = (err ?? {}) as { code?: unknown; severity?: unknown };
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && typeof severity === "string" ? code : undefined;
}

/**
 * Whether a SQLSTATE means the server refused the statement (its transaction rolled back, nothing
 * changed). Connection exceptions (class 08) and operator intervention (class 57: shutdown, crash,
 * cancel by timeout) leave the outcome unknown: the server may have committed before it went.
 */
function refusedByServer(code: string | undefined): boolean {
  return code !== undefined && !code.startsWith("08") && !code.startsWith("57");
}

/** Replaces each non-empty secret (and its URL-encoded form) in `text`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join(REDACTED);
  }
  return out;
}
