/**
 * Closing a pool's idle connections of a replaced lease at once — the one place that reads
 * pg-pool's private fields.
 *
 * pg.Pool has no public way to close one idle client. pg-pool keeps its idle clients in `_idle`
 * (items with a `client`) and closes one with `_remove(client, callback)`, which is what its own
 * idle timeout does; both exist since pg-pool 2 and are what pg 8.x ships. When they are missing
 * (a future pg-pool), nothing is closed here, and an idle old connection closes instead at its
 * next checkout (it serves that one query, then is destroyed) or at `idleTimeoutMillis`.
 *
 * @module
 */

interface PoolPrivates<C> {
  _idle?: Array<{ client: C }>;
  _remove?: (client: C, callback?: () => void) => void;
  _pulseQueue?: () => void;
}

/**
 * Closes every idle client of `pool` for which `retired` holds; returns how many. Busy clients
 * are not touched: they close when released.
 */
export function closeIdleConnections<C>(pool: object, retired: (client: C) => boolean): number {
  const privates = pool as PoolPrivates<C>;
  if (!Array.isArray(privates._idle) || typeof privates._remove !== "function") return 0;
  const doomed = privates._idle.filter((item) => retired(item.client)).map((item) => item.client);
  // The callback lets a waiting checkout take the freed slot, as pg-pool's idle timeout does.
  for (const client of doomed) privates._remove.call(pool, client, () => privates._pulseQueue?.call(pool));
  return doomed.length;
}
