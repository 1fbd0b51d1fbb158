/**
 * A `pg.Pool` that keeps at most a given number of connections idle, for Vault's
 * `max_idle_connections` (pg-pool has no such cap: only an idle timeout).
 *
 * @module
 */
import pg from "pg";

/**
 * The idle cap Vault's `max_idle_connections` means: 0 = as many as `max_open_connections`,
 * negative = none, above `max_open_connections` = that many.
 */
export function idleCap(maxIdleConnections: number, maxOpenConnections: number): number {
  if (maxIdleConnections < 0) return 0;
  if (maxIdleConnections === 0) return maxOpenConnections;
  return Math.min(maxIdleConnections, maxOpenConnections);
}

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

/**
 * Each checked-out client's `release` closes the connection instead of returning it when the pool
 * already holds `maxIdle` idle connections and nobody waits for one — through pg-pool's own
 * `release(true)` (end the connection), so its accounting stays right. `pool.query` checks out
 * through {@link connect} too, so every path is capped.
 */
export class IdleCappedPool extends pg.Pool {
  readonly #maxIdle: number;

  /**
   * @param config - pg-pool's options
   * @param maxIdle - the most idle connections kept
   */
  constructor(config: pg.PoolConfig, maxIdle: number) {
    super(config);
    this.#maxIdle = maxIdle;
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    if (callback) {
      super.connect((err, client, done) => {
        if (err || !client) return callback(err, client, done);
        this.#cap(client);
        callback(undefined, client, (release) => client.release(release as Error | boolean | undefined));
      });
      return;
    }
    return super.connect().then((client) => {
      this.#cap(client);
      return client;
    });
  }

  #cap(client: pg.PoolClient): void {
    const release = client.release.bind(client);
    client.release = (err?: Error | boolean) => {
      const overCap = this.idleCount >= this.#maxIdle && this.waitingCount === 0;
      return release(err || (overCap ? true : undefined));
    };
  }
}
