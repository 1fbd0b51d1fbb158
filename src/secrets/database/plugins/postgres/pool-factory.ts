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
import { isKeywordDsn, keywordPairsToUrl, multiHostError, parseKeywordDsn } from "./keyword-dsn.js";
import { capIdleConnections, idleCap } from "./idle-capped-pool.js";

/** Connection-establishment timeout of pools the plugin creates. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Creates a pool from `<db>/config/<name>`: a `connection_url` (a URL, with `{{username}}`/
 * `{{password}}` filled in URL-encoded unless `disable_escaping`; or a keyword/value string) or
 * `host`/`port`/`database`, plus inline TLS material; sized by `max_open_connections`, keeping at
 * most `max_idle_connections` idle, each connection ended after `max_connection_lifetime`.
 *
 * `pg` is loaded here, on the first pool, not when vaultlet is imported.
 *
 * @throws InvalidRequestError when neither a URL nor a host is given, or the URL asks for what `pg` cannot do
 */
export async function createPool(settings: ConnectionSettings): Promise<pg.Pool> {
  const target = connectionTarget(settings);
  const { Pool } = await loadPg();
  const max = settings.maxOpenConnections;
  const pool = capIdleConnections(
    new Pool({
      ...target,
      ssl: tlsOptions(settings),
      max,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
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
  const config: pg.ClientConfig = { ...target, ssl: tlsOptions(settings), connectionTimeoutMillis: CONNECT_TIMEOUT_MS };
  if (target.connectionString) {
    const url = new URL(target.connectionString);
    url.pathname = `/${encodeURIComponent(database)}`;
    config.connectionString = url.toString();
  } else {
    config.database = database;
  }
  return config;
}

function connectionTarget(settings: ConnectionSettings): pg.PoolConfig {
  if (settings.connectionUrl) return { connectionString: connectionString(settings) };
  if (!settings.host) throw new InvalidRequestError("connection_url or host is required");
  return {
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.username,
    password: settings.password,
  };
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
    const pairs = parseKeywordDsn(settings.connectionUrl).map(({ key, value }) => ({ key, value: renderTemplate(value, values) }));
    return checkTarget(keywordPairsToUrl(pairs));
  }
  const escape = settings.disableEscaping ? (text: string) => text : encodeURIComponent;
  const url = renderTemplate(settings.connectionUrl, { username: escape(values.username), password: escape(values.password) });
  // The authority (after `//`, before the path): `h1:5432,h2:5433` there is libpq's host list.
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? "";
  if (authority.slice(authority.lastIndexOf("@") + 1).includes(",")) throw multiHostError();
  return checkTarget(url);
}

/**
 * Refuses what `pg` would silently ignore: a host list in `host=` and `target_session_attrs`
 * other than `any` (with one host there is nothing to choose between).
 */
function checkTarget(url: string): string {
  const query = url.includes("?") ? new URLSearchParams(url.slice(url.indexOf("?") + 1).split("#")[0]) : new URLSearchParams();
  if ((query.get("host") ?? "").includes(",")) throw multiHostError();
  const attrs = query.get("target_session_attrs");
  if (attrs !== null && attrs !== "any") {
    throw new InvalidRequestError(
      `connection_url: target_session_attrs=${JSON.stringify(attrs)} is not supported: it chooses among several hosts, which this plugin does not connect to; use "any" or leave it out`,
    );
  }
  return url;
}
