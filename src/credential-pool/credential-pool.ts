/**
 * `openCredentialPool`: a `pg.Pool` whose credentials come from a creds path and renew and rotate
 * themselves, built on the credential lease.
 *
 * @module
 */
import type pg from "pg";
import type { Client } from "../client.js";
import { InvalidRequestError } from "../errors.js";
import { openCredentialLease, type CredentialLeaseOptions } from "./credential-lease.js";
import { credentialPoolClass, type CredentialPool } from "./credential-pool-class.js";
import { loadPg } from "./load-pg.js";

/** Where the pool connects: pg's client options, without credentials (they come from the lease). */
export type CredentialPoolConnection = Omit<pg.ClientConfig, "user" | "password">;

/**
 * Options of {@link openCredentialPool}: the lease's (`path`, `renewAt`, `increment`, `retry`,
 * `clock`, `logger`), `connection`, and any other `pg.Pool` option (`max`, `idleTimeoutMillis`, …),
 * passed through.
 */
export interface CredentialPoolOptions extends Omit<CredentialLeaseOptions, "holdPrevious">, Omit<pg.PoolConfig, "user" | "password" | keyof CredentialPoolConnection> {
  /** Where to connect (host, port, database, ssl, …); no user or password. */
  connection: CredentialPoolConnection;
}

const LEASE_KEYS = ["path", "renewAt", "increment", "retry", "clock", "logger", "connection"] as const;

/**
 * Opens a `pg.Pool` whose connections log in with credentials read from `options.path`, renewed
 * at `renewAt` (default 2/3) of each term and replaced when renewal can no longer extend them:
 * new connections use the new credentials, idle old ones close, busy ones close when released,
 * and the old lease is revoked once none is left. `pool.end()` closes every connection and then
 * revokes every lease the pool holds. The client's token needs only `read` on the path.
 *
 * `pg` is loaded here, on first use, never by `import("vaultlet")`.
 *
 * @example
 * ```ts
 * const pool = await openCredentialPool(engine.client(appToken), {
 *   path: "database/creds/readonly",
 *   connection: { host: "localhost", port: 5432, database: "myapp" },
 *   max: 10,
 * });
 * await pool.query("SELECT 1");
 * pool.on("rotate", ({ previous, current }) => log.info({ from: previous.username, to: current.username }));
 * await pool.end();
 * ```
 *
 * @throws InvalidRequestError when the options carry credentials; the first read's error (e.g.
 *   `PermissionDeniedError`) when the token may not read the path
 */
export async function openCredentialPool(client: Client, options: CredentialPoolOptions): Promise<CredentialPool> {
  const config = poolConfig(options);
  const pgModule = await loadPg();
  const lease = await openCredentialLease(client, { ...options, holdPrevious: true });
  try {
    const Pool = credentialPoolClass(pgModule);
    return new Pool(lease, config, options.logger);
  } catch (error) {
    await lease.close().catch(() => undefined);
    throw error;
  }
}

/** The pg.Pool options: everything but the lease's own, with `connection` spread in; refused if they carry credentials. */
function poolConfig(options: CredentialPoolOptions): pg.PoolConfig {
  if (typeof options.connection !== "object" || options.connection === null) {
    throw new InvalidRequestError("connection is required: where to connect ({ host, port, database, ssl }), without user or password");
  }
  const rest: Record<string, unknown> = { ...options };
  for (const key of LEASE_KEYS) delete rest[key];
  const config = { ...rest, ...options.connection } as pg.PoolConfig & Record<string, unknown>;
  for (const key of ["user", "password"]) {
    if (config[key] !== undefined) throw new InvalidRequestError(`${key} must not be given: the credential pool logs in with the lease's credentials`);
  }
  if (typeof config.connectionString === "string" && hasCredentials(config.connectionString)) {
    throw new InvalidRequestError("connectionString must not carry a user or password: the credential pool logs in with the lease's credentials");
  }
  return config;
}

function hasCredentials(connectionString: string): boolean {
  try {
    const url = new URL(connectionString);
    return url.username !== "" || url.password !== "" || url.searchParams.has("user") || url.searchParams.has("password");
  } catch {
    return true; // not a URL we can check: refuse rather than let it override the lease's login
  }
}
