/**
 * Creating `pg` pools and clients from a connection config.
 *
 * @module
 */
import type pg from "pg";
import { InvalidRequestError } from "../../../../errors.js";
import { renderTemplate } from "../../template.js";
import type { ConnectionSettings } from "../../plugin.js";
import { loadPg } from "../../../../util/load-pg.js";
import { withConnectTimeout } from "../../../../util/connect-timeout.js";
import { isKeywordDsn, keywordPairsToUrl, multiHostError, parseKeywordDsn } from "./keyword-dsn.js";
import { DEFAULT_CONNECTION_OPTIONS, checkConnectionUrl, checkPortField, type ConnectionOptions } from "./connection-parameters.js";
import { capIdleConnections, idleCap } from "./idle-capped-pool.js";

/**
 * How long a checkout waits for a free connection of the pool (at least as long as one
 * connection attempt may take, so the attempt's own timeout is what ends a slow one).
 */
const POOL_WAIT_MS = 10_000;

/** Where to connect, and how (the parts `pg` would not take from the URL). */
interface ConnectionTarget {
  config: pg.PoolConfig;
  options: ConnectionOptions;
}

/**
 * Creates a pool from `<db>/config/<name>`: a `connection_url` (a URL, with `{{username}}`/
 * `{{password}}` filled in URL-encoded unless `disable_escaping`; or a keyword/value string) or
 * `host`/`port`/`database`, plus inline TLS material; sized by `max_open_connections`, keeping at
 * most `max_idle_connections` idle, each connection ended after `max_connection_lifetime`. Every
 * connection attempt ends after `connect_timeout` seconds (default 10).
 *
 * `pg` is loaded here, on the first pool, not when vaultlet is imported.
 *
 * @throws InvalidRequestError when neither a URL nor a host is given, or the URL asks for what `pg`
 *   cannot do or holds a parameter out of range (named, never its value)
 */
export async function createPool(settings: ConnectionSettings): Promise<pg.Pool> {
  const { config, options } = connectionTarget(settings);
  const { Pool, Client } = await loadPg();
  const max = settings.maxOpenConnections;
  const pool = capIdleConnections(
    new Pool({
      ...config,
      ...socketOptions(options),
      Client: withConnectTimeout(Client, options.connectTimeoutMs),
      ssl: tlsOptions(settings),
      max,
      connectionTimeoutMillis: Math.max(POOL_WAIT_MS, options.connectTimeoutMs),
      idleTimeoutMillis: 30_000,
      // pg-pool ends a connection this many whole seconds after it opened (0 = never).
      maxLifetimeSeconds: Math.ceil(settings.maxConnectionLifetimeSeconds ?? 0),
    }),
    idleCap(settings.maxIdleConnections ?? 0, max),
  );
  // An idle client's error (e.g. the server restarted) must not crash the host process; the next
  // checkout gets a fresh connection.
  pool.on("error", () => undefined);
  return pool;
}

/** A client (not yet connected) on another database of the same server, as the same user. */
export async function clientFor(settings: ConnectionSettings, database: string): Promise<pg.Client> {
  const { Client } = await loadPg();
  return new Client(clientConfigFor(settings, database));
}

/** A single-connection config for another database of the same server, as the same user. */
function clientConfigFor(settings: ConnectionSettings, database: string): pg.ClientConfig {
  const target = connectionTarget(settings);
  const config: pg.ClientConfig = {
    ...target.config,
    ...socketOptions(target.options),
    ssl: tlsOptions(settings),
    connectionTimeoutMillis: target.options.connectTimeoutMs,
  };
  if (config.connectionString) {
    const url = new URL(config.connectionString);
    url.pathname = `/${encodeURIComponent(database)}`;
    config.connectionString = url.toString();
  } else {
    config.database = database;
  }
  return config;
}

function connectionTarget(settings: ConnectionSettings): ConnectionTarget {
  if (settings.connectionUrl) {
    const url = connectionString(settings);
    return { config: { connectionString: url }, options: checkConnectionUrl(url) };
  }
  if (!settings.host) throw new InvalidRequestError("connection_url or host is required");
  // Checked again here, not only when the config is written: a config stored before ports were
  // checked must fail with this error, not hang the pool.
  checkPortField(settings.port);
  if (settings.host.includes(",")) throw multiHostError();
  return {
    config: { host: settings.host, port: settings.port, database: settings.database, user: settings.username, password: settings.password },
    options: DEFAULT_CONNECTION_OPTIONS,
  };
}

/** `pg`'s names for libpq's `keepalives` and `keepalives_idle`. */
function socketOptions(options: ConnectionOptions): Pick<pg.ClientConfig, "keepAlive" | "keepAliveInitialDelayMillis"> {
  return { keepAlive: options.keepAlive, keepAliveInitialDelayMillis: options.keepAliveInitialDelayMillis };
}

function tlsOptions(settings: ConnectionSettings): pg.PoolConfig["ssl"] {
  const tls = settings.tls;
  if (!tls || (!tls.ca && !tls.cert && !tls.key)) return undefined;
  return { ca: tls.ca || undefined, cert: tls.cert || undefined, key: tls.key || undefined, rejectUnauthorized: true };
}

/**
 * The URL to connect with. A keyword/value string is split first and filled in per value (so no
 * escaping applies, and `disable_escaping` changes nothing there); a URL is filled in as text,
 * URL-encoding the user and password unless `disable_escaping` (Vault's rule).
 */
function connectionString(settings: ConnectionSettings): string {
  const values = { username: settings.username ?? "", password: settings.password ?? "" };
  if (isKeywordDsn(settings.connectionUrl)) {
    const pairs = parseKeywordDsn(settings.connectionUrl).map((pair) => ({ ...pair, value: renderTemplate(pair.value, values) }));
    return keywordPairsToUrl(pairs);
  }
  const escape = settings.disableEscaping ? (text: string) => text : encodeURIComponent;
  return renderTemplate(settings.connectionUrl, { username: escape(values.username), password: escape(values.password) });
}
