/**
 * The credential pool's public types, declared without `pg`'s typings (the package's public
 * declarations never depend on them): a structural slice by default, the full `pg.Pool` when the
 * host names it (`openCredentialPool<pg.Pool>(…)`).
 *
 * @module
 */
import type { PostgresPool } from "../util/postgres-pool.js";
import type { CredentialInfo, CredentialLeaseEvents } from "./credential-events.js";
import type { CredentialLeaseOptions } from "./credential-lease.js";

/** What a credential pool adds to `pg.Pool`, and the part of pg.Pool's own surface typed without `pg`. */
export interface CredentialPoolMembers {
  /** The credentials new connections log in with — never the password. */
  readonly credentials: CredentialInfo;
  /** Connections open or opening (pg.Pool's). */
  readonly totalCount: number;
  /** Idle connections (pg.Pool's). */
  readonly idleCount: number;
  /** Checkouts waiting for a connection (pg.Pool's). */
  readonly waitingCount: number;
  /**
   * Listens to the credential events — `rotate` (`{ previous, current, reason }`), `renew`
   * (`{ current, final }`), `failure` (`{ action, leaseId, error, retryInMs, final }`).
   */
  on<K extends keyof CredentialLeaseEvents>(event: K, listener: (payload: CredentialLeaseEvents[K]) => void): this;
  /** pg.Pool's `error`: an idle connection failed (e.g. the server ended it); the pool has dropped it. */
  on(event: "error", listener: (error: Error, client: unknown) => void): this;
  /** pg.Pool's other events (`connect`, `acquire`, `release`, `remove`). */
  on(event: "connect" | "acquire" | "release" | "remove", listener: (...args: any[]) => void): this;
}

/**
 * A `pg.Pool` — at run time `pool instanceof pg.Pool` — whose credentials come from a lease and
 * renew and rotate themselves. `P` is the pool type it is seen as: by default vaultlet's structural
 * {@link PostgresPool}; name `pg.Pool` (`openCredentialPool<pg.Pool>(…)`) to get all of pg's typing,
 * e.g. to hand it to Kysely's `PostgresDialect` or Drizzle's `drizzle({ client })`.
 */
export type CredentialPool<P extends object = PostgresPool> = P & CredentialPoolMembers;

/** Where the pool connects: pg's client options, without credentials (they come from the lease). */
export interface CredentialPoolConnection {
  /** The server's host (or a Unix socket directory). */
  host?: string;
  /** The server's port (default 5432). */
  port?: number;
  /** The database name. */
  database?: string;
  /** pg's `ssl` option (`true`, or TLS options). */
  ssl?: unknown;
  /** A connection string without user or password (refused if it carries either). */
  connectionString?: string;
  /** Any other pg client option (`statement_timeout`, `application_name`, …), passed through; never `user` or `password`. */
  [option: string]: unknown;
}

/**
 * Options of `openCredentialPool`: the lease's (`path`, `renewAt`, `increment`, `retry`, `clock`,
 * `logger`), `connection`, and any other `pg.Pool` option, passed through.
 */
export interface CredentialPoolOptions extends Omit<CredentialLeaseOptions, "holdPrevious"> {
  /** Where to connect (host, port, database, ssl, …); no user or password. */
  connection: CredentialPoolConnection;
  /** The most connections (pg.Pool's `max`, default 10). */
  max?: number;
  /** The fewest connections kept (pg.Pool's `min`). */
  min?: number;
  /** How long an idle connection stays open (pg.Pool's, default 10 s). */
  idleTimeoutMillis?: number;
  /**
   * pg.Pool's: how long a checkout waits for a connection, and each attempt to open one, may take
   * (0 = forever). Not given, a checkout still waits for a free connection as long as it takes, but
   * each attempt to open one ends after 10 s: a server that accepts and never answers cannot hold
   * it forever.
   */
  connectionTimeoutMillis?: number;
  /** Any other pg.Pool option (`maxUses`, `maxLifetimeSeconds`, `allowExitOnIdle`, `Client`, …), passed through. */
  [option: string]: unknown;
}
