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

/** Connection-establishment timeout of pools the plugin creates. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Creates a pool from `<db>/config/<name>`: a `connection_url` (with `{{username}}`/`{{password}}`
 * filled in, URL-encoded) or `host`/`port`/`database`, plus inline TLS material.
 *
 * `pg` is loaded here, on the first pool, not when vaultlet is imported.
 *
 * @throws InvalidRequestError when neither a URL nor a host is given
 */
export async function createPool(settings: ConnectionSettings): Promise<pg.Pool> {
  const target = connectionTarget(settings);
  const { Pool } = await loadPg();
  const pool = new Pool({
    ...target,
    ssl: tlsOptions(settings),
    max: settings.maxOpenConnections,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
  });
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
  if (settings.connectionUrl) {
    return {
      connectionString: renderTemplate(settings.connectionUrl, {
        username: encodeURIComponent(settings.username ?? ""),
        password: encodeURIComponent(settings.password ?? ""),
      }),
    };
  }
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
