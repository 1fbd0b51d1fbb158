/**
 * The credential pool's class: a subclass of the loaded `pg.Pool` whose new connections log in
 * with the credential lease's current credentials, whose connections of a replaced lease close
 * (idle ones at once, busy ones when released), and whose `end()` revokes what it holds.
 *
 * @module
 */
import type pg from "pg";
import { safeLogger, describeError, type Logger } from "../observability/logger.js";
import type { CredentialLease } from "./credential-lease.js";
import type { CredentialInfo, CredentialLeaseEvents } from "./credential-events.js";
import type { CredentialPool } from "./credential-pool-types.js";
import { ConnectionTracker } from "./connection-tracker.js";
import { canRetire, closeIdleConnections, retireConnections } from "./idle-connections.js";
import type { PgModule } from "../util/load-pg.js";
import { DEFAULT_CONNECT_TIMEOUT_MS } from "../util/connect-timeout.js";

/** The database's "login refused" codes: wrong password or no such role (28P01), login not allowed (28000). */
const LOGIN_REFUSED = new Set(["28P01", "28000"]);

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: Error | boolean) => void) => void;
type CredentialPoolClass = new (lease: CredentialLease, config: pg.PoolConfig, logger?: Logger) => CredentialPool<pg.Pool>;

const classes = new WeakMap<PgModule, CredentialPoolClass>();

/** The credential pool class over this `pg` module, defined once per module (pg is loaded lazily). */
export function credentialPoolClass(pgModule: PgModule): CredentialPoolClass {
  let defined = classes.get(pgModule);
  if (!defined) classes.set(pgModule, (defined = defineCredentialPool(pgModule) as unknown as CredentialPoolClass));
  return defined;
}

function defineCredentialPool(pgModule: PgModule) {
  return class CredentialPool extends pgModule.Pool {
    readonly #lease: CredentialLease;
    readonly #tracker: ConnectionTracker;
    readonly #logger: Logger;
    /** Whether pg-pool's own expiry retires connections (else each checkout's release is wrapped). */
    readonly #poolRetires: boolean;

    /**
     * @param lease - the lease whose credentials connections use; the pool owns it from now on
     *   (its `holdPrevious` must be set: the pool releases replaced leases once drained)
     * @param config - pg.Pool options without `user` and `password`
     */
    constructor(lease: CredentialLease, config: pg.PoolConfig, logger?: Logger) {
      const tracker = new ConnectionTracker((leaseId) => void lease.release(leaseId));
      const Base = (config.Client ?? pgModule.Client) as typeof pg.Client;
      /** A client that logs in with the lease's credentials at the moment the pool creates it. */
      class LeasedClient extends Base {
        constructor(clientConfig: pg.ClientConfig) {
          const credentials = lease.current();
          // Every attempt has a bound unless the host chose one (0, pg's wait-forever, included):
          // a server that accepts and never answers would otherwise hold a checkout forever.
          const connectionTimeoutMillis = clientConfig.connectionTimeoutMillis ?? DEFAULT_CONNECT_TIMEOUT_MS;
          super({ ...clientConfig, connectionTimeoutMillis, user: credentials.username, password: credentials.password });
          tracker.opened(this, credentials.leaseId);
          // A connection cut while checked out (the database restarted) emits `error`; a driver
          // that holds clients itself (Kysely) listens for none, and an unheard `error` would end
          // the host. The query in flight still fails, and pg-pool discards the dead client on release.
          this.on("error", () => undefined);
        }
      }
      super({ ...config, Client: LeasedClient as unknown as typeof pg.Client });
      this.#lease = lease;
      this.#tracker = tracker;
      this.#logger = safeLogger(logger);
      this.#poolRetires = canRetire(this);
      lease.on("rotate", (event) => {
        const old = event.previous.leaseId;
        if (this.#poolRetires) retireConnections(this, tracker.connectionsOf(old));
        else closeIdleConnections<pg.PoolClient>(this, (client) => tracker.isRetired(client));
        tracker.retire(old); // after: a lease without connections is released at once
        this.#emitSafely("rotate", event);
      });
      lease.on("renew", (event) => this.#emitSafely("renew", event));
      lease.on("failure", (event) => this.#emitSafely("failure", event));
    }

    /** The credentials new connections log in with — never the password. */
    get credentials(): CredentialInfo {
      return this.#lease.info;
    }

    /**
     * Checks a client out, as pg.Pool does. A connection of a replaced lease is destroyed when
     * released instead of going back to the pool. When the database refuses a new login with the
     * current credentials (revoked meanwhile), the lease is replaced and the checkout tried once more.
     */
    override connect(): Promise<pg.PoolClient>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
      if (!callback) {
        return new Promise((resolve, reject) => this.connect((error, client) => (error ? reject(error) : resolve(client!))));
      }
      // The callback form is pool.query's path: one closure, no promise, on every query.
      const leaseId = this.#lease.leaseId;
      super.connect((error, client, done) => {
        if (error && isLoginRefused(error) && !this.ending) return this.#retryAfterRefusal(leaseId, error, callback);
        if (client && !this.#poolRetires) this.#closeWhenRetired(client);
        callback(error, client, client?.release ?? done);
      });
    }

    /** Closes every connection, then revokes every lease the pool holds. Rejects with `CredentialLeaseError` when a revocation fails. */
    override end(): Promise<void>;
    override end(callback: () => void): void;
    override end(callback?: (error?: Error) => void): Promise<void> | void {
      const ending = this.#end();
      if (!callback) return ending;
      ending.then(() => callback(), (error: Error) => callback(error));
    }

    async #end(): Promise<void> {
      await super.end();
      await this.#tracker.allClosed(); // pg.Pool resolves before the last sockets have closed
      await this.#lease.close();
    }

    /** Replaces credentials the database refused (unless a rotation already did) and checks out once more. */
    #retryAfterRefusal(leaseId: string, refusal: Error, callback: ConnectCallback): void {
      this.#lease.rotate(leaseId).then(
        () =>
          super.connect((error, client, done) => {
            if (client && !this.#poolRetires) this.#closeWhenRetired(client);
            callback(error, client, client?.release ?? done);
          }),
        () => callback(refusal, undefined, () => undefined), // cannot be replaced: the login error stands
      );
    }

    /** Wraps this checkout's `release`: a connection of a replaced lease is destroyed, not pooled. */
    #closeWhenRetired(client: pg.PoolClient): void {
      const release = client.release;
      client.release = (err?: Error | boolean) => release.call(client, err || (this.#tracker.isRetired(client) ? true : undefined));
    }

    #emitSafely(name: keyof CredentialLeaseEvents, payload: unknown): void {
      try {
        this.emit(name, payload);
      } catch (error) {
        this.#logger.warn({ event: name, error: describeError(error) }, "credential pool listener threw; the pool carries on");
      }
    }
  };
}

function isLoginRefused(error: unknown): boolean {
  return typeof error === "object" && error !== null && LOGIN_REFUSED.has(String((error as { code?: unknown }).code));
}
