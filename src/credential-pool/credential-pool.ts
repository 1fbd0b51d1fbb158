/**
 * `openCredentialPool`: a `pg.Pool` whose credentials come from a creds path and renew and rotate
 * themselves, built on the credential lease.
 *
 * @module
 */
import type pg from "pg";
import type { Client } from "../client.js";
import { InvalidRequestError } from "../errors.js";
import { openCredentialLease } from "./credential-lease.js";
import { credentialPoolClass } from "./credential-pool-class.js";
import type { CredentialPool, CredentialPoolOptions } from "./credential-pool-types.js";
import type { PostgresPool } from "../util/postgres-pool.js";
import { loadPg } from "../util/load-pg.js";

const LEASE_KEYS = ["path", "renewAt", "increment", "retry", "clock", "logger", "connection"] as const;

/**
 * Opens a `pg.Pool` whose connections log in with credentials read from `options.path`, renewed
 * at `renewAt` (default 2/3) of each term and replaced when renewal can no longer extend them:
 * new connections use the new credentials, idle old ones close, busy ones close when released,
 * and the old lease is revoked once none is left. `pool.end()` closes every connection and then
 * revokes every lease the pool holds. The client's token needs only `read` on the path.
 *
 * `pg` is loaded here, on first use, never by `import("vaultlet")`. The pool is a `pg.Pool` at run
 * time; its static type is vaultlet's structural slice unless you name pg's: `openCredentialPool<pg.Pool>(…)`.
 *
 * @typeParam P - the pool type the result is seen as (default the structural {@link PostgresPool}; `pg.Pool` with `@types/pg`)
 *
 * @example
 * ```ts
 * const pool = await openCredentialPool<pg.Pool>(engine.client(appToken), {
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
export async function openCredentialPool<P extends object = PostgresPool>(client: Client, options: CredentialPoolOptions): Promise<CredentialPool<P>> {
  const config = poolConfig(options);
  const pgModule = await loadPg();
  const lease = await openCredentialLease(client, { ...options, holdPrevious: true });
  try {
    const Pool = credentialPoolClass(pgModule);
    return new Pool(lease, config, options.logger) as unknown as CredentialPool<P>;
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
