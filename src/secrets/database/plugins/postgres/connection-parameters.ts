/**
 * What a connection URL (written as one, or made from a keyword/value string) must pass before a
 * pool is built from it, and the settings the plugin takes from it where `pg` would not.
 *
 * `pg` reads the port, `statement_timeout` and the like with `parseInt` and connects with whatever
 * comes out: a port past 65535 makes Node throw inside the pool's connect, which leaves a client
 * counted that never ends — the pool's `end()`, and so the config write, then waits forever. And
 * libpq's `connect_timeout`, `keepalives` and `keepalives_idle` are ignored by `pg` (only its
 * native driver reads them). So each numeric parameter is checked here, and those three are
 * honoured by the plugin itself. Every error names the parameter and never its value.
 *
 * @module
 */
import { InvalidRequestError } from "../../../../errors.js";
import { DEFAULT_CONNECT_TIMEOUT_MS, MAX_TIMER_MS, connectTimeoutMs, integerParameter } from "../../../../util/connect-timeout.js";
import { isSocketPathForm, parsePgUrl } from "../../../../util/pg-url.js";
import { multiHostError } from "./keyword-dsn.js";

const FIELD = "connection_url";

/** How the plugin's clients connect, beyond what `pg` reads from the URL itself. */
export interface ConnectionOptions {
  /** How long one connection attempt may take: `connect_timeout`, else 10 s. */
  connectTimeoutMs: number;
  /** TCP keepalives on the connection: libpq's `keepalives` (default on, as libpq). */
  keepAlive: boolean;
  /** libpq's `keepalives_idle` in milliseconds; 0 = the operating system's. */
  keepAliveInitialDelayMillis: number;
}

/** What a connection without a URL (`host`/`port` fields), or a socket path, gets. */
export const DEFAULT_CONNECTION_OPTIONS: ConnectionOptions = { connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS, keepAlive: true, keepAliveInitialDelayMillis: 0 };

/** The integer parameters `pg` or the plugin reads from a URL's query, and the range each may take. */
const INTEGER_PARAMETERS: Record<string, readonly [min: number, max: number, unit: string]> = {
  port: [1, 65535, ""],
  keepalives: [0, 1, ""],
  // Linux's largest TCP_KEEPIDLE.
  keepalives_idle: [0, 32_767, " (seconds)"],
  statement_timeout: [0, MAX_TIMER_MS, " (milliseconds)"],
  lock_timeout: [0, MAX_TIMER_MS, " (milliseconds)"],
  idle_in_transaction_session_timeout: [0, MAX_TIMER_MS, " (milliseconds)"],
  query_timeout: [0, MAX_TIMER_MS, " (milliseconds)"],
};

/**
 * Checks `url` as `pg` will read it and returns the plugin's own connection settings from it.
 *
 * @throws InvalidRequestError when `pg` could not read it, for a port or other integer parameter
 *   out of range, a host list (`h1,h2`), or `target_session_attrs` other than `any`
 */
export function checkConnectionUrl(url: string): ConnectionOptions {
  if (isSocketPathForm(url)) return DEFAULT_CONNECTION_OPTIONS;
  checkAuthority(url);
  const parsed = parsePgUrl(url);
  if (!parsed) {
    throw new InvalidRequestError(
      `${FIELD} is not a URL the driver can read: check the port, and percent-encode any "@", ":", "/", "?" or "#" in the user or password (or leave disable_escaping off)`,
    );
  }
  if (parsed.port !== "") integerParameter(FIELD, "port", parsed.port, 1, 65535);
  const query = parsed.searchParams;
  for (const [key, [min, max, unit]] of Object.entries(INTEGER_PARAMETERS)) {
    for (const value of query.getAll(key)) integerParameter(FIELD, key, value, min, max, unit);
  }
  if (query.getAll("host").some((host) => host.includes(","))) throw multiHostError();
  if (query.getAll("target_session_attrs").some((attrs) => attrs !== "any")) {
    throw new InvalidRequestError(
      `${FIELD}: target_session_attrs other than "any" is not supported: it chooses among several hosts, which this plugin does not connect to; use "any" or leave it out`,
    );
  }
  // `pg` takes the last of a repeated parameter; so do these.
  const last = (key: string) => query.getAll(key).at(-1);
  return {
    connectTimeoutMs: connectTimeoutMs(last("connect_timeout"), FIELD),
    keepAlive: last("keepalives") !== "0",
    keepAliveInitialDelayMillis: Number(last("keepalives_idle") ?? 0) * 1000,
  };
}

/**
 * The authority (after `//`, before the path): `h1:5432,h2:5433` there is libpq's host list, and
 * its port is checked here so that one past 65535 is named as the port (the URL parser would only
 * say the URL is invalid).
 */
function checkAuthority(url: string): void {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? "";
  const hostAndPort = authority.slice(authority.lastIndexOf("@") + 1);
  if (hostAndPort.includes(",")) throw multiHostError();
  // The text after the last `:` outside `[…]` (an IPv6 address) is the port.
  const port = /:([^:\]]*)$/.exec(hostAndPort)?.[1];
  if (port) integerParameter(FIELD, "port", port, 1, 65535);
}

/** Checks the `port` of a connection given as fields (`host`, `port`, `database`). */
export function checkPortField(port: number | undefined): void {
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
    throw new InvalidRequestError("port must be an integer from 1 to 65535");
  }
}
