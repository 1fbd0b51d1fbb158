/**
 * Retiring a pool's connections of a replaced lease — the one place that reads pg-pool's private
 * fields.
 *
 * pg.Pool has no public way to close one client. pg-pool (3.x, as pg 8.x ships it) has what its
 * `maxLifetimeSeconds` uses: a client in its `_expired` set is closed when released instead of
 * going back to the pool, and an idle one is closed with `_remove(client, callback)` (found in
 * `_idle`), as its idle timeout does. Marking a replaced lease's connections expired therefore
 * costs a query nothing. Where these fields are missing, the caller falls back to wrapping each
 * checkout's `release` ({@link canRetire} says which).
 *
 * @module
 */

interface PoolPrivates<C> {
  _idle?: Array<{ client: C }>;
  _expired?: WeakSet<object>;
  _remove?: (client: C, callback?: () => void) => void;
  _pulseQueue?: () => void;
}

/** Whether `pool` has pg-pool's `_expired` set and `_remove`: then {@link retireConnections} does the whole job. */
export function canRetire(pool: object): boolean {
  const privates = pool as PoolPrivates<object>;
  return privates._expired instanceof WeakSet && typeof privates._remove === "function" && Array.isArray(privates._idle);
}

/**
 * Marks `connections` expired in pg-pool (each closes when next released) and closes those idle
 * now. Requires {@link canRetire}.
 */
export function retireConnections<C extends object>(pool: object, connections: readonly C[]): void {
  const privates = pool as PoolPrivates<C>;
  for (const connection of connections) privates._expired!.add(connection);
  closeIdleConnections<C>(pool, (client) => privates._expired!.has(client));
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
