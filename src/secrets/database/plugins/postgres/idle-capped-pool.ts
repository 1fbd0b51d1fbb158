/**
 * Vault's `max_idle_connections` on a `pg.Pool`, which has no such cap (only an idle timeout).
 *
 * @module
 */
import type pg from "pg";

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
 * Makes `pool` keep at most `maxIdle` connections idle: each checked-out client's `release` ends
 * the connection instead of returning it when the pool already holds `maxIdle` idle ones and
 * nobody waits for one — through pg-pool's own `release(true)`, so its accounting stays right.
 * `pool.query` checks out through `pool.connect` too, so every path is capped. Patches the
 * instance (no subclass), so this module needs `pg`'s types only.
 *
 * @returns `pool`
 */
export function capIdleConnections(pool: pg.Pool, maxIdle: number): pg.Pool {
  const connect = pool.connect.bind(pool) as (callback?: ConnectCallback) => Promise<pg.PoolClient> | void;
  const cap = (client: pg.PoolClient): void => {
    const release = client.release.bind(client);
    client.release = (err?: Error | boolean) => {
      const overCap = pool.idleCount >= maxIdle && pool.waitingCount === 0;
      return release(err || (overCap ? true : undefined));
    };
  };
  const capped = (callback?: ConnectCallback): Promise<pg.PoolClient> | void => {
    if (!callback) {
      return (connect() as Promise<pg.PoolClient>).then((client) => {
        cap(client);
        return client;
      });
    }
    connect((err, client, done) => {
      if (err || !client) return callback(err, client, done);
      cap(client);
      callback(undefined, client, (release) => client.release(release as Error | boolean | undefined));
    });
  };
  pool.connect = capped as pg.Pool["connect"];
  return pool;
}
