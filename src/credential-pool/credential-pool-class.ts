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
import { ConnectionTracker } from "./connection-tracker.js";
import { closeIdleConnections } from "./idle-connections.js";
import type { PgModule } from "./load-pg.js";

/** What a credential pool adds to `pg.Pool`. */
export interface CredentialPoolMembers {
  /** The credentials new connections log in with — never the password. */
  readonly credentials: CredentialInfo;
  /**
   * Listens to the credential events — `rotate` (`{ previous, current, reason }`), `renew`
   * (`{ current, final }`), `failure` (`{ action, leaseId, error, retryInMs, final }`) — besides
   * pg.Pool's own (`connect`, `acquire`, `release`, `remove`, `error`).
   */
  on<K extends keyof CredentialLeaseEvents>(event: K, listener: (payload: CredentialLeaseEvents[K]) => void): this;
}

/**
 * A `pg.Pool` (`pool instanceof pg.Pool`) whose credentials come from a lease and renew and
 * rotate themselves. Open one with `openCredentialPool`; see docs/credential-pool.md.
 */
export type CredentialPool = pg.Pool & CredentialPoolMembers;

/** The database's "login refused" codes: wrong password or no such role (28P01), login not allowed (28000). */
const LOGIN_REFUSED = new Set(["28P01", "28000"]);

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: Error | boolean) => void) => void;
type CredentialPoolClass = new (lease: CredentialLease, config: pg.PoolConfig, logger?: Logger) => CredentialPool;

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
          super({ ...clientConfig, user: credentials.username, password: credentials.password });
          tracker.opened(this, credentials.leaseId);
        }
      }
      super({ ...config, Client: LeasedClient as unknown as typeof pg.Client });
      this.#lease = lease;
      this.#tracker = tracker;
      this.#logger = safeLogger(logger);
      lease.on("rotate", (event) => {
        tracker.retire(event.previous.leaseId);
        closeIdleConnections<pg.PoolClient>(this, (client) => tracker.isRetired(client));
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
      const checkout = this.#checkout();
      if (!callback) return checkout;
      checkout.then(
        (client) => callback(undefined, client, client.release),
        (error: Error) => callback(error, undefined, () => undefined),
      );
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

    async #checkout(): Promise<pg.PoolClient> {
      const leaseId = this.#lease.info.leaseId;
      let client: pg.PoolClient;
      try {
        client = await super.connect();
      } catch (error) {
        if (!isLoginRefused(error) || this.ending) throw error;
        // Replaced unless a rotation already did; when it cannot be, the login error stands.
        await this.#lease.rotate(leaseId).catch(() => Promise.reject(error));
        client = await super.connect();
      }
      this.#closeWhenRetired(client);
      return client;
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
